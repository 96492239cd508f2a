"""The live panel: it starts only with the job (so earlier errors print plainly), shows the best with its
interval, the candidate being judged and its stage, tokens against the budget, elapsed time and an ETA, and
closing it always shows the cursor again."""

from __future__ import annotations

import io

from rich.console import Console

from mapforge.runs.display import Progress

START = {"event": "start", "task": "spmv", "kind": "optimize", "model": "scripted/x", "run_dir": "runs/x",
         "sandbox": "local", "max_iters": 4, "max_tokens": 20000, "max_wall_seconds": None}


def panel(p: Progress) -> str:
    out = io.StringIO()
    Console(file=out, width=120).print(p._render())
    return out.getvalue()


def test_panel_shows_best_interval_stage_tokens_and_eta() -> None:
    err = io.StringIO()
    p = Progress(err=err, live=True)
    assert p._live is None  # nothing on screen before the job starts
    for ev in (START, {"event": "iteration", "n": 1, "plan": "unroll", "confidence": 0.8},
               {"event": "model_call", "prompt_tokens": 900, "completion_tokens": 100},
               {"event": "step", "agent": "evaluator", "candidate": "c0001"},
               {"event": "candidate", "id": "c0001", "status": "correct", "reason": "", "speedup": 1.52,
                "speedup_ci": [1.48, 1.57], "parent": None},
               {"event": "best", "id": "c0001", "speedup": 1.52},
               {"event": "step", "agent": "evaluator", "candidate": "c0002"},
               {"event": "stage", "stage": "timing"}):
        p(ev)
    assert p._live is not None
    text = panel(p)
    assert "c0001 1.520x [1.480, 1.570]" in text
    assert "judging c0002: timing" in text
    assert "1,000 of 20,000" in text and "ETA" in text
    p.close()
    assert err.getvalue().endswith("\x1b[?25h") or "\x1b[?25h" in err.getvalue()[-40:]  # cursor shown again
    p.close()  # twice is fine


def test_a_slower_best_says_so() -> None:
    p = Progress(err=io.StringIO(), live=False)
    p(START)
    p({"event": "candidate", "id": "c0001", "status": "correct", "reason": "", "speedup": 0.91,
       "speedup_ci": [0.88, 0.93], "parent": None})
    p({"event": "best", "id": "c0001", "speedup": 0.91})
    assert "slower than the reference" in panel(p)


def test_the_debuggers_retirement_is_shown_with_its_counts() -> None:
    err = io.StringIO()
    p = Progress(err=err, live=False)
    p(START)
    p({"event": "debugger_retired", "reason": "0 of its 2 repairs were correct (3400 tokens), against 1 correct "
       "candidates from the coder (1400 tokens)", "tokens": {"debugger": 3400, "coder": 1400}})
    p.close()
    assert "the debugger sits out the rest of this job: 0 of its 2 repairs were correct" in err.getvalue()


def test_a_round_the_planner_sits_out_is_shown_with_its_counts() -> None:
    err = io.StringIO()
    p = Progress(err=err, live=False)
    p(START)
    p({"event": "planner_sits_out", "reason": "in this job 0 of 3 candidates from plans gained (5050 tokens), "
       "1 of 1 from the free plan (1200 tokens)"})
    p.close()
    assert "the planner sits out this round (free plans instead): in this job 0 of 3" in err.getvalue()
