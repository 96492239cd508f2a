"""profile_candidate in a real local sandbox: gcc's vectorisation report and the disassembly summary."""

from __future__ import annotations

from pathlib import Path

from mapforge.evaluators.profile import callgrind_count, profile_candidate, vectorisation_report
from mapforge.evaluators.verdict import Profile
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
    # vector registers of whatever width -march=native tunes for (gcc 12 on Zen 1 prefers 16-byte xmm)
    assert fast.vectorised and fast.disassembly is not None and sum(fast.disassembly.vector.values()) > 0
    assert fast.roofline_fraction == 0.5 and "vectorised" in fast.describe()
    assert not slow.vectorised and slow.missed and slow.disassembly is not None and slow.disassembly.loops >= 1
    assert "not vectorised" in slow.describe()
    # the report is read for the agents: a vectorised loop is not a plan's target, a missed one may be
    assert "rewriting it with intrinsics" in fast.describe() and "intrinsics" not in slow.describe()
    # each loop is named by its own line of code, as the planner is asked to quote it
    assert fast.vectorised[0].startswith("line 3 (`for (int i = 0; i < n; i++) a[i] = b[i] + 1;`): vectorised")
    assert slow.missed[0].startswith("line 3 (`for (int i = 1; i < n; i++) a[i] = a[i - 1] + b[i];`)")


def test_a_float_reduction_gcc_keeps_in_order_is_not_called_done() -> None:
    """gcc vectorises a float sum's loads but, without -ffast-math, adds in source order (a fold-left
    reduction): the report says so, and the agents are told partial sums are where the time is."""
    spec = load_task(REPO / "tasks" / "tsvc-s000").spec
    total = ("void s000(float *restrict a, const float *restrict b, int n)\n{\n    float s = 0.0f;\n"
             "    for (int i = 0; i < n; i++) s += b[i];\n    a[0] = s;\n}\n")
    factory = make_sandbox_factory("local", Limits(), "profile-test", 0)
    try:
        with factory() as sb:
            prof = profile_candidate(sb, spec, total)  # type: ignore[arg-type]
            scale = profile_candidate(sb, spec, SCALE)  # type: ignore[arg-type]
    finally:
        factory.close()
    assert len(prof.vectorised) == 1 and prof.vectorised[0].startswith("line 4 (`for (int i = 0; i < n; i++) s +=")
    assert prof.loops[0].in_order and "in-order reduction" in prof.vectorised[0]
    assert "independent partial sums" in prof.describe()
    assert "in-order" not in scale.vectorised[0] and "partial sums" not in scale.describe()
    factory = make_sandbox_factory("local", Limits(), "profile-test", 0)
    try:  # the detailed dump cannot be written: the marks are lost, the first build's report is not
        with factory() as sb:
            assert sb.exec(["mkdir", "vect-details.txt"]).ok
            blocked = profile_candidate(sb, spec, total)  # type: ignore[arg-type]
    finally:
        factory.close()
    assert blocked.vectorised == [prof.vectorised[0].split("; in-order")[0]]
    assert not any(n.startswith("profiling stopped") for n in blocked.notes)


def test_a_loop_gcc_versions_for_aliasing_says_so() -> None:
    """Without ``restrict`` gcc vectorises behind a runtime overlap check: that is evidence a plan can use."""
    spec = load_task(REPO / "tasks" / "tsvc-s000").spec
    factory = make_sandbox_factory("local", Limits(), "profile-test", 0)
    try:
        with factory() as sb:
            prof = profile_candidate(sb, spec, SCALE.replace("restrict ", ""))  # type: ignore[arg-type]
            again = profile_candidate(sb, spec, SCALE)  # type: ignore[arg-type]  # same sandbox: a fresh report
    finally:
        factory.close()
    assert len(prof.vectorised) == 1 and "runtime check for possible aliasing" in prof.vectorised[0]
    assert len(again.vectorised) == 1 and "aliasing" not in again.vectorised[0]



def test_a_sandbox_that_cannot_hold_the_report_costs_the_profile_not_the_verdict() -> None:
    """What a candidate leaves behind in its work dir (here a directory where gcc's report goes) must not turn
    into an exception that fails the baseline or the candidate's timing: the profile says what stopped it."""
    spec = load_task(REPO / "tasks" / "tsvc-s000").spec
    factory = make_sandbox_factory("local", Limits(), "profile-test", 0)
    try:
        with factory() as sb:
            assert sb.exec(["mkdir", "vec.txt"]).ok
            prof = profile_candidate(sb, spec, SCALE, min_seconds=1e-3, seconds=2e-3)  # type: ignore[arg-type]
    finally:
        factory.close()
    assert not prof.vectorised and prof.disassembly is None
    assert prof.notes and prof.notes[0].startswith("profiling stopped: ") and "vec.txt" in prof.notes[0]
    assert prof.roofline_fraction == 0.5


GCC_REPORT = """\
k.c:6:6: note: vectorized 1 loops in function.
k.c:8:23: missed: couldn't vectorize loop
k.c:8:23: missed: not vectorized: control flow in loop.
k.c:8:23: optimized:  loop versioned for vectorization because of possible aliasing
k.c:8:23: optimized: loop vectorized using 32 byte vectors
k.c:8:23: optimized: loop vectorized using 16 byte vectors
k.c:12:5: missed: couldn't vectorize loop
k.c:12:30: missed: not vectorized: no vectype for stmt: _5 = *_4;
other.h:3:1: missed: couldn't vectorize loop
"""
KERNEL = "\n".join(["/* k */"] * 7 + ["    for (int i = 0; i < n; i++) {"] + ["x"] * 3 + ["  for (j = 1; j < n; j++) s += a[j-1];"])


def test_the_report_keeps_one_entry_per_loop_with_its_final_outcome() -> None:
    prof = Profile(loops=vectorisation_report(GCC_REPORT, "k.c", KERNEL))
    done, missed = prof.vectorised, prof.missed
    assert [(lp.line, lp.width, lp.in_order) for lp in prof.loops] == [(8, 32, False), (12, None, False)]
    # line 8 was vectorised in the end (its widest vectors: not the epilogue's): its failed first attempt is not
    # reported as missed
    assert done == ["line 8 (`for (int i = 0; i < n; i++) {`): vectorised using 32 byte vectors; versioned: a "
                    "runtime check for possible aliasing"]
    # line 12 gives its specific reason, without gcc's internal statement; other files are not this code's
    assert missed == ["line 12 (`for (j = 1; j < n; j++) s += a[j-1];`): not vectorized: no vectype for stmt"]
    assert Profile(loops=vectorisation_report(GCC_REPORT, "k.c")).missed == [
        "line 12: not vectorized: no vectype for stmt"]


def test_callgrind_summary_is_parsed() -> None:
    assert callgrind_count("events: Ir\nsummary: 123456\n") == 123456 and callgrind_count("") is None


def test_a_call_that_may_set_errno_is_named_on_its_statements_line() -> None:
    """gcc says a libm call "clobbers memory" on the statement's own line (the loop's line gets only "couldn't
    vectorize loop"): the report keeps it, without gcc's internal statement, for the rule that inlines the call."""
    report = ("k.c:4:23: missed: couldn't vectorize loop\n"
              "k.c:5:16: missed: statement clobbers memory: _5 = expf (_4);\n"
              "k.c:2:6: note: vectorized 0 loops in function.\n")
    loops = vectorisation_report(report, "k.c")
    assert [(lp.line, lp.missed) for lp in loops] == [(4, "couldn't vectorize loop"), (5, "statement clobbers memory")]
