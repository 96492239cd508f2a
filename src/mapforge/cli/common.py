"""Flags and config resolution shared by the job verbs."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from mapforge.config import Config, load_config
from mapforge.errors import UserError


def add_job_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", metavar="TASK", help="a task folder or its task.toml")
    p.add_argument("--model", "-m", help="model for every agent (provider/name), e.g. openai/gpt-4o")
    p.add_argument("--role", action="append", default=[], metavar="ROLE=MODEL",
                   help="model for one agent: planner=..., coder=..., debugger=... (repeatable)")
    p.add_argument("--base-url", help="base URL of an OpenAI-compatible server (for openai/<name> models)")
    p.add_argument("--max-iters", type=int, help="plans to try")
    p.add_argument("--max-tokens", type=int, help="token budget for the whole run")
    p.add_argument("--max-wall", type=float, metavar="SECONDS", help="wall-time budget for the whole run")
    p.add_argument("--cost-limit", type=float, metavar="USD", help="spending limit for the whole run (known prices)")
    p.add_argument("--run-dir", type=Path, help="run directory (an existing one is resumed)")
    p.add_argument("--sandbox", choices=["auto", "local", "docker"],
                   help="sandbox backend (default auto: docker when its engine and image are ready, else local)")
    p.add_argument("--parallel", type=int, metavar="N", help="candidates evaluated at once (timing never overlaps)")
    p.add_argument("--gpus", action="store_true", default=None,
                   help="give docker sandboxes the host's GPUs (NVIDIA container runtime)")
    add_unsafe_flag(p)
    add_cluster_flags(p)
    p.add_argument("--config", type=Path, help="a TOML config file (see configs/default.toml)")
    p.add_argument("--json", action="store_true", help="print events as JSON lines on stdout")
    p.add_argument("--fresh", action="store_true", help="refuse to resume an existing run directory")


def add_cluster_flags(p: argparse.ArgumentParser, implies_parallel: bool = True) -> None:
    p.add_argument("--cluster", metavar="tcp://HOST:PORT",
                   help="judge candidates on the workers of a running Dask cluster (README: Clusters)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="start a local cluster of N workers, each on cores of its own"
                        + (" (implies --parallel N)" if implies_parallel else ""))


def add_unsafe_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--unsafe-no-isolation", action="store_true", default=None,
                   help="run candidates even where no sandbox can isolate them (no Docker, namespaces refused)")


def job_config(args: argparse.Namespace) -> Config:
    flags: dict[str, Any] = {}

    def put(section: str, key: str, value: Any) -> None:
        if value is not None:
            flags.setdefault(section, {})[key] = value

    put("model", "default", args.model)
    put("model", "base_url", args.base_url)
    put("budget", "max_iters", args.max_iters)
    put("budget", "max_tokens", args.max_tokens)
    put("budget", "max_wall_seconds", args.max_wall)
    put("budget", "max_cost", args.cost_limit)
    put("sandbox", "backend", args.sandbox)
    put("sandbox", "parallel", args.parallel)
    put("sandbox", "gpus", args.gpus)
    put("sandbox", "unsafe_no_isolation", args.unsafe_no_isolation)
    put("cluster", "address", getattr(args, "cluster", None))
    put("cluster", "workers", getattr(args, "workers", None))
    if getattr(args, "workers", None) and args.parallel is None:
        put("sandbox", "parallel", args.workers)
    roles = {}
    for item in args.role:
        role, sep, model = item.partition("=")
        if not sep or not model or role not in ("planner", "coder", "debugger", "retriever"):
            raise UserError(f"--role {item!r}: expected ROLE=MODEL with ROLE one of planner, coder, debugger")
        roles[role] = model
    if roles:
        put("model", "roles", roles)
    return load_config(args.config, flags)
