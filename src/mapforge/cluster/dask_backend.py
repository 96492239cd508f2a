"""The Dask backend: an :class:`~mapforge.cluster.base.Executor` over ``distributed.Client``, and a local cluster
of pinned worker processes (``--workers N``). ``distributed`` is imported lazily, with the install hint."""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any, TypeVar

from mapforge.cluster.base import ClusterLost, ResultFuture
from mapforge.errors import UserError

T = TypeVar("T")
INSTALL_HINT = "clusters need Dask's distributed: pip install 'mapforge[cluster]' (or pip install distributed)"


def distributed_module() -> Any:
    try:
        import distributed
    except ImportError:
        raise UserError(INSTALL_HINT) from None
    return distributed


class DaskExecutor:
    """Runs worker functions through a ``distributed.Client`` connected to ``address``."""

    def __init__(self, address: str, timeout: float = 30.0) -> None:
        d = distributed_module()
        self.address = address
        try:
            self.client = d.Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as e:
            raise UserError(f"no Dask scheduler answered at {address} within {timeout:.0f}s ({e}). Start one "
                            "with `dask scheduler` and workers with `dask worker ADDRESS` (README, 'Clusters'), "
                            "or pass --workers N for a local cluster") from None
        from mapforge.cluster.worker import MapforgeWorkerPlugin

        try:  # workers that cannot import mapforge fail here; the identity check names them
            self.client.register_plugin(MapforgeWorkerPlugin(), name="mapforge")
        except Exception:  # noqa: BLE001, S110 - reported per worker by the identity check
            pass

    def _info(self) -> dict[str, Any]:
        return dict(self.client.scheduler_info(n_workers=-1).get("workers", {}))

    def workers(self) -> list[str]:
        return sorted(self._info())

    def names(self) -> dict[str, str]:
        return {addr: str(w.get("name", addr)) for addr, w in self._info().items()}

    def wait_for_workers(self, n: int, timeout: float) -> None:
        try:
            self.client.wait_for_workers(n, timeout=timeout)
        except TimeoutError:
            raise UserError(f"the cluster at {self.address} has {len(self.workers())} worker(s), not {n}, after "
                            f"{timeout:.0f}s") from None

    def run_everywhere(self, fn: Callable[..., Any], *args: Any) -> dict[str, Any]:
        return dict(self.client.run(fn, *args, on_error="return"))

    def submit(self, fn: Callable[..., T], *args: Any, key: str, among: Sequence[str]) -> ResultFuture[T]:
        fut: ResultFuture[T] = self.client.submit(fn, *args, key=key, workers=list(among),
                                                  allow_other_workers=False, pure=False)
        return fut

    def wait(self, future: ResultFuture[T], timeout: float) -> T:
        try:
            return future.result(timeout=timeout)
        except TimeoutError:  # not done yet (TimeoutError is an OSError: keep it from the clause below)
            raise
        except CancelledError as e:
            if self.client.status != "running":
                raise ClusterLost(f"lost the Dask scheduler at {self.address}") from e
            raise
        except OSError as e:
            raise ClusterLost(f"lost the Dask scheduler at {self.address}: {e}") from e

    @property
    def connected(self) -> bool:
        return bool(self.client.status == "running")

    def close(self) -> None:
        if not self.connected:  # the scheduler is gone: don't let the client's reconnect loop print tracebacks
            for name in ("distributed.client", "distributed.core", "distributed.comm", "asyncio"):
                logging.getLogger(name).setLevel(logging.CRITICAL)
        try:
            self.client.close(timeout=5)
        except Exception:  # noqa: BLE001, S110 - closing a client whose scheduler is gone
            pass


def split_cores(cores: list[int], n: int) -> list[list[int]]:
    """``cores`` in ``n`` contiguous groups as even as they go (the first groups get one more)."""
    size, extra = divmod(len(cores), n)
    groups, at = [], 0
    for i in range(n):
        k = size + (1 if i < extra else 0)
        groups.append(cores[at:at + k])
        at += k
    return groups


def split_gpus(gpus: list[str], n: int) -> list[str | None]:
    """``CUDA_VISIBLE_DEVICES`` for each of ``n`` workers: one GPU each while they last, then none (``""``: such
    a worker judges CPU tasks only); ``None`` for all where the machine has no GPU (the variable is left unset)."""
    if not gpus:
        return [None] * n
    return [gpus[i] if i < len(gpus) else "" for i in range(n)]


def local_gpus() -> list[str]:
    """The GPUs this process may use: ``CUDA_VISIBLE_DEVICES`` where set, else every GPU ``nvidia-smi`` lists."""
    from mapforge.cluster.base import usable_gpus
    from mapforge.cluster.worker import gpu_info

    return usable_gpus(gpu_info())


class LocalDaskCluster:
    """A scheduler and ``n`` workers as processes of this machine, on 127.0.0.1 only, each worker pinned to
    cores of its own and, on a GPU machine, to a GPU of its own (so two timings never share a core or a GPU;
    workers beyond the GPU count get none and judge CPU tasks only), running one evaluation at a time.
    ``close()`` stops them; if the driver dies, the workers exit within ``death_timeout`` of the scheduler and
    the scheduler after a minute idle."""

    def __init__(self, n: int, timeout: float = 60.0, death_timeout: float = 30.0) -> None:
        distributed_module()
        cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        if cores and n > len(cores):
            raise UserError(f"--workers {n}: this machine gives mapforge {len(cores)} core(s), and each worker "
                            f"times on cores of its own: use --workers {len(cores)} or fewer")
        self.dir = Path(tempfile.mkdtemp(prefix="mapforge-cluster-"))
        self.procs: list[subprocess.Popen[bytes]] = []
        py = sys.executable
        try:
            sched_file = self.dir / "scheduler.json"
            self._spawn("scheduler", [py, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port",
                                      "0", "--no-dashboard", "--idle-timeout", "60", "--scheduler-file",
                                      str(sched_file)], None)
            self.address = self._read_address(sched_file, timeout)
            groups = split_cores(cores, n) if cores else [[] for _ in range(n)]
            self.gpus = split_gpus(local_gpus(), n)
            for i, group in enumerate(groups):
                self._spawn(f"worker-{i}", [py, "-m", "distributed.cli.dask_worker", self.address, "--nthreads", "1",
                                            "--no-nanny", "--host", "127.0.0.1", "--no-dashboard",
                                            "--death-timeout", str(death_timeout), "--name", f"local-{i}",
                                            "--local-directory", str(self.dir / f"w{i}")], group, self.gpus[i])
        except BaseException:
            self.close()
            raise
        self.cores = groups

    def _spawn(self, name: str, argv: list[str], cores: list[int] | None, gpu: str | None = None) -> None:
        env = dict(os.environ)
        if gpu is not None:
            env["CUDA_VISIBLE_DEVICES"] = gpu
        with (self.dir / f"{name}.log").open("wb") as log:
            preexec = (lambda: os.sched_setaffinity(0, cores)) if cores else None
            self.procs.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                               preexec_fn=preexec, start_new_session=True, env=env))

    def _read_address(self, sched_file: Path, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.procs[0].poll() is not None:
                break
            try:
                return str(json.loads(sched_file.read_text())["address"])
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        log = (self.dir / "scheduler.log").read_text(errors="replace")[-2000:]
        raise UserError(f"the local Dask scheduler did not start within {timeout:.0f}s:\n{log}")

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs = []
        shutil.rmtree(self.dir, ignore_errors=True)
