"""The tests stage of function tasks (``format = "function"``): HumanEval-shaped problems.

The candidate is a Python module defining ``entry_point``. One sandbox ``exec`` runs the driver
(:mod:`mapforge.evaluators.pyfunc_driver`), which gets the visible examples, the hidden ``check`` code and a
fresh random nonce on stdin, and calls the candidate in a separate worker process; see that module for why
neither exiting early, printing, nor reading files can make a candidate pass. Here the harness accepts only
a report line that starts with its nonce, from a driver that exited normally. Feedback names visible
failures in full and hidden ones by count only.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from mapforge.evaluators import pyfunc_driver
from mapforge.evaluators.common import exec_failure
from mapforge.evaluators.verdict import StageResult, Status
from mapforge.sandbox import ExecResult, Limits, Sandbox
from mapforge.tasks.spec import SolveSpec, Task

DRIVER = "driver.py"
_STATUSES: frozenset[str] = frozenset({"wrong_answer", "runtime_error", "timeout", "memory", "output_limit"})


def driver_source() -> str:
    return Path(pyfunc_driver.__file__).read_text(encoding="utf-8")


def read_report(r: ExecResult, nonce: str) -> dict[str, Any] | None:
    """The driver's report, or None when there is none the harness can trust."""
    if not r.ok:
        return None
    for line in reversed(r.stdout.splitlines()):
        head, _, body = line.partition(" ")
        if head == nonce:
            try:
                report = json.loads(body)
            except json.JSONDecodeError:
                return None
            return report if isinstance(report, dict) else None
    return None


def _status(value: object) -> Status:
    return value if isinstance(value, str) and value in _STATUSES else "runtime_error"  # type: ignore[return-value]


def function_tests(sb: Sandbox, task: Task, program: str, *, visible_only: bool = False) -> StageResult:
    """Run the visible examples (and, unless ``visible_only``, the hidden check) against ``program``."""
    spec = task.spec
    if not isinstance(spec, SolveSpec) or spec.entry_point is None:
        raise TypeError("function_tests needs a function-format solve task")
    check = None if visible_only else task.hidden_code
    nonce = secrets.token_hex(16)
    job = {"nonce": nonce, "candidate": program, "prompt": spec.prompt, "entry_point": spec.entry_point,
           "examples": [[ex.input, ex.output] for ex in spec.examples], "check": check,
           "timeout": spec.limits.timeout_seconds}
    sb.write_file(DRIVER, driver_source())
    n_tests = len(spec.examples) + (1 if check is not None else 0)
    limits = Limits(timeout=spec.limits.timeout_seconds * (n_tests + 1) + 10, memory_mb=spec.limits.memory_mb)
    r = sb.exec(["python3", "-I", DRIVER], limits=limits, stdin=json.dumps(job).encode())
    report = read_report(r, nonce)
    if report is None:
        status: Status = exec_failure(r) if r.killed else "runtime_error"
        return StageResult(stage="tests", ok=False, status=status,
                           reason=f"the test driver did not report ({r.describe()}); 0/{n_tests} passed",
                           feedback="The tests could not finish: the program interfered with the test process "
                                    "(exited it, killed it or exhausted its limits).",
                           tests_passed=0, tests_total=n_tests, artifacts={"driver.log": r.stdout + r.stderr})
    return _stage(report, spec, n_tests)


def _stage(report: dict[str, Any], spec: SolveSpec, n_tests: int) -> StageResult:
    passed = 0
    first: tuple[Status, str] | None = None
    feedback: list[str] = []
    for i, ex in enumerate(report.get("examples") or []):
        if ex.get("ok") is True:
            passed += 1
            continue
        status = _status(ex.get("status"))
        first = first or (status, f"{status.replace('_', ' ')} on example {i + 1}")
        detail = f"Example {i + 1}: {ex.get('detail', '')}"
        if ex.get("stderr"):
            detail += f"\nthe program's output and errors:\n{ex['stderr']}"
        feedback.append(detail)
    hidden = report.get("hidden")
    if isinstance(hidden, dict):
        if hidden.get("ok") is True:
            passed += 1
        else:
            status = _status(hidden.get("status"))
            first = first or (status, f"{status.replace('_', ' ')} in the hidden tests")
            feedback.append("The hidden tests failed (their contents are not shown).")
    if report.get("load_error") and not feedback:
        feedback.append(f"The program did not load:\n{report['load_error']}")
    if n_tests == 0 and report.get("loaded") is False:
        return StageResult(stage="tests", ok=False, status="runtime_error", reason="the program did not load",
                           feedback=f"The program did not load:\n{report.get('load_error') or ''}",
                           tests_passed=0, tests_total=0)
    if first is None:
        return StageResult(stage="tests", ok=True, reason=f"all {n_tests} tests passed",
                           tests_passed=passed, tests_total=n_tests)
    return StageResult(stage="tests", ok=False, status=first[0], reason=f"{first[1]}; {passed}/{n_tests} passed",
                       feedback="\n\n".join(feedback), tests_passed=passed, tests_total=n_tests)
