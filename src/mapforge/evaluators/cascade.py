"""Run evaluator stages in order, stopping at the first failure, and fold them into one Verdict."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from mapforge.evaluators.verdict import StageResult, Verdict

#: A stage is any callable returning a StageResult; the cascade decides how it is called.
Stage = Callable[..., StageResult]


def run_cascade(stages: Sequence[Stage], call: Callable[[Stage], StageResult],
                on_stage: Callable[[str], None] | None = None) -> Verdict:
    """``on_stage`` hears each stage's name as it starts (``_build`` -> ``build``), for a progress display."""
    results: list[StageResult] = []
    for stage in stages:
        if on_stage is not None:
            on_stage(getattr(stage, "__name__", "stage").strip("_").removesuffix("_stage"))
        t0 = time.monotonic()
        res = call(stage)
        res = res.model_copy(update={"seconds": time.monotonic() - t0})
        results.append(res)
        if not res.ok:
            break
    last = results[-1]
    timing = next((r.timing for r in reversed(results) if r.timing is not None), None)
    profile = next((r.profile for r in reversed(results) if r.profile is not None), None)
    counted = next((r for r in reversed(results) if r.tests_total is not None), None)
    fields: dict[str, Any] = {}
    if counted is not None:
        fields = {
            "tests_passed": counted.tests_passed,
            "tests_total": counted.tests_total,
            "pass_rate": (counted.tests_passed or 0) / max(counted.tests_total or 1, 1),
        }
    return Verdict(
        status="correct" if last.ok else (last.status or "harness_error"),
        stage=last.stage,
        reason=last.reason,
        feedback=last.feedback,
        stages=results,
        timing=timing if last.ok else None,
        profile=profile,
        **fields,
    )
