"""``mapforge bench SUITE``: arms (direct, cot, mapcoder) over a suite of solve tasks, at equal token caps."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from mapforge.cli.common import add_cluster_flags
from mapforge.errors import UserError

DEFAULT_ARMS = ["direct", "cot", "mapcoder"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="compare direct, chain-of-thought and MapCoder arms on a suite (pass@1)",
                       description="Run arms over a suite of solve tasks with the same per-task token cap; "
                                   "resumable with the same --run-dir. With --cluster or --workers, as many "
                                   "tasks run at once as the cluster has workers (each task's arms in order), "
                                   "judged there; mapcoder then recalls only the earlier tasks already finished "
                                   "when it starts.")
    p.add_argument("suite", metavar="SUITE", help="humaneval, mbpp, bundled, or a folder of task folders")
    p.add_argument("--model", "-m", help="model for every role (provider/name); default: the embedded model")
    p.add_argument("--base-url", help="base URL of an OpenAI-compatible server (for openai/<name> models)")
    p.add_argument("--arm", action="append", choices=DEFAULT_ARMS, help="an arm to run (repeatable; default all)")
    p.add_argument("--sample", type=int, metavar="N", help="a seeded sample of N tasks (default: all)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample (default 0)")
    p.add_argument("--run-dir", type=Path, help="run directory (an existing one is resumed)")
    p.add_argument("--budget-tokens", type=int, default=6000, metavar="T",
                   help="per-task token cap (prompt + completion) every arm gets (default 6000)")
    p.add_argument("--recall", type=int, default=2, help="mapcoder: similar problems the model recalls (default 2)")
    p.add_argument("--plans", type=int, default=2, help="mapcoder: plans written and scored (default 2)")
    p.add_argument("--debug-rounds", type=int, default=2, help="mapcoder: repairs per plan, visible tests only (default 2)")
    p.add_argument("--tasks-root", type=Path, default=Path("tasks"), help="where the bundled suite lives")
    p.add_argument("--sandbox", choices=["auto", "local", "docker"], help="sandbox backend (default auto)")
    add_cluster_flags(p, implies_parallel=False)
    p.add_argument("--config", type=Path, help="a TOML config file (see configs/default.toml)")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object on stdout")
    p.add_argument("--table", action="store_true",
                   help="print the table of what --run-dir holds so far, and run nothing (SUITE is ignored)")
    p.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from mapforge.bench.arms import Settings
    from mapforge.bench.runner import Bench, BenchOptions
    from mapforge.bench.table import render
    from mapforge.config import load_config
    from mapforge.errors import ModelError
    from mapforge.models.registry import get_model
    from mapforge.models.retry import RetryPolicy

    if args.table:
        from mapforge.bench.runner import summary_so_far

        if args.run_dir is None:
            raise UserError("--table needs --run-dir")
        so_far = summary_so_far(args.run_dir)
        print(json.dumps(so_far) if args.json else render(so_far), end="\n" if args.json else "")
        return 0
    if args.budget_tokens < 256:
        raise UserError("--budget-tokens must be at least 256")
    for name in ("recall", "plans", "debug_rounds"):
        if getattr(args, name) < 0 or (name == "plans" and args.plans < 1):
            raise UserError(f"--{name.replace('_', '-')} must be {'at least 1' if name == 'plans' else 'non-negative'}")
    flags: dict[str, Any] = {}
    if args.model:
        flags.setdefault("model", {})["default"] = args.model
    if args.base_url:
        flags.setdefault("model", {})["base_url"] = args.base_url
    if args.sandbox:
        flags["sandbox"] = {"backend": args.sandbox}
    for key in ("cluster", "workers"):  # as for optimize and sweep (mapforge.cli.common.job_config)
        if getattr(args, key) is not None:
            flags.setdefault("cluster", {})["address" if key == "cluster" else key] = getattr(args, key)
    config = load_config(args.config, flags)
    mc = config.model
    policy = RetryPolicy(attempts=mc.retry_attempts, wait_max=mc.retry_wait_max, max_concurrent=mc.max_concurrent)
    slots = threading.Semaphore(mc.max_concurrent)
    get_model(mc.default, mc, retry=policy, slots=slots, cache=mc.cache)  # a bad model string fails now
    suite_tag = Path(args.suite).name if Path(args.suite).is_dir() else args.suite
    run_dir = args.run_dir or Path("runs") / f"bench-{suite_tag}-{time.strftime('%Y%m%d-%H%M%S')}"
    settings = Settings(recall=args.recall, plans=args.plans, debug_rounds=args.debug_rounds,
                        repairs=config.agents.format_repairs)
    opts = BenchOptions(suite=args.suite, arms=args.arm or list(DEFAULT_ARMS), run_dir=run_dir, sample=args.sample,
                        seed=args.seed, budget_tokens=args.budget_tokens, settings=settings,
                        tasks_root=args.tasks_root)
    bench = Bench(opts, config, lambda name: get_model(name, mc, retry=policy, slots=slots, cache=mc.cache),
                  lambda line: print(line, file=sys.stderr, flush=True))
    try:
        summary = bench.run()
    except ModelError as e:
        print(f"mapforge: model error: {e}\nThe bench stopped; run the same command to resume from {run_dir}.",
              file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"mapforge: interrupted; run the same command to resume from {run_dir}", file=sys.stderr)
        return 130
    if args.json:
        print(json.dumps(summary))
    else:
        print(render(summary), end="")
    print(f"table: {run_dir / 'table.md'}", file=sys.stderr)
    return 0
