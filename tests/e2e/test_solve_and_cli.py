"""End to end: solve tasks, malformed replies, and the task/runs verbs, through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import FIXTURES, code_reply, plans_reply, read_summary, run_cli, write_script

GOOD = (FIXTURES / "solve" / "two-sum-count.c").read_text()
OVERFLOWS = (FIXTURES / "solve" / "two-sum-count-wrong.c").read_text()


def solve(script: Path, run: Path, *extra: str) -> None:
    run_cli("solve", "tasks/two-sum-count", "--model", f"scripted/{script}", "--run-dir", str(run), *extra)


def test_solve_task_solved(tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Hash counts")],
        "coder": [code_reply(GOOD)],
    })
    run = tmp_path / "run"
    solve(script, run, "--max-iters", "3")
    s = read_summary(run)
    assert s["status"] == "solved" and s["stop_reason"] == "solved"
    assert s["best"]["pass_rate"] == 1.0 and s["candidates"] == 1


def test_solve_task_left_unsolved(tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Hash counts with int", "Same again")],
        "coder": [code_reply(OVERFLOWS), code_reply(OVERFLOWS)],
        "debugger": [code_reply(OVERFLOWS), code_reply(OVERFLOWS)],
    })
    run = tmp_path / "run"
    solve(script, run, "--max-iters", "2")
    s = read_summary(run)
    assert s["status"] == "unsolved"
    assert 0 < s["best"]["pass_rate"] < 1.0
    # the debugger was told a hidden test failed, but never saw its contents
    calls = [json.loads(p.read_text()) for p in sorted((run / "calls").glob("*-debugger.json"))]
    assert calls, "the failing candidate should have gone to the debugger"
    prompt = calls[0]["request"]["messages"][-1]["content"]
    assert "hidden test" in prompt
    hidden = (Path("tasks/two-sum-count/hidden_tests.toml")).read_text()
    big_input_line = [ln for ln in hidden.splitlines() if len(ln) > 200][0]
    assert big_input_line[:80] not in prompt


def test_malformed_replies_are_repaired_or_counted(tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", {
        "planner": ["I would optimise it somehow.", plans_reply("Hash counts")],
        "coder": ["Sure! I will write it now.", code_reply(GOOD)],
    })
    run = tmp_path / "run"
    solve(script, run, "--max-iters", "1")
    s = read_summary(run)
    assert s["status"] == "solved"
    per_role = s["usage"]["per_role"]
    assert per_role["planner"]["format_repairs"] == 1 and per_role["planner"]["format_failures"] == 0
    assert per_role["coder"]["format_repairs"] == 1
    # still malformed after the repair: counted as a format failure, the job goes on and ends cleanly
    script2 = write_script(tmp_path / "s2.json", {
        "planner": [plans_reply("A", "B")],
        "coder": ["no code here", "still none", code_reply(GOOD)],
        "debugger": [],
    })
    run2 = tmp_path / "run2"
    solve(script2, run2, "--max-iters", "2")
    s2 = read_summary(run2)
    assert s2["rates"]["format_failures"]["coder"] == 1
    assert s2["status"] == "solved" and s2["candidates"] == 1


def test_token_budget_stops_the_job(tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("A", "B", "C")],
        "coder": [code_reply(OVERFLOWS)] * 3,
        "debugger": [code_reply(OVERFLOWS)] * 6,
    })
    run = tmp_path / "run"
    solve(script, run, "--max-iters", "3", "--max-tokens", "2500")
    s = read_summary(run)
    assert s["stop_reason"].startswith("budget: token budget")
    assert s["status"] == "unsolved"
    spent = s["tokens"]["prompt"] + s["tokens"]["completion"]
    assert 1000 < spent <= 2500  # the budget is a hard cap: the request that would overspend is not sent
    assert s["usage"]["per_role"]["planner"]["requests"] == 1


def test_cost_limit_stops_the_job(tmp_path: Path) -> None:
    priced = {"text": code_reply(OVERFLOWS), "cost": 0.01}
    script = write_script(tmp_path / "s.json", {
        "planner": [{"text": plans_reply("A", "B", "C"), "cost": 0.01}],
        "coder": [priced] * 3,
        "debugger": [priced] * 6,
    })
    run = tmp_path / "run"
    solve(script, run, "--max-iters", "3", "--cost-limit", "0.025")
    s = read_summary(run)
    assert s["stop_reason"].startswith("budget: cost limit")
    assert s["cost_usd"] == pytest.approx(0.03)  # the request that crossed the limit completed; none was sent after it
    assert sum(r["requests"] for r in s["usage"]["per_role"].values()) == 3


def test_task_verbs(tmp_path: Path) -> None:
    out = run_cli("task", "list", "--json").stdout.splitlines()
    rows = [json.loads(line) for line in out]
    kinds = [r["kind"] for r in rows]
    assert kinds.count("optimize") >= 8 and kinds.count("solve") >= 3 and "invalid" not in kinds
    run_cli("task", "new", "myscale", "--dir", str(tmp_path))
    res = run_cli("task", "validate", str(tmp_path / "myscale"), "--json")
    info = json.loads(res.stdout.splitlines()[-1])
    assert info["valid"] and info["baseline_seconds"] > 0 and info["aa_ci"][0] <= info["aa_ci"][1]
    run_cli("task", "new", "myadd", "--kind", "solve", "--dir", str(tmp_path))
    run_cli("task", "validate", str(tmp_path / "myadd"))
    # a malformed spec: one paragraph naming the file and field, exit 2, no traceback
    toml = tmp_path / "myscale" / "task.toml"
    toml.write_text(toml.read_text().replace('function = "scale"', 'functoin = "scale"'))
    bad = run_cli("task", "validate", str(tmp_path / "myscale"), check=False)
    assert bad.returncode == 2
    assert "task.toml" in bad.stderr and "functoin" in bad.stderr and "function" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_runs_verbs_and_user_errors(tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", {"planner": [plans_reply("Hash")], "coder": [code_reply(GOOD)]})
    runs = tmp_path / "runs"
    solve(script, runs / "one", "--max-iters", "1")
    listing = run_cli("runs", "list", "--root", str(runs)).stdout
    assert "two-sum-count" in listing and "solved" in listing
    shown = run_cli("runs", "show", str(runs / "one")).stdout
    assert "c0001" in shown and "solved" in shown
    missing = run_cli("optimize", "tasks/nope", "--model", f"scripted/{script}", check=False)
    assert missing.returncode == 2 and "no such task" in missing.stderr and "Traceback" not in missing.stderr
    wrong_kind = run_cli("optimize", "tasks/two-sum-count", "--model", f"scripted/{script}",
                         "--run-dir", str(tmp_path / "x"), check=False)
    assert wrong_kind.returncode == 2 and "mapforge solve" in wrong_kind.stderr
    bad_model = run_cli("solve", "tasks/two-sum-count", "--model", "gpt4", "--run-dir", str(tmp_path / "y"),
                        check=False)
    assert bad_model.returncode == 2 and "provider/name" in bad_model.stderr
