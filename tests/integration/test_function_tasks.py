"""Function tasks (HumanEval's shape) in the real sandbox: right, wrong, crashing, hanging and cheating candidates.

The hidden check runs in a driver process the candidate cannot read; the verdict comes from a report line
carrying a harness-chosen nonce. None of the cheats below may pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mapforge.config import SandboxConfig
from mapforge.evaluators.solve import SolveEvaluator
from mapforge.evaluators.verdict import Verdict
from mapforge.sandbox import open_sandbox
from mapforge.tasks.loader import load_task
from tests.helpers import FIXTURES, copy_task, require_docker

GOOD = (FIXTURES / "function" / "merge-intervals.py").read_text()


@pytest.fixture(scope="module", params=["local", pytest.param("docker", marks=pytest.mark.docker)])
def evaluate(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """Evaluate a source against merge-intervals with a 2 s limit per test (so hanging is quick)."""
    if request.param == "docker":
        require_docker()
    folder = copy_task("merge-intervals", tmp_path_factory.mktemp("t"), "[limits]\ntimeout_seconds = 2")
    task = load_task(folder)
    backend = str(request.param)

    def run(source: str, visible_only: bool = False) -> Verdict:
        ev = SolveEvaluator(task, lambda: open_sandbox(backend), SandboxConfig(), visible_only=visible_only)
        return ev.evaluate(source)

    return run


def test_right_candidate_passes(evaluate) -> None:  # type: ignore[no-untyped-def]
    v = evaluate(GOOD)
    assert v.status == "correct" and v.tests_passed == v.tests_total == 3
    assert v.pass_rate == 1.0


def test_wrong_candidate_shows_visible_details_and_hidden_counts_only(evaluate) -> None:  # type: ignore[no-untyped-def]
    v = evaluate("def merge_intervals(xs):\n    return sorted(xs)\n")
    assert v.status == "wrong_answer" and v.tests_passed == 0
    assert "returned [[1, 3], [2, 6], [8, 10], [15, 18]], expected [[1, 6], [8, 10], [15, 18]]" in v.feedback
    assert "hidden tests failed" in v.feedback
    check = Path("tasks/merge-intervals/check.py").read_text()
    assert "[-5, -1]" in check and "[-5, -1]" not in v.feedback and "20000" not in v.feedback


def test_passing_the_examples_only_is_not_enough(evaluate) -> None:  # type: ignore[no-untyped-def]
    lookup = ("def merge_intervals(xs):\n"
              "    return {str([[1, 3], [2, 6], [8, 10], [15, 18]]): [[1, 6], [8, 10], [15, 18]],\n"
              "            str([[4, 5], [1, 4]]): [[1, 5]]}.get(str(xs), [])\n")
    v = evaluate(lookup)
    assert v.status == "wrong_answer" and v.tests_passed == 2 and v.tests_total == 3
    assert evaluate(lookup, visible_only=True).status == "correct"  # what an agent may check against


def test_crashing_candidate(evaluate) -> None:  # type: ignore[no-untyped-def]
    v = evaluate("def merge_intervals(xs):\n    print('about to fail')\n    return xs[10 ** 6]\n")
    assert v.status == "runtime_error" and v.tests_passed == 0
    assert "IndexError" in v.feedback and "about to fail" in v.feedback


def test_hanging_candidate_times_out(evaluate) -> None:  # type: ignore[no-untyped-def]
    v = evaluate("def merge_intervals(xs):\n    while True:\n        pass\n")
    assert v.status == "timeout" and v.tests_passed == 0


def test_syntax_error_is_a_compile_error(evaluate) -> None:  # type: ignore[no-untyped-def]
    assert evaluate("def merge_intervals(xs) return xs\n").status == "compile_error"


@pytest.mark.parametrize("name,source", [
    ("sys.exit(0) while loading", "import sys\nsys.exit(0)\n"),
    ("os._exit(0) while loading", "import os\nos._exit(0)\n"),
    ("sys.exit(0) when called", "import sys\ndef merge_intervals(xs):\n    sys.exit(0)\n"),
    ("os._exit(0) when called", "import os\ndef merge_intervals(xs):\n    os._exit(0)\n"),
    ("kills the test driver", "import os, signal\ndef merge_intervals(xs):\n"
                              "    os.kill(os.getppid(), signal.SIGKILL)\n    os._exit(0)\n"),
    ("prints a made-up report", "import os, sys\nfor fd in (1, 2):\n"
                                "    os.write(fd, b'0123456789abcdef0123456789abcdef {\"examples\": [{\"ok\": true}], '\n"
                                "             b'\"hidden\": {\"ok\": true}, \"loaded\": true}\\n')\nos._exit(0)\n"),
    ("returns an object equal to everything", "class Eq(list):\n    def __eq__(self, other):\n        return True\n"
                                              "class Any:\n    def __eq__(self, other):\n        return True\n"
                                              "def merge_intervals(xs):\n    return Any()\n"),
    ("patches the comparison it is handed", "import builtins\nbuiltins.AssertionError = type('X', (Exception,), {})\n"
                                            "def merge_intervals(xs):\n    return None\n"),
])
def test_cheats_do_not_pass(evaluate, name: str, source: str) -> None:  # type: ignore[no-untyped-def]
    v = evaluate(source)
    assert v.status != "correct", name
    assert v.tests_passed == 0, name


def test_candidate_cannot_read_the_hidden_tests(evaluate) -> None:  # type: ignore[no-untyped-def]
    """It looks everywhere it can (its work dir, /tmp, the driver's /proc entries) for the check code and
    returns what it found; the visible example's feedback shows the return value."""
    spy = '''
import glob, os
def merge_intervals(xs):
    found = []
    paths = glob.glob("*") + glob.glob("/tmp/**", recursive=True) + glob.glob("/work/**", recursive=True)
    ppid = os.getppid()
    paths += [f"/proc/{ppid}/{p}" for p in ("cmdline", "environ", "mem", "maps")]
    paths += glob.glob(f"/proc/{ppid}/fd/*") + glob.glob(f"/proc/{ppid}/task/*/fd/*")
    for p in paths:
        try:
            fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
            data = os.read(fd, 1 << 20)
            os.close(fd)
        except OSError:
            continue
        if any(n in data for n in (b"200" + b"00", b"def " + b"check", b"[-5, " + b"-1]")):  # not this file
            found.append(p)
    return ["found:"] + found
'''
    v = evaluate(spy)
    assert v.status == "wrong_answer"
    assert "returned ['found:']," in v.feedback, v.feedback


@pytest.mark.parametrize("suite,name", [
    ("humaneval", "HumanEval-32"),   # the check uses poly() from the prompt
    ("humaneval", "HumanEval-38"),   # the check uses encode_cyclic() from the prompt, and unseeded random
    ("humaneval", "HumanEval-53"),   # unseeded random in the check
    ("mbpp", "mbpp-56"),             # the function under test is itself named `check`
    ("mbpp", "mbpp-88"),             # returns a Counter (a dict subclass): crosses as a plain dict
])
def test_suite_reference_solutions_pass(suite: str, name: str) -> None:
    """The suites' own reference solutions pass in the sandbox (bench/suite_check.py runs all of them)."""
    from mapforge.bench import suites

    if suite == "humaneval":
        recs = {r["task_id"].replace("/", "-"): r["prompt"] + r["canonical_solution"] for r in suites.humaneval_records()}
        tasks = suites.humaneval().tasks
    else:
        recs = {f"mbpp-{r['task_id']}": r["code"] for r in suites.mbpp_records()}
        tasks = suites.mbpp().tasks
    task = next(t for t in tasks if t.name == name)
    v = SolveEvaluator(task, lambda: open_sandbox("local"), SandboxConfig()).evaluate(recs[name])
    assert v.status == "correct", v.feedback
    wrong = SolveEvaluator(task, lambda: open_sandbox("local"), SandboxConfig()).evaluate(
        f"def {task.spec.entry_point}(*args):\n    return None\n")  # type: ignore[union-attr]
    assert wrong.status == "wrong_answer"
