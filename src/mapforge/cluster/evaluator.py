"""The cluster's :class:`~mapforge.evaluators.base.Evaluator`: candidates judged on workers, verdicts back here.

``prepare()`` checks every worker (same mapforge, same task files, cores and GPUs of its own) and has each
one that passes build the task's evaluator and measure its own baseline and A/A self-test; a worker whose A/A
strays by more than ``cluster.max_aa_noise`` is drained. ``evaluate()`` sends the candidate to one of the
usable workers and returns its verdict with ``judged_by`` set. A worker that dies mid-candidate has the
candidate judged again on another (the engine reschedules it; the driver records it once). A scheduler that
is gone, or no usable worker left for ``cluster.worker_wait`` seconds, raises
:class:`~mapforge.cluster.base.ClusterLost`: the job stops cleanly and resumes from its records.
"""

from __future__ import annotations

import itertools
import statistics
import threading
import time
import uuid
from typing import Any, TypeVar

import mapforge
from mapforge.cluster.base import (
    ClusterLost,
    ResultFuture,
    WorkerJob,
    WorkerRefused,
    WorkerReport,
    code_fingerprint,
    identity_problems,
    task_hash,
)
from mapforge.cluster.session import ClusterSession
from mapforge.cluster.worker import duel_job, evaluate_job, identity, prepare_job, task_file
from mapforge.config import Config
from mapforge.evaluators.base import Baseline, HarnessError
from mapforge.evaluators.verdict import StageResult, Timing, Verdict
from mapforge.targets import target_of
from mapforge.tasks.spec import Task

T = TypeVar("T")


class _Gone(Exception):
    """None of the workers a call may run on is alive."""


class ClusterEvaluator:
    """Judges one task's candidates on the workers of ``session`` (see the module docstring)."""

    def __init__(self, task: Task, config: Config, session: ClusterSession) -> None:
        self.task, self.config, self.session = task, config, session
        self.executor = session.executor
        # a task loaded from its folder is loaded there again (and its files hashed); one built in memory (a
        # bench suite's, whose root names its data file) or a view of one (Task.visible_view) travels with the job
        on_disk = task.root.is_dir() and not task.visible_only
        self.job = WorkerJob(
            key=f"{session.run_id}-{uuid.uuid4().hex[:8]}",
            task_path=str(task_file(task.root.resolve(), task.name)) if on_disk else str(task.root),
            task_hash=task_hash(task.root) if on_disk else "in-memory",
            config=config.model_dump(mode="json"), version=mapforge.__version__, code=code_fingerprint(),
            max_aa_noise=config.cluster.max_aa_noise, task=None if on_disk else task)
        self.usable: list[str] = []
        self.reports: dict[str, WorkerReport] = {}
        self._calls = itertools.count(1)
        self._lock = threading.Lock()

    # -- baseline on every worker ----------------------------------------------------------------
    def prepare(self) -> Baseline:
        if self.job.key not in self.session.jobs:
            self.session.jobs.append(self.job.key)
        names = self.executor.names()
        sc = self.config.sandbox
        idents = self.executor.run_everywhere(identity, sc.backend, sc.image, sc.unsafe_no_isolation)
        for addr in sorted(set(names) | set(idents)):
            rep = WorkerReport(address=addr, name=names.get(addr, addr))
            self.reports[addr] = self.session.workers[f"{self.job.key}:{addr}"] = rep
        self._check_identities(idents)
        pending = [a for a, r in self.reports.items() if r.status == "pending"]
        futures = {a: self.executor.submit(prepare_job, self.job, key=f"mapforge-prepare-{self.job.key}-{i}",
                                           among=[a]) for i, a in enumerate(pending)}
        broken: list[HarnessError] = []
        for addr, fut in futures.items():
            rep = self.reports[addr]
            try:
                got = self._wait(fut, [addr], patience=10.0)
            except WorkerRefused as e:
                rep.status, rep.reason = "refused", str(e)
            except _Gone:
                rep.status, rep.reason = "refused", "it left the cluster while measuring its baseline"
            except HarnessError as e:
                broken.append(e)
                rep.status, rep.reason = "refused", f"its baseline failed: {e}"
            except Exception as e:  # noqa: BLE001 - this worker is out; the others may judge the job
                rep.status, rep.reason = "refused", f"preparing the job failed there: {type(e).__name__}: {e}"
            else:
                self._adopt(rep, got)
        self.usable = [a for a, r in self.reports.items() if r.status == "used"]
        if not self.usable:
            if broken and len(broken) == len(futures):
                raise HarnessError(str(broken[0]))
            why = "; ".join(f"{r.name}: {r.status}, {r.reason}" for r in self.reports.values()) or "no workers"
            raise HarnessError(f"no worker of the cluster at {self.executor.address} can judge this job ({why})")
        return self._baseline()

    def _check_identities(self, idents: dict[str, Any]) -> None:
        """Refuse workers that run other code, have no sandbox, or share cores (or GPUs) with another."""
        gpu = target_of(self.task).uses_gpu
        for addr, problem in identity_problems(idents, timed=self.task.kind != "solve", gpu=gpu).items():
            self.reports[addr].status, self.reports[addr].reason = "refused", f"worker {self.reports[addr].name} refused: {problem}"
        for addr, ident in idents.items():
            if isinstance(ident, dict):
                rep = self.reports[addr]
                rep.host, rep.cores, rep.gpus = ident["host"], ident["cores"], ident["gpu"]["visible"]

    def _adopt(self, rep: WorkerReport, got: dict[str, Any]) -> None:
        rep.baseline_seconds, rep.aa, rep.noise_floor = got["baseline_seconds"], got["aa"], got["noise_floor"]
        rep.host = got.get("host", rep.host)
        if got["aa"] is not None and got["noise_floor"] > self.job.max_aa_noise:
            rep.status = "drained"
            rep.reason = (f"its A/A self-test strays by {got['noise_floor']:.1%}, above cluster.max_aa_noise "
                          f"= {self.job.max_aa_noise:.1%}: a busy or throttled machine, or too short a timing budget (timing.*); it judges no candidate")
        else:
            rep.status = "used"

    def _baseline(self) -> Baseline:
        used = [self.reports[a] for a in self.usable]
        if all(r.aa is None for r in used):
            return Baseline()
        worst = max(used, key=lambda r: r.noise_floor or 0.0)  # the job's noise floor: its noisiest worker's
        secs = [r.baseline_seconds for r in used if r.baseline_seconds is not None]
        return Baseline(seconds=statistics.median(secs) if secs else None,
                        aa=Timing.model_validate(worst.aa) if worst.aa else None,
                        noise_floor=max(r.noise_floor or 0.0 for r in used))

    # -- candidates -------------------------------------------------------------------------------
    def evaluate(self, source: str) -> Verdict:
        if not self.usable:
            self.prepare()
        t0 = time.monotonic()
        fut = self.executor.submit(evaluate_job, self.job, source, among=list(self.usable),
                                   key=f"mapforge-eval-{self.job.key}-{next(self._calls)}")
        got = self._wait_usable(fut)
        wall = time.monotonic() - t0
        verdict = Verdict.model_validate(got["verdict"]).model_copy(update={"judged_by": got["worker"]})
        with self._lock:
            rep = self.reports.get(got["address"])
            if rep is not None:
                rep.candidates += 1
                rep.evaluate_seconds = round(rep.evaluate_seconds + got["seconds"], 3)
            self.session.overheads.append(max(0.0, wall - got["seconds"]))
        return verdict

    def head_to_head(self, champion: str, challenger: str) -> Timing | StageResult:
        """The evaluator's head-to-head timing of two correct candidates, on one worker."""
        try:
            fut = self.executor.submit(duel_job, self.job, champion, challenger, among=list(self.usable),
                                       key=f"mapforge-duel-{self.job.key}-{next(self._calls)}")
            got = self._wait_usable(fut)
        except Exception as e:  # noqa: BLE001 - a failed duel is reported, the job goes on
            return StageResult(stage="timing", ok=False, status="harness_error",
                               reason=f"the head-to-head on the cluster failed: {type(e).__name__}: {e}")
        if "timing" in got:
            return Timing.model_validate(got["timing"])
        return StageResult.model_validate(got["stage"])

    # -- waiting ----------------------------------------------------------------------------------
    def _wait_usable(self, fut: ResultFuture[T]) -> T:
        try:
            return self._wait(fut, self.usable, patience=self.config.cluster.worker_wait)
        except _Gone:
            fut.cancel()
            names = ", ".join(self.reports[a].name for a in self.usable)
            raise ClusterLost(f"none of the job's workers ({names}) has been alive for "
                              f"{self.config.cluster.worker_wait:.0f}s (cluster.worker_wait)") from None

    def _wait(self, fut: ResultFuture[T], among: list[str], patience: float) -> T:
        """The call's result, polling the cluster: :class:`_Gone` once none of ``among`` has been alive for
        ``patience`` seconds; :class:`ClusterLost` (from the executor) when the scheduler is gone."""
        missing_since: float | None = None
        while True:
            try:
                return self.executor.wait(fut, timeout=1.0)
            except TimeoutError:
                alive = set(self.executor.workers())
                if any(a in alive for a in among):
                    missing_since = None
                elif missing_since is None:
                    missing_since = time.monotonic()
                elif time.monotonic() - missing_since > patience:
                    raise _Gone() from None


__all__ = ["ClusterEvaluator", "ClusterLost"]
