"""A carried value added last: which loops are understood, checked by hand; and random filters compiled beside
their rewrites, on data whose sums are exact in any order (small integers), compared bit for bit, and on fractional
data within rounding."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from mapforge.agents.reassociate import carried_last
from tests.helpers import rewrites_that_differ

SIGNATURE = "void f(const float *x, float *y, int n, float b0, float b1, float a1, float a2)"


def _code(body: str, before: str = "float x1 = 0.0f, y1 = 0.0f, y2 = 0.0f;") -> str:
    return f"{SIGNATURE}\n{{\n    {before}\n    for (int i = 0; i < n; i++) {{\n        {body}\n    }}\n}}\n"


def test_the_statement_adding_a_carried_value_early_is_regrouped_to_add_it_last() -> None:
    got = carried_last(_code("float v = b0 * x[i] + b1 * x1 - a1 * y1 - a2 * y2;\n        x1 = x[i];\n"
                             "        y2 = y1;\n        y1 = v;\n        y[i] = v;"), 4)
    assert got is not None and got.carried == "y1" and got.lines == (4, 10)
    assert "float v = ((float)(b0 * x[i] + b1 * x1) - (a2 * y2)) + y1 * (-a1);" in got.code
    # the array form: x[i - 1] carried through memory
    got = carried_last(_code("y[i] = x[i] * b1 + a1 * y[i - 1] + x[i] * b0;").replace("i = 0", "i = 1"), 4)
    assert got is not None and got.carried == "y[i - 1]"
    assert "y[i] = ((float)(x[i] * b1) + (x[i] * b0)) + y[i - 1] * a1;" in got.code


def test_loops_not_understood() -> None:
    for body in ("float v = b0 * x[i] - a1 * y1;\n        y1 = v;\n        y[i] = v;",  # already added last
                 "float v = a1 * y1;\n        y1 = v;\n        y[i] = v;",  # one term
                 "float v = a1 * y1 + b0 * x[i];\n        y1 = v;\n        y[i] = v;",  # a multiply-add already
                 "y[i] = y[i - 1] + x[i];",  # the same through memory
                 "y1 = y1 * a1 + x[i];\n        y[i] = y1;",  # the chain is its own target: a scan's
                 "float v = a1 * y1 + x[i];\n        if (v > 0) y1 = v;\n        y[i] = v;",  # a branch
                 "float v = a1 * sqrtf(y1) + x[i];\n        y1 = v;\n        y[i] = v;",  # a call
                 "float v = y1 * y1 + x[i];\n        y1 = v;\n        y[i] = v;",  # not affine in it
                 "float v = a1 * y1 + x[i];\n        y[i] = v;"):  # nothing carries v
        assert carried_last(_code(body), 4) is None, body


def _random_filter(rng: random.Random) -> str:
    """A filter of order 1 or 2 in one of several spellings (temporaries, the carried terms anywhere in the sum)."""
    terms = [f"{rng.choice(['b0', 'b1', '0.5f'])} * x[i]", "b1 * x1", "a1 * y1"]
    if rng.random() < 0.6:
        terms.append("a2 * y2")
    rng.shuffle(terms)
    while terms[-1] == "a1 * y1":
        rng.shuffle(terms)
    expr = terms[0] + "".join(f" {rng.choice('+-')} {t}" for t in terms[1:])
    shift = ["y2 = y1;", "y1 = v;"] if "y2" in expr else ["y1 = v;"]
    return "\n        ".join([f"float v = {expr};", "x1 = x[i];", *shift, rng.choice(["y[i] = v;", "y[i] = v * b0;"])])


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
@pytest.mark.parametrize("exact", [True, False])
def test_random_filters_regrouped_compute_what_they_computed(tmp_path: Path, exact: bool) -> None:
    """Small integers (sums exact in any order): the same bits; fractions (a stable filter): within 1e-5."""
    rng = random.Random(53 + exact)
    functions = []
    for k in range(150):
        original = _code(_random_filter(rng)).replace("void f(", f"static void orig{k}(")
        got = carried_last(original, 4)
        assert got is not None, original
        lines = original.splitlines()
        functions.append(original + "\n".join(lines[:3] + ["    " + got.code] + lines[got.lines[1]:]).replace(
            f"orig{k}(", f"new{k}(") + "\n")
    coefficients = "1.0f, -1.0f, 1.0f, 0.0f" if exact else "0.25f, 0.125f, -0.5f, 0.25f"  # |a1| = 1, a2 = 0: grows at most linearly
    same = f"""#include <math.h>
#define N 300
typedef void (*fn)(const float *, float *, int, float, float, float, float);
static int same(fn f, fn g) {{
    static float x[N], a[N], b[N];
    for (int i = 0; i < N; i++) x[i] = {"(float)((i * 7) % 5) - 2.0f" if exact else "((i * 7) % 11) / 11.0f - 0.5f"};
    for (int n = 0; n <= N; n += 37) {{
        f(x, a, n, {coefficients});
        g(x, b, n, {coefficients});
        for (int i = 0; i < n; i++)
            if ({"memcmp(a + i, b + i, sizeof *a)" if exact else "!(fabsf(a[i] - b[i]) <= 1e-5f * (1 + fabsf(a[i])))"})
                return 0;
    }}
    return 1;
}}
"""
    differ = rewrites_that_differ(tmp_path, "".join(functions), same, list(range(150)), "orig", "new")
    assert not differ, f"rewrites that compute something else (case numbers): {differ}"
