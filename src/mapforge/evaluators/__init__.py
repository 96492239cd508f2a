"""Evaluators: the cascade of stages that turns a candidate into a typed :class:`Verdict`."""

from __future__ import annotations

from typing import Protocol

from mapforge.evaluators.verdict import StageResult, Timing, Verdict

__all__ = ["Evaluator", "StageResult", "Timing", "Verdict"]


class Evaluator(Protocol):
    """Evaluates candidate sources for one task."""

    def prepare(self) -> object:
        """Build and measure the baseline once per job; raises HarnessError when the task is broken."""
        ...

    def evaluate(self, source: str) -> Verdict:
        ...
