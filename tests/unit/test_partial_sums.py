"""Partial sums written out for a reduction loop: which loops are understood, checked by hand, and, for random
reductions, by compiling the loop and its rewrite with gcc and comparing what they compute. The inputs are small
integers, whose float sums are exact in any order, so the comparison is bit for bit."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from mapforge.agents.partial_sums import partial_sums
from tests.helpers import rewrites_that_differ

ATAX = """void f(float *restrict tmp, const float *restrict A, const float *restrict x, int n)
{
  int i, j;
  for (i = 0; i < n; i++) {
      tmp[i] = 0.0f;
      for (j = 0; j < n; j++)
        tmp[i] = tmp[i] + A[i * n + j] * x[j];
  }
}
"""


def test_a_reduction_into_an_element_is_rewritten_with_the_loops_own_term_and_variable() -> None:
    got = partial_sums(ATAX, 6)
    assert got is not None and got.lines == (6, 7) and got.after.split("\n", 1)[0].strip() == ""
    assert got.code == (
        "{\n    float acc[16] = {0};\n    j = 0;\n    for (; j + 16 <= n; j += 16)\n"
        "        for (int k = 0; k < 16; k++)\n            acc[k] += A[i * n + (j + k)] * x[(j + k)];\n"
        "    float total = 0;\n    for (int k = 0; k < 16; k++)\n        total += acc[k];\n"
        "    for (; j < n; j++)\n        total += A[i * n + j] * x[j];\n    tmp[i] += total;\n}")


def test_the_forms_understood_and_the_names_kept_apart() -> None:
    src = ("double f(const double *x, int n) {\n  double k = 0;\n  for (int v = 1; v <= n - 1; ++v) { k += x[v]; }\n"
           "  return k;\n}\n")
    got = partial_sums(src, 3)
    assert got is not None
    assert "double acc[16] = {0};" in got.code and "int v = 1;" in got.code  # the sum's type; v declared anew
    assert "v + 16 <= (n - 1) + 1" in got.code and "k_" in got.code  # k is the code's: the lane is k_
    assert got.code.endswith("    k += total;\n}")


def test_no_rewrite_of_what_is_not_a_plain_reduction() -> None:
    def loop(body: str, header: str = "for (int i = 0; i < n; i++)") -> str:
        return f"void f(float *y, const float *x, float s, int n)\n{{\n    {header}\n        {body}\n}}\n"

    assert partial_sums(loop("s += x[i];"), 3) is not None
    assert partial_sums(loop("s = s + x[i] * 2;"), 3) is not None
    minus = partial_sums(loop("s = s - x[i] * 2 + x[0];"), 3)  # adds (-x[i]) * 2 + x[0]
    assert minus is not None and "acc[k] += - x[(i + k)] * 2 + x[0];" in minus.code
    less = partial_sums(loop("s -= x[i] + 1;"), 3)  # subtracts the whole term
    assert less is not None and "acc[k] += -(x[(i + k)] + 1);" in less.code
    stride = partial_sums(loop("s += x[i];", "for (int i = 1; i < n; i += 3)"), 3)
    assert stride is not None and "for (; i + 45 < n; i += 48)" in stride.code and "x[(i + 3 * k)]" in stride.code
    assert "for (; i < n; i += 3)" in stride.code
    moved = partial_sums(loop("{ s -= x[j] * y[i]; j += 2; }", "for (int i = 0; i < n; i += 5)"), 3)
    assert moved is not None and "for (; i + 75 < n; i += 80, j += 32)" in moved.code
    assert "acc[k] += -(x[(j + 2 * k)] * y[(i + 5 * k)]);" in moved.code and "for (; i < n; i += 5, j += 2)" in moved.code
    for body in ("{ j++; s += x[j]; }", "{ s += x[j]; j++; j++; }", "{ s += x[j]; i++; }", "{ j = x[i]; s += 1; j++; }"):
        assert partial_sums(loop(body), 3) is None, body  # a step before a read, twice, of the loop, or assigned
    for body in ("s = x[i] + s * 2;", "s += s * x[i];", "y[i] += x[i];", "s += 1;",
                 "if (x[i] > 0) s += x[i];", "s += x[i++];", "float t = x[i];"):
        assert partial_sums(loop(body), 3) is None, body
    for header in ("for (int i = 0; i < n; i += m)", "for (int i = n; i > 0; i--)", "for (int i = 0; i < i * 2; i++)"):
        assert partial_sums(loop("s += x[i];", header), 3) is None, header  # a step or a bound not understood
    assert partial_sums(loop("{ s += x[i]; y[i] = s; }"), 3) is None  # a store the loop moves
    for body in ("{ s += x[i]; s += y[i]; }", "{ s += x[i]; y[0] += s; }", "{ t = x[i]; s += t; }",
                 "{ float t = x[i]; t += 1; s += t; }", "{ float t = s * 2; s += x[i] * t; }"):
        assert partial_sums(loop(body), 3) is None, body  # one target twice, a target read, a temporary reused
    two = partial_sums(loop("{ float t = x[i] * 2; s += t; y[0] += t * x[i]; }"), 3)
    assert two is not None and "acc_[k] += (t * x[(i + k)]);" not in two.code
    assert "        for (int k = 0; k < 16; k++) {\n            float t = x[(i + k)] * 2;\n" \
           "            acc[k] += t;\n            acc_[k] += t * x[(i + k)];\n        }" in two.code
    assert two.code.endswith("    s += total;\n    y[0] += total_;\n}")


def _reduction(rng: random.Random) -> tuple[str, str]:
    """A reduction loop over i (declared in its header or not, bounds < or <=, a start of 0 to 2, a step of 1 to
    3) into a scalar or an element of y, adding or subtracting a term over x and z, now and then reading an
    induction variable j stepped at the end of the body; and what to return (the target, and i where it outlives
    the loop)."""
    start = rng.randint(0, 2)
    cmp, end = rng.choice([("<", "n"), ("<=", "n - 1"), ("<", "n - 3")])
    declared = rng.random() < 0.5
    header = f"for ({'int ' if declared else ''}i = {start}; i {cmp} {end}; {rng.choice(['i++', '++i', 'i += 1', 'i += 2', 'i = i + 3'])})"
    target = rng.choice(["s", "y[2]", "y[m]"])
    term = rng.choice(["x[i]", "x[i] * z[i]", "x[i + 1] - z[i]", "x[m * 0 + i] * 2.0f", "(x[i] + z[n - 1 - i])"])
    form = rng.choice([f"{target} += {term};", f"{target} = {target} + {term};", f"{target} -= {term};",
                       f"{target} = {target} - {term};"])
    body = f"{{ {form} }}" if rng.random() < 0.5 else form
    if rng.random() < 0.4:  # more statements: a temporary the sums read, a second sum, or both
        other = rng.choice([t for t in ("s", "y[2]", "y[m]") if t[0] != target[0]])
        temp = rng.random() < 0.6
        forms = [f"float t = {rng.choice(['x[i] * 0.5f', 'z[i] + x[i + 1]'])};"] if temp else []
        forms.append(form)
        if not temp or rng.random() < 0.5:
            forms.append(f"{other} += {rng.choice(['x[i] - z[i]', 't * z[i]' if temp else 'z[i]'])};")
        if temp:
            forms[-1] = forms[-1].replace(term, f"{term} + t", 1) if len(forms) == 2 else forms[-1]
        body = "{ " + " ".join(forms) + " }"
    if rng.random() < 0.3:  # an induction variable the first sum reads, stepped at the end
        inner = body[2:-2] if body.startswith("{") else body
        inner = inner.replace(term, f"{term} + z[j]", 1)
        body = "{ " + inner + " " + rng.choice(["j++;", "++j;", "j += 1;", "j = j + 1;"]) + " }"
    return f"    {header}\n        {body}\n", ("" if declared else "    out[1] = (float)i;\n")


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_reductions_rewritten_compute_exactly_what_the_loop_computes(tmp_path: Path) -> None:
    """300 random reduction loops (four in ten with more statements: a temporary, a second sum; steps of 1 to 3;
    sums and differences), compiled beside
    their rewrites and run on integer-valued data: exact in any order, so any difference is a wrong rewrite."""
    rng = random.Random(5)
    functions = []
    for k in range(300):
        loop, tail = _reduction(rng)
        pre = "    float s = y[0];\n    int i = -7, j = 0;\n    (void)i;\n"
        post = f"    out[0] = s;\n    out[2] = (float)j;\n{tail}"
        source = f"static void orig{k}(float *out, float *y, const float *x, const float *z, int n, int m)\n{{\n" \
                 f"{pre}{loop}{post}}}\n"
        line = source.splitlines().index(loop.splitlines()[0]) + 1
        got = partial_sums(source, line)
        assert got is not None, loop
        lines = source.splitlines()
        rewritten = "\n".join(lines[:line - 1] + ["    " + t for t in got.code.splitlines()] + lines[got.lines[1]:])
        functions.append(source + rewritten.replace(f"orig{k}", f"part{k}") + "\n")
    same = """#define N 61
typedef void (*fn)(float *, float *, const float *, const float *, int, int);
static int same(fn f, fn g) {
    float out[2][3] = {{0}}, y[2][N], x[N + 1], z[N];
    for (int i = 0; i <= N; i++) x[i] = (float)((i * 7) % 13) - 6;
    for (int i = 0; i < N; i++) { z[i] = (float)((i * 5) % 11) - 5; y[0][i] = y[1][i] = (float)(i % 3); }
    f(out[0], y[0], x, z, N, 5);
    g(out[1], y[1], x, z, N, 5);
    return memcmp(out[0], out[1], sizeof out[0]) == 0 && memcmp(y[0], y[1], sizeof y[0]) == 0;
}
"""
    differ = rewrites_that_differ(tmp_path, "".join(functions), same, list(range(300)), "orig", "part")
    assert not differ, f"rewrites that compute something else (case numbers): {differ}"
