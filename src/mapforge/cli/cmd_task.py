"""``mapforge task new|validate|list``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mapforge.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("task", help="create, validate and list tasks")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    n = verbs.add_parser("new", help="scaffold a task folder")
    n.add_argument("name")
    n.add_argument("--kind", choices=["optimize", "solve"], default="optimize")
    n.add_argument("--dir", type=Path, default=Path("tasks"), help="parent folder (default: tasks)")
    n.set_defaults(func=cmd_new)
    v = verbs.add_parser("validate", help="check a spec, build and run the reference, report its runtime and noise")
    v.add_argument("task")
    v.add_argument("--sandbox", choices=["auto", "local", "docker"], default=None)
    v.add_argument("--solution", type=Path, help="also evaluate this known solution as a candidate")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=cmd_validate)
    ls = verbs.add_parser("list", help="list the tasks under a folder")
    ls.add_argument("--root", type=Path, default=Path("tasks"))
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)


def cmd_new(args: argparse.Namespace) -> int:
    from mapforge.tasks.scaffold import scaffold

    folder = scaffold(args.dir / args.name, args.name, args.kind)
    print(f"created {folder}: edit task.toml, then run `mapforge task validate {folder}`", file=sys.stderr)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from mapforge.config import load_config
    from mapforge.runs.job import make_evaluator, make_sandboxes
    from mapforge.tasks.loader import load_task

    task = load_task(args.task)
    flags = {"sandbox": {"backend": args.sandbox}} if args.sandbox else {}
    config = load_config(None, flags)
    print(f"{task.name}: spec is valid ({task.kind}); building and running the reference...", file=sys.stderr)
    sandboxes, why = make_sandboxes(task, config, f"validate-{task.name}")
    print(f"  {why}", file=sys.stderr)
    try:
        _validate(args, task, make_evaluator(task, config, sandboxes))
    finally:
        sandboxes.close()
    return 0


def _validate(args: argparse.Namespace, task: Any, ev: Any) -> None:
    from mapforge.evaluators import HarnessError

    result: dict[str, object] = {"task": task.name, "kind": task.kind, "valid": True}
    try:
        baseline = ev.prepare()
    except HarnessError as e:
        raise UserError(f"{task.name}: the reference does not work in the sandbox: {e}") from None
    aa = baseline.aa
    if aa is not None and baseline.seconds is not None:
        cases = len(getattr(ev, "cases", [])) or getattr(task.spec, "seeds", 0)
        result.update(baseline_seconds=baseline.seconds, aa_speedup=aa.speedup, aa_ci=list(aa.speedup_ci),
                      noise_rel_ci=(aa.speedup_ci[1] - aa.speedup_ci[0]) / 2, cases=cases)
        print(f"  reference: {baseline.seconds * 1e3:.3f} ms per call on the timing shape; "
              f"matched itself on {cases} cases")
        print(f"  timing noise (A/A, reference vs itself): {aa.describe()}")
        advice = timing_advice(task.spec, baseline.seconds)
        if advice:
            result["timing_warning"] = advice
            print(f"  warning: {advice}", file=sys.stderr)
        if aa.significant:
            print("  warning: the A/A interval excludes 1.0 by more than the noise floor; timings on this "
                  "machine are unstable right now", file=sys.stderr)
    else:
        hidden = "a hidden check(candidate)" if task.hidden_code else f"{len(task.hidden)} hidden tests"
        print(f"  {len(task.spec.examples)} visible examples and {hidden} load")
        result.update(examples=len(task.spec.examples), hidden_tests=len(task.hidden))
    if args.solution:
        verdict = ev.evaluate(args.solution.read_text())
        print(f"  solution {args.solution}: {verdict.summary_line()}")
        result.update(solution_status=verdict.status, solution_pass_rate=verdict.pass_rate)
    if args.json:
        print(json.dumps(result))


#: The README's advice: a reference call on the timing shape should take 5-50 ms.
TIMING_RANGE = (0.005, 0.050)


def timing_advice(spec: Any, seconds: float) -> str | None:
    """A warning with a suggested timing shape when the reference call is outside :data:`TIMING_RANGE`."""
    from mapforge.tasks.expr import eval_expr
    from mapforge.tasks.spec import OptimizeSpec

    lo, hi = TIMING_RANGE
    if not isinstance(spec, OptimizeSpec) or lo <= seconds <= hi or seconds <= 0:
        return None
    shape = dict(spec.shapes.timing)

    def volume(f: float) -> tuple[dict[str, int], int]:
        scaled = {k: max(1, round(v * f)) for k, v in shape.items()}
        total = 0
        for a in spec.args:
            if a.is_pointer and a.size:
                try:
                    total += eval_expr(a.size, scaled)
                except ValueError:
                    pass
        return scaled, total

    _, now = volume(1.0)
    want = now * 0.015 / seconds  # aim for ~15 ms, assuming time grows with the data it touches
    f_lo, f_hi = 1e-4, 1e4
    for _ in range(60):
        mid = (f_lo * f_hi) ** 0.5
        f_lo, f_hi = (mid, f_hi) if volume(mid)[1] < want else (f_lo, mid)
    suggested, _ = volume(f_hi)
    where = "below" if seconds < lo else "above"
    text = ", ".join(f"{k} = {v}" for k, v in suggested.items())
    return (f"the reference takes {seconds * 1e3:.3f} ms per call on the timing shape, {where} the 5-50 ms that "
            f"timing resolves well{' (timer and call overhead weigh in)' if seconds < lo else ' (slow jobs)'}; "
            f"try timing = {{ {text} }} (scaled assuming time grows with the data size; validate again)")


def cmd_list(args: argparse.Namespace) -> int:
    from mapforge.tasks.loader import find_tasks, load_task

    if not args.root.is_dir():
        raise UserError(f"{args.root}: no such folder (use --root to point at a task library)")
    rows: list[dict[str, Any]] = []
    for folder in find_tasks(args.root):
        try:
            t = load_task(folder)
            rows.append({"name": t.name, "kind": t.kind, "language": t.spec.language, "path": str(folder),
                         "tags": list(t.spec.tags)})
        except UserError as e:
            rows.append({"name": folder.name, "kind": "invalid", "language": "", "path": str(folder),
                         "error": str(e).splitlines()[0]})
    if args.json:
        for r in rows:
            print(json.dumps(r))
        return 0
    for r in rows:
        extra = r.get("error") or ", ".join(r.get("tags", []))
        print(f"{r['name']:<34} {r['kind']:<9} {r['language']:<7} {extra}")
    return 0
