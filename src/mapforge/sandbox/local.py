"""The local (process) sandbox backend.

Each ``exec`` runs the command

- with an empty environment and the working directory as ``HOME`` and ``TMPDIR``;
- in its own session (so the whole group can be killed) under rlimits: address space, processes, file size,
  CPU time, no core files;
- when the host allows unprivileged user namespaces (the common case), inside new user, network, PID and
  mount namespaces via util-linux ``unshare``: no network (only a down loopback), no view of host
  processes, and when the namespace's first process ends, the kernel kills everything left in it — a
  daemonised child cannot outlive the candidate;
- as the unprivileged user ``nobody`` when mapforge runs as root (root ignores the process limit).
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from functools import cache
from pathlib import Path

from mapforge.sandbox.base import ExecResult, KillReason, Limits, SandboxInfo
from mapforge.sandbox.output import CappedReader

NOBODY = 65534
_ENV_PATH = "/usr/local/bin:/usr/bin:/bin"


@cache
def isolation_prefix() -> tuple[tuple[str, ...], str]:
    """The argv prefix that isolates a command on this host, and a note on what it gives.

    Probed once per process by running ``true`` under the prefix.
    """
    unshare = shutil.which("unshare")
    setpriv = shutil.which("setpriv")
    ns = ("--user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc")
    candidates: list[tuple[tuple[str, ...], str]] = []
    if unshare and os.geteuid() == 0 and setpriv:
        drop = (setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--")
        maps = (f"--map-user={NOBODY}", f"--map-group={NOBODY}")
        candidates.append(((*drop, unshare, *ns, *maps, "--"), "namespaces (user, net, pid, mount) as nobody"))
    if unshare and os.geteuid() != 0:
        candidates.append(((unshare, *ns, "--map-current-user", "--"), "namespaces (user, net, pid, mount)"))
    for prefix, note in candidates:
        try:
            r = subprocess.run([*prefix, "true"], capture_output=True, timeout=10, cwd="/", env={"PATH": _ENV_PATH})
        except (OSError, subprocess.TimeoutExpired):
            continue
        if r.returncode == 0:
            return prefix, note
    return (), "none: unshare unavailable or user namespaces disabled; no network isolation, daemons may escape"


def _preexec(limits: Limits) -> None:
    mem = limits.memory_mb * 1024 * 1024
    cpu = int(limits.timeout) + 2
    for res, val in (
        (resource.RLIMIT_AS, mem),
        (resource.RLIMIT_NPROC, limits.max_procs),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * 1024 * 1024),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, 256),
    ):
        resource.setrlimit(res, (val, val))


class LocalSandbox:
    """A temporary working directory plus isolated process execution."""

    name = "local"

    def __init__(self, base_dir: Path | None = None, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._prefix, self._note = isolation_prefix()
        self.root = Path(tempfile.mkdtemp(prefix="mapforge-sbx-", dir=base_dir))
        self._as_nobody = os.geteuid() == 0 and bool(self._prefix)
        if self._as_nobody:
            os.chown(self.root, NOBODY, NOBODY)
        os.chmod(self.root, 0o700)
        self._closed = False

    # -- files ---------------------------------------------------------------------------------
    def _path(self, rel: str) -> Path:
        if os.path.isabs(rel) or ".." in Path(rel).parts:
            raise ValueError(f"sandbox paths are relative and stay inside the work dir: {rel!r}")
        return self.root / rel

    def write_file(self, path: str, data: bytes | str) -> None:
        p = self._path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        if self._as_nobody:
            os.chown(p.parent, NOBODY, NOBODY)
        if p.is_symlink():
            p.unlink()
        p.write_bytes(data.encode() if isinstance(data, str) else data)
        if self._as_nobody:
            os.chown(p, NOBODY, NOBODY)

    def read_file(self, path: str, max_bytes: int = 256 * 1024 * 1024) -> bytes:
        p = self._path(path)
        # The candidate may have planted a symlink to a host file: never follow one out of the work dir.
        fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW)
        try:
            real = Path(os.path.realpath(p))
            if not real.is_relative_to(self.root.resolve()):
                raise PermissionError(f"{path} resolves outside the sandbox")
            with os.fdopen(fd, "rb", closefd=False) as f:
                data = f.read(max_bytes + 1)
        finally:
            os.close(fd)
        if len(data) > max_bytes:
            raise ValueError(f"{path} is larger than {max_bytes} bytes")
        return data

    # -- processes -----------------------------------------------------------------------------
    def exec(self, cmd: list[str], *, limits: Limits | None = None, stdin: bytes | None = None) -> ExecResult:
        if self._closed:
            raise RuntimeError("sandbox is closed")
        lim = limits or self.limits
        env = {"PATH": _ENV_PATH, "HOME": str(self.root), "TMPDIR": str(self.root), "LANG": "C.UTF-8"}
        start = time.monotonic()
        proc = subprocess.Popen(
            [*self._prefix, *cmd],
            cwd=self.root,
            env=env,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=lambda: _preexec(lim),  # noqa: PLW1509 - rlimits must be set in the child
        )
        flood = threading.Event()
        readers = [
            CappedReader(proc.stdout, lim.output_bytes, lim.flood_bytes, flood),  # type: ignore[arg-type]
            CappedReader(proc.stderr, lim.output_bytes, lim.flood_bytes, flood),  # type: ignore[arg-type]
        ]
        if stdin is not None:
            threading.Thread(target=_feed, args=(proc, stdin), daemon=True).start()
        waited: dict[str, object] = {}
        waiter = threading.Thread(target=_wait4, args=(proc.pid, waited), daemon=True)
        waiter.start()
        killed: KillReason | None = None
        deadline = start + lim.timeout
        while waiter.is_alive():
            waiter.join(timeout=min(0.05, max(0.0, deadline - time.monotonic())))
            if flood.is_set() and waiter.is_alive():
                killed = "output_limit"
                _kill_group(proc.pid)
            elif time.monotonic() >= deadline and waiter.is_alive():
                killed = killed or "timeout"
                _kill_group(proc.pid)
                waiter.join(timeout=5)
        _kill_group(proc.pid)  # anything left in the group (no-namespace fallback)
        if flood.is_set() and killed is None:
            killed = "output_limit"
        duration = time.monotonic() - start
        for r in readers:
            r.join()
        status = int(waited.get("status", 0))  # type: ignore[call-overload]
        ru = waited.get("rusage")
        proc.returncode = os.waitstatus_to_exitcode(status) if "status" in waited else -9
        exit_code: int | None = None
        sig: int | None = None
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
        elif os.WIFEXITED(status):
            code = os.WEXITSTATUS(status)
            # unshare --kill-child reports a child killed by a signal as 128+signal
            if self._prefix and code > 128 and code - 128 in (signal.SIGKILL, signal.SIGSEGV, signal.SIGXCPU,
                                                             signal.SIGABRT, signal.SIGBUS, signal.SIGFPE,
                                                             signal.SIGXFSZ, signal.SIGILL):
                sig = code - 128
            else:
                exit_code = code
        cpu = max_rss = None
        if isinstance(ru, resource.struct_rusage):
            cpu = ru.ru_utime + ru.ru_stime
            max_rss = ru.ru_maxrss / 1024.0
        if killed is None and sig == signal.SIGXCPU:
            killed = "cpu_limit"
        if killed is None and (sig is not None or exit_code not in (0, None)):
            err_tail = readers[1].text()[-2000:]
            if (max_rss is not None and max_rss >= 0.8 * lim.memory_mb) or "bad_alloc" in err_tail \
                    or "Cannot allocate memory" in err_tail or "MemoryError" in err_tail:
                killed = "memory"
        return ExecResult(
            exit_code=exit_code,
            signal=sig,
            stdout=readers[0].text(),
            stderr=readers[1].text(),
            duration=duration,
            killed=killed,
            stdout_dropped=readers[0].dropped,
            stderr_dropped=readers[1].dropped,
            cpu_seconds=cpu,
            max_rss_mb=max_rss,
        )

    def info(self) -> SandboxInfo:
        return SandboxInfo(
            backend="local",
            network_isolated=bool(self._prefix),
            user="nobody" if self._as_nobody else str(os.geteuid()),
            notes=[self._note],
        )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> LocalSandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _feed(proc: subprocess.Popen[bytes], data: bytes) -> None:
    assert proc.stdin is not None
    try:
        proc.stdin.write(data)
    except (BrokenPipeError, OSError):
        pass
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass


def _wait4(pid: int, out: dict[str, object]) -> None:
    _, status, ru = os.wait4(pid, 0)
    out["status"] = status
    out["rusage"] = ru


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
