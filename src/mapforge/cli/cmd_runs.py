"""``mapforge runs list|show``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

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
    sh.set_defaults(func=cmd_show)


def _summary(d: Path) -> dict[str, object] | None:
    try:
        return json.loads((d / "summary.json").read_text())
    except (OSError, json.JSONDecodeError):
        return None


def cmd_list(args: argparse.Namespace) -> int:
    if not args.root.is_dir():
        raise UserError(f"{args.root}: no such folder (runs go to ./runs unless --run-dir says otherwise)")
    for d in sorted(p for p in args.root.iterdir() if (p / "events.jsonl").exists()):
        s = _summary(d) or {"task": "?", "status": "running or crashed", "best": None, "candidates": "?"}
        if args.json:
            print(json.dumps({"dir": str(d), **s}))
            continue
        best = s.get("best") or {}
        sp = best.get("speedup") if isinstance(best, dict) else None
        best_txt = f"{sp:.3f}x" if isinstance(sp, float) else "-"
        print(f"{str(d):<50} {s.get('task', '?')!s:<24} {s.get('status')!s:<15} best {best_txt:<9} "
              f"candidates {s.get('candidates')}")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    d: Path = args.dir
    if not (d / "events.jsonl").exists():
        raise UserError(f"{d}: not a mapforge run directory (no events.jsonl)")
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
    return 0
