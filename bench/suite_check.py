"""Check the bench suites against their own reference solutions, in the sandbox.

Every HumanEval problem's canonical solution (prompt + canonical_solution) and every MBPP problem's
reference code must pass its visible examples and hidden check; a failure means the harness (or a visible
example taken from a docstring) is wrong, not the solution. Prints one row per failure and a summary.

    python bench/suite_check.py [--suite humaneval|mbpp|all] [--sandbox local|docker]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from mapforge.bench import suites
from mapforge.config import SandboxConfig
from mapforge.evaluators.solve import SolveEvaluator
from mapforge.sandbox import make_sandbox_factory
from mapforge.tasks.spec import Task


def references(name: str) -> list[tuple[Task, str]]:
    if name == "humaneval":
        recs = suites.humaneval_records()
        suite = suites.humaneval()
        return [(t, r["prompt"] + r["canonical_solution"]) for t, r in zip(suite.tasks, recs)]
    recs = suites.mbpp_records()
    suite = suites.mbpp()
    return [(t, r["code"]) for t, r in zip(suite.tasks, recs)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--suite", choices=["humaneval", "mbpp", "all"], default="all")
    ap.add_argument("--sandbox", choices=["local", "docker"], default="local")
    args = ap.parse_args()
    factory = make_sandbox_factory(args.sandbox, None, "suite-check", 1)
    new: Callable = factory
    print("| suite | task | status | tests | reason |\n|---|---|---|---|---|")
    total = failed = examples = 0
    t0 = time.monotonic()
    try:
        for name in (["humaneval", "mbpp"] if args.suite == "all" else [args.suite]):
            for task, source in references(name):
                v = SolveEvaluator(task, new, SandboxConfig()).evaluate(source)
                total += 1
                examples += len(task.spec.examples)  # type: ignore[union-attr]
                if not v.correct:
                    failed += 1
                    print(f"| {name} | {task.name} | {v.status} | {v.tests_passed}/{v.tests_total} | "
                          f"{v.reason} {v.feedback[:200]!r} |", flush=True)
    finally:
        factory.close()
    print(f"summary: {total - failed}/{total} reference solutions pass their visible examples and hidden "
          f"checks ({examples} visible examples), {time.monotonic() - t0:.0f} s")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
