"""The analyst: plans read off a profile, each for the code it measured, each once per job."""

from __future__ import annotations

import json
from pathlib import Path

from mapforge.agents.analyst import Analyst, Measured
from mapforge.agents.parsing import parse_plans
from mapforge.evaluators.verdict import LoopReport, Profile
from mapforge.search.population import Population
from tests.helpers import rewrites_that_differ

SUM = LoopReport(line=4, code="for (int i = 0; i < n; i++) s += x[i];", width=64, in_order=True)
DOT = LoopReport(line=9, code="for (int i = 0; i < n; i++) d += x[i] * y[i];", width=64, in_order=True)
SCALE = LoopReport(line=3, code="for (int i = 0; i < n; i++) a[i] = 2 * b[i];", width=64)
MISSED = LoopReport(line=7, code="for (int i = 1; i < n; i++) a[i] = a[i-1] + b[i];",
                    missed="not vectorized: unsupported use in stmt")


def test_an_in_order_reduction_becomes_a_partial_sums_plan_for_the_code_measured() -> None:
    plans = Analyst().run([Measured("reference", Profile(loops=[SCALE, SUM, MISSED]), 0.2)])
    assert len(plans) == 1
    plan = plans[0]
    assert plan.temperature == 0.0  # a shape to follow: coded at temperature 0 by default
    assert plan.parent == "reference" and plan.title == "Independent partial sums for the reduction on line 4"
    assert f"`{SUM.code}`" in plan.bottleneck and "in-order reduction" in plan.bottleneck
    assert "acc[k] += /* the loop's term for element i + k */;" in plan.approach and "vector registers" in plan.approach


def test_a_sum_the_compiler_left_scalar_gets_partial_sums_in_the_whole_code() -> None:
    """Not vectorised at all (a float converted to a double sum: gcc found no vector type), the chain of additions is
    the same: each waits for the one before."""
    source = ("#include <math.h>\n\nvoid f(const float *restrict x, int n, double *restrict out)\n{\n"
              "    double s = 0.0;\n    for (int i = 0; i < n; i++)\n        s += fabsf(x[i]);\n    out[0] = s;\n}\n")
    report = LoopReport(line=7, code="s += fabsf(x[i]);", missed="not vectorized: no vectype for stmt")
    plans = Analyst().run([Measured("reference", Profile(loops=[report]), 0.2, source)])
    assert [p.title for p in plans] == ["Independent partial sums for the reduction on line 6"]
    assert "did not vectorise the loop on lines 6-7 (not vectorized: no vectype for stmt)" in plans[0].bottleneck
    code = plans[0].code
    assert code is not None and "double acc[16] = {0};" in code and "acc[k] += fabsf(x[(i + k)]);" in code
    assert code.endswith("        s += total;\n    }\n    out[0] = s;\n}\n")
    # a running sum is no reduction: the scan's plan, not partial sums
    scan = source.replace("s += fabsf(x[i]);", "{ s += fabsf(x[i]); out[i] = s; }")
    assert [p.title[:10] for p in Analyst().run([Measured("reference", Profile(loops=[report]), 0.2, scan)])] == [
        "Run the su"]


def test_nothing_to_plan_without_a_finding_or_a_profile() -> None:
    assert Analyst().run([Measured("reference", Profile(loops=[SCALE, MISSED])), Measured("c0001", None)]) == []


def test_code_moving_its_data_near_streaming_bandwidth_has_no_reduction_chain_worth_a_plan() -> None:
    """A fast candidate's loop over the leftover elements is an in-order reduction too, and costs nothing."""
    assert Analyst().run([Measured("c0001", Profile(loops=[SUM]), 0.8)]) == []
    assert len(Analyst().run([Measured("c0001", Profile(loops=[SUM]), 0.3)])) == 1
    assert len(Analyst().run([Measured("c0001", Profile(loops=[SUM]), None)])) == 1  # not measured


def test_each_plan_is_offered_once_per_job_and_per_round_in_the_order_given() -> None:
    analyst = Analyst(per_round=1)
    both = Profile(loops=[SUM, DOT])
    codes = [Measured("c0003", both), Measured("reference", Profile(loops=[SUM]))]
    first, second, third = analyst.run(codes), analyst.run(codes), analyst.run(codes)
    assert [(p.parent, p.title[-9:]) for p in first + second + third] == [
        ("c0003", "on line 4"), ("c0003", "on line 9"), ("reference", "on line 4")]
    assert analyst.run(codes) == []


def test_a_models_plan_names_no_parent_whatever_its_json_says() -> None:
    reply = "```json\n" + json.dumps([{"title": "t", "bottleneck": "b", "approach": "a", "confidence": 0.5,
                                        "parent": "reference"}]) + "\n```"
    reply = reply.replace('"parent"', '"temperature": 1.5, "parent"')
    assert parse_plans(reply, 3)[0].parent is None and parse_plans(reply, 3)[0].temperature is None


def test_a_plan_takes_its_parent_while_that_code_is_a_parent() -> None:
    pop = Population("void f(void) {}", islands=2, island_size=1, lineage_budget=1, novelty_weight=0.0)
    fast = pop.add("c0001", "void f(void) { /* fast */ }", 2.0, "unroll the loop", "2.0x")
    assert fast is not None and [m.id for m in pop.by_speedup()] == ["c0001", "reference"]
    assert pop.take("c0001") is fast and fast.children == 1
    assert pop.take("c0001") is None  # its lineage budget is spent
    assert pop.take("reference") is pop.root and pop.take("c0009") is None
    pop.add("c0002", "void f(void) { /* faster */ }", 3.0, "unroll the loop more", "3.0x")  # evicts c0001
    assert pop.take("c0001") is None and [m.id for m in pop.by_speedup()] == ["c0002", "reference"]


TWO_STORES = """void f(float *restrict x, float *restrict y, const float *restrict z, int n)
{
    for (int i = 0; i < n - 1; i++) {
        x[i] *= z[i];
        y[i] += x[i + 1] * z[i];
    }
}
"""
LOOP = LoopReport(line=3, code="for (int i = 0; i < n - 1; i++) {", missed="couldn't vectorize loop")
STMT = LoopReport(line=4, code="x[i] *= z[i];", missed="not vectorized: no vectype for stmt")


def test_a_loop_the_compiler_left_scalar_that_splits_legally_gets_the_split_written_out() -> None:
    plans = Analyst().run([Measured("reference", Profile(loops=[LOOP, STMT]), 0.1, TWO_STORES)])
    assert [(p.parent, p.title) for p in plans] == [("reference", "Split the loop on line 3 into 2 loops")]
    assert "`x[i] *= z[i];`: not vectorized: no vectype for stmt" in plans[0].bottleneck  # the statement's reason
    # y reads x[i + 1] before x's statement overwrites it: its loop first
    assert ("for (int i = 0; i < n - 1; i++) {\n    y[i] += x[i + 1] * z[i];\n}\n"
            "for (int i = 0; i < n - 1; i++) {\n    x[i] *= z[i];\n}") in plans[0].approach
    assert "the next in loop 1, loop 2" in plans[0].approach


def test_no_distribution_plan_without_a_legal_split_that_frees_a_loop_or_a_missed_innermost_loop() -> None:
    def plans(source: str, loops: list[LoopReport], share: float | None = 0.1) -> list[str]:
        return [p.title for p in Analyst().run([Measured("reference", Profile(loops=loops), share, source)])]

    one_array = TWO_STORES.replace("y[i] +=", "x[i] +=")
    comparison = TWO_STORES.replace("y[i] += x[i + 1] * z[i];", "if (y[i] == x[i + 1]) x[i] = 0;")
    nested = TWO_STORES.replace("x[i] *= z[i];", "for (int k = 0; k < 4; k++) x[i] *= z[k];")
    cycle = TWO_STORES.replace("y[i] += x[i + 1] * z[i];", "y[i] += x[i + 1] * x[i];")  # x[i] new, x[i + 1] old
    both_serial = TWO_STORES.replace("x[i] *= z[i];", "x[i] = x[i - 1] * z[i];").replace("y[i] += x[i + 1]", "y[i] = y[i - 1] + x[i]")
    vectorised = LOOP.model_copy(update={"width": 64, "missed": ""})
    for source in (one_array, comparison, nested, cycle, both_serial):
        assert plans(source, [LOOP]) == [], source
    assert plans(TWO_STORES, [vectorised]) == plans("", [LOOP]) == []
    # the report decides, whatever the bandwidth: data that fits in cache can run above the streaming share
    assert len(plans(TWO_STORES, [LOOP], share=None)) == len(plans(TWO_STORES, [LOOP], share=0.98)) == 1


COLUMNS = """void f(float *restrict c, const float *restrict a, const float *restrict b, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            for (int k = 0; k < n; k++) {
                c[i * n + j] += a[i * n + k] * b[k * n + j];
            }
        }
}
"""
INNERMOST = LoopReport(line=5, code="for (int k = 0; k < n; k++) {", missed="not vectorized: complicated access pattern")


def test_a_column_walk_that_may_swap_loops_gets_the_swapped_nest_written_out() -> None:
    plans = Analyst().run([Measured("reference", Profile(loops=[INNERMOST]), 0.05, COLUMNS)])
    assert [(p.parent, p.title) for p in plans] == [("reference", "Interchange the loops of the nest on line 4")]
    assert "walks b down a column" in plans[0].bottleneck and "5% of the streaming bandwidth" in plans[0].bottleneck
    assert "complicated access pattern" in plans[0].bottleneck  # the compiler's own words
    whole = COLUMNS.replace("for (int j = 0; j < n; j++) {\n            for (int k = 0; k < n; k++) {",
                            "for (int k = 0; k < n; k++) {\n            for (int j = 0; j < n; j++) {")
    assert f"the nest on lines 4-8 replaced:\n```c\n{whole}```" in plans[0].approach  # the whole code, to copy
    assert "can vectorise it" in plans[0].approach


TWO_WALKS = """void f(float *restrict a, float *restrict b, const float *restrict c, int n)
{
    for (int i = 1; i < n; i++) {
        for (int j = 1; j < n; j++)
            a[j * n + i] = a[(j - 1) * n + i] + c[j * n + i];
        for (int j = 1; j < n; j++)
            b[j * n + i] = b[j * n + i - 1] + c[j * n + i];
    }
}
"""


def test_a_loop_over_two_column_walks_is_planned_split_then_swapped_in_the_whole_code() -> None:
    report = LoopReport(line=6, code="for (int j = 1; j < n; j++)", missed="couldn't vectorize loop")
    plans = Analyst().run([Measured("reference", Profile(loops=[report]), 0.05, TWO_WALKS)])
    assert [p.title for p in plans] == ["Split the loop on line 3 into 2 loops and interchange the column walks"]
    assert "walks `a`, `c`, `b` down a column" in plans[0].bottleneck and "couldn't vectorize" in plans[0].bottleneck
    code = plans[0].code
    assert code is not None and code.count("for (int i = 1; i < n; i++) {") == 2
    assert code.index("for (int j = 1; j < n; j++) {") < code.index("for (int i = 1; i < n; i++) {")
    # near the streaming bandwidth, or where the second walk reads what the first writes: no plan
    assert Analyst().run([Measured("reference", Profile(loops=[report]), 0.9, TWO_WALKS)]) == []
    tied = TWO_WALKS.replace("b[j * n + i - 1]", "a[j * n + i - 1]")
    assert Analyst().run([Measured("reference", Profile(loops=[report]), 0.05, tied)]) == []


SUMMED = """void f(float *restrict c, const float *restrict a, const float *restrict b, int n)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            float s = 0;
            for (int k = 0; k < n; k++)
                s += a[i * n + k] * b[k * n + j];
            c[i * n + j] = s;
        }
    c[0] += 1;
}
"""


def test_a_nest_with_statements_beside_its_inner_loop_is_planned_split_then_swapped_in_the_whole_code() -> None:
    report = LoopReport(line=6, code="for (int k = 0; k < n; k++)", missed="not vectorized: complicated access pattern")
    plans = Analyst().run([Measured("reference", Profile(loops=[report]), 0.05, SUMMED)])
    assert [p.title for p in plans] == ["Interchange the loops of the nest on line 4"]
    approach = plans[0].approach
    assert "Loop distribution, then interchange" in approach and "running sum `s`" in approach
    assert ("the nest on lines 4-9 replaced:\n```c\nvoid f(float *restrict c, const float *restrict a, "
            "const float *restrict b, int n)\n{\n    for (int i = 0; i < n; i++)\n"
            "        {\n            for (int j = 0; j < n; j++) {\n                c[i * n + j] = 0;\n            }\n"
            "            for (int k = 0; k < n; k++) {\n                for (int j = 0; j < n; j++) {\n"
            "                    c[i * n + j] += a[i * n + k] * b[k * n + j];\n                }\n            }\n"
            "        }\n    c[0] += 1;\n}\n```") in approach  # in braces: the unbraced loop over i holds all of it
    # a nest that ends on a line with other code: the nest alone, to put in place
    shared = SUMMED.replace("c[i * n + j] = s;\n        }\n", "c[i * n + j] = s;\n        } c[1] = 0;\n")
    alone = Analyst().run([Measured("reference", Profile(loops=[report]), 0.05, shared)])[0].approach
    assert "The nest becomes:\n```c\n{\n    for (int j = 0; j < n; j++) {\n        c[i * n + j] = 0;\n    }" in alone
    assert "Keep any loops around it." in alone


def test_no_interchange_plan_near_streaming_bandwidth_without_a_report_or_a_legal_swap() -> None:
    def plans(source: str, loops: list[LoopReport], share: float | None = 0.05) -> list[str]:
        return [p.title for p in Analyst().run([Measured("reference", Profile(loops=loops), share, source)])]

    assert plans(COLUMNS, [INNERMOST], share=0.7) == []
    assert plans(COLUMNS, []) == []  # the compiler reported on no loop of the nest
    backwards = COLUMNS.replace("a[i * n + k] * b[k * n + j]", "c[i * n + j - 1] * b[k * n + j]").replace(
        "c[i * n + j] +=", "c[(i + 0) * n + j + 1] =")
    assert plans(backwards, [INNERMOST]) == []
    assert len(plans(COLUMNS, [INNERMOST], share=None)) == 1  # bandwidth not measured: the report decides


def test_the_costliest_finding_is_planned_first_a_column_walk_before_an_in_order_reduction() -> None:
    both = LoopReport(line=6, code="for (int k = 0; k < n; k++)", width=32, in_order=True)
    analyst = Analyst(per_round=1)
    first = analyst.run([Measured("reference", Profile(loops=[both]), 0.05, SUMMED)])
    second = analyst.run([Measured("reference", Profile(loops=[both]), 0.05, SUMMED)])
    assert [p.title for p in first + second] == ["Interchange the loops of the nest on line 4",
                                                 "Independent partial sums for the reduction on line 6"]


def test_an_in_order_reduction_the_analyst_understands_gets_the_whole_code_rewritten() -> None:
    source = ("float f(const float *x, int n)\n{\n    float s = 0;\n    for (int i = 0; i < n; i++)\n"
              "        s += x[i] * x[i];\n    return s;\n}\n")
    report = LoopReport(line=4, code="for (int i = 0; i < n; i++)", width=32, in_order=True)
    plans = Analyst().run([Measured("reference", Profile(loops=[report]), 0.1, source)])
    assert [p.title for p in plans] == ["Independent partial sums for the reduction on line 4"]
    assert ("the loop on lines 4-5 replaced:\n```c\nfloat f(const float *x, int n)\n{\n    float s = 0;\n    {\n"
            "        float acc[16] = {0};\n        int i = 0;\n") in plans[0].approach
    assert "            acc[k] += x[(i + k)] * x[(i + k)];\n" in plans[0].approach
    assert "        s += total;\n    }\n    return s;\n}\n```" in plans[0].approach
    # a loop it does not understand: the skeleton, the term left to the coder
    odd = source.replace("s += x[i] * x[i];", "s += x[i] > 0 ? x[i] : 0;")
    assert "/* the loop's term for element i + k */" in Analyst().run(
        [Measured("reference", Profile(loops=[report]), 0.1, odd)])[0].approach


def test_a_written_out_plan_carries_the_whole_code_to_evaluate_and_a_skeleton_none() -> None:
    """``Plan.code`` is what ``agents.analyst_writes`` evaluates with no coder call: the parent's whole source
    with the loop or nest replaced, the same text the plan shows. A plan that leaves the loop's term to the
    coder, or a nest that shares a line with other code, has none."""
    swap = Analyst().run([Measured("reference", Profile(loops=[INNERMOST]), 0.05, COLUMNS)])[0]
    assert swap.code is not None and f"```c\n{swap.code}```" in swap.approach
    split = Analyst().run([Measured("reference", Profile(loops=[LOOP, STMT]), 0.1, TWO_STORES)])[0]
    assert split.code == TWO_STORES.replace(
        "    for (int i = 0; i < n - 1; i++) {\n        x[i] *= z[i];\n        y[i] += x[i + 1] * z[i];\n    }\n",
        "    {\n        for (int i = 0; i < n - 1; i++) {\n            y[i] += x[i + 1] * z[i];\n        }\n"
        "        for (int i = 0; i < n - 1; i++) {\n            x[i] *= z[i];\n        }\n    }\n")
    report = LoopReport(line=6, code="for (int k = 0; k < n; k++)", missed="not vectorized: complicated access pattern")
    shared = SUMMED.replace("c[i * n + j] = s;\n        }\n", "c[i * n + j] = s;\n        } c[1] = 0;\n")
    assert Analyst().run([Measured("reference", Profile(loops=[report]), 0.05, shared)])[0].code is None
    assert Analyst().run([Measured("reference", Profile(loops=[SUM]), 0.2)])[0].code is None  # the skeleton


UNDER = """void f(float *restrict x, float *restrict y, const float *restrict z, int n, int m)
{
    for (int j = 0; j < m; j++)
        for (int i = 0; i < n - 1; i++)
        {
            x[i] *= z[i];
            y[i] += x[i + 1] * z[i];
        }
}
"""


def test_a_split_under_an_unbraced_loop_stays_under_it_and_computes_the_same(tmp_path: Path) -> None:
    """The brace on a line of its own and the unbraced loop around the split: the written-out code, compiled
    beside the original, computes the same on the same data."""
    report = LoopReport(line=4, code="for (int i = 0; i < n - 1; i++)", missed="couldn't vectorize loop")
    plan = Analyst().run([Measured("reference", Profile(loops=[report]), 0.1, UNDER)])[0]
    assert plan.title == "Split the loop on line 4 into 2 loops" and plan.code is not None
    assert plan.code.count("{") == UNDER.count("{") + 2  # one loop more, and the braces that hold both
    same = """#define N 37
#define M 5
typedef void (*fn)(float *restrict, float *restrict, const float *restrict, int, int);
int same(fn f, fn g) {
    static float x[2][N], y[2][N], z[N];
    for (int k = 0; k < N; k++) { x[0][k] = x[1][k] = k % 7 + 1; y[0][k] = y[1][k] = k % 3; z[k] = k % 5 - 2; }
    f(x[0], y[0], z, N, M);
    g(x[1], y[1], z, N, M);
    return memcmp(x[0], x[1], sizeof x[0]) == 0 && memcmp(y[0], y[1], sizeof y[0]) == 0;
}
"""
    functions = UNDER.replace("void f(", "void orig0(") + plan.code.replace("void f(", "void new0(")
    assert rewrites_that_differ(tmp_path, functions, same, [0]) == ""


PASSES = ("void f(float *a, const float *b, float *c, int n)\n{\n"
          "    for (int i = 0; i < n; i++)\n        a[i] = b[i] * 2;\n"
          "    for (int i = 0; i < n; i++) {\n        c[i] = a[i] + b[i];\n    }\n}\n")


def test_loops_passing_over_the_same_arrays_get_the_fused_loop_written_out() -> None:
    plans = Analyst().run([Measured("reference", Profile(loops=[SCALE]), 0.9, PASSES)])
    assert [(p.parent, p.title) for p in plans] == [("reference", "Fuse the 2 loops on lines 3-7")]
    assert "loading `a`, `b` again" in plans[0].bottleneck
    fused = ("void f(float *a, const float *b, float *c, int n)\n{\n    for (int i = 0; i < n; i++) {\n"
             "        a[i] = b[i] * 2;\n        c[i] = a[i] + b[i];\n    }\n}\n")
    assert plans[0].code == fused and f"```c\n{fused}```" in plans[0].approach
    # the fused code has one loop left: nothing to fuse in it; nor without a profile, nor where a later loop
    # reads an element the earlier one writes at another iteration
    assert Analyst().run([Measured("c1", Profile(loops=[SCALE]), 0.9, fused)]) == []
    assert Analyst().run([Measured("reference", None, 0.9, PASSES)]) == []
    shifted = PASSES.replace("c[i] = a[i] + b[i]", "c[i] = a[i + 1] + b[i]")
    assert Analyst().run([Measured("reference", Profile(loops=[SCALE]), 0.9, shifted)]) == []


CHAIN = ("void f(float *restrict a, const float *restrict b, const float *restrict d, int n)\n{\n"
         "    for (int i = 0; i < n; i++) {\n        if (d[i] < 0.0f)\n            a[i] += b[i];\n"
         "        else\n            a[i] = b[i] * 2.0f;\n    }\n}\n")
BRANCHY = LoopReport(line=3, code="for (int i = 0; i < n; i++) {", missed="not vectorized: control flow in loop.")


def test_a_loop_left_scalar_by_its_branches_gets_their_assignments_kept_by_masks_in_the_whole_code() -> None:
    plans = Analyst().run([Measured("reference", Profile(loops=[BRANCHY]), 0.2, CHAIN)])
    assert [(p.parent, p.title) for p in plans] == [
        ("reference", "Keep the branches' assignments by masks in the loop on line 3")]
    assert "control flow in loop" in plans[0].bottleneck and "2 branches assign `a[i]`" in plans[0].bottleneck
    code = plans[0].code
    assert code is not None and code.startswith(CHAIN.split("    for")[0])
    assert ("    for (int i = 0; i < n; i++) {\n        unsigned int mf_c1 = -(unsigned int)((d[i] < 0.0f) != 0);\n"
            "        float mf_v2 = a[i] + (b[i]);\n") in code
    assert code.endswith("        __builtin_memcpy(&a[i], &mf_o8, sizeof mf_o8);\n    }\n}\n")
    # gcc may name the loop by a line of its body: the loop is found above it
    inside = BRANCHY.model_copy(update={"line": 4})
    assert [p.code for p in Analyst().run([Measured("reference", Profile(loops=[inside]), 0.2, CHAIN)])] == [code]
    # a loop the compiler vectorised, or one whose branches are not understood, gets no plan
    vectorised = LoopReport(line=3, code=BRANCHY.code, width=256)
    assert Analyst().run([Measured("reference", Profile(loops=[vectorised]), 0.2, CHAIN)]) == []
    divided = CHAIN.replace("b[i] * 2.0f", "b[i] / d[i]")
    assert Analyst().run([Measured("reference", Profile(loops=[BRANCHY]), 0.2, divided)]) == []



PACK = ("void f(float *restrict a, const float *restrict b, int n, int *restrict out)\n{\n    int j = -1;\n"
        "    for (int i = 0; i < n; i++) {\n        if (b[i] > 0.0f) {\n            j++;\n            a[j] = b[i];\n"
        "        }\n    }\n    out[0] = j;\n}\n")


def test_a_compaction_left_scalar_gets_its_appends_made_branchless_in_the_whole_code(tmp_path: Path) -> None:
    report = LoopReport(line=4, code="for (int i = 0; i < n; i++) {", missed="couldn't vectorize loop")
    plans = Analyst().run([Measured("reference", Profile(loops=[report]), 0.2, PACK)])
    assert [p.title for p in plans] == ["Append to `a` without branches in the loop on line 4"]
    assert "appends to `a` at `j`, which 1 conditional append(s) step" in plans[0].bottleneck
    code = plans[0].code
    assert code is not None and code.startswith(PACK.split("    for")[0]) and code.endswith("    out[0] = j;\n}\n")
    same = """#define N 2000
typedef void (*fn)(float *, const float *, int, int *);
static int same(fn f, fn g) {
    static float x[N], y[N], b[N];
    for (int i = 0; i < N; i++) { x[i] = y[i] = -i; b[i] = (float)((i * 7919) % 11) - 5; }
    int jf, jg;
    f(x, b, N, &jf);
    g(y, b, N, &jg);
    return jf == jg && memcmp(x, y, sizeof x) == 0;
}
"""
    functions = "static " + PACK.replace("void f", "void orig0") + "static " + code.replace("void f", "void new0")
    assert not rewrites_that_differ(tmp_path, functions, same, [0])
    # a loop the compiler vectorised gets no plan, nor one whose counter the loop reads elsewhere
    vectorised = report.model_copy(update={"width": 256, "missed": None})
    assert Analyst().run([Measured("reference", Profile(loops=[vectorised]), 0.2, PACK)]) == []
    read = PACK.replace("a[j] = b[i];", "a[j] = b[i] + j;")
    assert Analyst().run([Measured("reference", Profile(loops=[report]), 0.2, read)]) == []


EXP = ("#include <math.h>\n\nvoid f(float *restrict y, const float *restrict x, int n)\n{\n"
       "    for (int i = 0; i < n; i++)\n        y[i] = expf(x[i]);\n}\n")


def test_a_loop_left_scalar_by_a_math_call_gets_the_call_inline_in_the_whole_code() -> None:
    report = LoopReport(line=6, code="y[i] = expf(x[i]);", missed="statement clobbers memory")
    plans = Analyst().run([Measured("reference", Profile(loops=[report]), 0.2, EXP)])
    assert [p.title for p in plans] == ["Compute `expf` inline so the loop on line 5 vectorises"]
    assert plans[0].bottleneck.startswith("the compiler's report (measured): line 6 (`y[i] = expf(x[i]);`): statement "
                                          "clobbers memory. The loops on lines 5-6 call `expf`")
    code = plans[0].code
    assert code is not None and code.startswith("#include <math.h>\n\nstatic inline float mf_expf(float x)\n")
    assert code.endswith("    for (int i = 0; i < n; i++)\n        y[i] = mf_expf(x[i]);\n}\n")
    # two loops, one of float expf and one of double exp: one plan renames both and defines both
    two = EXP.replace("}\n", "    for (int i = 0; i < n; i++)\n        z[i] = exp(w[i]);\n}\n")
    second = LoopReport(line=8, code="z[i] = exp(w[i]);", missed="statement clobbers memory")
    plans = Analyst().run([Measured("reference", Profile(loops=[second, report]), 0.2, two)])
    assert [p.title for p in plans] == ["Compute `expf`, `exp` inline so the loops on lines 5, 7 vectorise"]
    code = plans[0].code
    assert code is not None and "static inline float mf_expf(" in code and "static inline double mf_exp(" in code
    assert code.endswith("y[i] = mf_expf(x[i]);\n    for (int i = 0; i < n; i++)\n        z[i] = mf_exp(w[i]);\n}\n")
    # the rounding functions and fmaxf: gcc gives another reason, and the plan is made the same way
    clamp = EXP.replace("expf(x[i])", "floorf(fmaxf(x[i], 0.0f))")
    other = report.model_copy(update={"missed": "not vectorized: no vectype for stmt"})
    plans = Analyst().run([Measured("reference", Profile(loops=[other]), 0.2, clamp)])
    assert [p.title for p in plans] == ["Compute `floorf`, `fmaxf` inline so the loop on line 5 vectorises"]
    code = plans[0].code
    assert code is not None and code.endswith("        y[i] = mf_floorf(mf_fmaxf(x[i], 0.0f));\n}\n")
    # a loop gcc vectorised, or no call it has, or another call beside: no plan
    vectorised = LoopReport(line=5, code="for (int i = 0; i < n; i++)", width=16)
    assert Analyst().run([Measured("reference", Profile(loops=[vectorised]), 0.2, EXP)]) == []
    assert Analyst().run([Measured("reference", Profile(loops=[other]), 0.2,
                                   clamp.replace("0.0f)", "cbrtf(x[i]))"))]) == []
    logs = EXP.replace("expf(", "cbrtf(")
    assert Analyst().run([Measured("reference", Profile(loops=[report]), 0.2, logs)]) == []

ARGMAX = ("void f(const float *restrict a, int n, float *restrict out, int *restrict at)\n{\n    float m = a[0];\n"
          "    int j = 0;\n    for (int i = 0; i < n; i++)\n        if (a[i] > m) { m = a[i]; j = i; }\n"
          "    out[0] = m;\n    at[0] = j;\n}\n")
KEPT = LoopReport(line=5, code="for (int i = 0; i < n; i++)", missed="couldn't vectorize loop")


def test_a_loop_left_scalar_keeping_a_maximum_and_its_index_gets_two_passes_over_keys_in_the_whole_code() -> None:
    plans = Analyst().run([Measured("reference", Profile(loops=[KEPT]), 0.1, ARGMAX)])
    assert [(p.parent, p.title) for p in plans] == [
        ("reference", "Find the largest value by integer keys in the loop on line 5")]
    assert "keeps the largest value of `m`, and sets `j` where it found it" in plans[0].bottleneck
    assert "the second the first index with that key" in plans[0].approach
    code = plans[0].code
    assert code is not None and code.startswith(ARGMAX.split("    for")[0]) and code.endswith(
        "    }\n    out[0] = m;\n    at[0] = j;\n}\n")
    assert code.count("    for (int i = 0; i < n; i++) {") == 2 and "int i = mf_at;" in code
    # a loop the compiler vectorised, or one not understood (a double compared in a float), gets no plan
    vectorised = LoopReport(line=5, code=KEPT.code, width=256)
    assert Analyst().run([Measured("reference", Profile(loops=[vectorised]), 0.1, ARGMAX)]) == []
    wider = ARGMAX.replace("a[i] > m", "a[i] * 2.0 > m").replace("m = a[i];", "m = a[i] * 2.0;")
    assert Analyst().run([Measured("reference", Profile(loops=[KEPT]), 0.1, wider)]) == []


SEARCH = ("void f(const float *restrict a, float t, int n, int *restrict at)\n{\n    int i;\n    for (i = 0; i < n; i++)\n"
          "        if (a[i] > t)\n            break;\n    at[0] = i;\n}\n")
EXIT = LoopReport(line=5, code="if (a[i] > t)", missed="not vectorized: control flow in loop.")


def test_a_search_loop_named_by_its_exit_gets_its_test_by_blocks_in_the_whole_code() -> None:
    plans = Analyst().run([Measured("reference", Profile(loops=[EXIT]), 0.1, SEARCH)])
    assert [(p.parent, p.title) for p in plans] == [
        ("reference", "Test blocks of 32 elements at once in the search loop on line 4")]
    assert "the loop on lines 4-6" in plans[0].bottleneck and "where `a[i] > t`" in plans[0].bottleneck
    code = plans[0].code
    assert code is not None and code.startswith("void f(const float *restrict a, float t, int n, int *restrict at)\n"
                                                "{\n    int i;\n    {\n        i = 0;\n")
    assert code.endswith("    for (; i < n; i++)\n            if (a[i] > t) break;\n    }\n    at[0] = i;\n}\n")
    # a loop with work beside its test gets no plan
    busy = SEARCH.replace("if (a[i] > t)\n            break;", "{ at[1] += 1; if (a[i] > t) break; }")
    assert Analyst().run([Measured("reference", Profile(loops=[EXIT]), 0.1, busy)]) == []


TRANSPOSED = """void f(float *restrict aa, const float *restrict bb, const float *restrict cc, int n)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            aa[i * n + j] = aa[i * n + j] * cc[j * n + i] + bb[i * n + j];
        }
    }
}
"""


def test_a_nest_walking_a_column_in_either_order_is_planned_in_tiles_in_the_whole_code() -> None:
    report = LoopReport(line=4, code="for (int j = 0; j < n; j++) {", width=256)
    plans = Analyst().run([Measured("reference", Profile(loops=[report]), 0.16, TRANSPOSED)])
    assert [p.title for p in plans] == ["Run the nest on line 3 in tiles of 64 x 16"]
    assert "walks cc down a column" in plans[0].bottleneck and "16% of the streaming bandwidth" in plans[0].bottleneck
    code = plans[0].code
    assert code is not None and f"the nest on lines 3-7 replaced:\n```c\n{code}```" in plans[0].approach
    assert code.startswith(TRANSPOSED.split("    for")[0] + "    for (int ii = 0; ii < n; ii += 64) {\n")
    assert "                    aa[i * n + j] = aa[i * n + j] * cc[j * n + i] + bb[i * n + j];\n" in code
    assert Analyst().run([Measured("reference", Profile(loops=[report]), 0.7, TRANSPOSED)]) == []  # near streaming
    assert Analyst().run([Measured("reference", Profile(loops=[]), 0.16, TRANSPOSED)]) == []  # nothing reported
    in_place = TRANSPOSED.replace("aa[i * n + j] = aa[i * n + j] * cc[j * n + i]", "aa[j * n + i] = aa[i * n + j] * 2")
    assert Analyst().run([Measured("reference", Profile(loops=[report]), 0.16, in_place)]) == []  # not legal


WRAPPED = """void f(float *restrict a, const float *restrict b, int n)
{
    float x = b[n - 1];
    for (int i = 0; i < n; i++) {
        a[i] = (b[i] + x) * 0.5f;
        x = b[i];
    }
}
"""


def test_a_loop_left_scalar_by_a_wraparound_scalar_reads_its_previous_value_from_its_source_in_the_whole_code() -> None:
    report = LoopReport(line=4, code="for (int i = 0; i < n; i++) {", missed="couldn't vectorize loop")
    plans = Analyst().run([Measured("reference", Profile(loops=[report]), 1.5, WRAPPED)])
    assert [p.title for p in plans] == ["Read the previous value of `x` from its source in the loop on line 4"]
    assert "`x` carries `b[i]` from one iteration to the next" in plans[0].bottleneck
    code = plans[0].code
    assert code is not None and "the loop vectorises. The code, with lines 4-7 replaced:\n```c\n" in plans[0].approach
    assert "            a[i] = (b[i] + ((float)(b[(i - 1)]))) * 0.5f;\n" in code
    vectorised = report.model_copy(update={"width": 256, "missed": ""})
    assert Analyst().run([Measured("reference", Profile(loops=[vectorised]), 1.5, WRAPPED)]) == []
    running = WRAPPED.replace("x = b[i];", "x = x + b[i];")  # a running sum, no wraparound: the scan's to plan
    assert [p.title for p in Analyst().run([Measured("reference", Profile(loops=[report]), 1.5, running)])] == [
        "Run the sum carried in `x` as 8 chains side by side in the loop on line 4"]


RUNNING = """void f(const float *restrict a, float *restrict b, int n, float *restrict out)
{
    float sum = 0;
    for (int i = 0; i < n; i++) {
        sum += a[i];
        b[i] = sum;
    }
    out[0] = sum;
}
"""


def test_a_loop_left_scalar_carrying_a_running_sum_it_reads_runs_eight_chains_side_by_side_in_the_whole_code() -> None:
    report = LoopReport(line=5, code="sum += a[i];", missed="not vectorized: unsupported use in stmt.")
    plans = Analyst().run([Measured("reference", Profile(loops=[report]), 0.3, RUNNING)])
    assert [p.title for p in plans] == ["Run the sum carried in `sum` as 8 chains side by side in the loop on line 4"]
    assert "every iteration waits for the previous one's addition" in plans[0].bottleneck
    code = plans[0].code
    assert code is not None and "A first pass adds up each segment's terms" in plans[0].approach
    assert "                    scan_run[scan_k] += a[i];\n                    b[i] = scan_run[scan_k];\n" in code
    assert code.endswith("    out[0] = sum;\n}\n") and code.startswith("void f(")
    vectorised = report.model_copy(update={"width": 256, "missed": ""})
    assert Analyst().run([Measured("reference", Profile(loops=[vectorised]), 0.3, RUNNING)]) == []
    recurrence = RUNNING.replace("sum += a[i];\n        b[i] = sum;", "b[i] = b[i - 1] * a[i] + 1.0f;")
    plans = Analyst().run([Measured("reference", Profile(loops=[report]), 0.3, recurrence)])
    assert [p.title for p in plans] == ["Run the linear recurrence (a factor times it plus a term) carried in "
                                        "`b[i - 1]` as 8 chains side by side in the loop on line 4"]
    integer = RUNNING.replace("float sum = 0;", "int sum = 0;")
    assert Analyst().run([Measured("reference", Profile(loops=[report]), 0.3, integer)]) == []


def test_a_loop_over_a_blocked_loops_leftover_iterations_gets_no_plan_of_its_own() -> None:
    """The analyst's own square-root blocks leave a loop over the last few iterations that calls sqrtf and that gcc
    leaves scalar; a rule must not block it again (nor sum it in 16 parts): fewer iterations than a block."""
    from mapforge.agents.dependence import remainder_loops
    from mapforge.agents.mathcalls import define, inline_calls

    source = ("#include <math.h>\nvoid f(float *restrict y, const float *restrict x, int n)\n{\n"
              "    for (int i = 0; i < n; i++)\n        y[i] = sqrtf(x[i] + 1.0f);\n}\n")
    got = inline_calls(source, 4)
    assert got is not None
    lines = source.splitlines()
    blocked = define("\n".join([*lines[:3], *("    " + t for t in got.code.splitlines()), *lines[got.lines[1]:]])
                     + "\n", got.names)
    numbered = blocked.splitlines()
    leftover = next(k for k, t in enumerate(numbered, 1) if "for (int i = mf_block;" in t)
    assert remainder_loops(blocked) == [(leftover, leftover + 2)]
    report = LoopReport(line=leftover, code=numbered[leftover - 1].strip(),
                        missed="not vectorized: statement clobbers memory")
    assert Analyst(per_round=20).run([Measured("c1", Profile(loops=[report]), None, blocked)]) == []
    # the same report on the loop as written gets the blocks
    first = LoopReport(line=4, code="for (int i = 0; i < n; i++)", missed="not vectorized: statement clobbers memory")
    assert Analyst(per_round=20).run([Measured("reference", Profile(loops=[first]), None, source)])
    # a loop starting from a blocked loop's variable inside that loop (a triangle) is no remainder; nor a loop
    # starting from a variable no earlier loop stepped by a block
    triangle = ("void g(float *a, int n)\n{\n    for (int i = 0; i < n; i += 4)\n        for (int j = i; j < n; j++)\n"
                "            a[j] += 1.0f;\n    int k = n / 2;\n    for (int j = k; j < n; j++)\n        a[j] *= 2.0f;\n}\n")
    assert remainder_loops(triangle) == []
    # the coder's own unrolling: the loop after it, with no initialisation, is a remainder
    unrolled = ("void h(float *a, int n)\n{\n    int i = 0;\n    for (; i + 4 <= n; i += 4) {\n        a[i] = 0;\n"
                "        a[i + 1] = 0;\n        a[i + 2] = 0;\n        a[i + 3] = 0;\n    }\n    for (; i < n; i++)\n"
                "        a[i] = 0;\n}\n")
    assert remainder_loops(unrolled) == [(10, 11)]


def test_a_sum_over_a_loop_that_calls_sqrtf_gets_root_blocks_with_lanes_and_no_partial_sums_around_the_call() -> None:
    """Partial sums around a call gcc keeps scalar leave the block scalar too (an n-body loop ran 0.73x); the
    root blocks keep the sums in lanes instead, and the block vectorises (3.4x on that loop)."""
    source = ("#include <math.h>\nvoid f(const float *x, const float *m, float *out, int n, float e)\n{\n"
              "    float s = 0.0f;\n    for (int j = 0; j < n; j++) {\n        float d = x[j] - x[0];\n"
              "        float inv = 1.0f / sqrtf(d * d + e);\n        s += m[j] * inv * inv * inv * d;\n    }\n"
              "    out[0] = s;\n}\n")
    report = LoopReport(line=7, code="float inv = 1.0f / sqrtf(d * d + e);", missed="statement clobbers memory")
    plans = Analyst(per_round=20).run([Measured("reference", Profile(loops=[report]), None, source)])
    assert [p.title for p in plans] == ["Compute `sqrtf` 32 at a time so the loop on line 5 vectorises"]
    assert "mf_s_lanes[mf_k] += m[j] * inv * inv * inv * d;" in (plans[0].code or "")


def test_a_filter_adding_its_carried_output_early_gets_it_added_last_in_the_whole_code() -> None:
    source = ("void f(const float *x, float *y, int n, float b0, float a1, float a2)\n{\n"
              "    float y1 = 0.0f, y2 = 0.0f;\n    for (int i = 0; i < n; i++) {\n"
              "        float v = b0 * x[i] - a1 * y1 - a2 * y2;\n        y2 = y1;\n        y1 = v;\n        y[i] = v;\n"
              "    }\n}\n")
    report = LoopReport(line=4, code="for (int i = 0; i < n; i++) {", missed="not vectorized: unsupported use in stmt")
    plans = Analyst(per_round=20).run([Measured("reference", Profile(loops=[report]), None, source)])
    assert [p.title for p in plans] == ["Add `y1` last in the loop on line 4"]
    assert "float v = ((float)(b0 * x[i]) - (a2 * y2)) + y1 * (-a1);" in (plans[0].code or "")


BORDERED = """#include <math.h>
void f(const float *img, float *mag, int h, int w)
{
    for (int i = 0; i < h; i++) {
        for (int j = 0; j < w; j++) {
            long k = (long)i * w + j;
            if (i == 0 || j == 0 || i == h - 1 || j == w - 1) {
                mag[k] = 0.0f;
                continue;
            }
            const float *p = img + k;
            float gx = p[1] - p[-1];
            float gy = p[w] - p[-w];
            mag[k] = sqrtf(gx * gx + gy * gy);
        }
    }
}
"""


def test_a_loop_testing_for_its_edges_runs_them_apart_and_the_loop_between_then_gets_its_roots_in_blocks() -> None:
    """The border test keeps the loop scalar; the code with the edges apart is measured again, and its loop between
    (a ``long`` and a pointer temporary, written out in the block's arguments) gets the square roots in blocks."""
    report = LoopReport(line=5, code="for (int j = 0; j < w; j++) {", missed="not vectorized: control flow in loop.")
    plans = Analyst(per_round=20).run([Measured("reference", Profile(loops=[report]), None, BORDERED)])
    assert [p.title for p in plans] == ["Run the edge iterations of the loop on line 5 apart from the rest"]
    assert "branches on `j == 0` or `j == w - 1`" in plans[0].bottleneck
    peeled = plans[0].code or ""
    assert "        if (!(i == 0) && !(i == h - 1) && (w - 1) - 0 >= 1) {\n" in peeled
    between = peeled.splitlines().index("            for (int j = 0 + 1; j < w - 1; j++) {") + 1
    missed = LoopReport(line=between, code="for (int j = 0 + 1; j < w - 1; j++) {", missed="control flow in loop")
    fallback = next(n for n, t in enumerate(peeled.splitlines(), 1) if t.strip() == "for (int j = 0; j < w; j++) {"
                    and peeled.splitlines()[n - 2].strip() == "} else")
    again = LoopReport(line=fallback, code="for (int j = 0; j < w; j++) {", missed="control flow in loop")
    plans = Analyst(per_round=20).run([Measured("c0001", Profile(loops=[missed, again]), None, peeled)])
    assert [p.title for p in plans] == [f"Compute `sqrtf` 32 at a time so the loop on line {between} vectorises"]
    assert "mf_v[0][mf_k] = ((img + ((long)i * w + j))[1] - (img + ((long)i * w + j))[-1]) * (" in (plans[0].code or "")


def test_a_loop_a_rewrite_keeps_as_written_for_the_cases_its_check_refuses_gets_no_plan_of_its_own() -> None:
    """The sine's first pass falls back to the loop as written (``else``): read again, that loop is left alone, not
    inlined a second time."""
    source = ("#include <math.h>\nvoid f(const float *x, float *y, int n, float w)\n{\n"
              "    for (int j = 0; j < n; j++) {\n        y[j] = x[j] * sinf(w * (float)j);\n    }\n}\n")
    report = LoopReport(line=4, code="for (int j = 0; j < n; j++) {", missed="statement clobbers memory")
    plans = Analyst().run([Measured("reference", Profile(loops=[report]), None, source)])
    assert [p.title for p in plans] == ["Compute `sinf` inline so the loop on line 4 vectorises"]
    code = plans[0].code or ""
    fallback = next(n for n, t in enumerate(code.splitlines(), 1) if t.strip() == "for (int j = 0; j < n; j++) {"
                    and code.splitlines()[n - 2].strip() == "else")
    again = LoopReport(line=fallback, code="for (int j = 0; j < n; j++) {", missed="statement clobbers memory")
    assert Analyst().run([Measured("c0001", Profile(loops=[again]), None, code)]) == []
    assert Analyst().run([Measured("c0001", Profile(loops=[again]), None, code.replace("else\n", "\n"))]) != []


def test_a_short_loop_counted_by_constants_gets_no_partial_sums_the_sums_own_combining_loop_read_again() -> None:
    report = LoopReport(line=4, code="for (int i = 0; i < n; i++)", width=256, in_order=True)
    source = "void f(const float *x, int n, float *out)\n{\n    float s = 0;\n    for (int i = 0; i < n; i++)\n" \
             "        s += x[i];\n    out[0] = s;\n}\n"
    plans = Analyst().run([Measured("reference", Profile(loops=[report]), 0.1, source)])
    assert [p.title for p in plans] == ["Independent partial sums for the reduction on line 4"]
    code = plans[0].code or ""
    lines = code.splitlines()
    combining = next(n for n, t in enumerate(lines, 1) if "k < 16" in t and "total +=" in lines[n])
    again = LoopReport(line=combining, code="for (int k = 0; k < 16; k++)", width=256, in_order=True)
    assert Analyst().run([Measured("c0001", Profile(loops=[again]), 0.1, code)]) == []
    longer = "\n".join(t.replace("< 16", "< 65") if n == combining else t for n, t in enumerate(lines, 1))
    assert longer != code and Analyst().run([Measured("c0001", Profile(loops=[again]), 0.1, longer)]) != []
