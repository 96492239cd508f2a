"""Candidate evaluation and job sweeps on a cluster (Dask's ``distributed``; ``pip install 'mapforge[cluster]'``).

- ``base``: the :class:`~mapforge.cluster.base.Executor` seam (Dask's client is one; Ray could be another),
  the job a worker is sent, the version and task-file checks, :class:`~mapforge.cluster.base.ClusterLost`.
- ``dask_backend``: the Dask executor and a local cluster of pinned worker processes (``--workers N``).
- ``session``: :func:`~mapforge.cluster.session.open_cluster`, a job's connection, in the place of its
  sandbox factory (``runs/job.py`` wires it when ``cluster.address`` or ``cluster.workers`` is set).
- ``evaluator``: :class:`~mapforge.cluster.evaluator.ClusterEvaluator`, the ``Evaluator`` that judges on workers.
- ``worker``: what runs on a worker (its identity, its evaluators, its timing lock).
- ``sweep``: :func:`~mapforge.cluster.sweep.spread_jobs` and :func:`~mapforge.cluster.sweep.run_sweep`:
  many jobs at once over one cluster, one table at the end.

Only ``base`` and ``session`` are imported here; nothing imports ``distributed`` until a cluster is opened.
"""

from mapforge.cluster.base import ClusterLost, Executor, WorkerJob, WorkerRefused
from mapforge.cluster.session import ClusterSession, open_cluster

__all__ = ["ClusterLost", "ClusterSession", "Executor", "WorkerJob", "WorkerRefused", "open_cluster"]
