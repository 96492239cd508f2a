"""What runs on a cluster worker: its identity (for the driver's checks and ``mapforge cluster doctor``), and
the evaluators it keeps per job.

A worker owns its sandboxes, its pinning and its timing: it builds each job's evaluator itself from the task
path and the driver's configuration (after checking that its mapforge and its task files are the driver's),
measures its own baseline and A/A self-test, and times one thing at a time (one timing lock shared by every
job's evaluator on the worker; a worker started by ``--workers N`` also runs one evaluation at a time, on
cores of its own). It never writes a run directory: it returns verdicts, the driver records them.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from distributed import WorkerPlugin, get_worker

import mapforge
from mapforge.cluster.base import WorkerJob, WorkerRefused, check_worker, code_fingerprint, task_hash
from mapforge.evaluators.base import Evaluator, TimesCandidates, evaluate_guarded
from mapforge.evaluators.verdict import StageResult, Timing
from mapforge.sandbox import SandboxFactory


def gpu_info() -> dict[str, Any]:
    """``CUDA_VISIBLE_DEVICES`` and the GPUs ``nvidia-smi`` lists here (none: no NVIDIA driver)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    gpus: list[str] = []
    if shutil.which("nvidia-smi"):
        try:
            r = subprocess.run(["nvidia-smi", "--query-gpu=index,name,memory.total", "--format=csv,noheader"],
                               capture_output=True, text=True, timeout=15)
            gpus = [line.strip() for line in r.stdout.splitlines() if line.strip()]
        except (OSError, subprocess.TimeoutExpired):
            pass
    if visible is not None and visible.strip() and all(x.strip().isdigit() for x in visible.split(",")):
        wanted = {x.strip() for x in visible.split(",")}
        gpus = [g for g in gpus if g.split(",")[0].strip() in wanted]
    return {"visible": visible, "gpus": gpus}


def identity(backend: str = "auto", image: str | None = None, unsafe: bool = False,
             dask_worker: Any = None) -> dict[str, Any]:
    """Who this worker is and what it can run: called through ``Executor.run_everywhere`` (quick)."""
    from mapforge.errors import UserError
    from mapforge.sandbox import select_backend

    try:
        chosen, why = select_backend(backend, image=image, unsafe=unsafe)
    except UserError as e:
        chosen, why = "none", str(e)
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    return {
        "name": str(dask_worker.name) if dask_worker is not None else "?",
        "address": str(dask_worker.address) if dask_worker is not None else "?",
        "nthreads": int(dask_worker.state.nthreads) if dask_worker is not None else 1,
        "host": socket.gethostname(), "pid": os.getpid(), "version": mapforge.__version__,
        "code": code_fingerprint(), "python": platform.python_version(), "cores": cores,
        "sandbox": chosen, "sandbox_reason": why, "gpu": gpu_info(),
    }


def task_file(folder: Path, name: str) -> Path:
    """The path to load a task from: its folder when it has a ``task.toml``, else the file named after it."""
    if (folder / "task.toml").exists() or not folder.is_dir():
        return folder
    for p in sorted(folder.iterdir()):
        if p.stem == name and p.is_file():
            return p
    return folder


@dataclass
class _Job:
    lock: threading.Lock = field(default_factory=threading.Lock)
    evaluator: Evaluator | None = None
    sandboxes: SandboxFactory | None = None
    prepared: dict[str, Any] = field(default_factory=dict)


class WorkerState:
    """One worker's evaluators, by job key, and the one timing lock they share."""

    def __init__(self, name: str, address: str, nthreads: int) -> None:
        self.name, self.address, self.nthreads = name, address, nthreads
        self.timing_lock = threading.Lock()
        self._jobs: dict[str, _Job] = {}
        self._lock = threading.Lock()

    def job(self, job: WorkerJob) -> _Job:
        """The job's evaluator, built and prepared (baseline and A/A on this worker) on first use."""
        with self._lock:
            st = self._jobs.setdefault(job.key, _Job())
        with st.lock:
            if st.evaluator is None:
                self._build(job, st)
        return st

    def _build(self, job: WorkerJob, st: _Job) -> None:
        from mapforge.config import ClusterConfig, Config
        from mapforge.runs.job import make_evaluator, make_sandboxes
        from mapforge.tasks.loader import load_task

        folder = Path(job.task_path)
        where = folder if folder.is_dir() else folder.parent
        here = job.task_hash if job.task is not None else task_hash(where) if where.exists() else None
        problem = check_worker(job, mapforge.__version__, code_fingerprint(), here)
        if problem:
            raise WorkerRefused(f"worker {self.name} refused: {problem}")
        config = Config.model_validate(job.config)
        config.cluster = ClusterConfig()  # the worker evaluates here, on its own sandboxes
        config.sandbox.parallel = max(1, min(self.nthreads, 64))
        task = job.task if job.task is not None else load_task(folder)
        sandboxes, why = make_sandboxes(task, config, f"cluster-{job.key}")
        try:
            ev = make_evaluator(task, config, sandboxes)
            if isinstance(ev, TimesCandidates):  # every job's timings on this worker take turns
                ev.timing_lock = self.timing_lock
            t0 = time.monotonic()
            b = ev.prepare()
        except BaseException:
            sandboxes.close()
            raise
        st.evaluator, st.sandboxes = ev, sandboxes
        st.prepared = {
            "worker": self.name, "address": self.address, "host": socket.gethostname(),
            "cores": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [],
            "gpus": os.environ.get("CUDA_VISIBLE_DEVICES"), "sandbox": sandboxes.backend, "sandbox_reason": why,
            "baseline_seconds": b.seconds, "aa": b.aa.model_dump(mode="json") if b.aa else None,
            "noise_floor": b.noise_floor, "seconds": round(time.monotonic() - t0, 3)}

    def release(self, key: str) -> bool:
        with self._lock:
            st = self._jobs.pop(key, None)
        if st is not None and st.sandboxes is not None:
            st.sandboxes.close()
        return st is not None

    def close(self) -> None:
        for key in list(self._jobs):
            self.release(key)


class MapforgeWorkerPlugin(WorkerPlugin):
    """Installed on every worker (and every worker that joins later) by the driver's executor."""

    idempotent = True
    """A second job's driver keeps the first job's state on the worker."""

    def __init__(self) -> None:
        self.state: WorkerState | None = None

    def setup(self, worker: Any) -> None:
        self.state = WorkerState(str(worker.name), str(worker.address), int(worker.state.nthreads))

    def teardown(self, worker: Any) -> None:
        if self.state is not None:
            self.state.close()


def _state() -> WorkerState:
    plugin = get_worker().plugins.get("mapforge")
    if not isinstance(plugin, MapforgeWorkerPlugin) or plugin.state is None:
        raise RuntimeError("mapforge's worker plugin is not installed on this worker")
    state: WorkerState = plugin.state
    return state


# -- what the driver submits (module-level: they pickle by reference) --------------------------------------
def prepare_job(job: WorkerJob) -> dict[str, Any]:
    """Check this worker against the job, build its evaluator and measure its baseline and A/A here."""
    return _state().job(job).prepared


def evaluate_job(job: WorkerJob, source: str) -> dict[str, Any]:
    """One candidate's verdict, judged here (any exception while judging it is its harness_error verdict)."""
    state = _state()
    st = state.job(job)
    assert st.evaluator is not None
    t0 = time.monotonic()
    verdict = evaluate_guarded(st.evaluator, source)
    return {"verdict": verdict.model_dump(mode="json"), "worker": state.name, "address": state.address,
            "seconds": time.monotonic() - t0}


def duel_job(job: WorkerJob, champion: str, challenger: str) -> dict[str, Any]:
    """The evaluator's head-to-head of two correct candidates, timed here."""
    state = _state()
    ev = state.job(job).evaluator
    duel = getattr(ev, "head_to_head", None)
    if duel is None:
        raise RuntimeError("this task's evaluator has no head-to-head timing")
    got: Timing | StageResult = duel(champion, challenger)
    kind = "timing" if isinstance(got, Timing) else "stage"
    return {kind: got.model_dump(mode="json"), "worker": state.name}


def release_job(key: str, dask_worker: Any = None) -> bool:
    """Close the job's sandboxes on this worker (through ``run_everywhere`` when the job ends)."""
    plugin = dask_worker.plugins.get("mapforge") if dask_worker is not None else None
    return isinstance(plugin, MapforgeWorkerPlugin) and plugin.state is not None and plugin.state.release(key)
