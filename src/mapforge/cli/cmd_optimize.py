"""``mapforge optimize TASK``: make a function faster."""

from __future__ import annotations

import argparse
import json
import sys

from mapforge.cli.common import add_job_flags, job_config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("optimize", help="optimise a task's function (speedup over the reference)")
    add_job_flags(p)
    p.set_defaults(func=lambda a: run_verb(a, "optimize"))


def run_verb(args: argparse.Namespace, kind: str) -> int:
    from mapforge.runs.display import JsonLines, Progress
    from mapforge.runs.job import Observer, run_job

    config = job_config(args)  # config and flag errors print before any live display starts
    display = JsonLines() if args.json else Progress()
    observers: list[Observer] = [display]
    try:
        summary = run_job(args.task, config, args.run_dir, observers, expect_kind=kind, fresh=args.fresh)
    finally:
        display.close()  # an error mid-job must not leave the terminal's cursor hidden
    if summary["status"] == "failed":
        print(f"mapforge: the job could not run: {summary['stop_reason']}", file=sys.stderr)
        return 1
    if not args.json:
        best = summary["best"]
        if best and best.get("speedup") is not None:
            lo, hi = best["speedup_ci"]
            verdict = "faster" if summary["status"] == "improved" else "no measurable improvement"
            print(f"best {best['candidate_id']}: {best['speedup']:.3f}x [{lo:.3f}, {hi:.3f}] ({verdict}) "
                  f"-> {best['source_path']}", file=sys.stderr)
        print(json.dumps({k: summary[k] for k in ("task", "status", "best", "candidates", "wall_seconds")}),
              file=sys.stderr)
    return 0
