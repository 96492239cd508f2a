"""``mapforge cluster doctor``: check a cluster's workers (versions, sandboxes, cores, GPUs) against this driver."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from mapforge.errors import UserError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cluster", help="evaluation on a Dask cluster: check its workers")
    verbs = p.add_subparsers(dest="cluster_command", metavar="VERB", required=True)
    d = verbs.add_parser("doctor", help="each worker's mapforge, sandbox, cores and GPUs, checked against this one")
    d.add_argument("--cluster", metavar="tcp://HOST:PORT", help="the scheduler of a running cluster")
    d.add_argument("--workers", type=int, metavar="N", help="start a local cluster of N workers and check it")
    d.add_argument("--sandbox", choices=["auto", "local", "docker"], default="auto",
                   help="the sandbox backend jobs would ask the workers for (default auto)")
    d.add_argument("--unsafe-no-isolation", action="store_true",
                   help="count a worker without isolation as usable (as jobs with this flag would)")
    d.add_argument("--json", action="store_true", help="one JSON object per worker on stdout")
    d.set_defaults(func=doctor)


def doctor(args: argparse.Namespace) -> int:
    import mapforge
    from mapforge.cluster.base import code_fingerprint, identity_problems
    from mapforge.cluster.dask_backend import DaskExecutor, LocalDaskCluster
    from mapforge.cluster.worker import identity

    if (args.cluster is None) == (args.workers is None):
        raise UserError("cluster doctor: pass --cluster tcp://HOST:PORT (a running cluster) or --workers N (a local one)")
    local = LocalDaskCluster(args.workers) if args.workers else None
    try:
        ex = DaskExecutor(args.cluster or (local.address if local else ""))
        try:
            ex.wait_for_workers(args.workers or 1, 30.0)
            idents = ex.run_everywhere(identity, args.sandbox, None, bool(args.unsafe_no_isolation))
        finally:
            ex.close()
    finally:
        if local is not None:
            local.close()
    problems = identity_problems(idents)
    where = local.address if local else args.cluster
    print(f"driver: mapforge {mapforge.__version__} (code {code_fingerprint()}); scheduler {where}; "
          f"{len(idents)} worker(s)", file=sys.stderr)
    for addr in sorted(idents, key=lambda a: _name(idents[a], a)):
        ident = idents[addr]
        if args.json:
            row = dict(ident) if isinstance(ident, dict) else {"address": addr, "error": repr(ident)}
            print(json.dumps({**row, "ok": addr not in problems, "problem": problems.get(addr)}))
        print(_describe(addr, ident, problems.get(addr)), file=sys.stderr)
    bad = len(problems)
    print(f"cluster doctor: {len(idents) - bad} of {len(idents)} worker(s) can judge candidates"
          + (f"; {bad} refused" if bad else ""), file=sys.stderr)
    return 1 if bad or not idents else 0


def _name(ident: Any, addr: str) -> str:
    return str(ident.get("name", addr)) if isinstance(ident, dict) else addr


def _describe(addr: str, ident: Any, problem: str | None) -> str:
    mark = "ok " if problem is None else "BAD"
    if not isinstance(ident, dict):
        return f"  {mark} {addr}: {problem}"
    gpu = ident["gpu"]
    gpus = "; ".join(gpu["gpus"]) or "none"
    visible = f"CUDA_VISIBLE_DEVICES={gpu['visible']}" if gpu["visible"] is not None else "all visible"
    lines = [f"  {mark} {ident['name']} ({addr}) on {ident['host']}, pid {ident['pid']}",
             f"      mapforge {ident['version']} (code {ident['code']}), Python {ident['python']}",
             f"      cores {_ranges(ident['cores'])}, {ident['nthreads']} thread(s); {ident['sandbox_reason']}",
             f"      GPUs: {gpus} ({visible})"]
    if problem:
        lines.append(f"      refused: {problem}")
    return "\n".join(lines)


def _ranges(cores: list[int]) -> str:
    groups: list[list[int]] = []
    for c in cores:
        if groups and groups[-1][1] == c - 1:
            groups[-1][1] = c
        else:
            groups.append([c, c])
    return ",".join(str(a) if a == b else f"{a}-{b}" for a, b in groups) or "?"
