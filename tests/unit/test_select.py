"""If-conversion by masks: which chains are understood, checked by hand, and, for random chains, compiled beside the
original and run on the same data (tests/helpers.py)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from mapforge.agents.select import if_convert
from tests.helpers import rewrites_that_differ

HEADER = "for (int i = 0; i < n; i++)"
SIGNATURE = "void f(float *a, const float *b, const float *c, const float *d, float s, int n, int *k)"


def test_a_chain_assigning_one_element_is_chosen_by_masks() -> None:
    body = ("if (d[i] < 0.0f) {\n a[i] += b[i] * c[i];\n} else if (d[i] == 0.0f) {\n a[i] += b[i] * b[i];\n}"
            " else {\n a[i] = c[i];\n}")
    got = if_convert(HEADER, body, SIGNATURE)
    assert got is not None and got.target == "a[i]" and got.branches == 3
    lines = got.body.splitlines()
    assert lines[:3] == ["float mf_v0 = a[i] + (b[i] * c[i]);", "float mf_v1 = a[i] + (b[i] * b[i]);",
                         "float mf_v2 = c[i];"]
    assert "unsigned int mf_m0 = -(unsigned int)((d[i] < 0.0f) != 0);" in lines
    assert lines[-2] == "unsigned int mf_r = ((mf_u0 & mf_m0) | (~mf_m0 & ((mf_u1 & mf_m1) | (~mf_m1 & mf_u2))));"
    assert lines[-1] == "__builtin_memcpy(&a[i], &mf_r, sizeof mf_r);"
    # no else: the element keeps its value; a double target takes 64-bit masks
    got = if_convert(HEADER, "if (b[i] > s) a[i] = b[i];", SIGNATURE.replace("float *a", "double *a"))
    assert got is not None and got.body.startswith("double mf_v0 = b[i];\ndouble mf_v1 = a[i];\nunsigned long long")


def test_no_rewrite_of_a_chain_that_is_not_safe_to_run_whole() -> None:
    for body in ("if (d[i] < 0) a[i] = b[i + 1];",  # another element, maybe past the end
                 "if (d[i] != 0) a[i] = b[i] / d[i];",  # a division
                 "if (d[i] < 0) a[i] = sqrtf(b[i]);",  # a call
                 "if (d[i] < 0) a[i] = b[i]; else k[i] = 1;",  # two targets
                 "if (d[i] < 0) { a[i] = b[i]; a[i] += 1; }",  # two statements in a branch
                 "if (d[i] < 0) a[i] = b[i]; s = 1;",  # more after the chain
                 "if (d[i] < 0) a[i]++;", "if (d[i] < (s = 1)) a[i] = 0;",  # side effects
                 "a[i] = b[i];"):  # no chain
        assert if_convert(HEADER, body, SIGNATURE) is None, body
    assert if_convert(HEADER, "if (d[i] < 0) k[i] = 1;", SIGNATURE) is None  # an int target needs no masks


def _random_chain(rng: random.Random) -> str:
    """One to three arms, with an else or not, each assigning a[i] with =, +=, -= or *= a sum or product of b, c,
    d at i and s; conditions comparing them, now and then two joined by && or ||."""
    def value() -> str:
        return f"{rng.choice(['b[i]', 'c[i]', 'd[i]', 's'])} {rng.choice(['+', '*', '-'])} " \
               f"{rng.choice(['b[i]', 'c[i]', 'd[i]', '2.0f'])}"

    def cond() -> str:
        one = f"{rng.choice(['a[i]', 'b[i]', 'd[i]'])} {rng.choice(['<', '>', '==', '!=', '<=', '>='])} " \
              f"{rng.choice(['c[i]', '0.0f', 's'])}"
        return one if rng.random() < 0.7 else f"{one} {rng.choice(['&&', '||'])} d[i] > b[i]"
    arms = [f"if ({cond()}) {{ a[i] {rng.choice(['=', '+=', '-=', '*='])} {value()}; }}"
            for _ in range(rng.randint(1, 3))]
    text = " else ".join(arms)
    if rng.random() < 0.5:
        text += f" else a[i] {rng.choice(['=', '+=', '*='])} {value()};"
    return text


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_chains_chosen_by_masks_compute_exactly_what_the_branches_compute(tmp_path: Path) -> None:
    """300 random chains, each compiled beside its rewrite and run on the same integer-valued data (ties in the
    comparisons included): the same array, bit for bit."""
    rng = random.Random(3)
    functions = []
    for k in range(300):
        body = _random_chain(rng)
        got = if_convert(HEADER, body, SIGNATURE)
        assert got is not None, body
        new = "\n        ".join(got.body.splitlines())
        functions.append(f"static {SIGNATURE.replace('void f', f'void orig{k}')}\n{{\n    {HEADER} {{\n        {body}\n"
                         f"    }}\n}}\nstatic {SIGNATURE.replace('void f', f'void new{k}')}\n{{\n    {HEADER} {{\n"
                         f"        {new}\n    }}\n}}\n")
    same = """#define N 50
typedef void (*fn)(float *, const float *, const float *, const float *, float, int, int *);
static int same(fn f, fn g) {
    float x[N], y[N], b[N], c[N], d[N];
    for (int i = 0; i < N; i++) {
        x[i] = y[i] = (float)((i * 7) % 5) - 2;
        b[i] = (float)((i * 3) % 7) - 3; c[i] = (float)((i * 5) % 3) - 1; d[i] = (float)(i % 4) - 1;
    }
    f(x, b, c, d, 1.0f, N, 0);
    g(y, b, c, d, 1.0f, N, 0);
    return memcmp(x, y, sizeof x) == 0;
}
"""
    differ = rewrites_that_differ(tmp_path, "".join(functions), same, list(range(300)), "orig", "new")
    assert not differ, f"rewrites that compute something else (case numbers): {differ}"
