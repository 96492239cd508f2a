"""``mapforge runs list|show|compare|export``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from mapforge.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="inspect run directories")
    verbs = p.add_subparsers(dest="verb", metavar="VERB", required=True)
    ls = verbs.add_parser("list", help="list runs under a folder")
    ls.add_argument("--root", type=Path, default=Path("runs"))
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)
    sh = verbs.add_parser("show", help="show one run's summary and candidates")
    sh.add_argument("dir", type=Path)
    sh.add_argument("--json", action="store_true")
    sh.add_argument("--html", action="store_true", help="(re)draw the run's report.html and print its path")
    sh.set_defaults(func=cmd_show)
    cmp = verbs.add_parser("compare", help="put several runs side by side (a table; --html: a page with a plot)")
    cmp.add_argument("dirs", type=Path, nargs="+", metavar="RUN")
    cmp.add_argument("--html", type=Path, metavar="FILE", help="also write a page with the table and a plot")
    cmp.add_argument("--json", action="store_true", help="one JSON object per run on stdout")
    cmp.set_defaults(func=cmd_compare)
    ex = verbs.add_parser("export", help="role-labelled model calls as fine-tuning data (JSON lines on stdout)")
    ex.add_argument("dirs", type=Path, nargs="+", metavar="RUN")
    ex.add_argument("--format", default="openai-chat", choices=["openai-chat"])
    ex.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    from mapforge.search.export import trajectories

    for d in args.dirs:
        for rec in trajectories(d, args.format):
            print(json.dumps(rec))
    return 0


def _summary(d: Path) -> dict[str, object] | None:
    try:
        return json.loads((d / "summary.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _require_run(d: Path) -> None:
    if not (d / "events.jsonl").exists():
        raise UserError(f"{d}: not a mapforge run directory (no events.jsonl)")


def cmd_list(args: argparse.Namespace) -> int:
    if not args.root.is_dir():
        print(f"no runs yet: {args.root}/ does not exist (a job writes its run there, or where --run-dir says)",
              file=sys.stderr)
        return 0
    for d in sorted(p for p in args.root.iterdir() if (p / "events.jsonl").exists()):
        s = _summary(d) or {"task": "?", "status": "running or crashed", "best": None, "candidates": "?"}
        state = run_state(s)
        if args.json:
            print(json.dumps({"dir": str(d), **s, "state": state}))
            continue
        best = s.get("best") or {}
        sp = best.get("speedup") if isinstance(best, dict) else None
        best_txt = f"{sp:.3f}x" if isinstance(sp, float) else "-"
        print(f"{str(d):<50} {s.get('task', '?')!s:<24} {s.get('status')!s:<15} best {best_txt:<9} "
              f"candidates {s.get('candidates')!s:<4} {state}")
    return 0


def run_state(summary: dict[str, Any]) -> str:
    """finished, interrupted (Ctrl-C), running (its job is alive) or killed (it died without ending)."""
    from mapforge.sandbox.reaper import owner_alive

    if not summary.get("interrupted"):
        return "finished" if "interrupted" in summary else ""
    if summary.get("stop_reason") == "interrupted":
        return "interrupted"
    owner = summary.get("owner")
    alive = owner_alive({"mapforge.owner": owner}) if isinstance(owner, str) else None
    return "running" if alive else "killed (resume: run the same command)" if alive is False else "did not finish"


def cmd_show(args: argparse.Namespace) -> int:
    d: Path = args.dir
    _require_run(d)
    if args.html:
        from mapforge.runs.html_report import write_html_report

        print(write_html_report(d))
        return 0
    s = _summary(d)
    if args.json:
        print(json.dumps(s))
        return 0
    report = d / "report.md"
    if report.exists():
        print(report.read_text())
    elif s:
        print(json.dumps(s, indent=2))
    else:
        print(f"{d}: no summary yet (the job is running or was killed); events so far:")
        print((d / "events.jsonl").read_text()[-3000:])
    if (d / "report.html").exists():
        print(f"report with charts: {d / 'report.html'}")
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from mapforge.runs.compare import load_runs, render_compare, row, table

    runs = load_runs(args.dirs)
    if args.json:
        for r in runs:
            print(json.dumps(row(r)))
    else:
        print(table(runs))
    if args.html:
        args.html.parent.mkdir(parents=True, exist_ok=True)
        args.html.write_text(render_compare(runs))
        print(f"wrote {args.html}", file=sys.stderr)
    return 0
