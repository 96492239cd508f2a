"""OptimizeEvaluator end to end on the real local sandbox with the bundled matmul task.

Each candidate targets one stage of the cascade (static -> build -> correctness -> timing) and one verdict.
Timing budgets are small so the whole file stays well under a minute on two cores.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mapforge.config import Config, TimingConfig
from mapforge.evaluators.base import HarnessError
from mapforge.evaluators.optimize import OptimizeEvaluator
from mapforge.evaluators.verdict import Timing, Verdict
from mapforge.sandbox import open_sandbox
from mapforge.tasks.loader import load_task
from mapforge.tasks.spec import Limits, Shapes

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("gcc", "nm", "readelf", "objcopy")), reason="needs gcc and binutils"
)

REPO = Path(__file__).resolve().parents[2]
MATMUL = REPO / "tasks" / "matmul"
FAST = REPO / "tests" / "fixtures" / "fast" / "matmul.c"
TIMING = TimingConfig(min_pairs=6, max_pairs=30, max_seconds=3)


def new_sandbox():  # type: ignore[no-untyped-def]
    return open_sandbox("local")


def naive(before: str = "", after: str = "", inner: str = "C[i * n + j] = acc;") -> str:
    """The reference's loop with code spliced in: ``before``/``after`` the loops, ``inner`` stores."""
    return f"""#include <stddef.h>
void matmul(const float *A, const float *B, float *C, int n) {{
    {before}
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {{
            float acc = 0.0f;
            for (int k = 0; k < n; k++)
                acc += A[i * n + k] * B[k * n + j];
            {inner}
        }}
    {after}
}}
"""


@pytest.fixture(scope="module")
def evaluator() -> OptimizeEvaluator:
    ev = OptimizeEvaluator(load_task(MATMUL), new_sandbox, TIMING, Config().sandbox)
    ev.prepare()
    return ev


def stage_names(v: Verdict) -> list[str]:
    return [s.stage for s in v.stages]


# -- baseline -------------------------------------------------------------------------------------------------
def test_baseline_recorded(evaluator: OptimizeEvaluator) -> None:
    b = evaluator.baseline
    assert b is not None
    assert len(b.outputs) == len(evaluator.cases) == (2 + 2) * 2  # (visible + hidden shapes) x seeds
    assert b.outputs[0][0].shape == (64 * 64,)
    assert b.seconds > 0 and b.driver_o and b.ref_o
    assert b.aa.pairs >= TIMING.min_pairs
    assert 0.8 < b.aa.speedup < 1.25, b.aa.describe()


# -- correct candidates --------------------------------------------------------------------------------------
def test_fast_fixture_is_correct_and_improved(evaluator: OptimizeEvaluator) -> None:
    v = evaluator.evaluate(FAST.read_text())
    assert v.status == "correct", v.summary_line() + "\n" + v.feedback
    assert stage_names(v) == ["static", "build", "correctness", "timing"]
    assert v.timing is not None and v.timing.pairs >= TIMING.min_pairs
    assert v.timing.speedup_ci[0] > 1.0, v.timing.describe()
    assert v.improved
    assert v.timing.seconds < v.timing.baseline_seconds


def test_reference_as_candidate_is_no_change(evaluator: OptimizeEvaluator) -> None:
    v = evaluator.evaluate(evaluator.task.reference_source or "")
    assert v.status == "correct", v.summary_line()
    assert v.timing is not None
    assert 0.8 < v.timing.speedup < 1.25, v.timing.describe()
    lo, hi = v.timing.speedup_ci
    assert lo <= v.timing.speedup <= hi


def _disturb_reference(ev: OptimizeEvaluator, monkeypatch: pytest.MonkeyPatch, runs: int) -> list[int]:
    """Make the first ``runs`` real timing runs look as if the reference ran 3x slower beside the candidate
    than alone (the checker's own reference times divided by 3), as a loaded machine can do to one run."""
    real, calls = ev._time, [0]

    def disturbed(sb, est_pair):  # type: ignore[no-untyped-def]
        got, check = real(sb, est_pair)
        calls[0] += 1
        return got, ([t / 3 for t in check] if calls[0] <= runs else check)

    monkeypatch.setattr(ev, "_time", disturbed)
    return calls


def test_one_disturbed_timing_run_is_timed_again_not_called_a_cheat(
        evaluator: OptimizeEvaluator, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _disturb_reference(evaluator, monkeypatch, runs=1)
    v = evaluator.evaluate(evaluator.task.reference_source or "")
    assert v.status == "correct", v.summary_line()
    assert calls[0] == 2


def test_a_reference_slowed_in_every_timing_run_is_a_suspected_cheat(
        evaluator: OptimizeEvaluator, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _disturb_reference(evaluator, monkeypatch, runs=2)
    v = evaluator.evaluate(evaluator.task.reference_source or "")
    assert (v.status, v.stage) == ("cheat_suspected", "timing"), v.summary_line()
    assert "in each of 2 timing runs" in v.summary_line() and calls[0] == 2


# -- wrong answers --------------------------------------------------------------------------------------------
def test_one_wrong_element_reported_with_index(evaluator: OptimizeEvaluator) -> None:
    v = evaluator.evaluate(naive(after="C[5] += 1.0f;"))
    assert (v.status, v.stage) == ("wrong_answer", "correctness")
    assert "n=64" in v.reason and "differs at 1 of 4096" in v.reason
    assert "C[5]" in v.feedback and "expected" in v.feedback


def test_wrong_only_on_hidden_case_hides_values(evaluator: OptimizeEvaluator) -> None:
    v = evaluator.evaluate(naive(after="if (n == 33) C[7] = 1234.5f;"))
    assert v.status == "wrong_answer"
    assert "hidden case" in v.reason and "33" not in v.reason
    for leak in ("C[", "1234.5", "expected"):
        assert leak not in v.feedback and leak not in v.reason


def test_unwritten_output_element(evaluator: OptimizeEvaluator) -> None:
    v = evaluator.evaluate(naive(inner="if (i * n + j != n * n - 1) C[i * n + j] = acc;"))
    assert v.status == "wrong_answer"
    assert "NaN or Inf" in v.feedback and "C[4095]" in v.feedback


def test_wrong_on_second_call_in_process(evaluator: OptimizeEvaluator) -> None:
    v = evaluator.evaluate(naive(before="static int calls; calls++;", after="if (calls == 2) C[0] = 99.0f;"))
    assert v.status == "wrong_answer" and "second time" in v.reason


# -- cheating ---------------------------------------------------------------------------------------------------
def test_modifying_const_input_is_cheat(evaluator: OptimizeEvaluator) -> None:
    v = evaluator.evaluate(naive(after="((float *)A)[0] = 0.0f;"))
    assert (v.status, v.stage) == ("cheat_suspected", "correctness")
    assert "const input" in v.reason


def test_behaving_differently_when_timed_is_cheat(evaluator: OptimizeEvaluator) -> None:
    # correct for the first 3 calls of a process (correctness runs make 2), then skips the work
    v = evaluator.evaluate(naive(before="static int calls; if (++calls > 3) return;"))
    assert (v.status, v.stage) == ("cheat_suspected", "timing"), v.summary_line()
    assert [s.ok for s in v.stages] == [True, True, True, False]
    assert "differed from the reference" in v.reason
    assert v.timing is None and not v.improved


# -- static and symbol rejections ------------------------------------------------------------------------------
def test_calling_clock_is_rejected(evaluator: OptimizeEvaluator) -> None:
    v = evaluator.evaluate("#include <time.h>\n" + naive(before="volatile clock_t t0 = clock(); (void)t0;"))
    assert (v.status, v.stage) == ("rejected", "build")
    assert "clock" in v.reason


def test_flooding_stdout_is_rejected(evaluator: OptimizeEvaluator) -> None:
    flood = 'for (int r = 0; r < 4 * 1024 * 1024; r++) fputs("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\n", stdout);'
    v = evaluator.evaluate("#include <stdio.h>\n" + naive(before=flood))
    assert v.status == "rejected" and v.stage == "build"
    assert "stdout" in v.reason  # the FILE* itself is an outside symbol (gcc turns fputs into fwrite)


def test_inline_asm_is_rejected_statically(evaluator: OptimizeEvaluator) -> None:
    v = evaluator.evaluate(naive(before='__asm__ volatile("" ::: "memory");'))
    assert (v.status, v.stage) == ("rejected", "static")
    assert stage_names(v) == ["static"]


def test_global_helper_is_rejected(evaluator: OptimizeEvaluator) -> None:
    v = evaluator.evaluate("int scratch[16];\n" + naive(before="scratch[0] = n;"))
    assert (v.status, v.stage) == ("rejected", "build") and "scratch" in v.reason


# -- failures of the candidate itself ---------------------------------------------------------------------------
def test_compile_error(evaluator: OptimizeEvaluator) -> None:
    v = evaluator.evaluate(naive(before="this is not C;"))
    assert (v.status, v.stage) == ("compile_error", "build")
    assert "error" in v.feedback


def test_crash_is_runtime_error(evaluator: OptimizeEvaluator) -> None:
    v = evaluator.evaluate(naive(before="volatile float *volatile p = NULL; if (n == 64) *p = 1.0f;"))
    assert (v.status, v.stage) == ("runtime_error", "correctness")
    assert "n=64" in v.reason


def test_infinite_loop_times_out() -> None:
    task = load_task(MATMUL)
    spec = task.spec.model_copy(update={
        "limits": Limits(timeout_seconds=2.0),
        "shapes": Shapes(visible=[{"n": 16}], hidden=[], timing={"n": 32}, seeds=1),
    })
    ev = OptimizeEvaluator(task.model_copy(update={"spec": spec}), new_sandbox,
                           TimingConfig(min_pairs=6, max_pairs=6, max_seconds=1), Config().sandbox)
    ev.prepare()
    v = ev.evaluate(naive(before="volatile int spin = 1; while (spin) { }"))
    assert (v.status, v.stage) == ("timeout", "correctness"), v.summary_line()
    assert v.stages[-1].seconds < 10


# -- head to head ---------------------------------------------------------------------------------------------
def test_head_to_head_orders_two_candidates(evaluator: OptimizeEvaluator) -> None:
    """Two correct candidates timed against each other in one runner: the faster one wins either way round."""
    fast, slow = FAST.read_text(), naive()
    up = evaluator.head_to_head(slow, fast)
    down = evaluator.head_to_head(fast, slow)
    assert isinstance(up, Timing) and isinstance(down, Timing), (up, down)
    assert up.speedup_ci[0] > 1.0 and up.significant, up.describe()
    assert down.speedup_ci[1] < 1.0 and down.significant, down.describe()


def test_head_to_head_still_checks_the_challenger(evaluator: OptimizeEvaluator) -> None:
    wrong = naive(inner="C[i * n + j] = acc + (i == 3 ? 1.0f : 0.0f);")
    got = evaluator.head_to_head(FAST.read_text(), wrong)
    assert not isinstance(got, Timing) and got.status == "cheat_suspected" and "differed" in got.reason


def test_timed_evaluators_share_a_lock_they_are_given() -> None:
    """A cluster worker hands every job's evaluator one lock (TimesCandidates); solve evaluators time nothing."""
    import threading

    from mapforge.config import load_config
    from mapforge.evaluators.base import TimesCandidates
    from mapforge.runs.job import make_evaluator
    from mapforge.sandbox.pool import LocalFactory
    from mapforge.tasks.loader import load_task
    from tests.helpers import REPO

    config = load_config(None, {})
    timed = make_evaluator(load_task(REPO / "tasks" / "matmul"), config, LocalFactory())
    untimed = make_evaluator(load_task(REPO / "tasks" / "two-sum-count"), config, LocalFactory())
    assert isinstance(timed, TimesCandidates) and not isinstance(untimed, TimesCandidates)
    shared = threading.Lock()
    timed.timing_lock = shared
    with shared:  # held by another job's timing: this evaluator's timing would wait for it
        assert not timed.timing_lock.acquire(blocking=False)


def test_a_reference_that_writes_past_its_output_fails_the_baseline_by_name(tmp_path: Path) -> None:
    """The slack after every buffer is checked after each call, the reference's too: a task whose reference
    writes one element past ``out`` cannot be measured, and the error says which buffer."""
    task = tmp_path / "reduction"
    shutil.copytree(REPO / "tasks" / "reduction", task)
    ref = (task / "reference.c").read_text().replace("out[1] = q;", "out[1] = q;\n    out[2] = 0.0;")
    (task / "reference.c").write_text(ref)
    ev = OptimizeEvaluator(load_task(task), new_sandbox, TIMING, Config().sandbox)
    with pytest.raises(HarnessError, match=r"the reference is not memory-safe: it wrote past the end of `out` "
                                           r"\(byte 0 after its last element\)"):
        ev.prepare()
