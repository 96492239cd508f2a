"""profile_candidate in a real local sandbox: gcc's vectorisation report and the disassembly summary."""

from __future__ import annotations

from pathlib import Path

from mapforge.evaluators.profile import callgrind_count, profile_candidate
from mapforge.sandbox import Limits, make_sandbox_factory
from mapforge.tasks.loader import load_task

REPO = Path(__file__).resolve().parents[2]

SCALE = """void s000(float *restrict a, const float *restrict b, int n)
{
    for (int i = 0; i < n; i++) a[i] = b[i] + 1;
}
"""
RECURRENCE = """void s000(float *restrict a, const float *restrict b, int n)
{
    for (int i = 1; i < n; i++) a[i] = a[i - 1] + b[i];
}
"""


def test_profile_reports_vectorised_and_missed_loops() -> None:
    spec = load_task(REPO / "tasks" / "tsvc-s000").spec
    factory = make_sandbox_factory("local", Limits(), "profile-test", 0)
    try:
        with factory() as sb:
            fast = profile_candidate(sb, spec, SCALE, min_seconds=1e-3, seconds=2e-3)  # type: ignore[arg-type]
        with factory() as sb:
            slow = profile_candidate(sb, spec, RECURRENCE)  # type: ignore[arg-type]
    finally:
        factory.close()
    assert fast.vectorised and fast.disassembly is not None and fast.disassembly.vector.get("ymm", 0) > 0
    assert fast.roofline_fraction == 0.5 and "vectorised" in fast.describe()
    assert not slow.vectorised and slow.missed and slow.disassembly is not None and slow.disassembly.loops >= 1
    assert "not vectorised" in slow.describe()


def test_callgrind_summary_is_parsed() -> None:
    assert callgrind_count("events: Ir\nsummary: 123456\n") == 123456 and callgrind_count("") is None
