"""``mapforge sweep TASK...``: many optimize/solve jobs at once over one cluster, one table at the end."""

from __future__ import annotations

import argparse
import json
import sys
import threading
from pathlib import Path
from typing import Any

from mapforge.cli.common import add_cluster_flags, add_unsafe_flag, job_config


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="run a job per task, spread over a cluster; one summary table")
    p.add_argument("tasks", nargs="+", metavar="TASK", help="task folders (or task.toml files)")
    p.add_argument("--run-dir", type=Path, default=Path("runs/sweep"),
                   help="the sweep's folder: one run directory per task inside (an existing one resumes)")
    p.add_argument("--jobs", type=int, metavar="J", help="jobs at once (default: the local workers, else 2)")
    p.add_argument("--model", "-m", help="model for every agent (provider/name)")
    p.add_argument("--role", action="append", default=[], metavar="ROLE=MODEL", help="model for one agent")
    p.add_argument("--base-url", help="base URL of an OpenAI-compatible server")
    p.add_argument("--max-iters", type=int, help="plans to try per job")
    p.add_argument("--max-tokens", type=int, help="token budget per job")
    p.add_argument("--max-wall", type=float, metavar="SECONDS", help="wall-time budget per job")
    p.add_argument("--cost-limit", type=float, metavar="USD", help="spending limit per job")
    p.add_argument("--sandbox", choices=["auto", "local", "docker"], help="sandbox backend (on the workers)")
    p.add_argument("--parallel", type=int, metavar="N", help="candidates of one job evaluated at once")
    p.add_argument("--gpus", action="store_true", default=None, help="give docker sandboxes the host's GPUs")
    add_unsafe_flag(p)
    add_cluster_flags(p)
    p.add_argument("--config", type=Path, help="a TOML config file (see configs/default.toml)")
    p.add_argument("--json", action="store_true", help="events as JSON lines on stdout, each with its task")
    p.add_argument("--fresh", action="store_true", help="refuse to resume existing run directories")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from mapforge.cluster.sweep import sweep_table, timed_sweep

    config = job_config(args)
    lock = threading.Lock()

    def observers(task: str) -> list[Any]:
        def show(ev: dict[str, Any]) -> None:
            with lock:
                if args.json:
                    print(json.dumps({"task": task, **ev}, default=str), flush=True)
                elif ev["event"] in ("start", "candidate", "end", "baseline_failed"):
                    print(f"[{task}] {_line(ev)}", file=sys.stderr, flush=True)
        return [show]

    rows, wall = timed_sweep(args.tasks, config, args.run_dir, args.jobs, observers, fresh=args.fresh)
    print(sweep_table(rows, wall), file=sys.stderr)
    return 1 if any(r.error for r in rows) else 0


def _line(ev: dict[str, Any]) -> str:
    kind = ev["event"]
    if kind == "start":
        return f"started ({ev.get('sandbox_reason', '')})"
    if kind == "candidate":
        score = f" {ev['speedup']:.3f}x" if ev.get("speedup") is not None else ""
        return f"{ev['id']}: {ev['status']}{score}"
    if kind == "baseline_failed":
        return f"baseline failed: {ev.get('error', '')}"
    return f"ended: {ev.get('status')} ({ev.get('stop_reason')})"
