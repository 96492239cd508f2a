"""What every cluster backend shares: the executor seam, the job a worker is sent, and the checks that keep a
worker honest (same mapforge, same task files). Nothing here imports a cluster engine."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, TypeVar

import mapforge
from mapforge.evaluators.base import HarnessError

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class ClusterLost(BaseException):  # noqa: N818 - a stop, not an error of the candidate's
    """The cluster stopped answering (its scheduler is gone, or none of the job's workers is left).

    A ``BaseException`` on purpose: it must pass the per-candidate error barrier (``evaluate_guarded``), or a
    lost scheduler would become a ``harness_error`` verdict for every remaining candidate. The job stops
    cleanly and resumes from its records."""


class WorkerRefused(HarnessError):
    """A worker runs other mapforge code or other task files than the driver: it judges nothing."""


class ResultFuture(Protocol[T_co]):
    """The part of ``concurrent.futures.Future`` the cluster uses (Dask's and Ray's futures have it)."""

    def result(self, timeout: float | None = None) -> T_co: ...

    def cancel(self) -> Any: ...


class Executor(Protocol):
    """Runs functions on named workers. Dask's ``distributed.Client`` is one (``mapforge.cluster.dask``); a
    Ray backend would be another. Functions and their arguments must pickle by reference (module-level)."""

    address: str

    def workers(self) -> list[str]:
        """Live workers, by address."""
        ...

    def names(self) -> dict[str, str]:
        """Each live worker's name (what verdicts record), by address."""
        ...

    def run_everywhere(self, fn: Callable[..., Any], *args: Any) -> dict[str, Any]:
        """``fn(*args)`` on every live worker at once, outside the task queue (quick calls only): its result,
        or the exception it raised, by address."""
        ...

    def submit(self, fn: Callable[..., T], *args: Any, key: str, among: Sequence[str]) -> ResultFuture[T]:
        """Queue ``fn(*args)`` on one of the workers ``among``; if that worker dies the call runs again on
        another of them."""
        ...

    def wait(self, future: ResultFuture[T], timeout: float) -> T:
        """The future's result; ``TimeoutError`` after ``timeout`` seconds; :class:`ClusterLost` when the
        scheduler is gone; the remote exception otherwise."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class WorkerJob:
    """Everything a worker needs to judge one job's candidates the way the driver would: small and picklable."""

    key: str
    """Unique per job session (the worker keeps the job's evaluator under it)."""
    task_path: str
    """Where the worker loads the task from (the same path as the driver's)."""
    task_hash: str
    """:func:`task_hash` of the task folder on the driver: a worker with other files is refused."""
    config: dict[str, Any]
    """The driver's resolved configuration (``Config.model_dump(mode="json")``)."""
    version: str
    code: str
    """:func:`code_fingerprint` on the driver."""
    max_aa_noise: float = 0.05
    task: Any = None
    """The :class:`~mapforge.tasks.spec.Task` itself, for tasks with no folder on disk (``mapforge bench``'s
    suites build theirs in memory): it travels with the job, and no folder is loaded or hashed."""


@dataclass
class WorkerReport:
    """What a worker's ``prepare`` measured, as the driver keeps it for the summary."""

    address: str
    name: str
    status: str = "pending"
    """``used``, ``drained`` (its A/A noise is too high), or ``refused`` (version, task files, cores)."""
    reason: str = ""
    host: str = ""
    cores: list[int] = field(default_factory=list)
    gpus: str | None = None
    baseline_seconds: float | None = None
    aa: dict[str, Any] | None = None
    noise_floor: float | None = None
    candidates: int = 0
    evaluate_seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of this mapforge installation's code and templates (what ``__version__`` does not change with)."""
    root = Path(mapforge.__file__).resolve().parent
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.suffix in (".py", ".md", ".h", ".c") and "__pycache__" not in p.parts and p.is_file():
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def task_hash(folder: str | Path) -> str:
    """A hash of every file under a task folder (names and bytes; caches and hidden files left out), or of a task
    file and the ``<name>.toml`` beside it that its loader reads."""
    root = Path(folder)
    if root.is_file():
        side = root.with_suffix(".toml")
        files = [root] + ([side] if side.is_file() and side != root else [])
        root = root.parent
    else:
        files = sorted(p for p in root.rglob("*") if p.is_file())
    h = hashlib.sha256()
    for p in files:
        rel = p.relative_to(root)
        if any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            continue
        h.update(str(rel).encode() + b"\0" + p.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def version_problem(version: str, code: str, want_version: str, want_code: str) -> str | None:
    """Why a worker running ``version`` (``code``) may not judge for a driver running ``want_*`` (None: it may)."""
    if version == want_version and code == want_code:
        return None
    return (f"it runs mapforge {version} (code {code}), the driver {want_version} (code {want_code}): install the "
            "driver's mapforge there (or start it from the same checkout) and restart it")


def check_worker(job: WorkerJob, version: str, code: str, folder_hash: str | None) -> str | None:
    """Why a worker with this version, code and task-folder hash must not judge ``job`` (None: it may)."""
    problem = version_problem(version, code, job.version, job.code)
    if problem:
        return problem
    if folder_hash is None:
        return f"it has no task at {job.task_path}: copy the task folder to the same path there"
    if folder_hash != job.task_hash:
        return (f"its task files at {job.task_path} differ from the driver's (hash {folder_hash}, the driver's "
                f"{job.task_hash}): copy the driver's task folder there")
    return None


def usable_gpus(info: dict[str, Any]) -> list[str]:
    """The GPU indices a process with this :func:`gpu_info` may use: those ``CUDA_VISIBLE_DEVICES`` names where
    it is set (none where it is empty), else every GPU of the host."""
    visible = info["visible"]
    if visible is not None:
        return [g.strip() for g in visible.split(",") if g.strip()]
    return [g.split(",")[0].strip() for g in info["gpus"]]


def identity_problems(idents: dict[str, Any], timed: bool = True, gpu: bool = True) -> dict[str, str]:
    """Why each worker (by address) may not judge for this driver, from what it said about itself (its
    :func:`mapforge.cluster.worker.identity`, or the exception it raised): other mapforge code, no sandbox,
    or, where ``timed``, cores (and, where ``gpu``, GPUs) shared with another worker of its host (two timings
    never share one)."""
    out: dict[str, str] = {}
    taken: dict[tuple[str, str, str], str] = {}
    for addr in sorted(idents):
        ident = idents[addr]
        if not isinstance(ident, dict):
            out[addr] = (f"it cannot run mapforge's worker code ({type(ident).__name__}: {ident}): install the "
                         "driver's mapforge there")
            continue
        problem = version_problem(ident["version"], ident["code"], mapforge.__version__, code_fingerprint())
        if problem is None and ident["sandbox"] == "none":
            problem = f"it has no usable sandbox: {ident['sandbox_reason']}"
        if problem is None and timed:
            host = ident["host"]
            units = [("core", str(c)) for c in ident["cores"]]
            if gpu:  # an unpinned worker may use every GPU of its host
                units += [("gpu", g) for g in usable_gpus(ident["gpu"])]
            clash = next((taken[(host, *u)] for u in units if (host, *u) in taken), None)
            if clash is not None:
                problem = (f"it shares cores or GPUs with worker {clash} on {host}, and two timings must never "
                           "share one: pin each worker to its own (taskset -c ..., CUDA_VISIBLE_DEVICES=...)")
            else:
                taken.update({(host, *u): ident["name"] for u in units})
        if problem:
            out[addr] = problem
    return out
