"""Cluster scaling: candidates per minute against 1 and 2 (or more) workers on this machine's cores, the A/A
self-test per worker, and the driver's overhead per candidate.

The same fixed list of candidates (correct ones, so every candidate is built, checked on every case and timed)
is judged in the job's own process (no cluster), then on a local Dask cluster of 1, 2, ... workers (each a
process pinned to cores of its own, started as ``--workers N`` would), ``N`` candidates in flight as a job
with ``--parallel N`` has them. Baselines (each worker's own, with its A/A) are measured first and not
counted. "Driver overhead" is, per candidate, the wall time the driver waited beyond the worker's own
evaluation time (scheduling, transfer, the verdict's round trip).

On a GPU machine each local worker gets a GPU of its own (``CUDA_VISIBLE_DEVICES``), so a GPU task (a
KernelBench file, with candidates given by ``--candidate``) measures GPU workers:

    python bench/scale.py [--task matmul] [--candidates 12] [--workers 1,2] [--max-seconds 2]
    python bench/scale.py --task tasks/kernelbench/gelu_tanh.py \
        --candidate tests/gpu_candidates/gelu_tanh/triton_fast.py --candidates 8 --max-seconds 2
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mapforge.cluster.dask_backend import local_gpus
from mapforge.config import load_config
from mapforge.runs.job import make_evaluator, make_sandboxes
from mapforge.tasks.loader import load_task

REPO = Path(__file__).resolve().parent.parent
IKJ = """
#include <string.h>
void matmul(const float *A, const float *B, float *C, int n) {
    memset(C, 0, sizeof(float) * (size_t)n * (size_t)n);
    for (int i = 0; i < n; i++)
        for (int k = 0; k < n; k++) {
            float a = A[i * n + k];
            for (int j = 0; j < n; j++) C[i * n + j] += a * B[k * n + j];
        }
}
"""


@dataclass
class Row:
    label: str
    workers: int
    wall: float
    prepare: float
    n: int
    statuses: dict[str, int]
    aa: list[str] = field(default_factory=list)
    overhead_ms: float | None = None

    @property
    def per_min(self) -> float:
        return 60.0 * self.n / self.wall


def task_path(task: str) -> Path:
    """A bundled task by name, or a task folder or file by path."""
    return REPO / "tasks" / task if (REPO / "tasks" / task).exists() else Path(task).resolve()


def candidates(task_dir: Path, files: list[str], n: int) -> list[str]:
    """``n`` distinct sources (each its own build): the given files in turn, else the bundled matmul's fast
    and ikj versions, else the task's reference."""
    if files:
        pool = [Path(f).read_text() for f in files]
    elif task_dir.name == "matmul":
        pool = [(REPO / "tests" / "fixtures" / "fast" / "matmul.c").read_text(), IKJ]
    else:
        pool = [load_task(task_dir).reference_source or ""]
    comment = "#" if task_dir.suffix == ".py" else "//"
    return [pool[i % len(pool)] + f"\n{comment} candidate {i}\n" for i in range(n)]


def tally(verdicts: Sequence[object]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in verdicts:
        s = str(getattr(v, "status", "?"))
        out[s] = out.get(s, 0) + 1
    return out


def in_process(task_dir: Path, sources: list[str], flags: dict[str, dict[str, object]]) -> Row:
    config = load_config(None, flags)
    task = load_task(task_dir)
    sandboxes, _ = make_sandboxes(task, config, "bench-scale")
    try:
        ev = make_evaluator(task, config, sandboxes)
        t0 = time.monotonic()
        b = ev.prepare()
        prep = time.monotonic() - t0
        t0 = time.monotonic()
        verdicts = [ev.evaluate(s) for s in sources]
        wall = time.monotonic() - t0
    finally:
        sandboxes.close()
    aa = [f"{b.aa.speedup:.3f} ±{100 * b.noise_floor:.1f}%"] if b.aa else []
    return Row("in-process, no cluster", 0, wall, prep, len(sources), tally(verdicts), aa)


def on_cluster(task_dir: Path, sources: list[str], workers: int, flags: dict[str, dict[str, object]]) -> Row:
    from mapforge.cluster import open_cluster
    from mapforge.cluster.evaluator import ClusterEvaluator

    config = load_config(None, {**flags, "cluster": {"workers": workers, "max_aa_noise": 1.0},
                                "sandbox": {**flags.get("sandbox", {}), "parallel": workers}})
    task = load_task(task_dir)
    session = open_cluster(config, f"bench-scale-{workers}")
    try:
        ev = ClusterEvaluator(task, config, session)
        t0 = time.monotonic()
        ev.prepare()
        prep = time.monotonic() - t0
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=workers) as pool:
            verdicts = list(pool.map(ev.evaluate, sources))
        wall = time.monotonic() - t0
        report = session.report()
    finally:
        session.close()
    aa = [f"{w['name']} {w['aa']['speedup']:.3f} ±{100 * w['noise_floor']:.1f}%" for w in report["workers"] if w["aa"]]
    ms = 1000 * statistics.median(session.overheads) if session.overheads else None
    return Row(f"cluster, {workers} worker(s)", workers, wall, prep, len(sources), tally(verdicts), aa, ms)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--task", default="matmul", help="a bundled task's name, or a task folder or file")
    ap.add_argument("--candidate", action="append", default=[], metavar="FILE",
                    help="a candidate source to judge (repeatable; needed for tasks other than matmul's kind)")
    ap.add_argument("--candidates", type=int, default=12)
    ap.add_argument("--workers", default="1,2", help="comma-separated worker counts")
    ap.add_argument("--max-seconds", type=float, default=2.0, help="timing budget per candidate (timing.max_seconds)")
    ap.add_argument("--sandbox", default="local")
    ap.add_argument("--no-in-process", action="store_true", help="skip the row judged in the driver's own process")
    ap.add_argument("--no-gpu-counters", action="store_true", help="GPU tasks: skip the Nsight Compute read per candidate")
    args = ap.parse_args()
    flags: dict[str, dict[str, object]] = {"sandbox": {"backend": args.sandbox,
                                                       "gpu_counters": not args.no_gpu_counters},
                                           "timing": {"max_seconds": args.max_seconds}}
    task_dir = task_path(args.task)
    if load_task(task_dir).spec.target != "cpu-native":  # GPU timing: few processes, short batches
        flags["timing"].update({"min_processes": 2, "batch_seconds": 0.5, "min_pairs": 10, "max_pairs": 80})
    sources = candidates(task_dir, args.candidate, args.candidates)
    rows = [] if args.no_in_process else [in_process(task_dir, sources, flags)]
    if rows:
        print(f"{rows[-1].label}: {rows[-1].per_min:.1f} candidates/min", file=sys.stderr)
    for n in (int(x) for x in args.workers.split(",")):
        rows.append(on_cluster(task_dir, sources, n, flags))
        print(f"{rows[-1].label}: {rows[-1].per_min:.1f} candidates/min", file=sys.stderr)
    one = next((r for r in rows if r.workers == 1), None)
    gpus = local_gpus()
    print(f"machine: {platform.node()}, {len(os.sched_getaffinity(0))} cores, {len(gpus)} GPU(s), "
          f"Python {platform.python_version()}; "
          f"task {args.task}, {args.candidates} candidates, timing.max_seconds={args.max_seconds}, "
          f"sandbox {args.sandbox}")
    print("| evaluation | candidates/min | wall s | baselines s | vs 1 worker | of linear | verdicts | "
          "A/A per worker (median ± noise floor) | driver overhead / candidate, ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        rel = r.per_min / one.per_min if one else None
        lin = rel / r.workers if rel is not None and r.workers else None
        print(f"| {r.label} | {r.per_min:.1f} | {r.wall:.1f} | {r.prepare:.1f} | "
              f"{f'{rel:.2f}x' if rel is not None and r.workers else '-'} | {f'{lin:.0%}' if lin else '-'} | "
              f"{', '.join(f'{k} {v}' for k, v in sorted(r.statuses.items()))} | {'; '.join(r.aa)} | "
              f"{f'{r.overhead_ms:.0f}' if r.overhead_ms is not None else '-'} |")
    top = max((r for r in rows if r.workers), key=lambda r: r.workers)
    if one and top is not one:
        eff = top.per_min / one.per_min / top.workers
        print(f"summary: {top.workers} workers judged {top.per_min:.1f} candidates/min vs {one.per_min:.1f} on 1 "
              f"({top.per_min / one.per_min:.2f}x, {eff:.0%} of linear); driver overhead "
              f"{top.overhead_ms or 0:.0f} ms per candidate")
    else:
        print(f"summary: {rows[-1].per_min:.1f} candidates/min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
