"""The analyst's rules on kernels written to develop them: which rule fires, and how much faster its code is.

For each task (default: every folder of ``bench/analyst-tasks``, kernels written while developing the rules, so
these are development numbers, not held out): the reference is profiled as the loop profiles it (gcc's
vectorisation report, in a sandbox), the analyst reads the profile (``agents/analyst.py``, no model), and each
plan that carries code is judged by ``mapforge eval`` (the harness: correctness on every shape, then the
candidate timed against the reference in interleaved pairs). Prints a row per plan (the rule's title, the
verdict, the speedup with its 95% interval; a plan whose code was judged faster is profiled and read again, as the
loop reads its best code the next round, for ``--rounds`` rounds: those rows say "then:", and each speedup is over
the reference), then a one-line summary: tasks with a plan, tasks significantly faster, and the geometric mean over
the tasks of the best (a task with no win counts 1.0).

    python bench/analyst.py [--tasks DIR,DIR] [--rounds 2] [--sandbox auto|local|docker]
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from mapforge.agents.analyst import Analyst, Measured  # noqa: E402
from mapforge.evaluators.profile import profile_candidate  # noqa: E402
from mapforge.sandbox import open_sandbox  # noqa: E402
from mapforge.sandbox.selection import select_backend  # noqa: E402
from mapforge.tasks.loader import load_task  # noqa: E402
from mapforge.tasks.spec import OptimizeSpec  # noqa: E402

TASKS = REPO / "bench" / "analyst-tasks"


def plans(spec: OptimizeSpec, source: str, backend: str, analyst: Analyst, ident: str = "reference") -> list[tuple[str, str]]:
    """(title, code) of each plan ``analyst`` writes code for, from the profile of ``source`` (the reference's, or a
    plan's code that was judged faster, as the loop reads it the next round)."""
    for _ in range(2):  # a build that failed (a loaded machine's timeout) is tried once more
        with open_sandbox(backend) as sb:
            profile = profile_candidate(sb, spec, source)
        failed = [n for n in profile.notes if "failed" in n or "stopped" in n]
        if profile.loops or not failed:
            break
    if failed and not profile.loops:
        raise RuntimeError(f"the {ident}'s profile failed: {failed[0]}")
    found = analyst.run([Measured(ident, profile, None, source)])
    return [(p.title, p.code) for p in found if p.code]


def judge(folder: Path, spec: OptimizeSpec, code: str, backend: str, tmp: Path) -> dict[str, Any]:
    """``mapforge eval``'s verdict on ``code`` as the task's candidate."""
    candidate = tmp / f"{folder.name}{spec.source_suffix}"
    candidate.write_text(code)
    run = subprocess.run([sys.executable, "-m", "mapforge", "eval", str(folder), str(candidate), "--json",
                          "--sandbox", backend], capture_output=True, text=True, cwd=REPO)
    lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"status": "error", "reason": (run.stderr.strip().splitlines() or ["no verdict"])[-1]}
    return json.loads(lines[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", help="task folders, comma-separated (default: every one in bench/analyst-tasks)")
    ap.add_argument("--sandbox", default="auto", choices=("auto", "local", "docker"))
    ap.add_argument("--rounds", type=int, default=2,
                    help="rounds of plans: a plan's code judged faster is profiled and read again (default 2)")
    args = ap.parse_args()
    backend, said = select_backend(args.sandbox)
    folders = [Path(t) for t in args.tasks.split(",")] if args.tasks else sorted(
        p for p in TASKS.iterdir() if (p / "task.toml").exists())
    print(f"{said}; {len(folders)} tasks")
    print("| task | plan | verdict | speedup [95% CI] |\n|---|---|---|---|", flush=True)
    best: dict[str, float] = {}
    planned = 0
    with tempfile.TemporaryDirectory(prefix="mf-analyst-") as tmp:
        for folder in folders:
            best[folder.name] = 1.0
            analyst = Analyst(per_round=20)  # one per task, as per job: a plan is offered once
            task = load_task(folder)
            if not isinstance(task.spec, OptimizeSpec):
                raise SystemExit(f"{folder}: not an optimize task")
            todo = [(task.reference_source or "", 1, "", "reference")]
            while todo:
                source, depth, then, ident = todo.pop(0)
                try:
                    found = plans(task.spec, source, backend, analyst, ident)
                except RuntimeError as e:
                    print(f"| {folder.name} | {then}({e}) | - | - |", flush=True)
                    continue
                planned += bool(found) and depth == 1
                if not found and depth == 1:
                    print(f"| {folder.name} | (no plan with code) | - | - |", flush=True)
                for title, code in found:
                    v = judge(folder, task.spec, code, backend, Path(tmp))
                    ci = v.get("speedup_ci") or [None, None]
                    shown = (f"{v['speedup']:.2f}x [{ci[0]:.2f}, {ci[1]:.2f}]" if isinstance(v.get("speedup"), float)
                             and None not in ci else "-")
                    verdict = str(v.get("status")) if v.get("correct") else f"{v.get('status')}: {v.get('reason')}"
                    print(f"| {folder.name} | {then}{title} | {verdict} | {shown} |", flush=True)
                    if v.get("improved") and isinstance(v.get("speedup"), float):
                        best[folder.name] = max(best[folder.name], float(v["speedup"]))
                        if depth < args.rounds:
                            todo.append((code, depth + 1, f"{then}then: ", f"code of '{title}'"))
    wins = sum(s > 1.0 for s in best.values())
    geomean = math.exp(sum(math.log(s) for s in best.values()) / max(len(best), 1))
    print(f"summary: {len(best)} tasks, {planned} with a plan, {wins} significantly faster; geomean {geomean:.2f}x "
          f"(a task with no win counts 1.0; sandbox {backend})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
