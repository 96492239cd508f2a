"""Loop fusion: which consecutive loops join, checked by hand, and, for random sequences of loops, compiled beside
the original and run on the same data (tests/helpers.py)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from mapforge.agents.fusion import fuse
from tests.helpers import rewrites_that_differ

HEADER = "for (int i = 1; i < n - 1; i++)"


def _source(*loops: str, header: str = HEADER) -> str:
    return ("void f(float *a, float *b, float *c, float *d, float s, int n)\n{\n"
            + "".join(f"    {header} {{\n        {body}\n    }}\n" for body in loops) + "}\n")


def test_loops_over_the_same_elements_become_one_loop() -> None:
    src = _source("a[i] = b[i] * 2;", "c[i] = a[i] + b[i];", "d[i] = c[i] * a[i];")
    got = fuse(src, 3)
    assert got is not None
    assert got.code == (f"{HEADER} {{\n    a[i] = b[i] * 2;\n    c[i] = a[i] + b[i];\n    d[i] = c[i] * a[i];\n}}")
    assert got.lines == (3, 11) and got.after.strip() == "}" and got.shared == ("a", "b", "c") and got.loops == 3
    # unbraced bodies, blank lines and comments between the loops
    src = ("void f(float *a, const float *b, int n)\n{\n    for (int i = 0; i < n; i++)\n        a[i] = b[i];\n\n"
           "    /* then */\n    for (int i = 0; i < n; i++) a[i] += 1;\n}\n")
    got = fuse(src, 3)
    assert got is not None and got.code.endswith("    a[i] = b[i];\n    a[i] += 1;\n}") and got.lines == (3, 7)


def test_loops_join_only_while_the_fused_loop_carries_nothing() -> None:
    assert fuse(_source("a[i] = b[i];", "c[i] = a[i + 1];"), 3) is None  # would read a[i + 1] before it is written
    assert fuse(_source("a[i] = b[i];", "c[i] = a[i - 1];"), 3) is None  # legal, but carried: not proposed
    assert fuse(_source("a[i] = a[i - 1] + b[i];", "c[i] = a[i];"), 3) is None  # a recurrence in the first
    assert fuse(_source("s = b[i];", "c[i] = s;"), 3) is None  # a scalar passes between the loops
    assert fuse(_source("a[i] = b[i];", "c[i] = d[i];"), 3) is None  # nothing shared: no load saved
    assert fuse(_source("a[i] = b[i];", "if (a[i] > 0) c[i] = a[i];"), 3) is None  # a branch is not read
    src = _source("a[i] = b[i];", "c[i] = a[i];").replace(HEADER, "for (int i = 0; i < n; i++)", 1)
    assert fuse(src, 3) is None  # different bounds
    down = "for (int i = n - 1; i >= 0; i--)"
    assert fuse(_source("a[i] = b[i];", "c[i] = a[i];", header=down), 3) is None  # counting down: not read
    # the chain stops at the first loop that cannot join
    got = fuse(_source("a[i] = b[i];", "c[i] = a[i];", "d[i] = c[i + 1];"), 3)
    assert got is not None and got.lines == (3, 8) and "d[i]" not in got.code and got.after.lstrip().startswith("for")


ARRAYS = ("a", "b", "c", "d")


def _random_loops(rng: random.Random) -> list[str]:
    """Two to four loops of one or two statements over four arrays, mostly at offset 0, sometimes -1 or 1, with
    a temporary now and then."""
    loops = []
    for _ in range(rng.randint(2, 4)):
        statements = []
        for k in range(rng.randint(1, 2)):
            def at() -> str:
                off = rng.choice([0, 0, 0, 0, 0, 1, -1])
                return f"{rng.choice(ARRAYS)}[i{'' if off == 0 else f' + {off}' if off > 0 else f' - {-off}'}]"
            rhs = f"{at()} {rng.choice(['+', '*', '-'])} {rng.choice([at(), 's', '0.5f'])}"
            if k == 0 and rng.random() < 0.2:
                statements.append(f"float t = {rhs};")
                rhs = f"t * {at()}"
            statements.append(f"{at()} {rng.choice(['=', '+='])} {rhs};")
        loops.append(" ".join(statements))
    return loops


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_loops_fused_compute_exactly_what_the_original_computes(tmp_path: Path) -> None:
    """Every fusion proposed for 400 random sequences of loops is compiled beside the original and run on the same
    integer-valued data: the same arrays, bit for bit. At least 60 must fuse, or the test checks too little."""
    rng = random.Random(11)
    functions, cases = [], []
    for k in range(400):
        src = _source(*_random_loops(rng)).replace("void f(", f"static void orig{k}(")
        got = fuse(src, 3)
        if got is None:
            continue
        lines = src.splitlines()
        fused = "\n".join(lines[:2] + ["    " + t for t in got.code.splitlines()] + lines[got.lines[1]:])
        functions.append(src + fused.replace(f"orig{k}", f"fused{k}") + "\n")
        cases.append(k)
    assert len(cases) >= 60, f"only {len(cases)} of 400 random sequences fuse"
    same = """#define N 40
typedef void (*fn)(float *, float *, float *, float *, float, int);
static int same(fn f, fn g) {
    float x[4][N], y[4][N];
    for (int j = 0; j < 4; j++) for (int i = 0; i < N; i++) x[j][i] = y[j][i] = (float)((i * 7 + j * 5) % 11) - 5;
    f(x[0], x[1], x[2], x[3], 3.0f, N);
    g(y[0], y[1], y[2], y[3], 3.0f, N);
    return memcmp(x, y, sizeof x) == 0;
}
"""
    differ = rewrites_that_differ(tmp_path, "".join(functions), same, cases, "orig", "fused")
    assert not differ, f"fusions that compute something else (case numbers): {differ}"
