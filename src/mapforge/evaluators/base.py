"""What every evaluator shares: the protocol, the typed baseline its ``prepare()`` returns, the error for a
broken task, and the per-candidate error barrier."""

from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from mapforge.evaluators.verdict import Profile, StageResult, Timing, Verdict


class HarnessError(RuntimeError):
    """The baseline itself failed: the task or the machine is broken, not a candidate."""


@dataclass
class Baseline:
    """What ``prepare()`` measured once per job. Solve tasks have no timing: ``seconds`` and ``aa`` are None."""

    seconds: float | None = None
    """Median time of one reference call on the timing shape."""
    aa: Timing | None = None
    """The reference timed against itself: should be ~1.0 with 1.0 inside the interval."""
    noise_floor: float = 0.0
    """Changes smaller than this fraction are 'no measurable change' in this job."""
    profile: Profile | None = None
    """What the harness measured about the reference's code (the planner's first evidence), where it can."""


class Evaluator(Protocol):
    """Evaluates candidate sources for one task: ``prepare()`` once, then ``evaluate()`` per candidate."""

    def prepare(self) -> Baseline:
        """Build and measure the baseline; raises :class:`HarnessError` when the task is broken."""
        ...

    def evaluate(self, source: str) -> Verdict:
        ...


def harness_error_verdict(error: BaseException, stage: str = "harness") -> Verdict:
    """The verdict for a candidate whose evaluation raised: the job goes on, the record keeps why."""
    reason = f"the harness failed while judging this candidate: {type(error).__name__}: {error}"
    detail = "".join(traceback.format_exception(type(error), error, error.__traceback__))[-4000:]
    res = StageResult(stage=stage, ok=False, status="harness_error", reason=reason, artifacts={"traceback": detail})
    return Verdict(status="harness_error", stage=stage, reason=reason, stages=[res])


def evaluate_guarded(evaluator: Evaluator, source: str) -> Verdict:
    """``evaluator.evaluate(source)`` behind the per-candidate error barrier: any exception becomes that
    candidate's ``harness_error`` verdict (Ctrl-C and exits still propagate)."""
    try:
        return evaluator.evaluate(source)
    except Exception as e:  # noqa: BLE001 - the barrier: one candidate never ends a job
        return harness_error_verdict(e)


@runtime_checkable
class TimesCandidates(Protocol):
    """An evaluator whose timing runs take turns under ``timing_lock``. Whoever runs several evaluators on
    one machine (a cluster worker serving several jobs) gives them one lock, so two timings never overlap."""

    timing_lock: threading.Lock
