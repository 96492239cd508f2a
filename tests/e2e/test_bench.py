"""End to end: ``mapforge bench`` on a tiny suite with a scripted model, every arm; resuming replays calls."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.helpers import FIXTURES, TASKS, run_cli, write_script

MERGE = (FIXTURES / "function" / "merge-intervals.py").read_text()
BRACKETS = (FIXTURES / "function" / "balanced-brackets.py").read_text()
RIGHT = f"```python\n{MERGE}\n```\n\n```python\n{BRACKETS}\n```\n"  # each task picks the block with its function
WRONG = ("```python\ndef merge_intervals(xs):\n    return xs\n```\n"
         "```python\ndef is_balanced(text):\n    return True\n```\n")
RECALLED = ("### Problem\nMerge overlapping ranges of numbers given as pairs.\n### Solution\nSort, then sweep.\n"
            "```python\ndef merge(r):\n    return r\n```\n### Problem\nMatch parentheses in a string.\n"
            "### Solution\nA stack of open brackets.\n")
PLAN = "1. Sort or scan the input.\n2. Keep a running state.\n3. Return the result."


def suite(tmp_path: Path, *names: str) -> Path:
    root = tmp_path / "suite"
    for n in names:
        shutil.copytree(TASKS / n, root / n)
    return root


def results(run: Path) -> dict[tuple[str, str], dict]:
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    return {(r["task"], r["arm"]): r for r in rows}


def bench(root: Path, script: Path, run: Path, *extra: str, check: bool = True):  # type: ignore[no-untyped-def]
    return run_cli("bench", str(root), "--model", f"scripted/{script}", "--run-dir", str(run), "--sandbox", "local",
                   *extra, check=check)


def test_bench_every_arm(tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", {
        "direct": [RIGHT],
        "cot": ["Step 1: think about it. Step 2: it is easy.\n" + WRONG],
        "retriever": [RECALLED],
        "planner": [PLAN, PLAN],
        "verifier": ["It seems fine.", "Confidence: 60", "The plan is right. Confidence: 90"],  # #1 repaired
        "coder": [WRONG],
        "debugger": [RIGHT],
    })
    run = tmp_path / "run"
    out = bench(suite(tmp_path, "merge-intervals", "balanced-brackets"), script, run)
    s = json.loads((run / "summary.json").read_text())
    arms = s["arms"]
    assert (arms["direct"]["solved"], arms["cot"]["solved"], arms["mapcoder"]["solved"]) == (2, 0, 2)
    assert arms["direct"]["pass_at_1"] == 1.0 and arms["cot"]["pass_at_1"] == 0.0
    assert arms["mapcoder"]["tokens_per_solved"] > arms["direct"]["tokens_per_solved"] > 0
    fmt = arms["mapcoder"]["format"]
    assert fmt["verifier"] == {"asks": 4, "failures": 0, "repairs": 2, "rate": 0.0}
    assert fmt["retriever"]["asks"] == 2 and fmt["planner"]["asks"] == 4 and fmt["debugger"]["asks"] == 2
    assert "| mapcoder | 2 | 2 | 100.0% |" in out.stdout and "| cot | 2 | 0 | 0.0% |" in out.stdout
    assert (run / "table.md").read_text() == out.stdout
    rec = results(run)[("merge-intervals", "mapcoder")]
    assert rec["visible_passed"] and rec["candidates"] == 2 and "confidences: 0.90, 0.60" in rec["notes"]
    assert rec["plan"] == PLAN  # what the memory keeps of a solved task: its problem and plan
    # as in MapCoder, the planner is shown recalled problems as techniques, the coder the problem and plan only
    d = run / "tasks" / "merge-intervals" / "mapcoder" / "calls"

    def ask(role: str) -> str:
        return str(json.loads(next(d.glob(f"*-{role}.json")).read_text())["request"]["messages"][-1]["content"])

    assert "Sort, then sweep." in ask("planner") and "def merge(r)" not in ask("planner")
    assert PLAN in ask("coder") and "Sort, then sweep." not in ask("coder")
    # the two tasks are not alike: the second recalls no memory of the first
    assert "exemplars: recalled, recalled" in results(run)[("balanced-brackets", "mapcoder")]["notes"]
    # the debugger saw the visible failure, never the hidden tests
    calls = sorted((run / "tasks" / "merge-intervals" / "mapcoder" / "calls").glob("*-debugger.json"))
    prompt = json.loads(calls[0].read_text())["request"]["messages"][-1]["content"]
    assert "returned [[1, 3], [2, 6], [8, 10], [15, 18]]" in prompt
    hidden = (TASKS / "merge-intervals" / "check.py").read_text()
    assert "[-5, -1]" in hidden
    for p in run.rglob("*.json"):
        assert "[-5, -1]" not in p.read_text(), p


def mapcoder_capped(tmp_path: Path, cap: int) -> tuple[Path, dict[str, Any]]:
    """The mapcoder arm on merge-intervals under a per-task cap of ``cap`` tokens: the run and its record."""
    script = write_script(tmp_path / "s.json", {
        "retriever": [RECALLED], "planner": [PLAN, PLAN], "verifier": ["Confidence: 50"] * 2,
        "coder": [RIGHT], "debugger": [RIGHT],
    })
    run = tmp_path / "run"
    bench(suite(tmp_path, "merge-intervals"), script, run, "--arm", "mapcoder", "--budget-tokens", str(cap))
    return run, results(run)[("merge-intervals", "mapcoder")]


def test_bench_token_cap_stops_an_arm(tmp_path: Path) -> None:
    run, rec = mapcoder_capped(tmp_path, 300)
    assert rec["stop"].startswith("budget: token budget of 300")
    assert rec["tokens"]["total"] <= 300
    assert rec["status"] == "no_code" and not rec["solved"]
    s = json.loads((run / "summary.json").read_text())
    assert s["arms"]["mapcoder"]["capped"] == 1 and s["budget_tokens"] == 300


def test_mapcoder_keeps_tokens_for_code_when_the_cap_is_tight(tmp_path: Path) -> None:
    """Below recall + plans + scores + code, the arm plans less (or not at all) and still writes code,
    instead of spending its cap on plans (what made it lose to direct prompting at 5000 tokens)."""
    _, rec = mapcoder_capped(tmp_path, 1400)
    assert rec["solved"] and rec["candidates"] == 1
    assert any("tokens kept for code" in n for n in rec["notes"])
    assert "retriever" not in rec["per_role"] and rec["tokens"]["total"] <= 1400


def test_bench_resumes_and_replays_recorded_calls(tmp_path: Path) -> None:
    root = suite(tmp_path, "merge-intervals")
    script = tmp_path / "s.json"
    good = {"retriever": [RECALLED], "planner": [PLAN, PLAN], "verifier": ["Confidence: 80", "Confidence: 70"]}
    write_script(script, {**good, "direct": [RIGHT], "coder": []})  # the coder's request fails: the bench stops mid-task
    run = tmp_path / "run"
    first = bench(root, script, run, "--arm", "direct", "--arm", "mapcoder", check=False)
    assert first.returncode == 1 and "run the same command to resume" in first.stderr
    assert "Traceback" not in first.stderr
    assert "mapcoder" not in (run / "results.jsonl").read_text()  # direct finished, mapcoder did not
    recorded = sorted(p.name for p in (run / "tasks" / "merge-intervals" / "mapcoder" / "calls").iterdir())
    assert recorded == ["0001-retriever.json", "0002-planner.json", "0003-verifier.json", "0004-planner.json",
                        "0005-verifier.json"]
    # Resume with replies that would all be format failures: the recorded ones must be replayed instead.
    write_script(script, {"retriever": ["?"] * 2, "planner": ["?"] * 4, "verifier": ["?"] * 4,
                          "coder": [RIGHT], "direct": []})
    second = bench(root, script, run, "--arm", "direct", "--arm", "mapcoder")
    assert "1 done already" in second.stderr and "5 calls replayed" in second.stderr
    rec = results(run)[("merge-intervals", "mapcoder")]
    assert rec["solved"] and rec["replayed_calls"] == 5 and rec["calls"] == 6
    assert all(u["format_failures"] == 0 for u in rec["per_role"].values())
    # everything is done: a third run makes no call at all (the script has no reply left for direct)
    third = bench(root, script, run, "--arm", "direct", "--arm", "mapcoder")
    assert "2 done already" in third.stderr
    assert len((run / "results.jsonl").read_text().splitlines()) == 2
    # a different bench in the same directory is refused
    other = bench(root, script, run, "--budget-tokens", "999", check=False)
    assert other.returncode == 2 and "budget_tokens" in other.stderr


def test_solve_verb_on_a_function_task(tmp_path: Path) -> None:
    """`mapforge solve` takes function tasks too: the debugger repairs a candidate from visible feedback."""
    plans = [{"title": "Stack", "bottleneck": "correctness", "approach": "a stack of openers", "confidence": 0.9}]
    script = write_script(tmp_path / "s.json", {
        "planner": ["```json\n" + json.dumps(plans) + "\n```"],
        "coder": ["def is_balanced(text):\n    return True\n"],  # bare code, no fence: parsed leniently
        "debugger": [f"```python\n{BRACKETS}\n```"],
    })
    run = tmp_path / "run"
    run_cli("solve", "tasks/balanced-brackets", "--model", f"scripted/{script}", "--run-dir", str(run),
            "--sandbox", "local")
    s = json.loads((run / "summary.json").read_text())
    assert s["status"] == "solved" and s["candidates"] == 2 and s["best"]["pass_rate"] == 1.0
    prompt = json.loads(next((run / "calls").glob("*-debugger.json")).read_text())["request"]["messages"][-1]["content"]
    assert 'is_balanced("([)]") returned True, expected False' in prompt and "5000" not in prompt
