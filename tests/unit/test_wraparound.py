"""A scalar carrying the previous iteration's value of an expression, rewritten so nothing is carried: which loops
are understood, checked by hand; for random loops, compiled beside the original and run on the same data, the
same arrays and the same final scalars, bit for bit; and gcc vectorises the rewrite, where it left the loop
scalar."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mapforge.agents.wraparound import wraparound
from tests.helpers import rewrites_that_differ

SIGNATURE = "void f(float *a, const float *b, const float *c, float *d, int n)"


def _code(loop: str, before: str = "float x = b[n - 1];") -> str:
    return f"{SIGNATURE}\n{{\n    {before}\n    {loop}\n    d[0] += x;\n}}\n"


def test_the_previous_value_is_read_where_the_scalar_was_and_the_first_iteration_runs_on_its_own() -> None:
    src = _code("for (int i = 0; i < n; i++) {\n        a[i] = (b[i] + x) * 0.5f;\n        x = b[i];\n    }")
    got = wraparound(src, 4)
    assert got is not None and got.lines == (4, 7) and (got.scalar, got.expression) == ("x", "b[i]")
    assert got.code == (
        "{\n    if (0 < n) {\n        int i = 0;\n        a[i] = (b[i] + x) * 0.5f;\n        x = b[i];\n    }\n"
        "    for (int i = 1; i < n; i++) {\n        a[i] = (b[i] + ((float)(b[(i - 1)]))) * 0.5f;\n        x = b[i];\n"
        "    }\n}")
    assert got.after.lstrip().startswith("d[0] += x;")


def test_an_index_carried_around_and_the_forms_understood_and_those_not() -> None:
    index = wraparound(_code("for (int i = 2; i <= n - 1; i += 2) {\n        a[i] = b[im] + c[i];\n        im = i;\n"
                             "        d[i] = b[im];\n    }", "float x = 0; int im = n - 1;"), 4)
    assert index is not None and "    for (int i = 4; i <= n - 1; i += 2) {\n" in index.code
    assert "        a[i] = b[((int)((i - 2)))] + c[i];\n        im = i;\n        d[i] = b[im];\n" in index.code  # after: as is
    outside = wraparound(_code("for (i = k; i < n; i++) {\n        a[i] = x;\n        x = c[i];\n    }",
                               "float x = 0; int i, k = 1;"), 4)
    assert outside is not None and "    if (k < n) {\n        i = k;\n" in outside.code
    assert "    for (i = k + 1; i < n; i++) {\n" in outside.code
    for loop in ("for (int i = 0; i < n; i++) {\n        x = b[i];\n        a[i] = x;\n    }",  # read after only
                 "for (int i = 0; i < n; i++) {\n        a[i] = x;\n        x = x + b[i];\n    }",  # a reduction
                 "for (int i = 0; i < n; i++) {\n        a[i] = x;\n        x = a[i + 1];\n    }",  # an array written
                 "for (int i = 0; i < n; i++) {\n        a[i] = x;\n        x = b[i];\n        x = c[i];\n    }",
                 "for (int i = 0; i < n; i++) {\n        float t = b[i];\n        a[i] = x;\n        x = t;\n    }",
                 "for (int i = 0; i < n; i++) {\n        a[i] = x;\n        x = g(b[i]);\n    }",  # a call
                 "for (int i = 0; i < n; i++) {\n        if (b[i] > 0) a[i] = x;\n        x = b[i];\n    }",
                 "for (int i = 0; i < n; i++) {\n        float x = b[i];\n        a[i] = x;\n    }",  # a local
                 "for (int i = 0; i < n; i++) {\n        a[i] = x, x = c[i];\n        x = b[i];\n    }",  # a comma
                 "for (int i = 0; i < n; i++) {\n        a[i] = x;\n        x = b[i];\n        i = i + 1;\n    }",
                 "for (int i = n - 1; i >= 0; i--) {\n        a[i] = x;\n        x = b[i];\n    }"):  # counts down
        assert wraparound(_code(loop), 4) is None, loop
    assert wraparound(_code("for (i = 0; i < n; i++) {\n        a[i] = x;\n        x = b[i];\n    }\n    d[1] = i;",
                            "float x = 0; int i;"), 4) is None  # its variable read after the loop


def _random_loop(rng: random.Random) -> str:
    """A loop with one or two wraparound scalars (a float carrying an expression of the arrays it does not write,
    an int carrying an index), statements before and after the assignments, headers of steps 1 to 3."""
    lo, step = rng.choice([(0, 1), (1, 1), (2, 2), (0, 3), (1, 2)])
    op_hi = rng.choice(["< n", "<= n - 1", "< n - 2"])
    header = f"for (int i = {lo}; i {op_hi}; i{'++' if step == 1 else f' += {step}'})"
    carried = rng.choice(["b[i]", "b[i] * 2.0f + c[i]", "c[i] - b[i] * b[i]", "fabsf(b[i]) * 0.25f", "b[i] + t"])
    index = rng.choice(["i", "i + 1", "i / 2"])

    def use() -> str:
        return rng.choice(["x", "b[im]", "x * c[i]", "x + b[im]", "(float)im", "b[i]"])
    stmts = [f"{rng.choice('ad')}[i] {rng.choice(['=', '+='])} {use()} + {use()} * 0.5f" for _ in range(rng.randint(1, 2))]
    stmts[0] = stmts[0].replace(" = ", " = x * c[i] + ", 1).replace(" += ", " += x * c[i] + ", 1)  # x is carried
    stmts.append(f"x = {carried}")
    if rng.random() < 0.6:
        stmts.append(f"im = {index}")
    if rng.random() < 0.4:
        stmts.append(f"{rng.choice('ad')}[i] += {use()}")
    return header + " {\n" + "".join(f"        {s};\n" for s in stmts) + "    }"


def _function(name: str, loop: str) -> str:
    return (f"static void {name}(float *a, const float *b, const float *c, float *d, int n)\n{{\n"
            f"    float t = 0.5f;\n    float x = b[n - 1];\n    int im = n - 1;\n    {loop}\n"
            "    d[0] += x;\n    d[1] += (float)im;\n}\n")


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_wraparound_loops_rewritten_compute_exactly_what_the_originals_compute(tmp_path: Path) -> None:
    """300 random loops, each compiled beside its rewrite (applied again while a second scalar is still carried)
    and run on data of 37 and of 1 element (the loop runs once or not at all): the same arrays and the same
    scalars after the loop, bit for bit."""
    rng = random.Random(29)
    functions, cases, twice = [], [], 0
    for k in range(300):
        loop = _random_loop(rng)
        original = _function(f"orig{k}", loop)
        current = original.replace(f"orig{k}", f"new{k}")
        got = wraparound(current, 6)
        assert got is not None, loop
        for _ in range(2):  # a second carried scalar: the rewritten loop is the block's second statement
            lines = current.splitlines()
            current = "\n".join(lines[:got.lines[0] - 1] + ["    " + t for t in got.code.splitlines()]
                                + lines[got.lines[1]:]) + "\n"
            start = got.lines[0] + next(n for n, t in enumerate(got.code.splitlines()) if t.startswith("    for"))
            again = wraparound(current, start)
            if again is None:
                break
            got, twice = again, twice + 1
        functions.append(original + current)
        cases.append(k)
    assert twice >= 50, f"only {twice} loops carried a second scalar"
    same = """#include <math.h>
#define N 37
typedef void (*fn)(float *, const float *, const float *, float *, int);
static int same(fn f, fn g) {
    static float a[2][N], b[N], c[N], d[2][N];
    int ok = 1;
    for (int n = 1; n <= N; n += N - 1) {
        for (int i = 0; i < N; i++) {
            b[i] = (float)((i * 7) % 11) - 5.5f; c[i] = (float)((i * 5) % 13) * 0.25f;
            a[0][i] = a[1][i] = (float)i; d[0][i] = d[1][i] = (float)(N - i);
        }
        f(a[0], b, c, d[0], n);
        g(a[1], b, c, d[1], n);
        ok = ok && memcmp(a[0], a[1], sizeof a[0]) == 0 && memcmp(d[0], d[1], sizeof d[0]) == 0;
    }
    return ok;
}
"""
    differ = rewrites_that_differ(tmp_path, "".join(functions), same, cases, "orig", "new")
    assert not differ, f"rewrites that compute something else (case numbers): {differ}"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_gcc_vectorises_the_rewrite_where_it_left_the_loop_scalar(tmp_path: Path) -> None:
    src = _code("for (int i = 0; i < n; i++) {\n        a[i] = (b[i] + x) * c[i];\n        x = b[i];\n    }")
    got = wraparound(src, 4)
    assert got is not None
    lines = src.splitlines()
    new = "\n".join(lines[:3] + ["    " + t for t in got.code.splitlines()] + lines[got.lines[1]:]) + "\n"

    def report(code: str) -> str:
        (tmp_path / "k.c").write_text(code)
        return subprocess.run(["gcc", "-O3", "-march=x86-64-v3", "-c", "-o", str(tmp_path / "k.o"), "-fopt-info-vec",
                               "-fopt-info-vec-missed", str(tmp_path / "k.c")], capture_output=True, text=True,
                              check=True).stderr
    assert re.search(r"k\.c:4:\d+: missed: couldn't vectorize loop", report(src))
    loop = next(n for n, t in enumerate(new.splitlines(), 1) if t.lstrip().startswith("for"))
    assert re.search(rf"k\.c:{loop}:\d+: optimized: loop vectorized", report(new))
