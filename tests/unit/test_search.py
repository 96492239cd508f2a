"""Significant selection, no repeats, exemplar copies and the population (no sandbox: the duel is a given
function here; the e2e tests run the real head-to-head)."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path
from typing import Any

from mapforge.evaluators.verdict import StageResult, Timing, Verdict
from mapforge.search.novelty import (
    JudgedCode,
    code_key,
    defined_functions,
    exemplar_copy,
    normalise,
    similarity,
    source_key,
    unchanged_function,
)
from mapforge.search.population import Population, technique
from mapforge.search.selection import Entrant, Selection
from mapforge.search.yields import Spent, Tally, YieldLedger, Yields


class Store:
    """An in-memory CandidateStore."""

    def __init__(self) -> None:
        self.duels: dict[tuple[str, str], Timing | None] = {}
        self.standings: dict[str, Any] = {}

    def cached_verdict(self, cid: str, source: str) -> Verdict | None:
        return None

    def save_candidate(self, cid: str, source: str, suffix: str, verdict: Verdict, lineage: dict[str, Any]) -> Path:
        return Path(cid)

    def save_best(self, cid: str, source: str, suffix: str, verdict: Verdict) -> Path:
        return Path(cid)

    def load_baseline(self) -> dict[str, Any] | None:
        return {"seconds": 1e-3, "aa_speedup": 1.0, "aa_ci": [0.99, 1.01]}

    def cached_duel(self, champion: str, challenger: str) -> Timing | None:
        return self.duels.get((champion, challenger))

    def save_duel(self, champion: str, challenger: str, timing: Timing | None, reason: str) -> None:
        self.duels[(champion, challenger)] = timing

    def save_standings(self, standings: dict[str, Any]) -> None:
        self.standings = standings


def timing(speedup: float, lo: float, hi: float, floor: float = 0.01) -> Timing:
    return Timing(speedup=speedup, speedup_ci=(lo, hi), seconds=1e-3 / speedup, baseline_seconds=1e-3, pairs=40,
                  processes=3, min_effect=floor)


def cand(cid: str, speedup: float, lo: float, hi: float, status: str = "correct") -> Entrant:
    v = Verdict(status=status, stage="timing", reason="", timing=timing(speedup, lo, hi))  # type: ignore[arg-type]
    return Entrant(cid, f"void f(void) {{ /* {cid} */ }}", v)


class Duels:
    """The harness's head_to_head stand-in: a fixed answer per challenger source, and a log of calls."""

    def __init__(self, answers: dict[str, Timing | StageResult]) -> None:
        self.answers, self.calls = answers, []  # type: ignore[var-annotated]

    def __call__(self, champion: str, challenger: str) -> Timing | StageResult:
        self.calls.append((champion, challenger))
        return self.answers[challenger]


def test_a_slower_first_candidate_never_becomes_best() -> None:
    sel = Selection("optimize", Store(), None, (0.99, 1.01))
    st = sel.offer(cand("c0001", 0.8, 0.78, 0.82))
    assert sel.best is None and not st.became_best and st.vs_reference == "slower"
    st = sel.offer(cand("c0002", 1.004, 0.99, 1.02))  # inside the noise: no measurable change
    assert sel.best is None and st.vs_reference == "no measurable change"
    report = sel.report()
    assert report["best"] == "reference" and report["standings"][0]["speedup_ci"] == [0.99, 1.01]


def test_a_noisy_higher_median_does_not_displace_a_significant_win() -> None:
    """The issue's example: 1.06x [0.95, 1.15] must not replace 1.05x [1.04, 1.06]."""
    sel = Selection("optimize", Store(), Duels({}))
    sel.offer(cand("c0001", 1.05, 1.04, 1.06))
    assert sel.best is not None and sel.best.id == "c0001"
    st = sel.offer(cand("c0002", 1.06, 0.95, 1.15))
    assert sel.best.id == "c0001" and st.note == "not significantly faster than the reference"


def test_head_to_head_decides_between_two_wins() -> None:
    store = Store()
    a, b, c = cand("c0001", 2.0, 1.9, 2.1), cand("c0002", 2.05, 1.95, 2.15), cand("c0003", 2.6, 2.5, 2.7)
    duel = Duels({b.source: timing(1.004, 0.99, 1.02), c.source: timing(1.3, 1.25, 1.35)})
    sel = Selection("optimize", store, duel)
    assert sel.offer(a).became_best
    st_b = sel.offer(b)  # higher median against the reference, but no faster head to head
    assert sel.best is not None and sel.best.id == "c0001" and not st_b.became_best
    assert st_b.head_to_head is not None and st_b.head_to_head["significant"] is False
    st_c = sel.offer(c)
    assert sel.best.id == "c0003" and st_c.became_best and st_c.challenged == "c0001"
    assert duel.calls == [(a.source, b.source), (a.source, c.source)]
    assert store.duels[("c0001", "c0003")] is not None  # recorded: a resumed job replays it
    again = Selection("optimize", store, duel)
    again.offer(a)
    again.offer(b)
    assert len(duel.calls) == 4 - 2 and again.duels == 0  # both duels replayed from the store


def test_no_duel_when_the_challenger_cannot_be_faster() -> None:
    duel = Duels({})
    sel = Selection("optimize", Store(), duel)
    sel.offer(cand("c0001", 3.0, 2.9, 3.1))
    st = sel.offer(cand("c0002", 2.0, 1.9, 2.2))
    assert duel.calls == [] and "tops out" in st.note and sel.best is not None and sel.best.id == "c0001"


def test_a_failed_duel_keeps_the_best() -> None:
    b = cand("c0002", 2.2, 2.0, 2.4)
    sel = Selection("optimize", Store(), Duels({b.source: StageResult(stage="timing", ok=False, reason="boom")}))
    sel.offer(cand("c0001", 2.0, 1.9, 2.1))
    st = sel.offer(b)
    assert sel.best is not None and sel.best.id == "c0001" and st.head_to_head == {"error": "boom"}


def test_without_a_duel_intervals_must_separate() -> None:
    sel = Selection("optimize", Store(), None)
    sel.offer(cand("c0001", 2.0, 1.9, 2.1))
    sel.offer(cand("c0002", 2.15, 2.05, 2.3))
    assert sel.best is not None and sel.best.id == "c0001"
    sel.offer(cand("c0003", 2.5, 2.4, 2.6))
    assert sel.best.id == "c0003"
    ids = [s["id"] for s in sel.report()["standings"]]
    assert ids == ["reference", "c0001", "c0002", "c0003"]


def test_solve_selection_is_by_pass_rate() -> None:
    sel = Selection("solve", Store(), None)
    for cid, rate in (("c0001", 0.5), ("c0002", 0.4), ("c0003", 1.0)):
        v = Verdict(status="correct" if rate == 1 else "wrong_answer", stage="tests", reason="", pass_rate=rate)
        sel.offer(Entrant(cid, cid, v))
    assert sel.best is not None and sel.best.id == "c0003"


def test_normal_form_ignores_comments_and_whitespace() -> None:
    a = "void f(int *x) {\n  x[0] = 1; // one\n}\n"
    b = "/* doc */ void f(int *x)\n{ x[0] = 1;   }"
    assert normalise(a) != normalise("void f(int *x) { x[0] = 2; }")
    assert source_key(a) == source_key(b)
    assert similarity(a, b) == 1.0 and similarity(a, "int main(void) { return 42; }") < 0.2


CARD = """Use four accumulators.

```c
float sum4(const float *x, int n)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int i = 0; i + 3 < n; i += 4) { s0 += x[i]; s1 += x[i + 1]; s2 += x[i + 2]; s3 += x[i + 3]; }
    return s0 + s1 + s2 + s3;
}
```
"""


def test_an_exemplars_own_function_is_caught_before_evaluation() -> None:
    copied = CARD.split("```c\n")[1].split("```")[0]
    why = exemplar_copy(copied, [("Multiple accumulators", CARD)], "scale")
    assert why is not None and "sum4" in why and "Multiple accumulators" in why and "scale" in why
    own = "void scale(float *y, const float *x, int n) { for (int i = 0; i < n; i++) y[i] = 2 * x[i]; }"
    assert exemplar_copy(own, [("Multiple accumulators", CARD)], "scale") is None
    renamed = copied.replace("float sum4(", "float scale(")
    assert exemplar_copy(renamed, [("Multiple accumulators", CARD)], "scale") is not None  # nearly verbatim
    assert defined_functions(own) == {"scale"}


def test_technique_keys_islands() -> None:
    assert technique("Vectorise with AVX2 intrinsics") == "vectorise"
    assert technique("Cache blocking: tile the loops for locality") == "memory"
    assert technique("Four accumulators break the dependency chain") == "ilp"
    assert technique("Use Horner's rule") == "algorithm"
    assert technique("Make it better") == "other"


def test_population_chooses_by_score_and_novelty_within_budget() -> None:
    pop = Population("void f(void) { ref(); }", islands=3, island_size=2, lineage_budget=2, novelty_weight=0.3)
    assert pop.choose("vectorise with simd") is pop.root  # nothing yet: the reference
    pop.add("c0001", "void f(void) { simd_a(); }", 2.0, "vectorise with simd", "2.0x")
    pop.add("c0002", "void f(void) { simd_b(); more(); }", 1.5, "simd lanes", "1.5x")
    pop.add("c0003", "void f(void) { simd_c(); }", 1.2, "avx vector", "1.2x")  # third in a 2-slot island
    assert [m.id for m in pop.islands["vectorise"]] == ["c0001", "c0002"]
    assert pop.choose("vectorise it").id == "c0001"
    assert pop.choose("vectorise it").id == "c0001"
    assert pop.choose("vectorise it").id == "c0002"  # c0001 used up its lineage budget
    pop.add("c0004", "void f(void) { tile(); }", 3.0, "cache tiling", "3.0x")
    assert pop.choose("unroll to break the dependency chain").id == "c0004"  # no ilp island yet: the elites
    assert set(pop.describe()) == {"vectorise", "memory"}


REF = """/* naive */
void stencil(const float *in, float *out, int n) {
    for (int i = 0; i < n; i++)
        out[i] = 0.5f * (in[i] + in[i + 2]);
}
"""


def test_the_reference_function_under_new_clothes_is_unchanged() -> None:
    padded = ("#include <stdlib.h>\n// helper\nstatic void zero(float* out, int n) { for (int i = 0; i < n; i++) "
              "out[i] = 0; }\n\nvoid stencil(const float* in, float* out, int n)\n{\n  for (int i = 0; i < n; i++)"
              "\n    out[i] = 0.5f * (in[i] + in[i + 2]);  // same\n}\n")
    assert unchanged_function(padded, REF, "stencil")
    # a real change, a helper the function calls, restrict, a pragma, or another function: not the reference
    assert not unchanged_function(REF.replace("i++", "i += 1"), REF, "stencil")
    calls = ("static float half(float x) { return 0.5f * x; }\n"
             + REF.replace("0.5f * (in[i] + in[i + 2])", "half(in[i] + in[i + 2])"))
    calls_ref = "static float half(float x) { return x * 0.5f; }\n" + calls.split("\n", 1)[1]
    assert not unchanged_function(calls_ref, calls, "stencil")  # same body, but the helper it calls changed
    assert not unchanged_function(REF.replace("const float *in", "const float *restrict in"), REF, "stencil")
    assert not unchanged_function('#pragma GCC optimize("unroll-loops")\n' + REF, REF, "stencil")
    assert not unchanged_function(REF.replace("stencil", "other"), REF, "stencil")


def test_system_includes_do_not_make_compiled_code_new() -> None:
    with_includes = "#include <stdlib.h>\n#include <math.h>\n" + REF
    assert code_key(with_includes) == code_key(REF) and source_key(with_includes) != source_key(REF)
    # tgmath.h makes math calls type-generic, and a local header is not a system one: both count
    assert code_key("#include <tgmath.h>\n" + REF) != code_key(REF)
    assert code_key('#include "fast.h"\n' + REF) != code_key(REF)


def test_judged_code_knows_every_kind_of_repeat() -> None:
    judged = JudgedCode(REF, "stencil", compiled_rules=True)
    assert judged.where("/* again */ " + REF) == "the reference"
    assert judged.where("#include <math.h>\n" + REF) == "the reference, the same code but for its #include lines"
    new = REF.replace("i++", "i += 1")
    assert judged.where(new) is None
    judged.claim(new, "iteration 1")
    assert judged.where(new) == "iteration 1"  # a second copy in the same round
    judged.judged(new, "c0001", compiled=False)  # did not compile: an include may be the fix
    assert judged.where("#include <stdlib.h>\n" + new) is None
    judged.judged(new, "c0001", compiled=True)
    assert judged.where("#include <stdlib.h>\n" + new) == "c0001, the same code but for its #include lines"
    judged.forget(new)  # the harness failed: it may come again
    assert judged.where(new) is None
    python = JudgedCode("def f(x):\n    return x\n", "f", compiled_rules=False)  # solve tasks: normal form only
    assert python.where("import os\ndef f(x):\n    return x\n") is None


def test_judged_code_knows_code_that_compiles_to_what_was_judged() -> None:
    """With the evaluator's compiler behind it (here a stand-in that maps sources to their "machine code"),
    code new in its text only is the code it compiles like: the reference, or a judged candidate."""
    compiled = {REF: "A", "// braced\n" + REF.replace("n; i++)", "n; i++) {") + "}": "A", "fast": "B",
                "fast, renamed": "B", "broken": None}
    asked: list[str] = []

    def machine_code(source: str) -> str | None:
        asked.append(source)
        return compiled.get(source)

    judged = JudgedCode(REF, "stencil", compiled_rules=True, machine_code=machine_code)
    braced = "// braced\n" + REF.replace("n; i++)", "n; i++) {") + "}"
    assert judged.where(braced) == ("the reference: its stencil compiles to the same machine code, so whatever "
                                   "was changed, the compiler emits the same program")
    assert judged.where("fast") is None
    judged.claim("fast", "iteration 1")
    judged.judged("fast", "c0001", compiled=True)
    assert judged.where("fast, renamed").startswith("c0001: its stencil compiles to the same machine code")
    assert judged.where("broken") is None and judged.where("unknown") is None
    assert asked.count(REF) == 1 and asked.count("fast") == 1  # each source compiled once
    judged.forget("fast")  # the harness failed: its machine code is not judged either
    assert judged.where("fast, renamed") is None
    assert JudgedCode(REF, "stencil", compiled_rules=False, machine_code=machine_code).where(braced) is None


def test_the_debugger_keeps_its_turn_only_while_it_pays_per_token() -> None:
    y = Yields(trial=2)
    y.coder_result(True)
    y.repair_result(False)
    assert y.may_repair(Spent(debugger=1700, coder=1400))  # still in its trial
    y.repair_result(True)  # (1 + 1) correct per 3400 tokens against the coder's (1 + 1) per 1400
    assert not y.may_repair(Spent(debugger=3400, coder=1400)) and y.retired
    assert not y.may_repair(Spent(debugger=3400, coder=99999))  # once retired, for the rest of the job
    close = Yields(trial=2)
    close.coder_result(True)
    close.repair_result(True)
    close.repair_result(False)  # (1 + 1) per 3400 against (1 + 1) per 4000: it may go on
    assert close.may_repair(Spent(debugger=3400, coder=4000))
    paying = Yields(trial=2)
    paying.repair_result(True)
    paying.repair_result(True)
    paying.coder_result(False)
    assert paying.may_repair(Spent(debugger=3400, coder=1400))  # 2 correct against none
    nothing = Yields(trial=1)
    nothing.repair_result(False)
    assert not nothing.may_repair(Spent(debugger=1700, coder=1400))  # nothing against nothing: the cheaper role gets the tokens
    cheap = Yields(trial=1)
    cheap.repair_result(False)
    assert cheap.may_repair(Spent(debugger=1700, coder=2400))  # the coder has spent more for nothing
    always = Yields(trial=None)
    for _ in range(5):
        always.repair_result(False)
    assert always.may_repair(Spent(debugger=10**6, coder=1))


def test_a_models_history_decides_the_debuggers_turn_before_its_first_repair() -> None:
    """The trial and the rule count the model's earlier jobs with this one: a history of repairs that did not
    pay retires the debugger at once; a coder whose tokens per success grow past the debugger's lets it back
    in."""
    unpaid = Tally(repairs=40, repaired=0, repair_tokens=70_000, coded=10, coder_tokens=30_000, jobs=8)
    y = Yields(trial=2, prior=unpaid)
    assert not y.may_repair(Spent(debugger=0, coder=0)) and y.retired
    assert "in 8 earlier jobs of these models, 0 of 40 repairs" in y.describe(Spent())
    assert Yields(trial=2, prior=Tally(repairs=1)).may_repair(Spent(debugger=0, coder=0))  # the trial is not over
    # the coder's yield fell below what one more correct repair would make the debugger's
    starved = Tally(repairs=40, repaired=0, repair_tokens=70_000, coded=0, coder_tokens=90_000, jobs=8)
    assert Yields(trial=2, prior=starved).may_repair(Spent(debugger=0, coder=0))


#: Every role played by one model.
SAME = {"debugger": "m", "coder": "m", "planner": "m"}


def test_the_ledger_keeps_each_models_jobs_apart_and_counts_a_resumed_job_once(tmp_path: Path) -> None:
    path = tmp_path / "yields.json"
    one = YieldLedger(path, "run-1")
    assert one.prior(SAME) == Tally()  # no file yet: no history
    one.record(SAME, Tally(repairs=2, repaired=0, repair_tokens=3000, coded=1, coder_tokens=2000, jobs=1))
    one.record(SAME, Tally(repairs=3, repaired=1, repair_tokens=5000, coded=2, coder_tokens=4000, jobs=1))
    two = YieldLedger(path, "run-2")
    assert two.prior(SAME) == Tally(3, 1, 5000, 2, 4000, 1)  # run-1 once, as last written
    assert one.prior(SAME) == Tally()  # a job's own entry is not its history
    # a debugger and a coder on different models: each role's counts under its own model
    two.record({"debugger": "big", "coder": "small"}, Tally(repairs=4, repaired=4, repair_tokens=8000, coded=0, coder_tokens=900))
    three = YieldLedger(path, "run-3")
    assert three.prior({"debugger": "big", "coder": "small"}) == Tally(4, 4, 8000, 0, 900, 1)
    assert three.prior({"debugger": "small", "coder": "big"}) == Tally()
    assert three.prior({"debugger": "m", "coder": "small"}) == Tally(3, 1, 5000, 0, 900, 2)
    path.write_text("{not json")
    assert three.prior(SAME) == Tally()  # an unreadable ledger is an empty history, not an error
    three.record(SAME, Tally(repairs=1))
    assert YieldLedger(path, "run-4").prior(SAME).repairs == 1


def test_the_ledger_keeps_each_models_newest_jobs(tmp_path: Path) -> None:
    path = tmp_path / "yields.json"
    for i in range(5):
        YieldLedger(path, f"run-{i}", keep=3).record(SAME, Tally(repairs=1, coded=i))
    YieldLedger(path, "run-2", keep=3).record(SAME, Tally(repairs=1, coded=20))  # resumed: now the newest
    YieldLedger(path, "run-5", keep=3).record(SAME, Tally(repairs=1, coded=5))
    assert list(json.loads(path.read_text())["m"]) == ["run-4", "run-2", "run-5"]
    assert YieldLedger(path, "reader").prior(SAME) == Tally(repairs=3, coded=29, jobs=3)


def _record_many(path: str, worker: int) -> None:
    for i in range(20):
        YieldLedger(Path(path), f"w{worker}-{i}").record(SAME, Tally(repairs=1, coded=1))


def test_jobs_writing_the_ledger_at_once_lose_no_entry(tmp_path: Path) -> None:
    path = tmp_path / "yields.json"
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_record_many, args=(str(path), w)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert YieldLedger(path, "reader").prior(SAME) == Tally(repairs=60, coded=60, jobs=60)


def test_the_planner_plans_a_round_only_while_its_gains_per_token_beat_the_free_plans() -> None:
    y = Yields(trial=2)
    assert y.may_plan(Spent())  # nothing judged yet: the planner gets its first round
    y.coder_result(True, planned=False, gain=False)
    y.coder_spent(False, 1200)
    assert y.may_plan(Spent(planner=1300))  # the free plan judged, the planner's plans not yet
    for _ in range(3):
        y.coder_result(False, planned=True)
        y.coder_spent(True, 1250)
    # neither side gained: (0 + 1) per 1300 + 3750 tokens against (0 + 1) per 1200, the free plan's turn
    assert not y.may_plan(Spent(planner=1300))
    assert "0 of 3 candidates from plans gained (5050 tokens), 0 of 1 from the free plan (1200 tokens)" \
        in y.describe_plans(Spent(planner=1300))
    for _ in range(4):  # a round of free plans, still nothing: the tokens even out and the planner is back
        y.coder_result(False, planned=False)
        y.coder_spent(False, 1200)
    assert y.may_plan(Spent(planner=1300))
    y.coder_result(True, planned=False, gain=True)  # the free plan gains: (1 + 1) per 7200 against 1 per 5050
    y.coder_spent(False, 1200)
    assert not y.may_plan(Spent(planner=1300))
    assert y.job(Spent(planner=1300, coder=9999)).plan_tokens == 5050  # the planner's own tokens count
    y.coder_result(True, planned=None)  # free plans off: counted as coded, not in the comparison
    assert (y.counts.coded, y.counts.planned, y.counts.free) == (3, 3, 6)
    # a history in which plans gained: the planner keeps planning though this job's plans have not
    history = Tally(planned=30, planned_gains=6, plan_tokens=50_000, free=10, free_gains=0, free_tokens=12_000)
    assert Yields(trial=2, prior=history).may_plan(Spent())
    assert "in 0 earlier jobs" not in Yields(trial=2).describe_plans(Spent())
    # free plans off: the planner's tokens are not recorded, so a later job with free plans does not inherit them
    assert Yields(trial=2, compare_plans=False).job(Spent(planner=1300)).plan_tokens == 0


def test_the_ledger_keeps_the_planners_counts_under_the_planners_model(tmp_path: Path) -> None:
    path = tmp_path / "yields.json"
    models = {"debugger": "small", "coder": "small", "planner": "big"}
    YieldLedger(path, "run-1").record(models, Tally(coded=1, planned=3, planned_gains=1, plan_tokens=5000, free=2,
                                                    free_gains=0, free_tokens=2400, jobs=1))
    data = json.loads(path.read_text())
    assert data["big"]["run-1"] == {"planned": 3, "planned_gains": 1, "plan_tokens": 5000}
    assert data["small"]["run-1"]["free_tokens"] == 2400 and "planned" not in data["small"]["run-1"]
    assert YieldLedger(path, "run-2").prior(models) == Tally(coded=1, planned=3, planned_gains=1, plan_tokens=5000,
                                                             free=2, free_tokens=2400, jobs=1)
    # the same small model planning for itself has no planning history
    assert YieldLedger(path, "run-2").prior({"coder": "small"}).planned == 0
