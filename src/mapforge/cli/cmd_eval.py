"""``mapforge eval TASK FILE|DIR``: judge candidate files the way a job would, without a model.

Prints one typed verdict per file (status, stage, reason, speedup and interval). For native optimize
tasks the baseline (reference build, outputs, A/A timing) is cached per task, source and machine, so
repeated evals don't pay for it. Exit status 0 when every file was judged, whatever the verdicts.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mapforge.cli.common import add_unsafe_flag
from mapforge.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="judge candidate source files (a file, or every file in a folder)")
    p.add_argument("task", metavar="TASK", help="a task folder or its task.toml")
    p.add_argument("candidates", metavar="FILE|DIR", type=Path, help="a candidate source, or a folder of them")
    p.add_argument("--sandbox", choices=["auto", "local", "docker"], default=None)
    p.add_argument("--json", action="store_true", help="one JSON object per candidate on stdout")
    p.add_argument("--fresh-baseline", action="store_true", help="measure the reference again, ignoring the cache")
    p.add_argument("--config", type=Path, help="a TOML config file (see configs/default.toml)")
    add_unsafe_flag(p)
    p.set_defaults(func=cmd_eval)


def candidate_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
        if files:
            return files
        raise UserError(f"{path}: the folder holds no candidate files")
    raise UserError(f"{path}: no such file or folder")


def verdict_record(name: str, v: Any) -> dict[str, Any]:
    t = v.timing
    return {
        "file": name, "status": v.status, "stage": v.stage, "reason": v.reason, "correct": v.correct,
        "improved": v.improved, "caught": v.status in ("cheat_suspected", "rejected"),
        "speedup": t.speedup if t else None, "speedup_ci": list(t.speedup_ci) if t else None,
        "seconds": t.seconds if t else None, "baseline_seconds": t.baseline_seconds if t else None,
        "pairs": t.pairs if t else None, "processes": t.processes if t else None,
        "pass_rate": v.pass_rate, "feedback": v.feedback,
    }


def cmd_eval(args: argparse.Namespace) -> int:
    from mapforge.config import load_config
    from mapforge.evaluators import HarnessError, evaluate_guarded
    from mapforge.evaluators.optimize import OptimizeEvaluator
    from mapforge.runs.job import make_evaluator, make_sandboxes
    from mapforge.tasks.loader import load_task

    task = load_task(args.task)
    files = candidate_files(args.candidates)
    flags: dict[str, Any] = {}
    if args.sandbox:
        flags.setdefault("sandbox", {})["backend"] = args.sandbox
    if args.unsafe_no_isolation:
        flags.setdefault("sandbox", {})["unsafe_no_isolation"] = True
    config = load_config(args.config, flags)
    sandboxes, why = make_sandboxes(task, config, f"eval-{task.name}")
    print(why, file=sys.stderr)
    try:
        ev = make_evaluator(task, config, sandboxes)
        try:
            if isinstance(ev, OptimizeEvaluator):
                from mapforge.evaluators.baseline_cache import prepare_cached

                b, cached = prepare_cached(ev, sandboxes.backend, fresh=args.fresh_baseline)
                aa = b.aa.describe() if b.aa else "-"
                print(f"baseline: {b.seconds * 1e3 if b.seconds else 0:.3f} ms per call; A/A {aa}"
                      f"{' (cached)' if cached else ''}", file=sys.stderr)
            else:
                ev.prepare()
        except HarnessError as e:
            raise UserError(f"{task.name}: the reference does not work in the sandbox: {e}") from None
        for path in files:
            print(f"judging {path} ...", file=sys.stderr)
            v = evaluate_guarded(ev, path.read_text(errors="replace"))
            rec = verdict_record(str(path), v)
            if args.json:
                print(json.dumps(rec), flush=True)
            else:
                print(f"{path}: {v.summary_line()}", flush=True)
    finally:
        sandboxes.close()
    return 0
