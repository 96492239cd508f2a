"""The local (process) sandbox backend.

Each ``exec`` runs the command

- with an empty environment (``PATH``, ``HOME``, ``TMPDIR``, ``LANG`` only);
- in its own session (so the whole group can be killed) under rlimits: address space, processes, file size,
  CPU time, open files, no core files;
- inside new network, PID, mount, IPC and UTS namespaces (util-linux ``unshare``): no network (only a
  down loopback), no view of host processes, and when the namespace's first process ends the kernel
  kills everything left in it, so a daemonised child cannot outlive the command;
- in a *private root* built in that mount namespace and entered with ``chroot``: read-only binds of
  ``/usr`` (and the ``/bin``, ``/lib*``, ``/sbin`` links), the few ``/etc`` files compilers and Python
  read, ``/dev/{null,zero,full,random,urandom,tty}`` (plus ``/dev/nvidia*`` where present), a fresh
  ``/proc``, read-only ``/sys``, a small tmpfs ``/tmp``, the running Python's own installation when it
  lives outside ``/usr`` (read-only, so ``sys.executable`` works: e.g. torch in ``/opt/...venv`` on the
  GPU host), and the work dir as ``/work``. Everything else
  on the host (home directories, the repository, task folders with hidden tests, run directories,
  other sandboxes, ``/etc/environment``) does not exist for the command. ``expose=`` adds read-only
  paths (e.g. a CUDA toolkit outside ``/usr``);
- as the unprivileged user ``nobody``, with no capabilities and ``no_new_privs``, when mapforge runs as
  root; otherwise in a user namespace as the invoking user, with all capabilities dropped;
- with the work dir on a tmpfs of ``Limits.disk_mb`` when mapforge runs as root (else only the per-file
  size limit bounds the disk).

The strongest mode the host allows is probed once per process (:func:`isolation`); ``info()`` and
``mapforge sandbox doctor`` say which one is in force.
"""

from __future__ import annotations

import glob
import os
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from mapforge.sandbox.base import ExecResult, KillReason, Limits, SandboxInfo
from mapforge.sandbox.output import CappedReader

NOBODY = 65534
_ENV_PATH = "/usr/local/bin:/usr/bin:/bin"
_NS = ("--net", "--pid", "--mount", "--ipc", "--uts", "--fork", "--kill-child", "--propagation", "private")
_ETC = ("alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "passwd", "group", "nsswitch.conf",
        "localtime", "mime.types", "ssl/openssl.cnf")
_DEV = ("null", "zero", "full", "random", "urandom", "tty")
_SIGNAL_CODES = (signal.SIGKILL, signal.SIGSEGV, signal.SIGXCPU, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE,
                 signal.SIGXFSZ, signal.SIGILL)


@dataclass(frozen=True)
class Isolation:
    mode: str
    """``root`` / ``userns`` (private root), ``ns-root`` / ``ns-user`` (namespaces only), or ``none``."""
    note: str

    @property
    def private_root(self) -> bool:
        return self.mode in ("root", "userns")


Writable = Sequence["str | Path | tuple[str | Path, str]"]
"""Host directories a sandbox may write, each shown at its own path or, as ``(host, inside)``, at ``inside``."""


def build_root(fs: Path, work: Path, expose: Sequence[str | Path] = (), *, sysfs: bool = True,
               python: bool = False, writable: Writable = ()) -> str:
    """Create the skeleton of a private root at ``fs`` and return the fstab that fills it."""
    lines: list[str] = []

    def bind(src: str, rel: str, opts: str = "ro,nosuid,nodev", is_dir: bool = True) -> None:
        dst = fs / rel
        if is_dir:
            dst.mkdir(parents=True, exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.touch(exist_ok=True)
        kind = "" if opts.startswith("rbind") else "bind,"
        lines.append(f"{_esc(src)} {_esc(str(dst))} none {kind}{opts} 0 0")

    def tmpfs(rel: str, size_mb: int) -> None:
        (fs / rel).mkdir(parents=True, exist_ok=True)
        lines.append(f"tmpfs {_esc(str(fs / rel))} tmpfs size={size_mb}m,mode=1777,nosuid,nodev 0 0")

    fs.mkdir(parents=True, exist_ok=True)
    # rbind: keep what is mounted below (GPU driver files the NVIDIA runtime binds into /usr/lib, ...);
    # "ro" applies to the top mount, and below it file permissions still hold (the command is not root)
    bind("/usr", "usr", opts="rbind,ro,nosuid,nodev")
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/", name)
        if host.is_symlink():
            (fs / name).symlink_to(os.readlink(host))
        elif host.is_dir():
            bind(str(host), name, opts="rbind,ro,nosuid,nodev")
    for rel in _ETC:
        host = Path("/etc", rel)
        if host.exists():
            bind(str(host), f"etc/{rel}", is_dir=host.is_dir())
    devices = [f"/dev/{n}" for n in _DEV] + sorted(glob.glob("/dev/nvidia*"))
    for dev in devices:
        if os.path.exists(dev) and not os.path.isdir(dev):
            bind(dev, dev.lstrip("/"), opts="nosuid", is_dir=False)  # device nodes: no "nodev"
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        (fs / "dev" / name).symlink_to(target)
    (fs / "proc").mkdir()
    lines.append(f"proc {_esc(str(fs / 'proc'))} proc nosuid,nodev,noexec 0 0")
    if sysfs and Path("/sys").is_dir():  # a user namespace may not bind /sys (it has locked submounts)
        bind("/sys", "sys", opts="ro,nosuid,nodev,noexec")
    tmpfs("tmp", 1024 if python else 64)  # torch and its compilers want room in /tmp and /dev/shm
    tmpfs("dev/shm", 1024 if python else 64)
    bind(str(work), "work", opts="nosuid,nodev")
    for host, inside in python_mounts() if python else ():
        bind(str(host), inside.lstrip("/"), opts="ro,nosuid,nodev,X-mount.mkdir")
    for p in expose:  # after the tmpfs mounts: a path under /tmp lands on top
        host = Path(p).resolve()
        if host.is_relative_to("/work"):
            continue  # it would appear inside the command's own work dir (/work)
        if host.exists():
            if not host.is_dir() and host.is_relative_to("/tmp"):
                raise ValueError(f"expose: {host} is a file under /tmp; expose its directory instead")
            bind(str(host), str(host).lstrip("/"), opts="ro,nosuid,nodev" + (",X-mount.mkdir" if host.is_dir() else ""),
                 is_dir=host.is_dir())
    for src, inside in writable_binds(writable).items():  # caches that outlive one sandbox
        bind(src, inside.lstrip("/"), opts="nosuid,nodev,X-mount.mkdir")
    return "\n".join(lines) + "\n"


def writable_binds(writable: Writable) -> dict[str, str]:
    """Where a private root shows each ``writable`` host directory (a path, or (host, path inside)): existing
    directories only, and neither side under /work (the command's own work dir); others are not shown."""
    out: dict[str, str] = {}
    for w in writable:
        host, inside = (Path(w[0]).resolve(), w[1]) if isinstance(w, tuple) else (Path(w).resolve(), str(w))
        if host.is_dir() and not host.is_relative_to("/work") and not Path(inside).is_relative_to("/work"):
            out[str(host)] = str(Path(inside).resolve())
    return out


def python_prefixes() -> list[Path]:
    """The running interpreter's installation (and its venv) when outside ``/usr``: shown read-only, only to
    sandboxes that ask for it (``python=True``), so ``sys.executable`` and its packages (e.g. torch in a venv
    on a GPU host) work there. Native candidates never see it."""
    out: list[Path] = []
    for p in {Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve(), Path(sys.executable).resolve().parent.parent}:
        if not p.is_relative_to("/usr") and p != Path("/") and p.is_dir() and p not in out:
            out.append(p)
    return sorted(out)


VENV_MOUNT = "/opt/mapforge-python"


def python_mounts() -> list[tuple[Path, str]]:
    """(host path, path in the sandbox) of each of :func:`python_prefixes`. One under ``/work`` (where the
    sandbox keeps its own work dir) is shown at ``/opt/mapforge-python`` instead, never inside ``/work``."""
    return [(p, VENV_MOUNT if p.is_relative_to("/work") else str(p)) for p in python_prefixes()]


def sandbox_python() -> str:
    """The running interpreter as a ``python=True`` sandbox sees it (a venv's python by its venv path)."""
    exe, prefix = Path(sys.executable), Path(sys.prefix)
    if prefix.resolve().is_relative_to("/work") and exe.is_relative_to(prefix):
        return str(Path(VENV_MOUNT) / exe.relative_to(prefix))
    return str(exe)


def _esc(path: str) -> str:
    """fstab escapes whitespace and backslashes as octal."""
    return "".join(f"\\{ord(c):03o}" if c in " \t\n\\" else c for c in path)


def _command(mode: str, fstab: Path | None, fs: Path | None) -> tuple[str, ...]:
    unshare, setpriv = _which("unshare"), _which("setpriv")
    drop_caps = ("--no-new-privs", "--inh-caps=-all", "--bounding-set=-all")
    to_nobody = (f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups")
    if mode in ("root", "userns"):
        assert fstab is not None and fs is not None
        who = " ".join((*to_nobody, *drop_caps) if mode == "root" else drop_caps)
        mount, chroot = _which("mount"), _which("chroot")
        script = (f"{mount} -a -T {shlex.quote(str(fstab))} || exit 125; "
                  f"exec {chroot} {shlex.quote(str(fs))} /usr/bin/env -C /work PWD=/work /usr/bin/setpriv {who} -- \"$@\"")
        user = () if mode == "root" else ("--user", "--map-root-user")
        return (unshare, *user, *_NS, "--", "/bin/sh", "-c", script, "mf")
    if mode == "ns-root":
        return (setpriv, *to_nobody, "--", unshare, "--user", "--net", "--pid", "--fork", "--kill-child",
                "--mount-proc", f"--map-user={NOBODY}", f"--map-group={NOBODY}", "--")
    if mode == "ns-user":
        return (unshare, "--user", "--net", "--pid", "--fork", "--kill-child", "--mount-proc",
                "--map-current-user", "--")
    return ()


def _which(name: str) -> str:
    for d in ("/usr/bin", "/bin", "/usr/sbin", "/sbin"):
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    return shutil.which(name) or name


@cache
def isolation() -> Isolation:
    """The strongest isolation this host allows, probed once per process by running ``true`` under it."""
    root = os.geteuid() == 0
    have = os.access(_which("unshare"), os.X_OK) and os.access(_which("setpriv"), os.X_OK)
    candidates: list[Isolation] = []
    if have:
        chroot = os.access(_which("chroot"), os.X_OK) and os.access(_which("mount"), os.X_OK)
        if root and chroot:
            candidates.append(Isolation("root", "private root (host paths hidden), namespaces (net, pid, mount, "
                                                "ipc, uts), uid nobody, no capabilities, no_new_privs"))
        if not root and chroot:
            candidates.append(Isolation("userns", "private root (host paths hidden), namespaces (user, net, pid, "
                                                  "mount, ipc, uts), no capabilities, no_new_privs"))
        candidates.append(Isolation("ns-root" if root else "ns-user",
                                    "namespaces (user, net, pid, mount)" + (" as nobody" if root else "")
                                    + "; host paths NOT hidden (private root unavailable)"))
    for iso in candidates:
        with tempfile.TemporaryDirectory(prefix="mapforge-probe-") as tmp:
            fstab = fs = None
            if iso.private_root:
                work = Path(tmp, "work")
                work.mkdir()
                fs, fstab = Path(tmp, "fs"), Path(tmp, "fstab")
                fstab.write_text(build_root(fs, work, sysfs=iso.mode == "root"))
            try:
                r = subprocess.run([*_command(iso.mode, fstab, fs), "true"], capture_output=True, timeout=10,
                                   cwd="/", env={"PATH": _ENV_PATH})
            except (OSError, subprocess.TimeoutExpired):
                continue
            if r.returncode == 0:
                return iso
    return Isolation("none", "none: unshare unavailable or namespaces refused; no network isolation, host paths "
                             "visible, daemons may escape")


def _preexec(limits: Limits) -> None:
    mem = limits.memory_mb * 1024 * 1024
    cpu = int(limits.timeout) + 2
    for res, val in (
        *(((resource.RLIMIT_AS, mem),) if limits.address_space else ()),
        (resource.RLIMIT_NPROC, limits.max_procs),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * 1024 * 1024),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, limits.open_files),
    ):
        resource.setrlimit(res, (val, val))


class LocalSandbox:
    """A temporary working directory plus isolated process execution."""

    name = "local"

    def __init__(self, base_dir: Path | None = None, limits: Limits | None = None,
                 expose: Sequence[str | Path] = (), python: bool = False,
                 writable: Writable = ()) -> None:
        self.limits = limits or Limits()
        self._iso = isolation()
        self._base = Path(tempfile.mkdtemp(prefix="mapforge-sbx-", dir=base_dir))
        os.chmod(self._base, 0o711)  # nobody must reach work/ when the root is not private
        self.root = self._base / "work"
        """The work dir on the host (``/work`` for the command when the root is private)."""
        self.root.mkdir()
        self._closed = False
        self._tmpfs = False
        self._as_nobody = os.geteuid() == 0 and self._iso.mode in ("root", "ns-root")
        if os.geteuid() == 0 and self._iso.mode != "none":
            self._tmpfs = subprocess.run(
                ["mount", "-t", "tmpfs", "-o", f"size={self.limits.disk_mb}m,mode=0700,nosuid,nodev", "mapforge-work",
                 str(self.root)], capture_output=True).returncode == 0
        if self._as_nobody:
            os.chown(self.root, NOBODY, NOBODY)
        os.chmod(self.root, 0o700)
        self._fs = self._fstab = None
        if self._iso.private_root:
            self._fs, self._fstab = self._base / "fs", self._base / "fstab"
            self._fstab.write_text(build_root(self._fs, self.root, expose, sysfs=self._iso.mode == "root",
                                               python=python, writable=writable))
        hosts = [str(Path(w[0] if isinstance(w, tuple) else w).resolve()) for w in writable]
        self.mounts: dict[str, str] = writable_binds(writable) if self._iso.private_root else {h: h for h in hosts}
        """Where each ``writable`` host directory appears to commands (its own path without a private root); one
        a private root could not show is missing."""
        self._prefix = _command(self._iso.mode, self._fstab, self._fs)
        self._home = "/work" if self._iso.private_root else str(self.root)
        self.python = sandbox_python() if python and self._iso.private_root else sys.executable
        """The interpreter to run in this sandbox (``python=True``)."""

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
        fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            real = Path(os.path.realpath(p))
            if not real.is_relative_to(self.root.resolve()):
                raise PermissionError(f"{path} resolves outside the sandbox")
            import stat

            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise PermissionError(f"{path} is not a regular file")
            with os.fdopen(fd, "rb", closefd=False) as f:
                data = f.read(max_bytes + 1)
        finally:
            os.close(fd)
        if len(data) > max_bytes:
            raise ValueError(f"{path} is larger than {max_bytes} bytes")
        return data

    # -- processes -----------------------------------------------------------------------------
    def exec(self, cmd: list[str], *, limits: Limits | None = None, stdin: bytes | None = None,
             env: dict[str, str] | None = None) -> ExecResult:
        if self._closed:
            raise RuntimeError("sandbox is closed")
        lim = limits or self.limits
        env = {"PATH": _ENV_PATH, "HOME": self._home, "TMPDIR": self._home, "LANG": "C.UTF-8", **(env or {})}
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
        try:
            while waiter.is_alive():
                waiter.join(timeout=min(0.05, max(0.0, deadline - time.monotonic())))
                if flood.is_set() and waiter.is_alive():
                    killed = "output_limit"
                    _kill_group(proc.pid)
                elif time.monotonic() >= deadline and waiter.is_alive():
                    # a bomb that hit the address-space limit often retries until the clock runs out
                    killed = killed or ("memory" if _near_memory_limit(proc.pid, lim.memory_mb) else "timeout")
                    _kill_group(proc.pid)
                    waiter.join(timeout=5)
        except BaseException:  # Ctrl-C or an error in the harness: the command must not outlive us
            _kill_group(proc.pid)
            waiter.join(timeout=5)
            raise
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
            if self._prefix and code > 128 and code - 128 in _SIGNAL_CODES:
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
        notes = [self._iso.note,
                 f"work dir: tmpfs of {self.limits.disk_mb} MiB" if self._tmpfs
                 else f"work dir on the host's disk (only files over {self.limits.file_size_mb} MiB are refused)"]
        return SandboxInfo(
            backend="local",
            network_isolated=self._iso.mode != "none",
            user="nobody" if self._as_nobody else str(os.geteuid()),
            notes=notes,
        )

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._tmpfs:
            subprocess.run(["umount", "-l", str(self.root)], capture_output=True)
        shutil.rmtree(self._base, ignore_errors=True)

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


def _near_memory_limit(sid: int, memory_mb: int) -> bool:
    """Whether a process of session ``sid`` has reached 90% of the address-space limit (VmPeak)."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[3]) != sid:  # fields after comm: state ppid pgrp session ...
                continue
            with open(f"/proc/{entry}/status") as f:
                peak = next((int(ln.split()[1]) for ln in f if ln.startswith("VmPeak:")), 0)
        except (OSError, IndexError, ValueError):
            continue
        if peak >= 0.9 * memory_mb * 1024:
            return True
    return False


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
