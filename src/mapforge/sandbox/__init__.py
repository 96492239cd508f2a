"""Sandboxes: where candidate code is built and run. ``open_sandbox(name)`` picks a backend by name."""

from __future__ import annotations

from pathlib import Path

from mapforge.errors import UserError
from mapforge.sandbox.base import ExecResult, Limits, Sandbox, SandboxInfo

BACKENDS = ("local", "docker")

__all__ = ["BACKENDS", "ExecResult", "Limits", "Sandbox", "SandboxInfo", "open_sandbox"]


def open_sandbox(backend: str, *, base_dir: Path | None = None, limits: Limits | None = None) -> Sandbox:
    """A fresh sandbox of ``backend``; the caller closes it (``with open_sandbox(...) as sb``)."""
    if backend == "local":
        from mapforge.sandbox.local import LocalSandbox

        return LocalSandbox(base_dir=base_dir, limits=limits)
    if backend == "docker":
        raise UserError("the docker sandbox backend is not available in this version; use --sandbox local")
    import difflib

    close = difflib.get_close_matches(backend, BACKENDS, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UserError(f"unknown sandbox backend {backend!r}; valid: {', '.join(BACKENDS)}.{hint}")
