"""The ``mapforge`` command: a thin argparse layer over the library.

Each verb lives in its own module with ``register(subparsers)``; add a module to COMMANDS to add a verb.
User errors print one paragraph (no traceback) and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from mapforge.errors import UserError

COMMANDS = ("optimize", "solve", "eval", "task", "runs", "sandbox", "models", "bench", "cluster", "sweep")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mapforge",
        description="LLM agents that write and optimise code in a sandbox that owns every verdict.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"mapforge.cli.cmd_{name}")
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as e:
        print(f"mapforge: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mapforge: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
