"""Loop distribution: which statements a split keeps together and in what order; checked by hand on small loops
and, for random loops, by compiling the original and the split with gcc and comparing what they compute."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from mapforge.agents.dependence import distribute, loop_at
from tests.helpers import rewrites_that_differ

HEADER = "for (int i = 1; i < n - 1; i++)"


def split(body: str, after: str = "") -> list[tuple[tuple[str, ...], bool]] | None:
    got = distribute(HEADER, body, after)
    return None if got is None else list(zip(got.loops, got.carried, strict=True))


def test_a_statement_that_reads_an_element_before_another_overwrites_it_runs_first() -> None:
    assert split("x[i] *= z[i];\n y[i] += x[i + 1] * z[i];") == [
        (("y[i] += x[i + 1] * z[i];",), False), (("x[i] *= z[i];",), False)]


def test_a_statement_that_reads_what_another_wrote_runs_after_it_and_a_recurrence_is_carried() -> None:
    assert split("x[i] += z[i];\n y[i] = y[i - 1] + x[i];") == [
        (("x[i] += z[i];",), False), (("y[i] = y[i - 1] + x[i];",), True)]


def test_no_split_where_the_statements_depend_on_each_other_both_ways() -> None:
    assert split("x[i] = y[i] + z[i];\n w[i] = x[i] + x[i + 1];") is None  # x[i] new, x[i + 1] old
    assert split("x[i] = y[i - 1] + z[i];\n y[i] = x[i] + z[i];") is None  # a recurrence through both
    assert split("x[i] = z[i];") is None  # one statement
    # counting down, a[i] is read before the next iteration (i - 1) writes b[i]: the offsets' directions reverse
    assert distribute("for (int i = n - 2; i >= 0; i--)", "a[i] = b[i]; b[i + 1] = c[i];") is None
    assert distribute("for (int i = 0; i < n - 1; i++)", "a[i] = b[i]; b[i + 1] = c[i];") is not None


def test_scalars_tie_statements_together_only_where_a_value_passes_between_them() -> None:
    body = "t = x[i] + z[i];\n x[i] = t + y[i - 1];\n t = y[i] * z[i];\n y[i] = t;"
    assert split(body) == [(("t = y[i] * z[i];", "y[i] = t;"), False), (("t = x[i] + z[i];", "x[i] = t + y[i - 1];"), False)]
    # t read after the loop: the last assignment's loop must run last, which the y-before-x order forbids
    assert split(body, after="\n    out[0] = t;\n}") is None
    sums = "x[i] = z[i] + w[i];\n s += x[i];\n y[i] = z[i] * w[i];\n s += y[i];"
    assert split(sums, after="out[0] = s;") == [
        (("x[i] = z[i] + w[i];",), False), (("y[i] = z[i] * w[i];",), False), (("s += x[i];", "s += y[i];"), True)]


@pytest.mark.parametrize("body", [
    "x[2*i] = z[i];\n y[i] = z[i];",  # not the loop variable plus a constant
    "x[k[i]] = z[i];\n y[i] = z[i];",
    "if (z[i] > 0) x[i] = z[i];\n y[i] = z[i];",
    "x[i] = z[i];\n for (int k = 0; k < 4; k++) y[i] += z[k];",
    "*p = z[i];\n y[i] = z[i];",
    "x[i] = z[i];\n i += 1;",
    "x[i] = z[i];\n y[i] = *(x + i + 1);",  # x read through a pointer: a dependence it cannot see
    "x[i] = z[i];\n y[i] = z[i] * *w;",
    "x[i][0] = z[i];\n y[i] = x[i][1];",
    "x[i].re = z[i];\n y[i] = x[i + 1].re;",
    "x[i] = z[i]; y[i] = z[i]",  # a statement without its semicolon: not a loop body we read
])
def test_a_loop_it_does_not_understand_gets_no_split(body: str) -> None:
    assert split(body) is None


def test_calls_and_casts_are_expressions_like_any_other() -> None:
    assert split("x[i] = sqrtf((float)z[i + 1]);\n z[i] = w[i] * 2.0f;") == [
        (("x[i] = sqrtf((float)z[i + 1]);",), False), (("z[i] = w[i] * 2.0f;",), False)]


def test_loop_at_finds_the_header_the_body_and_what_follows() -> None:
    src = "void f(float *x, int n)\n{\n    for (int i = 0; i < (n); i++) {\n        x[i] += 1;\n    }\n    g();\n}\n"
    assert loop_at(src, 3) == ("for (int i = 0; i < (n); i++)", "\n        x[i] += 1;\n    ", "\n    g();\n}")
    assert loop_at(src, 4) is None  # not a loop
    assert loop_at("for (int i = 0; i < n; i++) s += x[i];\n", 1) is None  # one unbraced statement
    assert loop_at(src, 99) is None


# -- random loops, compiled ----------------------------------------------------------------------------------

ARRAYS = "xyzw"


def _random_body(rng: random.Random) -> str:
    statements = []
    for _ in range(rng.randint(2, 4)):
        def term() -> str:
            if rng.random() < 0.15:
                return "s"
            off = rng.choice([-1, 0, 0, 1])
            return f"{rng.choice(ARRAYS)}[i{'' if off == 0 else f' + {off}' if off > 0 else f' - {-off}'}]"
        rhs = f"{term()} * 0.5f + {term()}"
        if rng.random() < 0.2:
            statements.append(f"s = {rhs};")
        else:
            off = rng.choice([0, 0, 1, -1])
            target = f"{rng.choice(ARRAYS)}[i{'' if off == 0 else f' + {off}' if off > 0 else f' - {-off}'}]"
            statements.append(f"{target} {rng.choice(['=', '+='])} {rhs};")
    return "\n        ".join(statements)


def _function(name: str, loops: list[tuple[str, ...]]) -> str:
    body = "".join(f"    {HEADER} {{\n" + "".join(f"        {st}\n" for st in stmts) + "    }\n" for stmts in loops)
    return (f"static void {name}(float *x, float *y, float *z, float *w, int n, float *out)\n{{\n"
            f"    float s = 0.25f;\n{body}    out[0] = s;\n}}\n")


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_loops_split_compute_exactly_what_the_original_computes(tmp_path: Path) -> None:
    """Every split the module proposes for 300 random loops (statements over four arrays at offsets -1..1, a
    scalar carried or not) is compiled beside the original and run on the same data: same arrays, same scalar,
    bit for bit. At least a quarter of the loops must split, or the test checks too little."""
    rng = random.Random(7)
    cases = []
    for k in range(300):
        body = _random_body(rng)
        got = distribute(HEADER, body, "out[0] = s;")
        if got is not None:
            original = [tuple(s.strip() for s in body.split("\n"))]
            cases.append((k, _function(f"orig{k}", original) + _function(f"split{k}", list(got.loops))))
    assert len(cases) >= 75, f"only {len(cases)} of 300 random loops split"
    same = """#define N 64
typedef void (*fn)(float *, float *, float *, float *, int, float *);
static int same(fn f, fn g) {
    float a[4][N], b[4][N], oa = 0, ob = 0;
    for (int j = 0; j < 4; j++) for (int i = 0; i < N; i++) a[j][i] = b[j][i] = (float)((i * 7 + j * 13) % 17) - 8;
    f(a[0], a[1], a[2], a[3], N, &oa);
    g(b[0], b[1], b[2], b[3], N, &ob);
    return memcmp(a, b, sizeof a) == 0 && memcmp(&oa, &ob, sizeof oa) == 0;
}
"""
    differ = rewrites_that_differ(tmp_path, "".join(c for _, c in cases), same, [k for k, _ in cases], "orig", "split")
    assert not differ, f"splits that compute something else (case numbers): {differ}"


def test_the_scalar_type_a_name_is_declared_with() -> None:
    from mapforge.agents.dependence import element_type
    assert element_type("void f(int32_t *out_idx)", "out_idx") == "int32_t"
    assert element_type("const unsigned char *restrict p", "p") == "unsigned char"
    assert element_type("float *restrict a", "a") == "float" and element_type("long long *q", "q") == "long long"
    assert element_type("item *z", "z") is None and element_type("float *az", "a") is None
