"""The docker sandbox backend: hardened containers, commands run by an agent inside them.

A container (:func:`create_container`) has no network, a read-only root filesystem, a size-limited
tmpfs work dir ``/work`` (mode 1777), all capabilities dropped, ``no-new-privileges``, memory with swap
equal to it, a pids limit, one CPU (pinned to a core when a pool has one per core), ulimits (core 0,
nofile, fsize) and the labels ``mapforge.run=<run id>``, ``mapforge.sandbox=1`` and ``mapforge.owner`` (the
job's host, pid and start time: see ``reaper.py``). Its main process is a
zombie reaper running as root *without capabilities*; everything else runs as uid 65534.

Commands go through one long-lived ``docker exec`` per container running :mod:`mapforge.sandbox.inside`
(the agent): it writes files, runs the command under per-command rlimits, keeps the head and tail of
its output, kills the command's whole tree (every uid-65534 process in the container) when the command
ends, times out or floods its output, and reports the status. So a command costs a fork inside the
container, not a ``docker exec``, and a pooled candidate costs neither.

If the agent does not answer by the deadline (plus grace) or dies, the host kills every sandbox-user
process with a separate ``docker exec``; if even that fails (a fork bomb at the pids limit) it kills the
container, and the sandbox's owner (the pool) replaces it.
"""

from __future__ import annotations

import json
import signal
import socket
import struct
import time
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from mapforge.errors import UserError
from mapforge.sandbox.base import ExecResult, KillReason, Limits, SandboxInfo
from mapforge.sandbox.image import WORK_DIR, image_exists, image_tag, missing_image_message
from mapforge.sandbox.output import HeadTail
from mapforge.sandbox.reaper import LABEL_OWNER, owner_label

USER = "65534:65534"
LABEL_RUN = "mapforge.run"
LABEL_SANDBOX = "mapforge.sandbox"
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": WORK_DIR, "TMPDIR": WORK_DIR, "LANG": "C.UTF-8"}
#: PID 1 (root, no capabilities): reaps orphans so killed daemons do not linger as zombies under the
#: pids limit, and exits once nothing but itself has run for ``MF_IDLE`` seconds, so the engine removes
#: the container (``auto_remove``) even when the job that made it was killed before it could.
REAPER = """import os, signal, time  # mapforge-reaper
idle = float(os.environ.get("MF_IDLE", "600"))
signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGCHLD])
last = time.monotonic()
while True:
    signal.sigtimedwait([signal.SIGCHLD], min(idle, 30))
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass
    if any(p.isdigit() and p != "1" for p in os.listdir("/proc")):
        last = time.monotonic()
    elif time.monotonic() - last > idle:
        break
"""
IDLE_SECONDS = 600.0
#: Kill every process of the sandbox user in the container's PID namespace but the caller.
KILL_ALL = "i=0; while kill -9 -1 2>/dev/null && [ $i -lt 2000 ]; do i=$((i+1)); done"
_SHELL_SIGNALS = {signal.SIGKILL, signal.SIGSEGV, signal.SIGXCPU, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE,
                  signal.SIGXFSZ, signal.SIGILL}
GRACE = 10.0
"""Seconds past a command's timeout before the host stops waiting for the agent."""


@cache
def agent_source() -> str:
    return Path(__file__).with_name("inside.py").read_text()


def docker_client(timeout: int = 120) -> Any:
    """A docker SDK client for the engine in the environment (``DOCKER_HOST`` or the local socket)."""
    try:
        import docker
    except ImportError:
        raise UserError("the docker sandbox needs the docker SDK: `pip install 'mapforge[docker]'` "
                        "(or `pip install docker`), or use --sandbox local.") from None
    try:
        client = docker.from_env(timeout=timeout)
        client.ping()
    except Exception as e:  # the SDK raises DockerException, requests' errors, or OSError
        from mapforge.sandbox.selection import _engine_problem

        raise UserError(f"no Docker engine answers ({_engine_problem(e)}). Start one with "
                        "`scripts/install-docker.sh` (it says first whether this machine can run one), "
                        "or use --sandbox local.") from None
    return client


def require_image(client: Any, image: str | None) -> str:
    tag = image or image_tag()
    if not image_exists(client, tag):
        raise UserError(missing_image_message(tag))
    return tag


def create_container(client: Any, image: str, limits: Limits, run_id: str, *, cpuset: str | None = None,
                     gpus: bool = False, idle_seconds: float = IDLE_SECONDS) -> Any:
    """Start one hardened, idle sandbox container (see the module docstring). The caller removes it."""
    from docker.types import DeviceRequest, Ulimit

    mem = f"{limits.memory_mb}m"
    fsize = limits.file_size_mb << 20
    host: dict[str, Any] = dict(
        network_mode="none", read_only=True, cap_drop=["ALL"], security_opt=["no-new-privileges"],
        mem_limit=mem, memswap_limit=mem, pids_limit=limits.max_procs,
        tmpfs={WORK_DIR: f"rw,exec,nosuid,nodev,size={limits.disk_mb}m,mode=1777"}, shm_size="16m",
        ulimits=[Ulimit(name="core", soft=0, hard=0), Ulimit(name="nofile", soft=256, hard=256),
                 Ulimit(name="fsize", soft=fsize, hard=fsize)],
        ipc_mode="private",
    )
    if cpuset is not None:
        # A core of its own: a CFS quota on top would only add throttling jitter to timing runs.
        host["cpuset_cpus"] = cpuset
    else:
        host["nano_cpus"] = 1_000_000_000
    if gpus:
        host["device_requests"] = [DeviceRequest(count=-1, capabilities=[["gpu"]])]
    return client.containers.run(
        image, ["python3", "-I", "-c", REAPER], detach=True, auto_remove=True, user="0:0", working_dir=WORK_DIR,
        environment={"MF_IDLE": str(idle_seconds)},
        labels={LABEL_RUN: run_id, LABEL_SANDBOX: "1", LABEL_OWNER: owner_label()}, name=f"mapforge-{run_id[:24]}-{uuid.uuid4().hex[:8]}",
        hostname="sandbox", stop_signal="SIGKILL", **host,
    )


def remove_container(container: Any) -> None:
    import docker.errors

    try:
        container.remove(force=True, v=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as e:
        if "already in progress" not in str(e):
            raise


class AgentLost(Exception):
    """The agent stopped answering or its stream ended."""


class Agent:
    """The host's end of the in-container agent (one ``docker exec`` with stdin attached)."""

    def __init__(self, container: Any, timeout: float = 30.0) -> None:
        self.api = container.client.api
        self.container = container
        eid = self.api.exec_create(container.id, ["python3", "-I", "-c", agent_source()], stdin=True,
                                   user=USER, environment=ENV, workdir=WORK_DIR)["Id"]
        sock = self.api.exec_start(eid, socket=True)
        self.sock: socket.socket = getattr(sock, "_sock", sock)
        self._out = bytearray()
        self._err = HeadTail(4096)
        self._frame: tuple[int, int] | None = None
        self._raw = bytearray()
        try:
            hello, _ = self._receive(time.monotonic() + timeout)
            if not hello.get("ready"):
                raise AgentLost(f"the sandbox agent did not start: {hello}")
        except BaseException:
            self.close()
            raise

    def request(self, head: dict[str, Any], blobs: list[bytes], deadline: float) -> tuple[dict[str, Any], list[bytes]]:
        raw = json.dumps(dict(head, blobs=[len(b) for b in blobs])).encode()
        try:
            self.sock.settimeout(max(deadline - time.monotonic(), 0.01))
            self.sock.sendall(struct.pack(">I", len(raw)) + raw + b"".join(blobs))
        except OSError as e:
            raise AgentLost(f"cannot reach the sandbox agent: {e}") from None
        return self._receive(deadline)

    def _receive(self, deadline: float) -> tuple[dict[str, Any], list[bytes]]:
        (n,) = struct.unpack(">I", self._take(4, deadline))
        head = json.loads(self._take(n, deadline))
        return head, [self._take(size, deadline) for size in head.get("blobs", [])]

    def _take(self, n: int, deadline: float) -> bytes:
        while len(self._out) < n:
            self._fill(deadline)
        data = bytes(self._out[:n])
        del self._out[:n]
        return data

    def _fill(self, deadline: float) -> None:
        """Read from the socket and demultiplex docker's frames (8-byte headers) into stdout/stderr."""
        left = deadline - time.monotonic()
        if left <= 0:
            raise AgentLost("the sandbox agent did not answer in time")
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 18)
        except TimeoutError:
            raise AgentLost("the sandbox agent did not answer in time") from None
        except OSError as e:
            raise AgentLost(f"the sandbox agent's stream failed: {e}") from None
        if not chunk:
            raise AgentLost("the sandbox agent exited" + (f": {self._err.text()[-500:]}" if self._err.total else ""))
        self._raw += chunk
        while True:
            if self._frame is None:
                if len(self._raw) < 8:
                    return
                kind, size = struct.unpack(">BxxxL", self._raw[:8])
                del self._raw[:8]
                self._frame = (kind, size)
            kind, size = self._frame
            take = bytes(self._raw[:size])
            del self._raw[:size]
            (self._err.add(take) if kind == 2 else self._out.extend(take))
            size -= len(take)
            self._frame = (kind, size) if size else None
            if size:
                return

    def alive(self) -> bool:
        try:
            return bool(self.request({"op": "ping"}, [], time.monotonic() + 5)[0].get("ok"))
        except AgentLost:
            return False

    def close(self) -> None:
        for op in (lambda: self.sock.shutdown(socket.SHUT_RDWR), self.sock.close):
            try:
                op()
            except OSError:
                pass


class DockerSandbox:
    """A sandbox in one container. ``on_close`` decides the container's fate (remove, or back to a pool)."""

    name = "docker"

    def __init__(self, container: Any, limits: Limits, on_close: Callable[[DockerSandbox], None],
                 agent: Agent | None = None, slot: int | None = None) -> None:
        self.container = container
        self.slot = slot
        """The pool slot this container fills, if it belongs to a pool."""
        self.limits = limits
        """The limits the container was created with; an exec's own limits may only be lower."""
        self.agent = agent
        self._on_close = on_close
        self._pending: dict[str, bytes] = {}
        self._closed = False
        self.broken = False
        """Set when the container had to be killed: its owner must not reuse it."""

    # -- files ---------------------------------------------------------------------------------
    def write_file(self, path: str, data: bytes | str) -> None:
        """Queued, and sent with the next request (so writing costs no round trip of its own)."""
        self._pending[_rel(path)] = data.encode() if isinstance(data, str) else data

    def read_file(self, path: str, max_bytes: int = 256 * 1024 * 1024) -> bytes:
        try:
            head, blobs = self._call({"op": "read", "path": _rel(path), "max": max_bytes}, [], 60.0)
        except AgentLost as e:
            self._recover()
            raise OSError(f"reading {path} from the sandbox failed: {e}") from None
        err = head.get("error")
        if err == "missing":
            raise FileNotFoundError(f"{path}: no such file in the sandbox")
        if err == "too_large":
            raise ValueError(f"{path} is larger than {max_bytes} bytes")
        if err:
            raise PermissionError(f"{path}: {err} {head.get('message', '')}".strip())
        return blobs[0]

    # -- processes -----------------------------------------------------------------------------
    def exec(self, cmd: list[str], *, limits: Limits | None = None, stdin: bytes | None = None,
             env: dict[str, str] | None = None) -> ExecResult:
        lim = limits or self.limits
        req = {
            "op": "exec", "argv": list(cmd), "env": {**ENV, **(env or {})}, "stdin": stdin is not None,
            "limits": {"timeout": lim.timeout, "cpu": int(lim.timeout) + 2, "fsize": lim.file_size_mb << 20,
                       "vmem": lim.memory_mb << 20 if lim.memory_mb < self.limits.memory_mb else None,
                       "output": lim.output_bytes, "flood": lim.flood_bytes},
        }
        start = time.monotonic()
        try:
            head, blobs = self._call(req, [stdin] if stdin is not None else [], lim.timeout + GRACE)
        except AgentLost as e:
            timed_out = time.monotonic() - start >= lim.timeout
            self._recover()
            return ExecResult(exit_code=None, signal=int(signal.SIGKILL), stdout="",
                              stderr=f"[mapforge: the command's agent was lost: {e}]",
                              duration=time.monotonic() - start, killed="timeout" if timed_out else None)
        return _result(head, blobs, lim, time.monotonic() - start)

    def _call(self, req: dict[str, Any], extra: list[bytes], seconds: float) -> tuple[dict[str, Any], list[bytes]]:
        import docker.errors

        if self._closed:
            raise RuntimeError("sandbox is closed")
        if self.broken:
            raise AgentLost("the sandbox container was killed after a runaway command")
        files, self._pending = self._pending, {}
        try:
            if self.agent is None:
                self.agent = Agent(self.container)
            head, blobs = self.agent.request(dict(req, files=list(files)), [*files.values(), *extra],
                                             time.monotonic() + seconds)
        except docker.errors.APIError as e:  # the container is gone or stopped
            raise AgentLost(f"docker: {str(e)[:300]}") from None
        if head.get("error") == "write":
            raise OSError(f"copying files into the sandbox failed: {head.get('message')}")
        if head.get("error") == "internal":
            raise RuntimeError(f"the sandbox agent failed: {head.get('message')}")
        return head, blobs

    def _recover(self) -> None:
        """After a lost agent: kill whatever it left from outside; the next request starts a new agent."""
        if self.agent is not None:
            self.agent.close()
            self.agent = None
        kill_sandbox_user(self)

    def reset(self) -> bool:
        """Kill everything and empty the work dir, for the next candidate. False if that failed."""
        import docker.errors

        if self.broken:
            return False
        self._pending = {}
        try:
            if self.agent is None:
                self.agent = Agent(self.container)
            head, _ = self.agent.request({"op": "reset", "files": []}, [], time.monotonic() + 30)
            return bool(head.get("ok"))
        except (AgentLost, docker.errors.APIError):
            self._recover()
            return False

    def info(self) -> SandboxInfo:
        return SandboxInfo(backend="docker", network_isolated=True, user="65534 (nobody)",
                           notes=[f"container {self.container.name}; read-only root, tmpfs {WORK_DIR} of "
                                  f"{self.limits.disk_mb} MiB, cap_drop ALL, no-new-privileges, memory "
                                  f"{self.limits.memory_mb} MiB (swap equal), pids {self.limits.max_procs}, 1 CPU"])

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._pending = {}
        self._on_close(self)

    def __enter__(self) -> DockerSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def kill_sandbox_user(sb: DockerSandbox) -> None:
    """Kill every uid-65534 process in the container with a separate exec; kill the container if that fails."""
    import docker.errors

    api = sb.container.client.api
    try:
        eid = api.exec_create(sb.container.id, ["sh", "-c", KILL_ALL], user=USER)["Id"]
        api.exec_start(eid)
        if api.exec_inspect(eid).get("ExitCode") == 0:
            return
    except docker.errors.APIError:
        pass
    sb.broken = True
    try:
        sb.container.kill()
    except docker.errors.APIError:
        pass


def _rel(path: str) -> str:
    if not path or path.startswith("/") or ".." in path.split("/"):
        raise ValueError(f"sandbox paths are relative and stay inside the work dir: {path!r}")
    return path


def _result(head: dict[str, Any], blobs: list[bytes], lim: Limits, duration: float) -> ExecResult:
    totals = head.get("totals", [0, 0])
    out = HeadTail.from_parts(lim.output_bytes, blobs[0], blobs[1], totals[0])
    err = HeadTail.from_parts(lim.output_bytes, blobs[2], blobs[3], totals[1])
    sig: int | None = head.get("signal")
    exit_code: int | None = head.get("exit")
    if exit_code is not None and exit_code > 128 and exit_code - 128 in _SHELL_SIGNALS:
        sig, exit_code = exit_code - 128, None  # a shell reports its child's death by signal as 128+n, as local does
    killed: KillReason | None = head.get("killed")
    if killed is None and head.get("oom"):
        killed = "memory"
    elif killed is None and sig == signal.SIGXCPU:
        killed = "cpu_limit"
    elif killed is None and (sig is not None or exit_code not in (0, None)):
        tail = err.text()[-2000:]
        if "bad_alloc" in tail or "Cannot allocate memory" in tail or "MemoryError" in tail:
            killed = "memory"
    rss = head.get("rss_kb")
    return ExecResult(exit_code=exit_code, signal=sig, stdout=out.text(), stderr=err.text(), duration=duration,
                      killed=killed, stdout_dropped=out.dropped, stderr_dropped=err.dropped,
                      cpu_seconds=head.get("cpu"), max_rss_mb=rss / 1024.0 if rss is not None else None)
