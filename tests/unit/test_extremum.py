"""The largest or smallest value and its index, found by two passes over integer keys: which loops are understood,
checked by hand; for random loops, compiled beside the original and run on the same data (ties, both zeros and
NaNs included), bit for bit; and the passes vectorised by gcc, which the loop was not."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mapforge.agents.extremum import extremum
from tests.helpers import rewrites_that_differ

SIGNATURE = "void f(const float *a, const float *b, const double *c, const double *d, int n, float *fo, double *dout, int *jo)"


def _code(loop: str, before: str = "float m = a[0];\n    int j = 0;") -> str:
    return f"{SIGNATURE}\n{{\n    {before}\n    {loop}\n    *fo = m;\n    *jo = j;\n}}\n"


def test_an_argmax_is_rewritten_as_two_passes_and_its_own_if_at_the_index_found() -> None:
    src = _code("for (int i = 0; i < n; i++) {\n        if (a[i] > m) {\n            m = a[i];\n"
                "            j = i;\n        }\n    }")
    got = extremum(src, 5)
    assert got is not None and got.lines == (5, 10) and (got.target, got.largest, got.first) == ("m", True, True)
    assert got.others == ("j",)
    assert "mf_best = mf_k > mf_best ? mf_k : mf_best;" in got.code  # the largest key
    assert "mf_at = mf_here < mf_at ? mf_here : mf_at;" in got.code  # its first index
    assert "int i = mf_at;\n            if (a[i] > m) { m = a[i]; j = i; }" in got.code
    assert got.after.lstrip().startswith("*fo = m;")


def test_the_forms_understood() -> None:
    # m on the left, >=: the largest, its last index
    got = extremum(_code("for (int i = 0; i < n; i++)\n        if (m <= b[i]) { m = b[i]; j = i; }"), 5)
    assert got is not None and got.largest and not got.first and "mf_here > mf_at" in got.code
    # a minimum of a double expression, no index: the value from its key, a second pass only for a zero
    got = extremum(_code("for (int i = 0; i < n; i++) if (fabs(c[i] * d[i]) < x) x = fabs(c[i] * d[i]);",
                         "double x = 1e30;"), 4)
    assert got is not None and not got.largest and "long long mf_best = 0x7fffffffffffffffLL;" in got.code
    assert "if (mf_best != 0) {" in got.code and "if (mf_v < x) x = mf_v;" in got.code
    # a choice assigned is its if; fmaxf(m, e) keeps the last of equal values (glibc's returns its second argument on
    # a tie), fmaxf(e, m) the first, and the call itself runs where the passes found the value, so a NaN start goes
    got = extremum(_code("for (int i = 0; i < n; i++) m = (a[i] < m) ? a[i] : m;"), 5)
    assert got is not None and not got.largest and got.first and "if (mf_v < m) m = mf_v;" in got.code
    got = extremum(_code("for (int i = 0; i < n; i++) { m = fmaxf(m, a[i] * b[i]); }"), 5)
    assert got is not None and got.largest and not got.first and "m = fmaxf(m, mf_v);" in got.code
    assert "m = fmaxf(m, (a[i] * b[i]));" in got.code
    got = extremum(_code("for (int i = 0; i < n; i++) x = fmin(c[i], x);", "double x = 0;"), 4)
    assert got is not None and not got.largest and got.first and "x = fmin(mf_v, x);" in got.code
    # a variable declared before the loop ends where the loop leaves it
    got = extremum(_code("for (i = 1; i <= n - 1; i += 2) if (a[i] > m) m = a[i];", "float m = a[0];\n    int i, j = 0;"), 5)
    assert got is not None and "int mf_end = i;" in got.code and got.code.endswith("    i = mf_end;\n}")


def test_no_rewrite_of_what_is_not_a_plain_extremum() -> None:
    for loop in ("for (int i = 0; i < n; i++) if (a[i] > m) m = b[i];",  # sets another value than it compares
                 "for (int i = 0; i < n; i++) if (a[i] > m) { m = a[i]; j = i; } else j = 0;",  # an else
                 "for (int i = 0; i < n; i++) if (a[i] > m && b[i] > 0) m = a[i];",  # two conditions
                 "for (int i = 0; i < n; i++) if (a[i] * 2.0 > m) m = a[i] * 2.0;",  # compared as doubles
                 "for (int i = 0; i < n; i++) if (c[i] > m) m = c[i];",  # a double into a float
                 "for (int i = 0; i < n; i++) if (sqrtf(a[i]) > m) m = sqrtf(a[i]);",  # a call
                 "for (int i = 0; i < n; i++) if (a[i] > m) { m = a[i]; j = j + 1; }",  # reads what it sets
                 "for (int i = 0; i < n; i++) if (a[i] > m) { m = a[i]; j = i++; }",  # a side effect
                 "for (int i = 0; i < j; i++) if (a[i] > m) { m = a[i]; j = i; }",  # bounds it sets
                 "for (int i = n - 1; i >= 0; i--) if (a[i] > m) m = a[i];",  # counts down
                 "for (int i = 0; i < n; i++) { j += 1; if (a[i] > m) m = a[i]; }",  # more in the body
                 "for (int i = 0; i < n; i++) m = a[i] > m ? m : a[i];",  # keeps m where the test passes
                 "for (int i = 0; i < n; i++) m = a[i] > m ? a[i] : b[i];",  # another value
                 "for (int i = 0; i < n; i++) m = fmaxf(m, a[i]) + 1.0f;",  # more than the call
                 "for (int i = 0; i < n; i++) m = fmaxf(b[i], a[i]);",  # m is no argument
                 "for (int i = 0; i < n; i++) m = fmaxf(m, m);",  # nor an element
                 "for (int i = 0; i < n; i++) m = fmax(m, a[i]);",  # the double function on a float
                 "for (int i = 0; i < n; i++) m = fmaxf(m, sqrtf(a[i]));"):  # a call in the element
        assert extremum(_code(loop), 5) is None, loop
    assert extremum(_code("for (int i = 0; i < n; i++) if (k[i] > q) q = k[i];", "int q = 0, j = 0;\n    int k[9];"),
                    6) is None  # integers: gcc has their maximum


def _random_loop(rng: random.Random) -> tuple[str, str]:
    """(declarations, loop): a maximum or minimum of a float or double expression, compared either way round,
    with or without indices and other values, braced or not, with the header's variable or one declared before;
    without indices, also written as ``m = c ? e : m;`` or with ``fmaxf`` / ``fminf`` (``fmax`` / ``fmin``)."""
    double = rng.random() < 0.4
    x, y = ("c", "d") if double else ("a", "b")
    kind, absf = ("double", "fabs") if double else ("float", rng.choice(["fabsf", "fabs"]))
    expr = rng.choice([f"{x}[i]", f"{x}[i] * {y}[i]", f"{absf}({x}[i])", f"{x}[i] + {y}[i]", f"-{x}[i]",
                       f"{x}[i + 1]"])
    op = rng.choice([">", ">=", "<", "<="])
    mirror = {">": "<", "<": ">", ">=": "<=", "<=": ">="}
    cond = f"{expr} {op} m" if rng.random() < 0.5 else f"m {mirror[op]} {expr}"
    sets = [f"m = {expr};"] + rng.choice([[], ["j = i;"], ["j = i;", "w = i + 1;"], [f"w = (int){y}[i];"]])
    branch = sets[0] if len(sets) == 1 and rng.random() < 0.5 else "{ " + " ".join(sets) + " }"
    init = rng.choice([f"{x}[0]", "0", "-1", "1e30" if op in "<=" else "-1e30", "__builtin_nan(\"\")"])
    end = "n - 1" if "i + 1" in expr else "n"
    outside = rng.random() < 0.3
    header = rng.choice([f"for ({'' if outside else 'int '}i = 0; i < {end}; i++)",
                         f"for ({'' if outside else 'int '}i = 1; i <= {end} - 1; i += 2)"])
    body = f"if ({cond}) {branch}"
    form = rng.random() if len(sets) == 1 else 1.0
    if form < 0.2:  # the same as an assignment of a choice
        body = f"m = ({cond}) ? {expr} : m;"
    elif form < 0.6:  # fmax or fmin, the element either side
        call = ("fmax" if op in (">", ">=") else "fmin") + ("" if double else "f")
        body = f"m = {call}(m, {expr});" if rng.random() < 0.5 else f"m = {call}({expr}, m);"
    loop = f"{header} {{ {body} }}" if rng.random() < 0.5 else f"{header}\n        {body}"
    decls = f"{kind} m = {init};\n    int j = -5, w = -7{', i' if outside else ''};"
    store = "*dout = m;" if double else "*fo = m;"
    return decls, loop + f"\n    {store}\n    *jo = j * 1000 + w{' + i * 1000000' if outside else ''};"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_extrema_by_keys_compute_exactly_what_the_loop_computes(tmp_path: Path) -> None:
    """300 random loops, each compiled beside its rewrite and run on seven data sets (small integers with ties, both
    zeros, NaNs, all NaN, extremes that are zeros of both signs), from a start that is a number or NaN: the same
    value, bit for bit, and the same indices. For ``fmax`` and ``fmin`` the same value but for a zero's sign, which
    glibc's ``fmax`` takes from its second argument on a tie and gcc, to which the call is commutative, may swap."""
    rng = random.Random(8)
    functions, calls = [], []
    for k in range(300):
        decls, loop = _random_loop(rng)
        if re.search(r"\bfm(?:ax|in)f?\(", loop):
            calls.append(k)
        src = f"{SIGNATURE}\n{{\n    {decls}\n    {loop}\n}}\n"
        line = next(n for n, t in enumerate(src.splitlines(), 1) if t.lstrip().startswith("for"))
        got = extremum(src, line)
        assert got is not None, src
        lines = src.splitlines()
        new = "\n".join(lines[:line - 1] + ["    " + t for t in got.code.splitlines()] + lines[got.lines[1]:])
        functions.append("static " + src.replace("void f", f"void orig{k}") + "static "
                         + new.replace("void f", f"void new{k}") + "\n")
    same = """#include <math.h>
#define N 41
typedef void (*fn)(const float *, const float *, const double *, const double *, int, float *, double *, int *);
static int same(fn f, fn g) {
    float a[N], b[N]; double c[N], d[N];
    for (int set = 0; set < 7; set++) {
        for (int i = 0; i < N; i++) {
            int r = (i * 7 + set * 3) % 9;
            a[i] = r == 0 ? 0.0f : r == 1 ? -0.0f : (float)((i * 5 + set) % 7) - 3;
            b[i] = (float)((i * 3) % 5) - 2;
            c[i] = r == 2 ? -0.0 : (double)((i * 11 + set) % 6) - 2.5;
            d[i] = (double)(i % 3) - 1;
            if (set == 3 && i % 4 == 1) { a[i] = __builtin_nanf(""); c[i] = -__builtin_nan(""); }
            if (set == 4) { a[i] = __builtin_nanf(""); c[i] = __builtin_nan(""); }
            if (set >= 5) {  /* the extreme is a zero, of either sign */
                float z = r % 3 == 0 ? 0.0f : r % 3 == 1 ? -0.0f : set == 5 ? -1.0f : 1.0f;
                a[i] = z; b[i] = r % 2 ? 1.0f : -1.0f; c[i] = z; d[i] = b[i];
            }
        }
        for (int n = 0; n <= N; n += (n < 3 ? 1 : 19)) {
            float fx = 7, fy = 7; double dx = 7, dy = 7; int jx = 7, jy = 7;
            f(a, b, c, d, n, &fx, &dx, &jx);
            g(a, b, c, d, n, &fy, &dy, &jy);
            if (!SAME(fx, fy) || !SAME(dx, dy) || jx != jy) return 0;
        }
    }
    return 1;
}
"""
    bits = "#define SAME(x, y) (memcmp(&(x), &(y), sizeof (x)) == 0)\n"
    values = "#define SAME(x, y) ((x) == (y) || ((x) != (x) && (y) != (y)))\n"
    assert len(calls) >= 20
    (tmp_path / "bits").mkdir()
    differ = rewrites_that_differ(tmp_path / "bits", "".join(functions), bits + same,
                                  [k for k in range(300) if k not in calls], "orig", "new")
    differ += rewrites_that_differ(tmp_path, "".join(functions), values + same, calls, "orig", "new")
    assert not differ, f"rewrites that compute something else (case numbers): {differ}"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
@pytest.mark.parametrize("loop", [
    "for (int i = 0; i < n; i++) {\n        if (a[i] > m) {\n            m = a[i];\n            j = i;\n        }\n    }",
    "for (int i = 0; i <= n - 1; i++) if (m >= fabsf(a[i] * b[i])) { m = fabsf(a[i] * b[i]); j = i; }",
    "for (int i = 0; i < n; i++) if (c[i] > x) x = c[i];",
    "for (int i = 0; i < n; i++) m = fminf(m, a[i] + b[i]);"])
def test_gcc_vectorises_both_passes_where_it_left_the_loop_scalar(tmp_path: Path, loop: str) -> None:
    src = "#include <math.h>\n" + _code(loop, "float m = a[0];\n    double x = 0;\n    int j = 0;").replace(
        "    *fo = m;", "    *fo = m + x;")
    line = next(n for n, t in enumerate(src.splitlines(), 1) if t.lstrip().startswith("for"))
    got = extremum(src, line)
    assert got is not None
    lines = src.splitlines()
    new = "\n".join(lines[:line - 1] + ["    " + t for t in got.code.splitlines()] + lines[got.lines[1]:]) + "\n"

    def vectorised(code: str) -> set[int]:
        (tmp_path / "k.c").write_text(code)
        run = subprocess.run(["gcc", "-O3", "-march=x86-64-v3", "-c", "-o", str(tmp_path / "k.o"), "-fopt-info-vec-optimized",
                              str(tmp_path / "k.c")], capture_output=True, text=True, check=True)
        return {int(n) for n in re.findall(r"k\.c:(\d+):\d+: optimized: loop vectorized", run.stderr)}
    assert line not in vectorised(src)
    fors = [n for n, t in enumerate(new.splitlines(), 1) if t.lstrip().startswith("for")]
    assert len(fors) == 2 and set(fors) <= vectorised(new)
