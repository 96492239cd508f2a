"""Sandboxes: where candidate code is built and run.

- ``open_sandbox(name)``: one fresh sandbox of a backend (the caller closes it).
- ``select_backend(requested)``: ``(name, reason)``; by default docker when an engine answers and the
  image is built, else local.
- ``make_sandbox_factory(backend, limits, run_id, pool_size)``: what a job calls once per candidate
  (``with factory() as sb``) and ``close()``s at the end; for docker, a warm pool of ``pool_size``
  containers (0: a fresh container per call).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from mapforge.sandbox.base import ExecResult, Limits, Sandbox, SandboxInfo
from mapforge.sandbox.selection import BACKENDS, select_backend, unknown_backend

__all__ = ["BACKENDS", "ExecResult", "Limits", "Sandbox", "SandboxFactory", "SandboxInfo", "make_sandbox_factory",
           "open_sandbox", "select_backend"]


class SandboxFactory(Protocol):
    """Called with no arguments for each candidate's sandbox; ``close()`` once the job is done."""

    backend: str

    def __call__(self) -> Sandbox: ...

    def close(self) -> None: ...


def open_sandbox(backend: str, *, base_dir: Path | None = None, limits: Limits | None = None) -> Sandbox:
    """A fresh sandbox of ``backend``; the caller closes it (``with open_sandbox(...) as sb``)."""
    if backend == "local":
        from mapforge.sandbox.local import LocalSandbox

        return LocalSandbox(base_dir=base_dir, limits=limits)
    if backend == "docker":
        from mapforge.sandbox.pool import FreshDockerFactory

        return FreshDockerFactory(limits, single=True)()
    raise unknown_backend(backend)


def make_sandbox_factory(
    backend: str,
    limits: Limits | None = None,
    run_id: str = "adhoc",
    pool_size: int = 1,
    *,
    base_dir: Path | None = None,
    image: str | None = None,
    gpus: bool = False,
    **local_options: Any,
) -> SandboxFactory:
    """A zero-argument sandbox factory with ``close()``. ``limits`` are the container's (docker: memory,
    pids and disk are fixed per container; an ``exec`` may only ask for less). Containers carry the label
    ``mapforge.run=<run_id>``."""
    from mapforge.sandbox import pool

    if backend == "local":
        return pool.LocalFactory(limits, base_dir, **local_options)
    if backend == "docker":
        if pool_size <= 0:
            return pool.FreshDockerFactory(limits, run_id, image=image, gpus=gpus)
        return pool.DockerPool(limits, run_id, pool_size, image=image, gpus=gpus)
    raise unknown_backend(backend)
