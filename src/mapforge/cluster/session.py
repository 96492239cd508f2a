"""A job's connection to a cluster, in the place of its sandbox factory.

The job asks ``make_sandboxes`` for its sandboxes; with ``cluster.address`` or ``cluster.workers`` set it gets
a :class:`ClusterSession` instead: the driver runs no candidate code itself, the session's ``backend`` is
the workers' sandbox backend, and ``close()`` (which the job already calls at its end) releases the job's
evaluators on the workers and stops a local cluster it started. Importing this module imports no engine.
"""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

from mapforge.cluster.base import Executor, WorkerReport
from mapforge.config import Config

if TYPE_CHECKING:
    from mapforge.cluster.dask_backend import LocalDaskCluster
    from mapforge.sandbox import Sandbox


class ClusterSession:
    """Satisfies :class:`mapforge.sandbox.SandboxFactory` (``backend``, ``close()``); calling it is an error."""

    def __init__(self, executor: Executor, config: Config, run_id: str, backend: str,
                 identities: dict[str, Any], local: LocalDaskCluster | None = None) -> None:
        self.executor, self.config, self.run_id, self.local = executor, config, run_id, local
        self.backend = backend
        """The sandbox backend the workers chose (``mixed`` if they differ)."""
        self.identities = identities
        """What each worker said about itself when the session opened (or the exception it raised), by address."""
        self.workers: dict[str, WorkerReport] = {}
        """Every worker a job of this session met: used, drained or refused, and what it did."""
        self.overheads: list[float] = []
        """Per candidate: seconds the driver waited beyond the worker's own evaluation time."""
        self.jobs: list[str] = []
        """Keys of the jobs whose evaluators the workers keep (released on close)."""

    def __call__(self) -> Sandbox:
        raise RuntimeError("a cluster job runs no candidate code on the driver: its workers own the sandboxes")

    def describe(self) -> str:
        where = (f"a local cluster of {len(self.identities)} worker(s) at {self.executor.address}" if self.local
                 else f"the cluster at {self.executor.address} ({len(self.identities)} worker(s))")
        return f"cluster: candidates judged on {where}; sandbox: {self.backend} on the workers"

    def report(self) -> dict[str, Any]:
        """The summary's ``cluster`` section."""
        reps = sorted(self.workers.values(), key=lambda w: w.name)
        return {
            "scheduler": self.executor.address,
            "local": self.local is not None,
            "workers": [w.as_dict() for w in reps],
            "used": [w.name for w in reps if w.status == "used"],
            "drained": [w.name for w in reps if w.status == "drained"],
            "refused": [w.name for w in reps if w.status == "refused"],
            "candidates_per_worker": {w.name: w.candidates for w in reps if w.candidates},
            "driver_overhead_seconds": round(statistics.median(self.overheads), 4) if self.overheads else None,
        }

    def release(self, key: str) -> None:
        """Close one job's evaluator on every worker now, before the session ends (``mapforge bench`` opens
        a job per task and keeps the session for the next ones)."""
        from mapforge.cluster.worker import release_job

        if key not in self.jobs:  # never prepared: the workers hold nothing of it
            return
        self.jobs.remove(key)
        try:
            self.executor.run_everywhere(release_job, key)
        except Exception:  # noqa: BLE001, S110 - a cluster that is gone has nothing left to release
            pass

    def close(self) -> None:
        from mapforge.cluster.worker import release_job

        try:
            for key in self.jobs:
                self.executor.run_everywhere(release_job, key)
        except Exception:  # noqa: BLE001, S110 - a cluster that is gone has nothing left to release
            pass
        finally:
            self.executor.close()
            if self.local is not None:
                self.local.close()


def open_cluster(config: Config, run_id: str) -> ClusterSession:
    """Connect to ``cluster.address`` (or start ``cluster.workers`` local workers) and ask every worker who it is."""
    from mapforge.cluster.dask_backend import DaskExecutor, LocalDaskCluster
    from mapforge.cluster.worker import identity

    cc, sc = config.cluster, config.sandbox
    local = LocalDaskCluster(cc.workers or 1, timeout=cc.connect_timeout) if cc.address is None else None
    try:
        ex = DaskExecutor(cc.address or (local.address if local else ""), cc.connect_timeout)
        try:
            ex.wait_for_workers(cc.workers if local is not None and cc.workers else 1, cc.connect_timeout)
            idents = ex.run_everywhere(identity, sc.backend, sc.image, sc.unsafe_no_isolation)
        except BaseException:
            ex.close()
            raise
    except BaseException:
        if local is not None:
            local.close()
        raise
    backends = {i["sandbox"] for i in idents.values() if isinstance(i, dict)}
    backend = backends.pop() if len(backends) == 1 else "mixed"
    return ClusterSession(ex, config, run_id, backend, idents, local)
