"""The Sandbox protocol: run commands on untrusted code in a fresh working directory.

A backend provides ``exec``, ``write_file`` and ``read_file`` inside its own working directory, and
``close``. Every backend must hold the same guarantees (``tests/integration/test_sandbox_hostile.py`` runs
the same hostile candidates against each):

- an empty environment (only ``PATH``, ``HOME``, ``TMPDIR``, ``LANG`` set by the backend): API keys and
  anything else in the harness's environment stay out;
- a wall-clock timeout that kills the whole process tree, and nothing a command starts (daemons
  included) outlives the command;
- limits on memory, processes, file size, disk (``Limits.disk_mb``) and CPU time;
- output capped with head and tail kept, and the truncation stated;
- no network where the host allows it;
- no view of the host's files: the command sees system directories (read-only) and its work dir, and
  nothing else. There is no list of paths to hide: task folders (hidden tests, reference outputs), run
  directories, the repository and home directories are all absent because only the system directories
  are shown. (docker: the image's own root; local: a private root built in a mount namespace, see
  ``local.py``; its ``expose=`` adds read-only paths, e.g. a toolkit outside ``/usr``.)

What a backend could enforce on this host is in ``info()`` and ``mapforge sandbox doctor``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

KillReason = Literal["timeout", "output_limit", "cpu_limit", "memory"]


@dataclass(frozen=True)
class Limits:
    """Resource limits for one ``exec``."""

    timeout: float = 30.0
    """Wall-clock seconds before the process tree is killed."""
    memory_mb: int = 2048
    """Address space (local) or cgroup memory (docker) per exec."""
    max_procs: int = 64
    """Processes/threads the sandbox user may have at once."""
    file_size_mb: int = 256
    """Largest file a process may write."""
    output_bytes: int = 64 * 1024
    """stdout and stderr each keep this many bytes (half head, half tail)."""
    flood_bytes: int = 64 * 1024 * 1024
    """Past this much output on one stream the process is killed (``output_limit``)."""
    open_files: int = 256
    """Open file descriptors per process (torch's compilers want more than a C kernel)."""
    address_space: bool = True
    """Enforce ``memory_mb`` as an address-space limit (local backend). CUDA processes map far more virtual
    memory than they use: GPU evaluators turn this off and rely on the job's other limits."""
    disk_mb: int = 512
    """Bytes the work dir may hold in all (docker: tmpfs size; local: a size-capped tmpfs when the mount
    namespace allows it, else only ``file_size_mb`` per file). Fixed when the sandbox is created."""


@dataclass(frozen=True)
class ExecResult:
    """What happened to one command. Produced by the harness side, never by the candidate."""

    exit_code: int | None
    """The process's exit status, or None when it died from a signal."""
    signal: int | None
    """The signal that ended it, if any."""
    stdout: str
    stderr: str
    duration: float
    """Wall-clock seconds, measured by the backend."""
    killed: KillReason | None = None
    """Set when the backend ended the process itself (or a limit did)."""
    stdout_dropped: int = 0
    """Bytes of stdout dropped from the middle (0 when all is kept)."""
    stderr_dropped: int = 0
    cpu_seconds: float | None = None
    """User+system CPU time of the process tree, where the backend can tell."""
    max_rss_mb: float | None = None

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and self.killed is None

    def describe(self) -> str:
        """One line for feedback and logs."""
        if self.killed == "timeout":
            return f"killed after exceeding the {self.duration:.1f}s wall-clock limit"
        if self.killed == "output_limit":
            return "killed for flooding its output"
        if self.killed == "cpu_limit":
            return "killed at the CPU-time limit"
        if self.killed == "memory":
            return "ran out of its memory limit"
        if self.signal is not None:
            import signal as _signal

            try:
                name = _signal.Signals(self.signal).name
            except ValueError:
                name = str(self.signal)
            return f"crashed with signal {name}"
        return f"exited with status {self.exit_code}"


@dataclass(frozen=True)
class SandboxInfo:
    """What a backend enforces on this host (for ``sandbox doctor`` and run records)."""

    backend: str
    network_isolated: bool
    user: str
    notes: list[str] = field(default_factory=list)


@runtime_checkable
class Sandbox(Protocol):
    """A fresh working directory where untrusted commands run. Use as a context manager."""

    name: str

    def exec(
        self, cmd: list[str], *, limits: Limits | None = None, stdin: bytes | None = None,
        env: dict[str, str] | None = None,
    ) -> ExecResult:
        """Run ``cmd`` (argv, no shell) in the working directory under ``limits``. ``env`` adds variables
        for this command only (``CUDA_VISIBLE_DEVICES``, build caches); the base environment stays empty."""
        ...

    def write_file(self, path: str, data: bytes | str) -> None:
        """Create ``path`` (relative to the working directory) with ``data``."""
        ...

    def read_file(self, path: str, max_bytes: int = 256 * 1024 * 1024) -> bytes:
        """Read ``path`` (relative to the working directory). Raises FileNotFoundError."""
        ...

    def info(self) -> SandboxInfo:
        ...

    def close(self) -> None:
        """Remove the working directory and anything still running. Idempotent."""
        ...

    def __enter__(self) -> Sandbox: ...

    def __exit__(self, *exc: object) -> None: ...
