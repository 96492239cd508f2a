"""``mapforge solve TASK``: the same loop on a problem with tests (pass rate instead of speedup)."""

from __future__ import annotations

import argparse

from mapforge.cli.cmd_optimize import run_verb
from mapforge.cli.common import add_job_flags


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("solve", help="solve a problem with tests (pass rate)")
    add_job_flags(p)
    p.set_defaults(func=lambda a: run_verb(a, "solve"))
