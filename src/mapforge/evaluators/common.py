"""Small pieces every evaluator shares."""

from __future__ import annotations

from collections.abc import Callable

from mapforge.evaluators.verdict import Status
from mapforge.sandbox import ExecResult, Sandbox

NewSandbox = Callable[[], Sandbox]
"""Returns a fresh sandbox per call; the evaluator closes it (``with new_sandbox() as sb``). A job passes its
:class:`mapforge.sandbox.SandboxFactory` (a pool); tests may pass ``lambda: open_sandbox("local")``."""


def exec_failure(r: ExecResult) -> Status:
    if r.killed == "timeout":
        return "timeout"
    if r.killed == "memory":
        return "memory"
    if r.killed == "output_limit":
        return "output_limit"
    return "runtime_error"


def tail(text: str, n: int = 3000) -> str:
    return text if len(text) <= n else "[...]\n" + text[-n:]
