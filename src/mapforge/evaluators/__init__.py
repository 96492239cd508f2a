"""Evaluators: the cascade of stages that turns a candidate into a typed :class:`Verdict`."""

from __future__ import annotations

from mapforge.evaluators.base import Baseline, Evaluator, HarnessError, evaluate_guarded
from mapforge.evaluators.verdict import StageResult, Timing, Verdict

__all__ = ["Baseline", "Evaluator", "HarnessError", "StageResult", "Timing", "Verdict", "evaluate_guarded"]
