"""A running sum or product carried through a loop, run as eight chains side by side: which loops are understood,
checked by hand; and for random loops, compiled beside the original and run on data whose sums and products are
exact in any order (small multiples of a quarter, powers of two), so that regrouping the chain changes nothing:
the same arrays and the same final scalars, bit for bit, for loops of 0 to 100 iterations."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from mapforge.agents.affine import atom
from mapforge.agents.scan import scan
from tests.helpers import rewrites_that_differ

SIGNATURE = "void f(float *a, const float *b, const float *c, float *d, int n)"


def _code(loop: str, before: str = "float s = d[0];") -> str:
    return f"{SIGNATURE}\n{{\n    {before}\n    {loop}\n    d[0] = s;\n}}\n"


def test_a_running_sum_runs_as_eight_segments_whose_totals_start_each_other_and_the_leftovers_run_as_before() -> None:
    got = scan(_code("for (int i = 0; i < n; i++) {\n        s += b[i];\n        a[i] = s;\n    }"), 4)
    assert got is not None and got.lines == (4, 7) and (got.chain, got.op) == ("s", "+")
    assert got.code == (
        "{\n    long scan_n = (long)(n) - (long)(0);\n    long scan_len = scan_n > 0 ? scan_n / 8 : 0;\n"
        "    if (scan_len > 0) {\n        float scan_part[8], scan_run[8], scan_at = s;\n"
        "        for (int scan_k = 0; scan_k < 8; scan_k++) scan_part[scan_k] = 0;\n"
        "        for (long scan_j = 0; scan_j < scan_len; scan_j++)\n"
        "            for (int scan_k = 0; scan_k < 8; scan_k++) {\n"
        "                int i = scan_k * scan_len + scan_j;\n                scan_part[scan_k] += b[i];\n"
        "            }\n        for (int scan_k = 0; scan_k < 8; scan_k++) {\n"
        "            scan_run[scan_k] = scan_at;\n            scan_at += scan_part[scan_k];\n        }\n"
        "        for (long scan_j = 0; scan_j < scan_len; scan_j++)\n"
        "            for (int scan_k = 0; scan_k < 8; scan_k++) {\n"
        "                int i = scan_k * scan_len + scan_j;\n                scan_run[scan_k] += b[i];\n"
        "                a[i] = scan_run[scan_k];\n            }\n        s = scan_run[7];\n    }\n"
        "    for (int i = 8 * scan_len; i < n; i++) {\n        s += b[i];\n        a[i] = s;\n    }\n}")
    assert got.after.lstrip().startswith("d[0] = s;")


def test_the_forms_of_a_chain_understood_and_those_not() -> None:
    understood = {
        "for (int i = 1; i < n; i++)\n        a[i] = a[i - 1] + b[i] * c[i];": ("a[i - 1]", "+", "b[i] * c[i]"),
        "for (int i = 1; i <= n - 1; i++) {\n        a[i] += a[i-1];\n    }": ("a[i - 1]", "+", "a[i]"),
        "for (int i = 1; i < n; i++)\n        a[i] = b[i] * a[i - 1];": ("a[i - 1]", "*", "b[i]"),
        "for (int i = 0; i < n; i++) {\n        a[i] = s;\n        s = s - b[i] + c[i];\n    }": ("s", "+",
                                                                                         "(float)(-b[i]) + c[i]"),
        "for (int i = 0; i < n; i++) {\n        s -= b[i] * 2.0f;\n        a[i] = s * c[i];\n    }": ("s", "+",
                                                                                                 "-(b[i] * 2.0f)"),
        "for (int i = 0; i < n; i++) {\n        s *= b[i];\n        a[i] = s;\n    }": ("s", "*", "b[i]"),
        "for (int i = 0; i < n; i++) {\n        s = b[i] / 4 * s;\n        a[i] = s;\n    }": ("s", "*", "b[i] / 4"),
        "for (int i = 0; i < n; i++) {\n        s += s * b[i];\n        a[i] = s;\n    }": ("s", "*", "(float)1 + b[i]"),
    }
    for loop, (chain, op, term) in understood.items():
        got = scan(_code(loop), 4)
        assert got is not None and (got.chain, got.op) == (chain, op), loop
        assert f"scan_part[scan_k] {op}= {term};\n" in got.code, loop
    affine = {  # the chain times a factor plus a term: each segment's is composed in the first pass
        "for (int i = 1; i < n; i++)\n        a[i] = a[i - 1] * b[i] + c[i];": ("a[i - 1]", "b[i]", "c[i]"),
        "for (int i = 1; i < n; i++)\n        a[i] = c[i] * (b[i] - a[i - 1]);": ("a[i - 1]", "(float)(-1) * c[i]",
                                                                             "(float)b[i] * c[i]"),
        "for (int i = 1; i < n; i++)\n        a[i] -= a[i - 1];": ("a[i - 1]", "-1", "a[i]"),
        "for (int i = 0; i < n; i++) {\n        s = 0.25f * b[i] + (1 - 0.25f) * s;\n        a[i] = s;\n    }": (
            "s", "1 - 0.25f", "0.25f * b[i]"),
    }
    for loop, (chain, factor, term) in affine.items():
        got = scan(_code(loop), 4)
        assert got is not None and (got.chain, got.op) == (chain, "affine"), loop
        assert f"float scan_m = {factor};\n" in got.code, loop
        assert f"scan_part[scan_k] = scan_part[scan_k] * scan_m + {atom(term)};\n" in got.code, loop
    outside = scan(_code("for (i = 2; i < n; i++) {\n        s += b[i];\n        a[i] = s;\n    }", "float s = 0; int i;"), 4)
    assert outside is not None and "                i = 2 + scan_k * scan_len + scan_j;\n" in outside.code
    assert "    for (i = 2 + 8 * scan_len; i < n; i++) {\n" in outside.code  # i ends where the loop left it
    for loop, before in (
            ("for (int i = 0; i < n; i++) {\n        s += b[i];\n        a[i] = s;\n    }", "int s = 0;"),  # no float
            ("for (int i = 0; i < n; i++)\n        s += b[i];", "float s = 0;"),  # a plain reduction
            ("for (int i = 0; i < n; i++) {\n        s += a[i + 1];\n        a[i] = s;\n    }", "float s = 0;"),
            ("for (int i = 0; i < n; i++) {\n        s += b[i];\n        a[i + 1] = s;\n    }", "float s = 0;"),
            ("for (int i = 0; i < n; i++) {\n        s = s * s + b[i];\n        a[i] = s;\n    }", "float s = 0;"),
            ("for (int i = 0; i < n; i++) {\n        s = b[i] / s;\n        a[i] = s;\n    }", "float s = 0;"),
            ("for (int i = 0; i < n; i++) {\n        s = sqrtf(s) + b[i];\n        a[i] = s;\n    }", "float s = 0;"),
            ("for (int i = 0; i < n; i++) {\n        s = b[(int)s];\n        a[i] = s;\n    }", "float s = 0;"),
            ("for (int i = 0; i < n; i++) {\n        s += b[i];\n        a[i] = s;\n        s += c[i];\n    }",
             "float s = 0;"),  # assigned twice
            ("for (int i = 0; i < n; i++) {\n        s += b[i];\n        t = s;\n        a[i] = t;\n    }",
             "float s = 0, t;"),  # two scalars
            ("for (int i = 0; i < n; i += 2) {\n        s += b[i];\n        a[i] = s;\n    }", "float s = 0;"),
            ("for (int i = n - 1; i >= 0; i--) {\n        s += b[i];\n        a[i] = s;\n    }", "float s = 0;"),
            ("for (int i = 0; i < g(n); i++) {\n        s += b[i];\n        a[i] = s;\n    }", "float s = 0;"),
            ("for (int i = 0; i < n; i++) {\n        if (b[i] > 0) s += b[i];\n        a[i] = s;\n    }", "float s = 0;"),
            ("for (int i = 1; i < n; i++)\n        a[i] = a[i - 1] * a[i - 1];", "float s = 0;"),
            ("for (int i = 1; i < n; i++)\n        a[i] = a[i - 1] + a[i + 1];", "float s = 0;"),
            ("for (int i = 1; i < n; i++)\n        a[i] = a[i - 1] < b[i] ? b[i] : a[i - 1];", "float s = 0;")):
        assert scan(_code(loop, before), 4) is None, loop


def _term(rng: random.Random, product: bool) -> str:
    if product:
        return rng.choice(["b[i]", "b[i] / 2", "2 * b[i]"])  # b[7] is 0: at most six factors, then zeros
    return rng.choice(["b[i]", "b[i] * c[i]", "c[i] - b[i]", "(b[i] + 1.0f) * 0.5f", "2 * c[i]"])


def _random_loop(rng: random.Random) -> str:
    """A scalar chain (sum or product, in any form understood, read before or after it moves, by one or two
    statements) or a recurrence, over a header of bounds 0 to 2 below and above."""
    lo = rng.choice(["0", "1", "2"])
    header = f"for (int i = {lo}; i {rng.choice(['< n', '<= n - 1', '< n - 2'])}; i++)"
    product = rng.random() < 0.35
    term = _term(rng, product)
    if rng.random() < 0.3:
        header = header.replace("i = 0;", "i = 1;")  # a[i - 1] within the array
        recurrence = (rng.choice([f"a[i] = a[i - 1] * {term}", f"a[i] = {term} * a[i-1]", "a[i] *= a[i - 1]"])
                      if product else
                      rng.choice([f"a[i] = a[i - 1] + {term}", f"a[i] = {term} + a[i - 1]", f"a[i] = a[i-1] - {term}",
                                  "a[i] += a[i - 1]"]))
        return f"{header}\n        {recurrence};"
    move = (rng.choice([f"s *= {term}", f"s = s * {term}", f"s = {term} * s"]) if product else
            rng.choice([f"s += {term}", f"s -= {term}", f"s = s + {term}", f"s = s - {term}", f"s = {term} + s"]))
    uses = [rng.choice(["a[i] = s", "a[i] = s * c[i]", "d[i] += s", "a[i] = s + b[i]"])
            for _ in range(rng.randint(1, 2))]
    stmts = [*uses[:1], move, *uses[1:]] if rng.random() < 0.4 else [move, *uses]
    return header + " {\n" + "".join(f"        {t};\n" for t in stmts) + "    }"


def _function(name: str, loop: str) -> str:
    return (f"static void {name}(float *a, const float *b, const float *c, float *d, int n)\n{{\n"
            f"    float s = d[n];\n    int unused = 0;\n    {loop}\n    d[n + 1] = s + (float)unused;\n}}\n")


def _pairs(rng: random.Random, make: Callable[[random.Random], str], count: int,
           op: str | None = None) -> tuple[str, list[int]]:
    """``count`` random loops from ``make``, each as a function ``orig{k}`` and its rewrite ``new{k}``."""
    functions = []
    for k in range(count):
        loop = make(rng)
        original = _function(f"orig{k}", loop)
        got = scan(original, 5)
        assert got is not None and op in (None, got.op), loop
        lines = original.splitlines()
        rewritten = "\n".join(lines[:4] + ["    " + t for t in got.code.splitlines()] + lines[got.lines[1]:]) + "\n"
        functions.append(original + rewritten.replace(f"orig{k}", f"new{k}"))
    return "".join(functions), list(range(count))


def _same(data: str, agree: str) -> str:
    """C that runs two functions on the same arrays (``data`` sets ``b`` and ``c``) at 0 to 100 iterations and says
    whether ``agree(x, y, n)`` holds for what they left in ``a`` and ``d``."""
    return f"""#include <math.h>
#define N 103
typedef void (*fn)(float *, const float *, const float *, float *, int);
static int bits(const float *x, const float *y, int n) {{ return memcmp(x, y, n * sizeof *x) == 0; }}
static int close_to(const float *x, const float *y, int n) {{
    for (int i = 0; i < n; i++)
        if (!(fabsf(x[i] - y[i]) <= 1e-4f * (1.0f + fabsf(x[i])))) return 0;
    return 1;
}}
static int same(fn f, fn g) {{
    static float a[2][N], b[N], c[N], d[2][N + 2];
    static const int sizes[] = {{0, 1, 3, 8, 9, 10, 11, 17, 37, 100}};
    int ok = 1;
    for (int t = 0; t < 10; t++) {{
        int n = sizes[t];
        for (int i = 0; i < N; i++) {{
{data}            a[0][i] = a[1][i] = (float)(i % 9) * 0.5f; d[0][i] = d[1][i] = (float)(N - i);
        }}
        d[0][n] = d[1][n] = 1.0f;
        f(a[0], b, c, d[0], n);
        g(a[1], b, c, d[1], n);
        ok = ok && {agree}(a[0], a[1], N) && {agree}(d[0], d[1], N + 2);
    }}
    return ok;
}}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_chains_run_side_by_side_compute_exactly_what_the_loops_compute(tmp_path: Path) -> None:
    functions, cases = _pairs(random.Random(31), _random_loop, 300)
    # sums of quarters below 2^20 and products of powers of two: exact in any order
    same = _same("            b[i] = (float)((i * 7) % 11) - 5.0f; c[i] = (float)((i * 5) % 13) * 0.25f;\n"
                 "            if (i % 3 == 0) { b[i] = (i % 2) ? 2.0f : -1.0f; c[i] = (i % 4) ? 0.5f : 2.0f; }\n", "bits")
    differ = rewrites_that_differ(tmp_path, functions, same, cases, "orig", "new")
    assert not differ, f"rewrites that compute something else (case numbers): {differ}"


def _random_affine_loop(rng: random.Random) -> str:
    """A chain times a factor (b, between -1 and 1) plus a term, as a recurrence or a scalar read by the body."""
    lo = rng.choice(["1", "2"])
    header = f"for (int i = {lo}; i {rng.choice(['< n', '<= n - 1', '< n - 2'])}; i++)"
    if rng.random() < 0.4:
        move = rng.choice(["a[i] = a[i - 1] * b[i] + c[i]", "a[i] = c[i] + b[i] * a[i-1]", "a[i] = b[i] * (c[i] - a[i - 1])",
                           "a[i] -= a[i - 1] * b[i]", "a[i] = (a[i - 1] + c[i]) * b[i]", "a[i] = a[i - 1] * 0.5f + c[i]"])
        return f"{header}\n        {move};"
    move = rng.choice(["s = s * b[i] + c[i]", "s = 0.25f * c[i] + (1 - 0.25f) * s", "s = b[i] * (c[i] - s)",
                       "s -= b[i] * s - c[i]", "s = (c[i] - s) / 2"])
    uses = [rng.choice(["a[i] = s", "a[i] = s * c[i]", "d[i] += s"]) for _ in range(rng.randint(1, 2))]
    stmts = [*uses[:1], move, *uses[1:]] if rng.random() < 0.4 else [move, *uses]
    return header + " {\n" + "".join(f"        {t};\n" for t in stmts) + "    }"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_affine_chains_composed_by_segments_compute_what_the_loops_compute_within_rounding(
        tmp_path: Path) -> None:
    """A factor times the chain plus a term: the segments' compositions are not exact in any order, so the
    arrays and scalars are compared within 1e-4 of their size (a wrong start of a segment is off by far more)."""
    functions, cases = _pairs(random.Random(37), _random_affine_loop, 200, "affine")
    same = _same("            b[i] = ((i * 7) % 9 - 4) / 4.5f; c[i] = (float)((i * 5) % 13) * 0.3f - 1.0f;\n",
                 "close_to")
    differ = rewrites_that_differ(tmp_path, functions, same, cases, "orig", "new")
    assert not differ, f"rewrites that compute something else (case numbers): {differ}"


def _random_second_order_loop(rng: random.Random, exact: bool) -> str:
    """A second-order recurrence with a factor read from an array: factors of -1, 0 and 1 (its solutions stay small
    integers, exact in any order) or, for the rounding test, fractions (s322's form among them)."""
    header = f"for (int i = 2; i {rng.choice(['< n', '<= n - 1', '< n - 2'])}; i++)"
    if exact:
        move = rng.choice(["a[i] = a[i - 1] * c[i] - a[i - 2] + b[i]", "a[i] += a[i-1] * c[i] - a[i - 2]",
                           "a[i] = b[i] - (a[i - 2] - a[i - 1] * c[i])", "a[i] = a[i - 2] * c[i] + a[i - 1] * -1.0f + b[i]",
                           "a[i] -= c[i] * a[i - 2]"])
    else:
        move = rng.choice(["a[i] = a[i] + a[i - 1] * b[i] + a[i - 2] * c[i]",
                           "a[i] = 0.5f * a[i - 1] - c[i] * a[i - 2] + b[i]",
                           "a[i] = c[i] - (b[i] * a[i - 1] + 0.3f * a[i - 2])", "a[i] += c[i] * a[i - 2]"])
    return f"{header}\n        {move};"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
@pytest.mark.parametrize("exact", [True, False])
def test_random_second_order_recurrences_run_by_segments_compute_what_the_loops_compute(
        tmp_path: Path, exact: bool) -> None:
    """``x[i]`` from ``x[i - 1]`` and ``x[i - 2]``: each segment's state at its end is an affine function of its
    state at its start (from three runs: a zero state with the terms, two unit states without). With factors whose
    solutions are small integers the rewrite gives the loop's bits; with fractional factors (stable: their sizes
    add to less than 1) within 1e-4 of the size."""
    functions, cases = _pairs(random.Random(41 + exact), lambda r: _random_second_order_loop(r, exact), 120, "second")
    data = ("            b[i] = (float)((i * 7) % 11) - 5.0f; c[i] = (float)((i * 5) % 3) - 1.0f;\n" if exact else
            "            b[i] = ((i * 7) % 9 - 4) / 9.0f; c[i] = ((i * 5) % 13 - 6) / 20.0f;\n")
    same = _same(data, "bits" if exact else "close_to")
    differ = rewrites_that_differ(tmp_path, functions, same, cases, "orig", "new")
    assert not differ, f"rewrites that compute something else (case numbers): {differ}"


def test_second_order_forms_understood_and_not() -> None:
    for loop in ("for (int i = 2; i < n; i++)\n        a[i] = a[i - 1] * b[i] + a[i - 2] * c[i] + 1.0f;",
                 "for (int i = 2; i < n; i++)\n        a[i] = a[i - 1] + a[i - 2] * c[i];"):
        got = scan(_code(loop), 4)
        assert got is not None and got.op == "second", loop
    for loop in ("for (int i = 2; i < n; i++)\n        a[i] = a[i - 1] * a[i - 2];",  # not linear
                 "for (int i = 2; i < n; i++)\n        a[i] = a[i - 1] + a[i - 2];",  # constant factors: no gain
                 "for (int i = 2; i < n; i++)\n        a[i] = b[i] - 0.5f * a[i - 1] - 0.25f * a[i - 2];",
                 "for (int i = 2; i < n; i++)\n        a[i] = a[i - 3] + a[i - 2];",  # third order
                 "for (int i = 2; i < n; i++)\n        a[i] = a[i - 2] * b[i] + a[i + 1];",  # reads ahead
                 "for (int i = 2; i < n; i++)\n        a[i] = sqrtf(a[i - 1]) + a[i - 2];"):  # inside a call
        assert scan(_code(loop), 4) is None, loop
