"""Sandbox factories: what a job calls once per candidate (``with factory() as sb``), then ``close()``s.

- :class:`LocalFactory`: a fresh :class:`~mapforge.sandbox.local.LocalSandbox` per call.
- :class:`FreshDockerFactory`: a fresh container per call, removed when the sandbox closes.
- :class:`DockerPool`: ``size`` warm containers reused across candidates. Closing a sandbox kills
  everything it started and empties ``/work`` and ``/dev/shm``; the container then serves the next
  caller, so a candidate costs no container start and no ``docker exec``. A container that could not be
  cleaned is removed and replaced. Up to ``size`` callers (threads) hold one each; more wait. When
  ``size`` is at most the number of CPUs, container *i* is pinned to its own CPU, so candidates timed in
  parallel never share a core.

Factories remove their containers on ``close()``, which is also registered with ``atexit`` (never
``__del__``); what a killed job left behind is removed by the next job's factory or by ``mapforge
sandbox cleanup``, never a live job's containers (see ``reaper.py``).
"""

from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path
from typing import Any

from mapforge.sandbox.base import Limits, Sandbox
from mapforge.sandbox.docker import (
    DockerSandbox,
    create_container,
    docker_client,
    remove_container,
    require_image,
)
from mapforge.sandbox.reaper import reap_orphans


class LocalFactory:
    """A fresh local sandbox per call."""

    backend = "local"

    def __init__(self, limits: Limits | None = None, base_dir: Path | None = None, **options: Any) -> None:
        self.limits = limits or Limits()
        self.base_dir = base_dir
        self.options = options
        """Passed to every LocalSandbox (``python=True``, ``expose=...``, ``writable=...``)."""

    def __call__(self, **options: Any) -> Sandbox:
        from mapforge.sandbox.local import LocalSandbox

        return LocalSandbox(base_dir=self.base_dir, limits=self.limits, **{**self.options, **options})

    def close(self) -> None:
        pass


class _DockerFactoryBase:
    backend = "docker"

    def __init__(self, limits: Limits | None, run_id: str, image: str | None, client: Any, gpus: bool) -> None:
        self.limits = limits or Limits()
        self.run_id = run_id
        self.client = client or docker_client()
        self.image = require_image(self.client, image)
        self.gpus = gpus
        reap_orphans(self.client)  # containers a killed job left behind (never a live job's)
        self._lock = threading.Lock()
        self._closed = False
        atexit.register(self.close)

    def _new(self, cpuset: str | None = None) -> Any:
        return create_container(self.client, self.image, self.limits, self.run_id, cpuset=cpuset, gpus=self.gpus)

    def close(self) -> None:
        raise NotImplementedError


class FreshDockerFactory(_DockerFactoryBase):
    """A new container per call; the sandbox's ``close()`` removes it."""

    def __init__(self, limits: Limits | None = None, run_id: str = "adhoc", *, image: str | None = None,
                 client: Any = None, gpus: bool = False, single: bool = False) -> None:
        super().__init__(limits, run_id, image, client, gpus)
        self._live: dict[str, Any] = {}
        self._single = single
        """Close the factory with its first sandbox (``open_sandbox``)."""

    def __call__(self) -> Sandbox:
        if self._closed:
            raise RuntimeError("sandbox factory is closed")
        c = self._new()
        with self._lock:
            self._live[c.id] = c
        return DockerSandbox(c, self.limits, self._done)

    def _done(self, sb: DockerSandbox) -> None:
        if sb.agent is not None:
            sb.agent.close()
        with self._lock:
            self._live.pop(sb.container.id, None)
        remove_container(sb.container)
        if self._single:
            self.close()

    def close(self) -> None:
        with self._lock:
            self._closed, live, self._live = True, list(self._live.values()), {}
        for c in live:
            remove_container(c)
        atexit.unregister(self.close)


class DockerPool(_DockerFactoryBase):
    """``size`` warm containers shared by a job's candidates (see the module docstring)."""

    def __init__(self, limits: Limits | None = None, run_id: str = "adhoc", size: int = 1, *,
                 image: str | None = None, client: Any = None, gpus: bool = False) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one container")
        super().__init__(limits, run_id, image, client, gpus)
        self.size = size
        cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        self._cpus: list[str | None] = [str(c) for c in cpus[:size]] if 0 < size <= len(cpus) else [None] * size
        self._cond = threading.Condition(self._lock)
        self._idle: list[tuple[int, Any, Any]] = []
        """(slot, container, agent) ready for a caller."""
        self._free_slots = list(range(size))
        self._live: dict[int, Any] = {}

    def warm(self) -> None:
        """Start every container now rather than on first use."""
        held = [self() for _ in range(self.size)]
        for sb in held:
            sb.close()

    def __call__(self) -> Sandbox:
        while True:
            slot, container, agent = self._take()
            if container is None or agent is None or agent.alive():
                break
            agent.close()  # the container died while idle (engine restart, OOM of its agent): replace it
            self._drop(slot, container)
        if container is None:
            try:
                container = self._new(self._cpus[slot])
            except BaseException:
                with self._cond:
                    self._free_slots.append(slot)
                    self._cond.notify()
                raise
            with self._cond:
                self._live[slot] = container
        return DockerSandbox(container, self.limits, self._release, agent=agent, slot=slot)

    def _take(self) -> tuple[int, Any, Any]:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("sandbox pool is closed")
                if self._idle:
                    return self._idle.pop()
                if self._free_slots:
                    return self._free_slots.pop(), None, None
                self._cond.wait()

    def _drop(self, slot: int, container: Any) -> None:
        remove_container(container)
        with self._cond:
            self._live.pop(slot, None)
            self._free_slots.append(slot)
            self._cond.notify()

    def _release(self, sb: DockerSandbox) -> None:
        slot = sb.slot
        assert slot is not None
        clean = not self._closed and sb.reset()
        with self._cond:
            if clean and not self._closed:
                self._idle.append((slot, sb.container, sb.agent))
                self._cond.notify()
                return
        if sb.agent is not None:
            sb.agent.close()
        self._drop(slot, sb.container)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            live, self._live, idle, self._idle = list(self._live.values()), {}, self._idle, []
            self._cond.notify_all()
        for _, _, agent in idle:
            if agent is not None:
                agent.close()
        for c in live:
            remove_container(c)
        atexit.unregister(self.close)
