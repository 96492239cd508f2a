"""Sandbox cost per candidate (local, docker fresh container, docker pooled) and candidates per minute.

Part 1, overhead: a "candidate" that does what the optimize evaluator asks of a sandbox minus the work —
open a sandbox, write three files, run ``--execs`` trivial commands (``true``), read a file back, close —
timed ``--reps`` times per backend. Reported: median wall per candidate, and per extra command.

Part 2, throughput: every optimize task of the library, its reference source submitted as a candidate
through ``OptimizeEvaluator`` with a factory from ``make_sandbox_factory``: local (one worker), docker
pool of 1, docker pool of 2 (two workers, one pinned core each). Baselines are prepared first and not
counted. Timing budgets are shortened (``--timing-seconds``) so a run takes minutes, not tens.

    python bench/sandbox_overhead.py [--reps 20] [--execs 10] [--skip-library] [--tasks matmul,softmax]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from mapforge.config import Config, TimingConfig
from mapforge.evaluators.optimize import OptimizeEvaluator
from mapforge.sandbox import Limits, SandboxFactory, make_sandbox_factory
from mapforge.sandbox.selection import docker_status
from mapforge.tasks.loader import find_tasks, load_task

REPO = Path(__file__).resolve().parent.parent
LIMITS = Limits(timeout=60, memory_mb=2048)


def one_candidate(factory: SandboxFactory, execs: int) -> tuple[float, float]:
    """(wall of the whole candidate, median wall of one of its ``execs`` commands)."""
    times = []
    t0 = time.perf_counter()
    with factory() as sb:
        for name in ("candidate.c", "driver.o", "ref.o"):
            sb.write_file(name, b"x" * 4096)
        for _ in range(execs):
            t1 = time.perf_counter()
            r = sb.exec(["true"])
            times.append(time.perf_counter() - t1)
            assert r.ok, r
        assert sb.read_file("ref.o") == b"x" * 4096
    return time.perf_counter() - t0, statistics.median(times)


def overhead(name: str, factory: SandboxFactory, reps: int, execs: int) -> dict[str, float | str]:
    one_candidate(factory, execs)  # warm: first container start / first probe
    walls, per_exec = [], []
    for _ in range(reps):
        wall, ex = one_candidate(factory, execs)
        walls.append(wall)
        per_exec.append(ex)
    return {"mode": name, "candidate_ms": statistics.median(walls) * 1e3,
            "exec_ms": statistics.median(per_exec) * 1e3,
            "fixed_ms": (statistics.median(walls) - execs * statistics.median(per_exec)) * 1e3}


def throughput(name: str, factory: SandboxFactory, workers: int, tasks: list, timing: TimingConfig) -> dict:
    evaluators = []
    t0 = time.monotonic()
    for task in tasks:
        ev = OptimizeEvaluator(task, factory, timing, Config().sandbox)
        ev.prepare()
        evaluators.append(ev)
    prep = time.monotonic() - t0
    queue = list(evaluators)
    lock = threading.Lock()
    failures: list[str] = []

    def work() -> None:
        while True:
            with lock:
                if not queue:
                    return
                ev = queue.pop()
            v = ev.evaluate(ev.task.reference_source or "")
            if not v.correct:
                failures.append(f"{ev.task.name}: {v.status} {v.reason}")

    t0 = time.monotonic()
    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - t0
    for f in failures:
        print(f"  {name}: {f}", file=sys.stderr)
    return {"mode": name, "candidates": len(tasks), "wall_s": wall, "prepare_s": prep,
            "per_min": 60 * len(tasks) / wall, "failed": len(failures)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--execs", type=int, default=10, help="trivial commands per synthetic candidate")
    ap.add_argument("--skip-library", action="store_true", help="only the overhead table")
    ap.add_argument("--tasks", help="comma-separated task names (default: every optimize task)")
    ap.add_argument("--timing-seconds", type=float, default=1.5, help="timing budget per candidate")
    args = ap.parse_args()
    ok, why = docker_status()
    print(f"machine: {platform.node()} {platform.machine()}, {len(os.sched_getaffinity(0))} cpus; {why}",
          file=sys.stderr)
    factories: list[tuple[str, Callable[[], SandboxFactory]]] = [
        ("local", lambda: make_sandbox_factory("local", LIMITS))]
    if ok:
        factories += [("docker fresh container", lambda: make_sandbox_factory("docker", LIMITS, "bench", 0)),
                      ("docker pooled", lambda: make_sandbox_factory("docker", LIMITS, "bench", 1))]
    rows = []
    for name, make in factories:
        f = make()
        try:
            rows.append(overhead(name, f, args.reps, args.execs))
        finally:
            f.close()
    print(f"| sandbox | per candidate ({args.execs} commands), ms | per command (median), ms | "
          f"fixed per candidate, ms |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['mode']} | {r['candidate_ms']:.1f} | {r['exec_ms']:.1f} | {r['fixed_ms']:.1f} |")
    tp: list[dict] = []
    if not args.skip_library:
        wanted = set(args.tasks.split(",")) if args.tasks else None
        tasks = [t for t in (load_task(p) for p in find_tasks(REPO / "tasks"))
                 if t.kind == "optimize" and (not wanted or t.name in wanted)]
        timing = TimingConfig(min_pairs=10, max_pairs=200, max_seconds=args.timing_seconds)
        runs: list[tuple[str, Callable[[], SandboxFactory], int]] = [
            ("local, 1 worker", lambda: make_sandbox_factory("local", LIMITS), 1)]
        if ok:
            runs += [("docker pool of 1", lambda: make_sandbox_factory("docker", LIMITS, "bench", 1), 1),
                     ("docker pool of 2", lambda: make_sandbox_factory("docker", LIMITS, "bench", 2), 2)]
        for name, make, workers in runs:
            f = make()
            try:
                tp.append(throughput(name, f, workers, tasks, timing))
            finally:
                f.close()
        print()
        print(f"| task library ({len(tasks)} optimize tasks, reference as candidate, timing <= "
              f"{args.timing_seconds} s) | candidates/min | wall s | baselines s | failed |")
        print("|---|---|---|---|---|")
        for r in tp:
            print(f"| {r['mode']} | {r['per_min']:.1f} | {r['wall_s']:.1f} | {r['prepare_s']:.1f} | {r['failed']} |")
    by = {r["mode"]: r for r in rows}
    parts = [f"local {by['local']['candidate_ms']:.0f} ms"]
    if "docker pooled" in by:
        ratio = by["docker pooled"]["candidate_ms"] / by["local"]["candidate_ms"]
        parts += [f"docker fresh {by['docker fresh container']['candidate_ms']:.0f} ms",
                  f"docker pooled {by['docker pooled']['candidate_ms']:.0f} ms "
                  f"({ratio:.2f}x local: {'within' if ratio <= 2 else 'OVER'} the 2x target)"]
    else:
        parts.append("docker not measured")
    cpm = ", ".join(f"{r['mode']} {r['per_min']:.1f}/min" for r in tp)
    print(f"summary: sandbox cost per candidate: {', '.join(parts)}" + (f"; candidates per minute: {cpm}" if cpm else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
