"""Synthetic run directories, written through RunRecord as a job writes them, for the report tests."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

from mapforge.evaluators.verdict import StageResult, Timing, Verdict
from mapforge.runs.record import RunRecord

REFERENCE = """void add(const float *x, float *y, int n) {
    for (int i = 0; i < n; i++) y[i] = x[i] + 1.0f;
}
"""
FASTER = """void add(const float *restrict x, float *restrict y, int n) {
    int i = 0;
    for (; i + 4 <= n; i += 4) { y[i] = x[i] + 1.0f; y[i+1] = x[i+1] + 1.0f; y[i+2] = x[i+2] + 1.0f; y[i+3] = x[i+3] + 1.0f; }
    for (; i < n; i++) y[i] = x[i] + 1.0f;  /* <tail> & "rest" */
}
"""


def _clock(step: float) -> Callable[[], float]:
    """A stand-in for time.time: events seconds apart, as in a real job."""
    ticks = itertools.count()
    return lambda: 1_700_000_000.0 + step * next(ticks)


def _timed(speedup: float, lo: float, hi: float) -> Verdict:
    t = Timing(speedup=speedup, speedup_ci=(lo, hi), seconds=0.01 / speedup, baseline_seconds=0.01, pairs=40)
    return Verdict(status="correct", stage="timing", reason="ok", timing=t,
                   stages=[StageResult(stage="build", ok=True, seconds=0.4),
                           StageResult(stage="timing", ok=True, seconds=2.5, timing=t)])


def _failed(status: str, stage: str, reason: str) -> Verdict:
    return Verdict(status=status, stage=stage, reason=reason,  # type: ignore[arg-type]
                   stages=[StageResult(stage=stage, ok=False, status=status, reason=reason, seconds=0.3)])


def _calls(rec: RunRecord, roles: list[tuple[str, int, int, float]]) -> dict[str, Any]:
    per_role: dict[str, dict[str, Any]] = {}
    for i, (role, p, c, latency) in enumerate(roles):
        rec.event("model_call", role=role, index=i, model="scripted/x", prompt_tokens=p, completion_tokens=c,
                  cost_usd=None, latency=latency, cached=False, replayed=False)
        u = per_role.setdefault(role, {"requests": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost": 0.0,
                                       "cost_known": False, "format_failures": 0, "format_repairs": 0})
        u["requests"] += 1
        u["prompt_tokens"] += p
        u["completion_tokens"] += c
    return per_role


def write_optimize_run(root: Path, task_dir: Path, *, summary: bool = True) -> Path:
    """A finished optimize run: a compile error repaired by the debugger, a wrong answer, two timed wins."""
    with mock.patch("mapforge.runs.record.time.time", _clock(4.0)):
        return _write_optimize_run(root, task_dir, summary)


def _write_optimize_run(root: Path, task_dir: Path, summary: bool) -> Path:
    task_dir.mkdir(parents=True, exist_ok=True)
    (task_dir / "reference.c").write_text(REFERENCE)
    rec = RunRecord(root)
    rec.open({"model": {"default": "scripted/x"}},
             {"name": "add-one", "kind": "optimize", "root": str(task_dir),
              "spec": {"kind": "optimize", "name": "add-one", "reference": "reference.c", "language": "c"}})
    rec.event("start", task="add-one", kind="optimize", model="scripted/x", roles={}, sandbox="local",
              sandbox_reason="local", run_dir=str(root), max_iters=3)
    baseline = {"seconds": 0.01, "aa_speedup": 1.001, "aa_ci": [0.996, 1.006], "aa_pairs": 40}
    rec.save_baseline(baseline)
    rec.event("baseline", **baseline)
    rec.event("plans", plans=[{"title": "Unroll by 4", "bottleneck": "loop overhead", "approach": "unroll",
                               "confidence": 0.8},
                              {"title": "Restrict pointers", "bottleneck": "aliasing", "approach": "restrict",
                               "confidence": 0.6},
                              {"title": "Hoist the constant", "bottleneck": "redundant work", "approach": "hoist",
                               "confidence": 0.3}])
    per_role = _calls(rec, [("planner", 900, 200, 3.0), ("coder", 1200, 400, 6.5), ("debugger", 1500, 380, 5.0),
                            ("coder", 1100, 350, 6.0)])
    cands = [
        ("c0001", "Unroll by 4", None, 0, 1, FASTER.replace("int n)", "int n"), _failed(
            "compile_error", "build", "error: expected ')' before '{' token")),
        ("c0002", "Unroll by 4", "c0001", 1, 1, FASTER, _timed(1.82, 1.75, 1.90)),
        ("c0003", "Restrict pointers", None, 0, 2, REFERENCE.replace("1.0f", "2.0f"),
         _failed("wrong_answer", "correctness", "y[0] differs at n=1000: got 2 <want> 1")),
        ("c0004", "Hoist the constant", None, 0, 3, REFERENCE, _timed(1.01, 0.99, 1.03)),
    ]
    for cid, plan, parent, round_, it, src, verdict in cands:
        rec.save_candidate(cid, src, ".c", verdict, {"plan": plan, "parent": parent, "round": round_, "iteration": it})
        rec.event("candidate", id=cid, status=verdict.status, plan=plan, parent=parent, round=round_)
    best = cands[1]
    rec.save_best(best[0], best[5], ".c", best[6])
    if summary:
        rec.write_summary({
            "task": "add-one", "kind": "optimize", "status": "improved", "stop_reason": "max_iters",
            "baseline_seconds": 0.01, "aa_self_test": {"speedup": 1.001, "speedup_ci": [0.996, 1.006]},
            "best": {"candidate_id": "c0002", "correct": True, "speedup": 1.82, "speedup_ci": [1.75, 1.90],
                     "seconds": 0.0055, "significant": True, "pass_rate": None,
                     "source_path": str(root / "best" / "source.c")},
            "candidates": 4, "iterations": 3, "tokens": {"prompt": 4700, "completion": 1330},
            "usage": {"prompt": 4700, "completion": 1330, "cost_usd": None, "per_role": per_role},
            "cost_usd": None, "model": "scripted/x", "sandbox": "local", "wall_seconds": 42.0})
    rec.close()
    return root


def write_solve_run(root: Path) -> Path:
    """A finished solve run: a partial pass repaired into a full one."""
    with mock.patch("mapforge.runs.record.time.time", _clock(2.0)):
        return _write_solve_run(root)


def _write_solve_run(root: Path) -> Path:
    rec = RunRecord(root)
    rec.open({"model": {"default": "scripted/x"}},
             {"name": "two-sum", "kind": "solve", "root": str(root / "nowhere"), "spec": {"kind": "solve"}})
    rec.event("start", task="two-sum", kind="solve", model="scripted/x", roles={}, sandbox="local",
              sandbox_reason="local", run_dir=str(root), max_iters=2)
    per_role = _calls(rec, [("planner", 500, 100, 1.0), ("coder", 800, 300, 2.0), ("debugger", 900, 300, 2.2)])
    partial = Verdict(status="wrong_answer", stage="tests", reason="3/5 tests passed", pass_rate=0.6,
                      tests_passed=3, tests_total=5)
    full = Verdict(status="correct", stage="tests", reason="all passed", pass_rate=1.0, tests_passed=5, tests_total=5)
    for cid, parent, round_, verdict in [("c0001", None, 0, partial), ("c0002", "c0001", 1, full)]:
        rec.save_candidate(cid, "int main(void) { return 0; }\n", ".c", verdict,
                           {"plan": "Hash counts", "parent": parent, "round": round_, "iteration": 1})
        rec.event("candidate", id=cid, status=verdict.status)
    rec.save_best("c0002", "int main(void) { return 0; }\n", ".c", full)
    rec.write_summary({
        "task": "two-sum", "kind": "solve", "status": "solved", "stop_reason": "solved", "baseline_seconds": None,
        "aa_self_test": None, "best": {"candidate_id": "c0002", "correct": True, "speedup": None,
                                       "speedup_ci": None, "pass_rate": 1.0},
        "candidates": 2, "iterations": 1, "tokens": {"prompt": 2200, "completion": 700},
        "usage": {"per_role": per_role}, "model": "scripted/x", "sandbox": "local", "wall_seconds": 9.5})
    rec.close()
    return root
