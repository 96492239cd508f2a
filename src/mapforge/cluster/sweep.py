"""Many jobs over one cluster: every job is driven here (its model calls, its run directory) and its candidates
are judged on the cluster's workers, several jobs at once. One table at the end.

- :func:`spread_jobs`: the general piece (``mapforge bench`` can call it): run callables side by side,
  results in order, one job's exception its own result.
- :func:`run_sweep`: a plain list of optimize/solve jobs (``mapforge sweep TASK...``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from mapforge.config import Config
from mapforge.errors import UserError

T = TypeVar("T")
Observer = Callable[[dict[str, Any]], None]


def spread_jobs(jobs: Sequence[Callable[[], T]], max_parallel: int,
                on_done: Callable[[int, T | BaseException], None] | None = None,
                stop: threading.Event | None = None) -> list[T | BaseException]:
    """Run ``jobs`` with up to ``max_parallel`` at once (driver threads: each job's evaluations go to the
    cluster its config names). Returns each job's result, or the exception it raised, in order; a job that
    fails does not stop the others. Ctrl-C propagates once the running jobs end: queued ones are dropped and
    ``stop`` is set, for running jobs that check it between their steps."""
    results: list[T | BaseException] = [RuntimeError("not run")] * len(jobs)

    def one(i: int) -> None:
        if stop is not None and stop.is_set():
            return
        try:
            results[i] = jobs[i]()
        except Exception as e:  # noqa: BLE001 - one job's failure is its row in the table
            results[i] = e
        if on_done is not None:
            on_done(i, results[i])

    futures: list[Future[None]] = []
    with ThreadPoolExecutor(max_workers=max(1, max_parallel), thread_name_prefix="mapforge-sweep") as pool:
        try:  # Ctrl-C may come while jobs are still being queued
            futures.extend(pool.submit(one, i) for i in range(len(jobs)))
            for f in futures:
                f.result()
        except BaseException:  # Ctrl-C: the jobs not started yet never start; the running ones end first
            if stop is not None:
                stop.set()
            for f in futures:
                f.cancel()
            raise
    return results


@contextmanager
def shared_cluster(config: Config) -> Iterator[Config]:
    """The config every job of a sweep should run with: with ``cluster.workers`` set, one local cluster is
    started for the whole sweep (and stopped after it) and the jobs connect to it by address."""
    cc = config.cluster
    if cc.address is not None or cc.workers is None:
        yield config
        return
    from mapforge.cluster.dask_backend import DaskExecutor, LocalDaskCluster

    local = LocalDaskCluster(cc.workers, timeout=cc.connect_timeout)
    try:
        probe = DaskExecutor(local.address, cc.connect_timeout)  # every job should find every worker there
        try:
            probe.wait_for_workers(cc.workers, cc.connect_timeout)
        finally:
            probe.close()
        shared = config.model_copy(deep=True)
        shared.cluster.address, shared.cluster.workers = local.address, None
        yield shared
    finally:
        local.close()


@dataclass
class SweepRow:
    task: str
    run_dir: Path
    summary: dict[str, Any] | None = None
    error: str | None = None


def run_sweep(tasks: Sequence[str | Path], config: Config, run_root: Path, max_parallel: int | None = None,
              observers: Callable[[str], list[Observer]] | None = None, fresh: bool = False) -> list[SweepRow]:
    """One optimize or solve job per task (its kind from its spec), ``run_root/<task name>`` each, up to
    ``max_parallel`` at once (default: one per worker of a local cluster, else 2) over the configured
    cluster (none: this machine). Re-running the same sweep resumes every job from its records."""
    from mapforge.runs.job import run_job
    from mapforge.tasks.loader import load_task

    loaded = [load_task(t) for t in tasks]
    names = [t.name for t in loaded]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise UserError(f"the sweep names task {sorted(dup)[0]!r} twice: each job needs a run directory of its own")
    rows = [SweepRow(t.name, run_root / t.name) for t in loaded]
    width = max_parallel or (config.cluster.workers or 2 if config.cluster.enabled else 1)

    with shared_cluster(config) as cfg:
        def job(i: int) -> Callable[[], dict[str, Any]]:
            obs = observers(rows[i].task) if observers else []
            return lambda: run_job(tasks[i], cfg, rows[i].run_dir, obs, expect_kind=loaded[i].kind, fresh=fresh)

        results = spread_jobs([job(i) for i in range(len(rows))], width)
    for row, got in zip(rows, results):
        if isinstance(got, BaseException):
            row.error = f"{type(got).__name__}: {got}" if not isinstance(got, UserError) else str(got)
            row.summary = _read_summary(row.run_dir)
        else:
            row.summary = got
    return rows


def _read_summary(run_dir: Path) -> dict[str, Any] | None:
    from mapforge.runs.record import RunRecord

    return RunRecord(run_dir).read_summary()


def sweep_table(rows: Sequence[SweepRow], wall: float) -> str:
    """The sweep's table (markdown) and its one-line summary last."""
    lines = ["| task | status | best | speedup [95% CI] / pass rate | candidates | workers | wall s | run dir |",
             "|---|---|---|---|---|---|---|---|"]
    counts: dict[str, int] = {}
    for r in rows:
        s = r.summary or {}
        status = "error" if r.error and not s else str(s.get("status", "error"))
        if r.error and s:
            status += " (stopped)"
        counts[status] = counts.get(status, 0) + 1
        best = s.get("best") or {}
        if best.get("speedup") is not None:
            lo, hi = best["speedup_ci"]
            score = f"{best['speedup']:.3f}x [{lo:.3f}, {hi:.3f}]"
        elif best.get("pass_rate") is not None:
            score = f"{best['pass_rate']:.0%}"
        else:
            score = "-"
        cl = s.get("cluster") or {}
        used = ", ".join(f"{w}:{n}" for w, n in sorted((cl.get("candidates_per_worker") or {}).items())) or "-"
        if cl.get("drained"):
            used += f" (drained: {', '.join(cl['drained'])})"
        wall_s = s.get("wall_seconds")
        lines.append(f"| {r.task} | {status} | {best.get('candidate_id', '-')} | {score} | "
                     f"{s.get('candidates', '-')} | {used} | {wall_s if wall_s is not None else '-'} | {r.run_dir} |")
    for r in rows:
        if r.error:
            lines.append(f"\n{r.task}: {r.error}")
    tally = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    lines.append(f"\nsweep: {len(rows)} job(s) in {wall:.0f} s: {tally}")
    return "\n".join(lines)


def timed_sweep(*args: Any, **kwargs: Any) -> tuple[list[SweepRow], float]:
    """:func:`run_sweep` and its wall time in seconds."""
    t0 = time.monotonic()
    rows = run_sweep(*args, **kwargs)
    return rows, time.monotonic() - t0
