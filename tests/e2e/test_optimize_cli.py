"""End to end through the CLI: scripted model, real local sandbox, real compilers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from tests.helpers import (
    FAST_TIMING_ENV,
    FIXTURES,
    NO_ANALYST_ENV,
    REPO,
    code_reply,
    copy_task,
    plans_reply,
    read_events,
    read_summary,
    run_cli,
    write_script,
)

FAST = (FIXTURES / "fast" / "matmul.c").read_text()
ANALYST = {"MAPFORGE_AGENTS__ANALYST": "true"}
WRONG = """
void matmul(const float *A, const float *B, float *C, int n) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            float acc = 0.0f;
            for (int k = 0; k < n; k++) acc += A[i * n + k] * B[k * n + j];
            C[i * n + j] = (i == n - 1 && j == n - 1) ? acc + 1.0f : acc;  /* one wrong element */
        }
}
"""
# Fast (i-k-j order) but wrong: skips the last row. It would "win" if correctness were not checked.
FAST_WRONG = """
#include <string.h>
void matmul(const float *A, const float *B, float *C, int n) {
    memset(C, 0, sizeof(float) * (size_t)n * (size_t)n);
    for (int i = 0; i < n - 1; i++)
        for (int k = 0; k < n; k++) {
            float a = A[i * n + k];
            for (int j = 0; j < n; j++) C[i * n + j] += a * B[k * n + j];
        }
}
"""
HANG = """
void matmul(const float *A, const float *B, float *C, int n) {
    volatile int spin = 1;
    while (spin) { }
    (void)A; (void)B; (void)C; (void)n;
}
"""


def optimize(task: Path | str, script: Path, run_dir: Path, *extra: str, **kw: object) -> subprocess.CompletedProcess[str]:
    return run_cli("optimize", str(task), "--model", f"scripted/{script}", "--run-dir", str(run_dir), *extra, **kw)  # type: ignore[arg-type]


def candidates(run_dir: Path) -> dict[str, dict[str, object]]:
    out = {}
    for d in sorted((run_dir / "candidates").iterdir()):
        out[d.name] = json.loads((d / "verdict.json").read_text())
    return out


def test_job_improves_a_task(tmp_path: Path, backend: str) -> None:
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Register blocking")],
        "coder": [code_reply(FAST)],
    })
    run = tmp_path / "run"
    proc = optimize("tasks/matmul", script, run, "--max-iters", "1", "--json", "--sandbox", backend)
    s = read_summary(run)
    assert s["status"] == "improved" and s["sandbox"] == backend
    best = s["best"]
    assert isinstance(best, dict) and best["correct"] is True
    lo, hi = best["speedup_ci"]
    assert lo > 1.0 and best["speedup"] > 1.0, best
    assert Path(best["source_path"]).read_text().strip() == FAST.strip()
    for key in ("schema_version", "task", "baseline_seconds", "candidates", "tokens", "wall_seconds"):
        assert key in s
    assert s["tokens"]["prompt"] > 0 and s["tokens"]["completion"] > 0
    # --json: every stdout line is one JSON event, and they match events.jsonl (but for the transient
    # "stage" events, which say which stage a candidate is in and are not recorded)
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [e["event"] for e in lines if e["event"] != "stage"] == [e["event"] for e in read_events(run)]
    assert any(e["event"] == "stage" for e in lines)
    assert {"start", "baseline", "candidate", "best", "end"} <= {e["event"] for e in lines}
    # every model call is recorded with its messages and reply
    calls = sorted((run / "calls").glob("*.json"))
    assert [c.name.split("-", 1)[1] for c in calls] == ["planner.json", "coder.json"]
    rec = json.loads(calls[1].read_text())
    assert rec["request"]["messages"][-1]["content"] and rec["completion"]["text"].startswith("Here is the code")
    # the planner chooses among the retrieved techniques; the coder of one plan sees that plan's best card only
    prompts = [json.loads(c.read_text())["request"]["messages"][-1]["content"] for c in calls]
    assert prompts[0].count("\n### ") >= 2 and prompts[1].count("\n### ") == 1
    # the planner's evidence before any win: gcc's report on the reference's own loops, quoting their lines
    evidence = json.loads((run / "baseline.json").read_text())["evidence"]
    assert "Compiler vectorisation report" in evidence and "(`for (" in evidence, evidence
    assert f"What the harness measured about the reference:\n{evidence}" in prompts[0]
    # token accounting: the totals are the sums over the recorded requests
    recs = [json.loads(c.read_text())["completion"] for c in calls]
    assert s["tokens"]["prompt"] == sum(r["prompt_tokens"] for r in recs)
    assert s["tokens"]["completion"] == sum(r["completion_tokens"] for r in recs)
    per_role = s["usage"]["per_role"]
    assert sum(r["prompt_tokens"] + r["completion_tokens"] for r in per_role.values()) == sum(s["tokens"].values())
    assert (run / "config.json").exists() and (run / "report.md").exists()


def test_compile_error_is_repaired_by_the_debugger(tmp_path: Path) -> None:
    broken = FAST.replace("void matmul(", "void matmul(int oops ", 1)
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Register blocking")],
        "coder": [code_reply(broken)],
        "debugger": [code_reply(FAST)],
    })
    run = tmp_path / "run"
    optimize("tasks/matmul", script, run, "--max-iters", "1")
    cands = candidates(run)
    assert cands["c0001"]["verdict"]["status"] == "compile_error"
    assert "error" in (run / "candidates" / "c0001" / "build.log").read_text()
    assert cands["c0002"]["parent"] == "c0001" and cands["c0002"]["round"] == 1
    assert cands["c0002"]["verdict"]["status"] == "correct"
    # the debugger saw the compiler's message
    debugger_call = json.loads(next((run / "calls").glob("*-debugger.json")).read_text())
    assert "error" in debugger_call["request"]["messages"][-1]["content"]
    s = read_summary(run)
    assert s["status"] == "improved" and s["best"]["candidate_id"] == "c0002"


def test_wrong_answers_never_become_best(tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Skip the last row", "Off by one")],
        "coder": [code_reply(FAST_WRONG), code_reply(WRONG)],
        "debugger": [code_reply(FAST_WRONG.replace("n - 1;", "n - 2;")), code_reply(WRONG.replace("1.0f", "2.0f"))],
    })
    run = tmp_path / "run"
    optimize("tasks/matmul", script, run, "--max-iters", "2", env={"MAPFORGE_AGENTS__DEBUG_ROUNDS": "1"})
    cands = candidates(run)
    assert len(cands) == 4
    assert all(c["verdict"]["status"] == "wrong_answer" for c in cands.values())
    assert "differs at" in cands["c0003"]["verdict"]["reason"]
    s = read_summary(run)
    assert s["status"] == "no_improvement" and s["best"] is None
    assert not (run / "best" / "source.c").exists()


def test_repeated_code_is_never_evaluated_twice(tmp_path: Path) -> None:
    """A repair that returns code already judged is retried once at a higher temperature (when
    ``agents.retry_repeated_repair`` asks for it), then abandoned;
    a coder returning the reference itself is not evaluated either, nor one that returns the reference's
    function unchanged with unused code added around it (the 1.5B model's way of "applying" a plan)."""
    reference = (REPO / "tasks" / "matmul" / "reference.c").read_text()
    padded = "#include <stdlib.h>\n/* zero it */\nstatic void zero(float* p, int n) { memset(p, 0, n); }\n" + reference
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Skip the last row", "Do nothing")],
        "coder": [code_reply(FAST_WRONG), code_reply(reference), code_reply(padded)],
        "debugger": [code_reply(FAST_WRONG), code_reply("#include <string.h>\n" + FAST_WRONG.replace("\n", "\n\n"))],
    })
    run = tmp_path / "run"
    optimize("tasks/matmul", script, run, "--max-iters", "2",
             env={"MAPFORGE_AGENTS__DEBUG_ROUNDS": "1", "MAPFORGE_AGENTS__RETRY_REPEATED_REPAIR": "true"})
    assert list(candidates(run)) == ["c0001"]
    dups = [e for e in read_events(run) if e["event"] == "duplicate"]
    assert [(e["agent"], e["of"], e["retry"]) for e in dups] == [
        ("debugger", "c0001", True), ("debugger", "c0001, the same code but for its #include lines", False),
        ("coder", "the reference", True),
        ("coder", "the reference: its matmul is the reference's own, token for token, so the plan was not applied",
         False)]
    debug = [json.loads(c.read_text())["request"] for c in sorted((run / "calls").glob("*-debugger.json"))]
    assert [r["temperature"] for r in debug] == [0.0, 0.8]
    # the retry shows the model its repeated reply and says why it cannot be used (asking the same question
    # again, a small model mostly repeats itself)
    assert len(debug[0]["messages"]) == 2 and [m["role"] for m in debug[1]["messages"][2:]] == ["assistant", "user"]
    assert "already judged (c0001)" in debug[1]["messages"][-1]["content"]
    coder = [json.loads(c.read_text())["request"] for c in sorted((run / "calls").glob("*-coder.json"))]
    assert "already judged (the reference)" in coder[-1]["messages"][-1]["content"]
    s = read_summary(run)
    assert s["status"] == "no_improvement" and s["best"] is None
    standings = json.loads((run / "standings.json").read_text())
    assert [x["id"] for x in standings["standings"]] == ["reference", "c0001"]
    assert standings["best"] == "reference" and standings["search"]["duplicates"] == 4


def test_a_debugger_whose_repairs_do_not_pay_is_retired(tmp_path: Path) -> None:
    """The debugger keeps its turn only while its correct candidates per token beat the coder's (each granted
    one more success), counting the model's earlier jobs in the yields ledger. With no history and nothing
    correct from either role, it gets the trial's two repairs and then repairs only until they have cost more
    than the coder's calls; with a trial longer than the job, every repair round is asked for. With a history in which the model's repairs did not pay and its coder did, it
    is retired before its first repair. Each job's counts are added to the ledger under its run."""
    def wrong(k: int) -> str:  # wrong in one element, each compiled to its own machine code
        return WRONG.replace("acc + 1.0f", f"acc + {k}.0f")

    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("First", "Second", "Third")],
        "coder": [code_reply(wrong(k)) for k in (1, 2, 3)],
        "debugger": [code_reply(wrong(k)) for k in range(4, 10)],
    })
    model = f"scripted/{script}"
    earlier = {"repairs": 40, "repaired": 0, "repair_tokens": 70000, "coded": 10, "coder_tokens": 30000}
    debugger_calls = {}
    for history, trial in (("none", "2"), ("long-trial", "100"), ("unpaid", "2")):
        run, ledger = tmp_path / f"run-{history}", tmp_path / f"yields-{history}.json"
        if history == "unpaid":
            ledger.write_text(json.dumps({model: {"/earlier/run": earlier}}))
        optimize("tasks/matmul", script, run, "--max-iters", "3",
                 env={"MAPFORGE_AGENTS__DEBUG_ROUNDS": "2", "MAPFORGE_AGENTS__REPAIR_TRIAL": trial,
                      "MAPFORGE_YIELDS_FILE": str(ledger)})
        debugger_calls[history] = len(list((run / "calls").glob("*-debugger.json")))
        retired = [e for e in read_events(run) if e["event"] == "debugger_retired"]
        assert all(c["verdict"]["status"] == "wrong_answer" for c in candidates(run).values())
        entries = json.loads(ledger.read_text())[model]
        mine = entries[str(run.resolve())]
        assert mine["repairs"] == debugger_calls[history] and mine["repaired"] == 0 and mine["coded"] == 0
        assert mine["coder_tokens"] > 0
        if history == "unpaid":
            assert entries["/earlier/run"] == earlier
            assert len(retired) == 1 and "in 1 earlier jobs of these models, 0 of 40 repairs" in retired[0]["reason"]
            assert read_summary(run)["search"]["debugger_retired"] == 1
        elif history == "none":  # retired once its repairs had cost more than the coder's calls, for nothing
            assert len(retired) == 1 and retired[0]["reason"].startswith("0 of its ")
            assert retired[0]["tokens"]["debugger"] >= retired[0]["tokens"]["coder"] > 0
        else:
            assert not retired
    assert 2 <= debugger_calls["none"] < debugger_calls["long-trial"] == 6 and debugger_calls["unpaid"] == 0


def test_a_free_plan_opens_each_round_when_asked(tmp_path: Path) -> None:
    """``agents.free_plan``: each round first asks the coder to make the code faster with no technique named,
    then codes the planner's plans."""
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Register blocking")],
        "coder": [code_reply(WRONG), code_reply(FAST)],
    })
    run = tmp_path / "run"
    optimize("tasks/matmul", script, run, "--max-iters", "2",
             env={"MAPFORGE_AGENTS__FREE_PLAN": "true", "MAPFORGE_AGENTS__DEBUG_ROUNDS": "0",
                  "MAPFORGE_AGENTS__FREE_PLAN_EVIDENCE": "true"})
    assert [e["plan"] for e in read_events(run) if e["event"] == "iteration"] == ["Make it faster", "Register blocking"]
    coder = [json.loads(c.read_text())["request"]["messages"][-1]["content"]
             for c in sorted((run / "calls").glob("*-coder.json"))]
    assert "Title: Make it faster\n" in coder[0] and "Title: Register blocking\n" in coder[1]
    # with free_plan_evidence the free plan's coder reads what the harness measured, a planned plan's does not
    assert "What the harness measured about the reference:\nCompiler vectorisation report" in coder[0]
    assert "What the harness measured" not in coder[1]
    assert read_summary(run)["status"] == "improved"


def test_the_planner_sits_out_rounds_while_its_plans_gain_less_per_token_than_the_free_plan(tmp_path: Path) -> None:
    """``agents.plan_yield``: the free plan gains and the planner's three plans do not, so the second round
    codes the free plan four times without a planner call, each coder shown what the harness measured about
    its parent (``free_plan_evidence``). A second job reading that history from the ledger never calls the
    planner."""
    def wrong(k: int) -> str:
        return WRONG.replace("acc + 1.0f", f"acc + {k}.0f")

    ledger = tmp_path / "yields.json"
    env = {"MAPFORGE_AGENTS__FREE_PLAN": "true", "MAPFORGE_AGENTS__DEBUG_ROUNDS": "0",
           "MAPFORGE_YIELDS_FILE": str(ledger),
           "MAPFORGE_SEARCH__LINEAGE_BUDGET": "10", "MAPFORGE_AGENTS__FREE_PLAN_EVIDENCE": "true"}
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("First", "Second", "Third")],
        "coder": [code_reply(FAST), *(code_reply(wrong(k)) for k in range(1, 8))],
    })
    run = tmp_path / "run"
    optimize("tasks/matmul", script, run, "--max-iters", "8", env=env)
    events = read_events(run)
    assert [e["plan"] for e in events if e["event"] == "iteration"] == \
        ["Make it faster", "First", "Second", "Third", *["Make it faster"] * 4]
    assert len(list((run / "calls").glob("*-planner.json"))) == 1
    # every plan after the first starts from the fast parent; only the free plans' coders read its evidence
    prompts = [json.loads(c.read_text())["request"]["messages"][-1]["content"]
               for c in sorted((run / "calls").glob("*-coder.json"))]
    assert all("Start from this correct version" in p for p in prompts[1:])
    evidence = ["Machine code of the function" in p for p in prompts[1:]]
    assert evidence == [False] * 3 + [True] * (len(prompts) - 4) and len(prompts) >= 8
    sat_out = [e for e in events if e["event"] == "planner_sits_out"]
    assert len(sat_out) == 1 and "0 of 3 candidates from plans gained" in sat_out[0]["reason"]
    assert "1 of 1 from the free plan" in sat_out[0]["reason"]
    summary = read_summary(run)
    assert summary["status"] == "improved" and summary["search"]["planner_rounds_skipped"] == 1
    mine = json.loads(ledger.read_text())[f"scripted/{script}"][str(run.resolve())]
    assert (mine["planned"], mine["planned_gains"], mine["free"], mine["free_gains"]) == (3, 0, 5, 1)
    assert mine["plan_tokens"] > 0 and mine["free_tokens"] > 0

    again = tmp_path / "again"  # and by default the free plan's coder is not shown the evidence
    optimize("tasks/matmul", script, again, "--max-iters", "4",
             env={**env, "MAPFORGE_AGENTS__FREE_PLAN_EVIDENCE": "false"})
    assert not list((again / "calls").glob("*-planner.json"))
    assert [e["plan"] for e in read_events(again) if e["event"] == "iteration"] == ["Make it faster"] * 4
    assert not any("What the harness measured" in c.read_text() or "Machine code of the function" in c.read_text()
                   for c in (again / "calls").glob("*-coder.json"))


PARTIAL_SUMS = (FIXTURES / "fast" / "tsvc-s311.c").read_text()


def test_the_analyst_plans_partial_sums_for_an_in_order_reduction_the_profile_found(tmp_path: Path) -> None:
    """The reference's profile (real gcc) marks its float sum an in-order reduction: round one opens with
    the analyst's plan for the reference, before the free plan and the planner's, with no model call of its
    own, giving the whole code with the loop rewritten; the round is the analyst's alone, and its code is
    evaluated as written (``agents.analyst_writes``), before any model is paid. It wins; the winner's own
    profile has no such loop, so no second analyst plan follows. The analyst's plan counts neither for the
    planner's yield nor for the free plan's. With ``analyst_writes`` off the coder is given the code at
    temperature 0; with the analyst off, it is gone."""
    ledger = tmp_path / "yields.json"
    env = {**ANALYST, "MAPFORGE_AGENTS__DEBUG_ROUNDS": "0", "MAPFORGE_YIELDS_FILE": str(ledger),
           "MAPFORGE_MODEL__TEMPERATURES": json.dumps({"coder": 0.8})}
    wrong = PARTIAL_SUMS.replace("out[0] = t;", "out[0] = t + 1.0f;")
    given = (FIXTURES / "fast" / "tsvc-s311-analyst.c").read_text()  # the reference, its loop rewritten
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("First")] * 2,
        "coder": [code_reply(wrong.replace("1.0f", f"{k}.0f")) for k in range(1, 6)],
    })
    run = tmp_path / "run"
    optimize("tasks/tsvc-s311", script, run, "--max-iters", "4", env=env)
    events = read_events(run)
    analysed = [p for e in events if e["event"] == "analysed" for p in e["plans"]]
    title = "Independent partial sums for the reduction on line 10"
    assert [(p["parent"], p["title"]) for p in analysed] == [("reference", title)]
    assert f"```c\n{given}```" in analysed[0]["approach"]  # the whole code, the loop's own term in place
    assert analysed[0]["code"] == given
    assert [e["plan"] for e in events if e["event"] == "iteration"] == [title, "Make it faster", "First",
                                                                        "Make it faster"]
    steps = [e["agent"] for e in events if e["event"] == "step"]
    assert steps[steps.index("analyst"):][:2] == ["analyst", "evaluator"]  # judged before any model call
    assert not {"coder", "planner", "debugger"} & set(steps[:steps.index("analyst")])
    cands = candidates(run)
    assert cands["c0001"]["verdict"]["status"] == "correct" and cands["c0001"]["author"] == "analyst"
    assert (run / "candidates" / "c0001" / "source.c").read_text() == given
    assert cands["c0002"]["author"] == "coder"
    requests = [json.loads(c.read_text())["request"] for c in sorted((run / "calls").glob("*-coder.json"))]
    assert all(r["temperature"] == 0.8 for r in requests)  # no coder call for the analyst's plan
    assert "Keep 16 independent" not in "".join(r["messages"][-1]["content"] for r in requests)
    summary = read_summary(run)
    assert summary["status"] == "improved" and summary["best"]["candidate_id"] == "c0001"  # type: ignore[index]
    assert summary["search"]["analyst_plans"] == summary["search"]["analyst_codes"] == 1  # type: ignore[index]
    mine = json.loads(ledger.read_text())[f"scripted/{script}"][str(run.resolve())]
    assert (mine["planned"], mine["free"]) == (1, 2)  # "First" and the two free plans; not the analyst's

    coded = tmp_path / "coded"
    script = write_script(tmp_path / "c.json", {"planner": [plans_reply("First")], "coder": [code_reply(given)]})
    optimize("tasks/tsvc-s311", script, coded, "--max-iters", "1",
             env={**env, "MAPFORGE_AGENTS__ANALYST_WRITES": "false"})
    first = json.loads(sorted((coded / "calls").glob("*-coder.json"))[0].read_text())["request"]
    assert first["temperature"] == 0.0  # a shape to follow, not to explore
    assert "Keep 16 independent partial sums" in first["messages"][-1]["content"]
    assert candidates(coded)["c0001"]["author"] == "coder"
    assert read_summary(coded)["search"].get("analyst_codes", 0) == 0  # type: ignore[union-attr]

    off = tmp_path / "off"
    optimize("tasks/tsvc-s311", script, off, "--max-iters", "1", env={**env, "MAPFORGE_AGENTS__ANALYST": "false"})
    assert not any(e["event"] == "analysed" for e in read_events(off))
    assert [e["plan"] for e in read_events(off) if e["event"] == "iteration"] == ["Make it faster"]


def test_the_analyst_plans_loop_distribution_for_a_loop_gcc_left_scalar_that_splits_legally(
        tmp_path: Path) -> None:
    """gcc (real, -fopt-info) did not vectorise tsvc-s212's loop, whose two statements split legally in one
    order: the analyst's first plan writes that split out (the statement that reads a[i + 1] first), with the
    statement's reason from the report, coded at temperature 0. The split candidate is correct (its speedup, 1.64x
    on a quiet machine, is measured in bench/RESULTS.md), and its own loops are left alone."""
    env = {**ANALYST, "MAPFORGE_AGENTS__DEBUG_ROUNDS": "0", "MAPFORGE_MODEL__TEMPERATURES": json.dumps({"coder": 0.8})}
    split = (FIXTURES / "fast" / "tsvc-s212.c").read_text()
    script = write_script(tmp_path / "s.json", {"planner": [plans_reply("First")] * 2,
                                                "coder": [code_reply(split)] * 4})
    run = tmp_path / "run"
    optimize("tasks/tsvc-s212", script, run, "--max-iters", "2", env=env)
    analysed = [p for e in read_events(run) if e["event"] == "analysed" for p in e["plans"]]
    assert [(p["parent"], p["title"]) for p in analysed] == [
        ("reference", "Split the loop on line 8 into 2 loops")]
    assert "`a[i] *= c[i];`: not vectorized" in analysed[0]["bottleneck"]
    assert analysed[0]["approach"].index("b[i] += a[i + 1] * d[i];") < analysed[0]["approach"].index("a[i] *= c[i];")
    assert "Loop distribution" in analysed[0]["approach"]
    assert (run / "candidates" / "c0001" / "source.c").read_text() == analysed[0]["code"]  # evaluated as written
    # correct, and (on a quiet machine) faster: 1.64x on this VM, too close to the noise under load to assert here
    assert candidates(run)["c0001"]["verdict"]["status"] == "correct"
    assert candidates(run)["c0001"]["author"] == "analyst"
    assert read_summary(run)["search"]["analyst_plans"] == 1  # type: ignore[index]


CHAIN_TOML = """schema_version = 1
kind = "optimize"
name = "chain"
language = "c"
description = "y = (2x + b) * x, elementwise, in three passes over n elements."
reference = "reference.c"
function = "chain"
cflags = ["-O3", "-march=native"]

[[args]]
name = "n"
type = "int"
value = "n"

[[args]]
name = "y"
type = "float*"
size = "n"
role = "output"

[[args]]
name = "x"
type = "const float*"
size = "n"
init = "uniform(-1, 1)"

[[args]]
name = "b"
type = "const float*"
size = "n"
init = "uniform(-1, 1)"

[shapes]
visible = [{ n = 37 }]
hidden = [{ n = 1 }, { n = 1001 }]
timing = { n = 4000000 }

[tolerance]
rtol = 1e-5
atol = 1e-6
"""
CHAIN = """void chain(int n, float *restrict y, const float *restrict x, const float *restrict b)
{
    for (int i = 0; i < n; i++)
        y[i] = 2.0f * x[i];
    for (int i = 0; i < n; i++)
        y[i] += b[i];
    for (int i = 0; i < n; i++)
        y[i] = y[i] * x[i];
}
"""


def test_the_analyst_fuses_loops_that_pass_over_the_same_arrays(tmp_path: Path) -> None:
    """A task of three loops over the same arrays (written here, not bundled): the analyst's first plan, from
    gcc's real report, fuses them into one loop, written out whole and evaluated as written, before any model
    call. The fused candidate is correct, and its own single loop gets no second fusion plan."""
    task = tmp_path / "chain"
    task.mkdir()
    (task / "task.toml").write_text(CHAIN_TOML)
    (task / "reference.c").write_text(CHAIN)
    env = {**ANALYST, "MAPFORGE_AGENTS__DEBUG_ROUNDS": "0"}
    script = write_script(tmp_path / "s.json", {"planner": [plans_reply("First")] * 2,
                                                "coder": [code_reply(CHAIN)] * 4})
    run = tmp_path / "run"
    optimize(task, script, run, "--max-iters", "2", env=env)
    analysed = [p for e in read_events(run) if e["event"] == "analysed" for p in e["plans"]]
    assert [(p["parent"], p["title"]) for p in analysed] == [("reference", "Fuse the 3 loops on lines 3-8")]
    assert analysed[0]["code"].count("for (") == 1 and "Loop fusion" in analysed[0]["approach"]
    assert (run / "candidates" / "c0001" / "source.c").read_text() == analysed[0]["code"]  # evaluated as written
    assert candidates(run)["c0001"]["verdict"]["status"] == "correct"
    assert candidates(run)["c0001"]["author"] == "analyst"


SEARCH_TOML = CHAIN_TOML.replace('name = "chain"', 'name = "first"').replace('function = "chain"', 'function = "first"') \
    .replace("y = (2x + b) * x, elementwise, in three passes over n elements.",
             "y[0] = the first i with x[i] * b[i] > 0.999 (n when there is none).").replace('size = "n"\nrole', 'size = "1"\nrole') \
    .replace("timing = { n = 4000000 }", "timing = { n = 1000000 }")
SEARCH = """void first(int n, float *restrict y, const float *restrict x, const float *restrict b)
{
    int i;
    for (i = 0; i < n; i++) {
        if (x[i] * b[i] > 0.999f)
            break;
    }
    y[0] = (float)i;
}
"""


def test_the_analyst_tests_a_search_loop_a_block_at_a_time(tmp_path: Path) -> None:
    """A task that searches for the first element passing a test (written here, not bundled): gcc (real,
    -fopt-info) leaves the loop scalar for its exit, and the analyst's first plan tests blocks of elements with no
    exit, then runs the loop from the first block that passes, written out whole and evaluated as written, before
    any model call: correct, and faster."""
    task = tmp_path / "first"
    task.mkdir()
    (task / "task.toml").write_text(SEARCH_TOML)
    (task / "reference.c").write_text(SEARCH)
    env = {**ANALYST, "MAPFORGE_AGENTS__DEBUG_ROUNDS": "0"}
    script = write_script(tmp_path / "s.json", {"planner": [plans_reply("First")] * 2,
                                                "coder": [code_reply(SEARCH)] * 4})
    run = tmp_path / "run"
    optimize(task, script, run, "--max-iters", "1", env=env)
    analysed = [p for e in read_events(run) if e["event"] == "analysed" for p in e["plans"]]
    assert [p["title"] for p in analysed][:1] == ["Test blocks of 32 elements at once in the search loop on line 4"]
    assert "control flow in loop" in analysed[0]["bottleneck"]
    assert (run / "candidates" / "c0001" / "source.c").read_text() == analysed[0]["code"]
    cands = candidates(run)
    assert cands["c0001"]["verdict"]["status"] == "correct" and cands["c0001"]["author"] == "analyst"
    summary = read_summary(run)
    assert summary["best"]["candidate_id"] == "c0001" and summary["status"] == "improved"  # type: ignore[index]


def _analyst_first(tmp_path: Path, task: Path, title: str) -> dict[str, str]:
    """Runs one round on a task with the model scripted to hand back the reference: the analyst's first plan is
    ``title``, its code is evaluated as written before any model call, judged correct, and becomes the job's best
    (the job improved). The plan, as the run's events record it."""
    env = {**ANALYST, "MAPFORGE_AGENTS__DEBUG_ROUNDS": "0"}
    reference = (task / "reference.c").read_text()
    script = write_script(tmp_path / "s.json", {"planner": [plans_reply("First")] * 2,
                                                "coder": [code_reply(reference)] * 4})
    run = tmp_path / "run"
    optimize(task, script, run, "--max-iters", "1", env=env)
    analysed = [p for e in read_events(run) if e["event"] == "analysed" for p in e["plans"]]
    assert [p["title"] for p in analysed][:1] == [title]
    assert (run / "candidates" / "c0001" / "source.c").read_text() == analysed[0]["code"]
    cands = candidates(run)
    assert cands["c0001"]["verdict"]["status"] == "correct" and cands["c0001"]["author"] == "analyst"
    summary = read_summary(run)
    assert summary["best"]["candidate_id"] == "c0001" and summary["status"] == "improved"  # type: ignore[index]
    return analysed[0]


def test_the_analyst_keeps_a_branchs_assignments_by_masks(tmp_path: Path) -> None:
    """gcc (real, -fopt-info) left tsvc-s253's loop scalar for its branch, which assigns a temporary and two
    elements: the analyst's first plan runs every statement in every iteration and keeps the branch's assignments
    by masks, written out whole: correct, and faster (measured in bench/RESULTS.md, twenty-second session). Built
    for x86-64-v2 (SSE4.2, no masked stores), where gcc 12 leaves the loop scalar on any host: with AVX-512
    (``-march=native`` on a Xeon) it masks the stores itself, and there is nothing to plan."""
    task = shutil.copytree(REPO / "tasks" / "tsvc-s253", tmp_path / "tsvc-s253")
    toml = task / "task.toml"
    toml.write_text(toml.read_text().replace('cflags = ["-O3", "-march=native"]', 'cflags = ["-O3", "-march=x86-64-v2"]'))
    assert "x86-64-v2" in toml.read_text()
    plan = _analyst_first(tmp_path, task, "Keep the branches' assignments by masks in the loop on line 9")
    assert "control flow in loop" in plan["bottleneck"] and "assign `c[i]`, `a[i]`" in plan["bottleneck"]


def test_the_analyst_makes_a_compactions_appends_branchless(tmp_path: Path) -> None:
    """gcc (real, -fopt-info) left tsvc-s341's loop scalar: it appends the positive elements of one array to
    another through a counter stepped in a branch, which mispredicts on random signs. The analyst's first plan
    stores every value at a buffer slot stepped by the condition and copies the buffer in blocks, written out
    whole: correct, and faster (measured in bench/RESULTS.md, twenty-third session)."""
    plan = _analyst_first(tmp_path, REPO / "tasks" / "tsvc-s341", "Append to `a` without branches in the loop on line 10")
    assert "appends to `a` at `j`" in plan["bottleneck"] and "kept_n += kept_m2;" in plan["code"]



DECAY = """#include <math.h>

void decay(int n, float *restrict y, const float *restrict x, const float *restrict b)
{
    for (int i = 0; i < n; i++)
        y[i] = expf(x[i]) * b[i];
}
"""


def test_the_analyst_computes_a_math_call_inline_so_its_loop_vectorises(tmp_path: Path) -> None:
    """A task that calls expf per element (written here, not bundled): gcc (real, -fopt-info) keeps the loop
    scalar, the call "clobbers memory" (errno). The analyst's first plan defines an inline expf and calls it,
    written out whole: correct within the task's tolerance, and faster (measured in mapforge/agents/mathcalls.py's
    notes, twenty-third session)."""
    task = tmp_path / "decay"
    task.mkdir()
    (task / "task.toml").write_text(CHAIN_TOML.replace('"chain"', '"decay"').replace(
        "y = (2x + b) * x, elementwise, in three passes over n elements.", "y = e^x * b, elementwise."))
    (task / "reference.c").write_text(DECAY)
    plan = _analyst_first(tmp_path, task, "Compute `expf` inline so the loop on line 5 vectorises")
    assert "statement clobbers memory" in plan["bottleneck"] and "y[i] = mf_expf(x[i]) * b[i];" in plan["code"]

def test_the_analyst_finds_a_kept_maximum_and_its_indices_by_two_passes_over_keys(tmp_path: Path) -> None:
    """gcc (real, -fopt-info) left tsvc-s13110's inner loop scalar: it keeps the largest element of each row and its
    indices. The analyst's first plan replaces it with two passes over integer keys and the loop's own ``if`` at
    the index found, written out whole: correct, and faster (its speedup is measured in bench/RESULTS.md,
    nineteenth session)."""
    plan = _analyst_first(tmp_path, REPO / "tasks" / "tsvc-s13110", "Find the largest value by integer keys in the loop on line 14")
    assert "sets `xindex`, `yindex` where it found it" in plan["bottleneck"]


def test_the_analyst_runs_a_nest_walking_a_column_either_way_in_tiles(tmp_path: Path) -> None:
    """tsvc-s1115 reads one matrix transposed beside two read and written along rows, so swapping its loops would
    walk two down a column instead of one. The analyst's first plan runs the nest in tiles, written out whole and
    evaluated as written, before any model call: correct, and faster (bench/RESULTS.md, twentieth session)."""
    env = {**ANALYST, "MAPFORGE_AGENTS__DEBUG_ROUNDS": "0"}
    reference = (REPO / "tasks" / "tsvc-s1115" / "reference.c").read_text()
    script = write_script(tmp_path / "s.json", {"planner": [plans_reply("First")] * 2,
                                                "coder": [code_reply(reference)] * 4})
    run = tmp_path / "run"
    optimize("tasks/tsvc-s1115", script, run, "--max-iters", "1", env=env)
    analysed = [p for e in read_events(run) if e["event"] == "analysed" for p in e["plans"]]
    assert [p["title"] for p in analysed][:1] == ["Run the nest on line 8 in tiles of 64 x 16"]
    assert "walks cc down a column" in analysed[0]["bottleneck"]
    assert (run / "candidates" / "c0001" / "source.c").read_text() == analysed[0]["code"]
    cands = candidates(run)
    assert cands["c0001"]["verdict"]["status"] == "correct" and cands["c0001"]["author"] == "analyst"
    summary = read_summary(run)
    assert summary["best"]["candidate_id"] == "c0001" and summary["status"] == "improved"  # type: ignore[index]


def test_the_analyst_reads_a_wraparound_scalars_previous_value_from_its_source(tmp_path: Path) -> None:
    """gcc (real, -fopt-info) left tsvc-s254's loop scalar: ``x`` carries ``b[i]`` into the next iteration. The
    analyst's first plan peels the first iteration and reads ``b[i - 1]`` where the loop read ``x``, written out
    whole and evaluated as written, before any model call: correct, and faster (bench/RESULTS.md, twentieth
    session)."""
    env = {**ANALYST, "MAPFORGE_AGENTS__DEBUG_ROUNDS": "0"}
    reference = (REPO / "tasks" / "tsvc-s254" / "reference.c").read_text()
    script = write_script(tmp_path / "s.json", {"planner": [plans_reply("First")] * 2,
                                                "coder": [code_reply(reference)] * 4})
    run = tmp_path / "run"
    optimize("tasks/tsvc-s254", script, run, "--max-iters", "1", env=env)
    analysed = [p for e in read_events(run) if e["event"] == "analysed" for p in e["plans"]]
    assert [p["title"] for p in analysed][:1] == ["Read the previous value of `x` from its source in the loop on line 10"]
    assert (run / "candidates" / "c0001" / "source.c").read_text() == analysed[0]["code"]
    cands = candidates(run)
    assert cands["c0001"]["verdict"]["status"] == "correct" and cands["c0001"]["author"] == "analyst"
    summary = read_summary(run)
    assert summary["best"]["candidate_id"] == "c0001" and summary["status"] == "improved"  # type: ignore[index]


def test_the_analyst_plans_loop_interchange_for_a_column_walk_that_may_swap(tmp_path: Path) -> None:
    """tsvc-s231's inner loop walks two matrices down a column, and its loops swap legally (the recurrence runs
    along the column either way): the analyst's first plan writes the swapped nest out, with gcc's (real)
    report on the nest. The swapped candidate is correct and faster."""
    env = {**ANALYST, "MAPFORGE_AGENTS__DEBUG_ROUNDS": "0", "MAPFORGE_MODEL__TEMPERATURES": json.dumps({"coder": 0.8})}
    swapped = (FIXTURES / "fast" / "tsvc-s231.c").read_text()
    script = write_script(tmp_path / "s.json", {"planner": [plans_reply("First")] * 2,
                                                "coder": [code_reply(swapped)] * 4})
    run = tmp_path / "run"
    optimize("tasks/tsvc-s231", script, run, "--max-iters", "2", env=env)
    analysed = [p for e in read_events(run) if e["event"] == "analysed" for p in e["plans"]]
    assert [(p["parent"], p["title"]) for p in analysed] == [
        ("reference", "Interchange the loops of the nest on line 8")]
    assert "walks aa, bb down a column" in analysed[0]["bottleneck"]
    assert "The compiler's report: line " in analysed[0]["bottleneck"]
    assert "    for (int j = 1; j < n; j++) {\n        for (int i = 0; i < n; ++i) {" in analysed[0]["approach"]
    assert "Loop interchange" in analysed[0]["approach"]
    assert (run / "candidates" / "c0001" / "source.c").read_text() == analysed[0]["code"]
    summary = read_summary(run)
    assert summary["best"]["candidate_id"] == "c0001" and summary["status"] == "improved"  # type: ignore[index]


def test_the_analyst_splits_then_swaps_a_nest_with_a_running_sum_beside_its_inner_loop(tmp_path: Path) -> None:
    """The bundled matmul's inner loop walks B down a column, with its running sum set before it and stored
    after it: the analyst's plan (from gcc's real report) gives the whole code, the sum kept in C's element, the
    statements split off and the loops swapped, in braces under the unbraced loop over i. Coded as given, it is
    correct and faster."""
    env = {**ANALYST, "MAPFORGE_AGENTS__DEBUG_ROUNDS": "0"}
    split = (FIXTURES / "fast" / "matmul-interchanged.c").read_text()
    script = write_script(tmp_path / "s.json", {"planner": [plans_reply("First")] * 2,
                                                "coder": [code_reply(split)] * 4})
    run = tmp_path / "run"
    optimize("tasks/matmul", script, run, "--max-iters", "1", env=env)
    analysed = [p for e in read_events(run) if e["event"] == "analysed" for p in e["plans"]]
    assert [(p["parent"], p["title"]) for p in analysed] == [("reference", "Interchange the loops of the nest on line 4")]
    assert "Loop distribution, then interchange" in analysed[0]["approach"]
    assert f"```c\n{split}```" in analysed[0]["approach"]  # the fixture is the plan's code, as the coder got it
    cands = candidates(run)
    assert cands["c0001"]["verdict"]["status"] == "correct" and cands["c0001"]["author"] == "analyst"
    assert (run / "candidates" / "c0001" / "source.c").read_text() == split
    summary = read_summary(run)
    assert summary["best"]["candidate_id"] == "c0001" and summary["status"] == "improved"  # type: ignore[index]


def test_a_round_of_the_analysts_plans_alone_does_not_count_for_patience(tmp_path: Path) -> None:
    """With patience 1, the analyst's round (matmul's interchange, and partial sums for its scalar inner sum,
    coded wrong here) ends without a better candidate, and the job goes on to the planner's round: only that one
    counts."""
    script = write_script(tmp_path / "s.json", {"planner": [plans_reply("First")],
                                                "coder": [code_reply(WRONG), code_reply(WRONG.replace("+=", "-=")),
                                                          code_reply(WRONG.replace("+=", "*="))]})
    run = tmp_path / "run"
    optimize("tasks/matmul", script, run, "--max-iters", "6",
             env={**ANALYST, "MAPFORGE_AGENTS__DEBUG_ROUNDS": "0", "MAPFORGE_SEARCH__PATIENCE": "1",
                  "MAPFORGE_AGENTS__FREE_PLAN": "false", "MAPFORGE_AGENTS__ANALYST_WRITES": "false"})
    events = read_events(run)
    assert [e["plan"] for e in events if e["event"] == "iteration"] == [
        "Interchange the loops of the nest on line 4", "Independent partial sums for the reduction on line 6", "First"]
    summary = read_summary(run)
    assert summary["search"]["rounds"] == 3  # type: ignore[index]  # the analyst's two, and the planner's
    assert summary["stop_reason"] == "no improvement: nothing beat the best in 1 planning rounds"


def test_code_that_compiles_to_the_reference_is_not_evaluated(tmp_path: Path) -> None:
    """The small model's way of "applying" a plan: the reference's loops with braces added, a variable
    renamed and an unused helper beside them. Not the same tokens, but the same machine code: caught before
    evaluation, and the coder is asked again with the reason."""
    reference = (REPO / "tasks" / "matmul" / "reference.c").read_text()
    disguised = ("void zero_out(float* p, int n) { for (int i = 0; i < n; i++) { p[i] = 0.0f; } }\n"
                 + reference.replace("for (int j = 0; j < n; j++) {", "for (int jj = 0; jj < n; jj++) {")
                 .replace("B[k * n + j]", "B[k * n + jj]").replace("C[i * n + j]", "C[i * n + jj]")
                 .replace("for (int i = 0; i < n; i++)\n", "for (int i = 0; i < n; i++) {\n")
                 .replace("        }\n}", "        }\n    }\n}"))
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Loop interchange")],
        "coder": [code_reply(disguised), code_reply(FAST)],
    })
    run = tmp_path / "run"
    optimize("tasks/matmul", script, run, "--max-iters", "1")
    dups = [e for e in read_events(run) if e["event"] == "duplicate"]
    assert [(e["agent"], e["of"], e["retry"]) for e in dups] == [
        ("coder", "the reference: its matmul compiles to the same machine code, so whatever was changed, the "
                  "compiler emits the same program", True)]
    cands = candidates(run)
    assert list(cands) == ["c0001"] and cands["c0001"]["verdict"]["status"] == "correct"
    coder = [json.loads(c.read_text())["request"] for c in sorted((run / "calls").glob("*-coder.json"))]
    assert "compiles to the same machine code" in coder[-1]["messages"][-1]["content"]


def test_a_repeated_repair_abandons_its_lineage_by_default(tmp_path: Path) -> None:
    """By default the debugger is not asked again after a repeat (the small model repeats itself again): its
    lineage is abandoned at once and the next plan gets the tokens."""
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Skip the last row", "Register blocking")],
        "coder": [code_reply(FAST_WRONG), code_reply(FAST)],
        "debugger": [code_reply(FAST_WRONG)],
    })
    run = tmp_path / "run"
    optimize("tasks/matmul", script, run, "--max-iters", "2")
    dups = [e for e in read_events(run) if e["event"] == "duplicate"]
    assert [(e["agent"], e["of"], e["retry"]) for e in dups] == [("debugger", "c0001", False)]
    assert len(list((run / "calls").glob("*-debugger.json"))) == 1
    cands = candidates(run)
    assert list(cands) == ["c0001", "c0002"] and cands["c0002"]["verdict"]["status"] == "correct"
    assert json.loads((run / "standings.json").read_text())["search"]["abandoned"] == 1


def test_hanging_candidate_is_killed_and_the_job_goes_on(tmp_path: Path, backend: str) -> None:
    task = copy_task("matmul", tmp_path, "[limits]\ntimeout_seconds = 3")
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Spin", "Register blocking")],
        "coder": [code_reply(HANG), code_reply(FAST)],
    })
    # a run name of its own: the pool's containers are labelled with it, and other jobs on this machine
    # (another test session) may also be running in a directory called "run"
    run = tmp_path / f"run-hang-{uuid.uuid4().hex[:8]}"
    # the job's sandboxes live under a directory of its own, so what survives of them can be told apart from
    # other jobs' sandboxes on the same machine (under /tmp: the sandbox's unprivileged user must reach it)
    sandboxes = Path(tempfile.mkdtemp(prefix="mf-hang-"))
    sandboxes.chmod(0o711)
    t0 = time.monotonic()
    optimize(task, script, run, "--max-iters", "2", "--sandbox", backend,
             env={"MAPFORGE_AGENTS__DEBUG_ROUNDS": "0", "TMPDIR": str(sandboxes)})
    assert time.monotonic() - t0 < 120
    cands = candidates(run)
    assert cands["c0001"]["verdict"]["status"] == "timeout"
    assert cands["c0002"]["verdict"]["status"] == "correct"
    assert read_summary(run)["status"] == "improved"
    # nothing of the hanging candidate survives: no process names the job's sandbox directories, and no
    # sandbox directory is left behind
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(sandboxes) not in ps and not list(sandboxes.glob("mapforge-sbx-*"))
    shutil.rmtree(sandboxes, ignore_errors=True)
    if backend == "docker":  # the job's pool is gone with the job
        names = subprocess.run(["docker", "ps", "-a", "--filter", f"label=mapforge.run={run.name}", "-q"],
                               capture_output=True, text=True).stdout
        assert names.strip() == ""


def test_interrupted_job_resumes_from_its_run_directory(tmp_path: Path) -> None:
    replies: dict[str, list[object]] = {
        "planner": [plans_reply("Register blocking", "Loop interchange")],
        "coder": [code_reply(WRONG), {"text": code_reply(FAST), "delay": 60}],
        "debugger": [code_reply(WRONG.replace("1.0f", "2.0f"))],
    }
    script = write_script(tmp_path / "s.json", replies)
    run = tmp_path / "run"
    env = {**os.environ, **FAST_TIMING_ENV, **NO_ANALYST_ENV, "MAPFORGE_AGENTS__DEBUG_ROUNDS": "1"}
    args = [sys.executable, "-m", "mapforge", "optimize", "tasks/matmul", "--model", f"scripted/{script}",
            "--run-dir", str(run), "--max-iters", "2"]
    proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until the second coder request is in flight
        if (run / "events.jsonl").exists() and sum(
                1 for e in read_events(run) if e["event"] == "step" and e.get("agent") == "coder") >= 2:
            break
        time.sleep(0.2)
    else:
        proc.kill()
        raise AssertionError("the job never reached its second coder request")
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    # Ctrl-C left a readable directory with a summary
    s = read_summary(run)
    assert s["stop_reason"] == "interrupted" and s["candidates"] == 2
    first = run / "candidates" / "c0001" / "verdict.json"
    mtime = first.stat().st_mtime_ns
    calls_before = sorted(p.name for p in (run / "calls").glob("*.json"))
    assert len(calls_before) == 3  # planner, coder, debugger: the delayed request never completed

    replies["coder"][1] = code_reply(FAST)  # same reply, now without the delay
    write_script(script, replies)
    optimize("tasks/matmul", script, run, "--max-iters", "2", env={"MAPFORGE_AGENTS__DEBUG_ROUNDS": "1"})
    s = read_summary(run)
    assert s["status"] == "improved" and s["candidates"] == 3 and s["best"]["candidate_id"] == "c0003"
    assert first.stat().st_mtime_ns == mtime  # recorded verdicts were reused, not recomputed
    calls_after = sorted(p.name for p in (run / "calls").glob("*.json"))
    assert calls_after[:3] == calls_before and len(calls_after) == 4  # only the missing request was made
    events = [e["event"] for e in read_events(run)]
    assert events.count("resumed") == 1 and events.count("start") == 2


def test_parallel_evaluation_is_deterministic(tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Register blocking", "Off by one")],
        "coder": [code_reply(FAST), code_reply(WRONG)],
        # not the same code as c0001: more includes or an unused helper alone would be (that code compiled, and
        # compiles to the same machine code); row1 not inlined is other machine code, as fast and as correct
        "debugger": [code_reply(FAST.replace("static void row1", "static __attribute__((noinline)) void row1"))],
    })
    run = tmp_path / "run"
    optimize("tasks/matmul", script, run, "--max-iters", "2", "--parallel", "2",
             env={"MAPFORGE_AGENTS__DEBUG_ROUNDS": "1", "MAPFORGE_AGENTS__FREE_PLAN": "false"})  # the script's plans
    cands = candidates(run)
    assert [c["verdict"]["status"] for c in cands.values()] == ["correct", "wrong_answer", "correct"]
    assert [(c["plan"], c["iteration"], c["parent"]) for c in cands.values()] == [
        ("Register blocking", 1, None), ("Off by one", 2, None), ("Off by one", 2, "c0002")]
    assert read_summary(run)["status"] == "improved"


def test_a_candidate_that_crashes_the_harness_does_not_end_the_job(tmp_path: Path) -> None:
    """The first plan's code holds a lone UTF-16 surrogate (legal in a JSON reply, not encodable as a file):
    judging it raises inside the harness. That candidate gets a harness_error verdict, the second plan's
    honest candidate is judged, the job ends improved, and a resume replays both verdicts."""
    crashing = "/* \ud800 */\n" + FAST
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Broken text", "Register blocking")],
        "coder": [code_reply(crashing), code_reply(FAST)],
        "debugger": [code_reply(crashing)],
    })
    run = tmp_path / "run"
    optimize("tasks/matmul", script, run, "--max-iters", "2", "--sandbox", "local", env={"MAPFORGE_AGENTS__DEBUG_ROUNDS": "0"})
    s = read_summary(run)
    assert s["status"] == "improved", s
    verdicts = {cid: rec["verdict"] for cid, rec in candidates(run).items()}
    assert verdicts["c0001"]["status"] == "harness_error" and "UnicodeEncodeError" in verdicts["c0001"]["reason"]
    assert verdicts["c0002"]["status"] == "correct"
    again = optimize("tasks/matmul", script, run, "--max-iters", "2", "--sandbox", "local", "--json",
                     env={"MAPFORGE_AGENTS__DEBUG_ROUNDS": "0"})
    events = [json.loads(line) for line in again.stdout.splitlines() if line.startswith("{")]
    assert [e["status"] for e in events if e["event"] == "candidate"] == ["harness_error", "correct"]
    assert read_summary(run)["status"] == "improved"


def test_mapcoder_planning_grounds_one_plan_per_exemplar_and_orders_by_the_verifier(tmp_path: Path) -> None:
    """agents.planning = mapcoder: a planner request per retrieved exemplar (that exemplar alone in it), a
    verifier request per plan, and the coder starts with the plan the verifier scored highest, whatever
    the planner said; a verdict in words counts as a repaired format failure, not a lost reply."""
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Plan A"), plans_reply("Plan B"), plans_reply("Plan C")],
        "verifier": ["Confidence: 20", "It keeps the results.\nConfidence: 90", "The plan is likely correct."],
        "coder": [code_reply(FAST)] * 3,
        "debugger": [code_reply(FAST)] * 3,
    })
    run = tmp_path / "run"
    optimize("tasks/matmul", script, run, "--max-iters", "1",
             env={"MAPFORGE_AGENTS__PLANNING": "mapcoder", "MAPFORGE_AGENTS__FREE_PLAN": "false"})
    shown = next(e for e in read_events(run) if e["event"] == "retrieved")["exemplars"]
    n = len(shown)
    assert n >= 2, "the matmul task retrieves at least two relevant cards"
    planner_calls = sorted((run / "calls").glob("*-planner.json"))
    verifier_calls = sorted((run / "calls").glob("*-verifier.json"))
    assert len(planner_calls) == len(verifier_calls) == n
    for call, ex in zip(planner_calls, shown):
        prompt = json.loads(call.read_text())["request"]["messages"][-1]["content"]
        assert f"### {ex['title']}" in prompt and sum(f"### {e['title']}" in prompt for e in shown) == 1
    plans = next(e for e in read_events(run) if e["event"] == "plans")["plans"]
    assert plans[0]["title"] == "Plan B" and plans[0]["confidence"] == 0.9
    coder = json.loads(next((run / "calls").glob("*-coder.json")).read_text())["request"]["messages"][-1]["content"]
    assert "Plan B" in coder
    rates = read_summary(run)["rates"]
    assert rates["local_repairs"]["verifier"] == (1 if n >= 3 else 0) and rates["format_failures"]["verifier"] == 0
    assert rates["format_repairs"]["verifier"] == 0  # read from words locally: no repair request was sent
