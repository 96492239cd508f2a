"""A loop that tests for its first or last iteration, run as its edges apart and the loop between without the test:
which loops are understood, checked by hand; for random loops, compiled beside the original and run on the same data
at every short length and a long one, the same arrays bit for bit; and gcc vectorises the loop between where it left
the original scalar."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from mapforge.agents.edges import peel_edges
from tests.helpers import rewrites_that_differ

SIGNATURE = "void f(float *a, const float *b, float *d, int n, int m, int z)"

BORDER = """for (int j = 0; j < n; j++) {
        float t = b[j] * 0.5f;
        if (z == 1 || j == 0 || j == n - 1) {
            a[j] = 0.0f;
            continue;
        }
        a[j] = t + b[j + 1] - b[j - 1];
    }"""


def _code(loop: str) -> str:
    return f"{SIGNATURE}\n{{\n    {loop}\n    d[0] = 1.0f;\n}}\n"


def test_the_edges_run_apart_and_the_loop_between_runs_what_the_body_does_when_the_test_is_false() -> None:
    got = peel_edges(_code(BORDER), 3)
    assert got is not None and got.lines == (3, 10) and got.edges == ("j == 0", "j == n - 1")
    assert got.after.lstrip().startswith("d[0] = 1.0f;")
    lines = got.code.splitlines()
    assert lines[0] == "if (!(z == 1) && (n - 1) - 0 >= 1) {"  # edges at the first and last iteration: no check
    assert "    for (int j = 0 + 1; j < n - 1; j++) {\n        float t = b[j] * 0.5f;\n" \
           "        a[j] = t + b[j + 1] - b[j - 1];\n    }" in got.code
    assert got.code.count("if (z == 1 || j == 0 || j == n - 1)") == 3  # two edges and the loop as written
    assert "    for (int j = 0; j < 0 + 1; j++) {" in got.code and "    for (int j = n - 1; j <= n - 1; j++) {" in got.code
    assert lines[-9] == "} else" and lines[-8] == "    for (int j = 0; j < n; j++) {"


def test_an_edge_elsewhere_is_checked_and_an_else_branch_runs_between() -> None:
    loop = ("for (int j = 1; j <= n; j++) {\n        if (j == m || m + 1 == j)\n            a[j] = b[j];\n"
            "        else\n            a[j] = b[j] * 2.0f;\n        d[j] += a[j];\n    }")
    got = peel_edges(_code(loop), 3)
    assert got is not None and got.edges == ("j == m", "j == m + 1")
    assert got.code.splitlines()[0] == ("if (n - 1 >= 1 && (m <= 1 || m >= n) && ((m + 1) <= 1 || (m + 1) >= n)) {")
    assert "    for (int j = 1 + 1; j < n; j++) {\n        a[j] = b[j] * 2.0f;\n        d[j] += a[j];\n    }" in got.code


def test_the_loops_not_understood() -> None:
    for loop in (
        "for (int j = 0; j < n; j++) {\n        if (j == 0) break;\n        a[j] = b[j];\n    }",  # leaves the loop
        "for (int j = 0; j < n; j++) {\n        if (b[j] > 0 || j == 0) a[j] = 0.0f;\n    }",  # a term that changes
        "for (int j = 0; j < n; j++) {\n        if (z == 1) a[j] = 0.0f;\n    }",  # no edge: gcc unswitches it
        "for (int j = 0; j < n; j++) {\n        int e = j;\n        if (j == e) a[j] = 0.0f;\n    }",  # assigned
        "for (int j = 0; j < n; j++) {\n        if (j == g(n)) a[j] = 0.0f;\n    }",  # a call
        "for (int j = 0; j < n; j++) {\n        if (j == d[0]) a[j] = 0.0f;\n        d[j] = 1.0f;\n    }",
        "for (int j = 0; j < n; j += 2) {\n        if (j == 0) a[j] = 0.0f;\n    }",  # a step of 2
        "for (int j = 0; j < n; j++) {\n        a[j] = b[j];\n        j = j + 0;\n        if (j == 0) a[j] = 0.0f;\n    }",
        "for (int j = 0; j < n; j++) {\n        if (j == 0 && z) a[j] = 0.0f;\n    }",  # a conjunction
        "for (int j = 0; j < n; j++) {\n        if (j == 0) { a[j] = 0.0f; return; }\n    }",
        "for (int j = 0; j < n; j++)\n        if (j == 0) a[j] = 0.0f;",  # no braces
        "for (int j = 0; j < n; j++) {\n        for (int k = 0; k < n; k++) a[k] = 0.0f;\n        if (j == 0) a[j] = 0.0f;\n    }",
    ):
        assert peel_edges(_code(loop), 3) is None, loop
    outside = "int j;\n    for (j = 0; j < n; j++) {\n        if (j == 0) a[j] = 0.0f;\n    }\n    d[1] = (float)j;"
    assert peel_edges(_code(outside), 4) is None  # its variable read after the loop


def _random_loop(rng: random.Random) -> str:
    """A loop with a test of edge terms (its first, its last, or ``m``'s iteration) and terms that do not change (of
    ``z``), its body statements before the test, an ``if`` with a ``continue``, an ``else`` or neither, and
    statements after."""
    lo = rng.choice(["0", "1", "z"])
    op, hi = rng.choice([("<", "n"), ("<", "n - 1"), ("<=", "n - 1"), ("<=", "n")])
    last = f"{hi} - 1" if op == "<" else hi
    edges = rng.sample([f"j == {lo}", f"{lo} == j", f"j == {last}", "j == m", "m == j", f"j == {lo} + 1"],
                       rng.randint(1, 3))
    others = rng.sample(["z == 2", "z > 3", "m < -5"], rng.randint(0, 2))
    terms = [*edges, *others]
    rng.shuffle(terms)
    before = [x for x in ["float t = b[j] * 0.5f;", "d[j] += 1.0f;", "float s = b[j + 1] - t;"] if rng.random() < 0.5]
    if "float s = b[j + 1] - t;" in before and "float t = b[j] * 0.5f;" not in before:
        before.remove("float s = b[j + 1] - t;")
    value = " + ".join(x for x in ["b[j + 1]", "t" if "float t = b[j] * 0.5f;" in before else "",
                                   "s" if "float s = b[j + 1] - t;" in before else ""] if x)
    form = rng.choice(["continue", "else", "neither"])
    test = "if (" + " || ".join(terms) + ")"
    if form == "continue":
        branch = f"{test} {{\n            a[j] = -1.0f;\n            continue;\n        }}"
    elif form == "else":
        branch = f"{test}\n            a[j] = b[j];\n        else {{\n            a[j] = {value} * 2.0f;\n        }}"
    else:
        branch = f"{test}\n            a[j] += 3.0f;"
    after = rng.sample([f"d[j] = a[j] + {value};", "a[j + 1] += 0.25f;"], rng.randint(0, 2))
    statements = [*before, branch, *after]
    return f"for (int j = {lo}; j {op} {hi}; j++) {{\n" + "".join(f"        {s}\n" for s in statements) + "    }"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_loops_rewritten_compute_exactly_what_the_originals_compute(tmp_path: Path) -> None:
    """300 random loops, each compiled beside its rewrite and run at every length 0-6 and 37, with ``m`` before,
    at and inside the range and ``z`` making the unchanging terms true or false: the same arrays, bit for bit."""
    rng = random.Random(31)
    functions, cases = [], []
    for k in range(300):
        loop = _random_loop(rng)
        original = f"static {SIGNATURE.replace('void f', f'void orig{k}')}\n{{\n    {loop}\n}}\n"
        got = peel_edges(original, 3)
        assert got is not None, loop
        lines = original.replace(f"orig{k}", f"new{k}").splitlines()
        new = "\n".join(lines[:2] + ["    " + t for t in got.code.splitlines()] + lines[got.lines[1]:]) + "\n"
        functions.append(original + new)
        cases.append(k)
    same = """#define N 37
typedef void (*fn)(float *, const float *, float *, int, int, int);
static int same(fn f, fn g) {
    static float a[2][N + 4], b[N + 4], d[2][N + 4];
    int ok = 1;
    for (int n = 0; n <= N; n = n < 6 ? n + 1 : N + 1)
        for (int m = -1; m <= 5; m += 2)
            for (int z = 0; z <= 4; z += 2) {
                for (int i = 0; i < N + 4; i++) {
                    b[i] = (float)((i * 7) % 11) - 5.5f;
                    a[0][i] = a[1][i] = (float)i; d[0][i] = d[1][i] = (float)(N - i);
                }
                f(a[0], b, d[0], n, m, z);
                g(a[1], b, d[1], n, m, z);
                ok = ok && memcmp(a[0], a[1], sizeof a[0]) == 0 && memcmp(d[0], d[1], sizeof d[0]) == 0;
            }
    return ok;
}
"""
    differ = rewrites_that_differ(tmp_path, "".join(functions), same, cases, "orig", "new")
    assert not differ, f"rewrites that compute something else (case numbers): {differ}"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_gcc_vectorises_the_loop_between_where_it_left_the_original_scalar(tmp_path: Path) -> None:
    """At ``-mavx2`` (no masked stores of every kind), gcc leaves a border test's loop scalar ("control flow in
    loop") and vectorises the loop between."""
    src = _code(BORDER)
    got = peel_edges(src, 3)
    assert got is not None
    lines = src.splitlines()
    new = "\n".join(lines[:2] + ["    " + t for t in got.code.splitlines()] + lines[got.lines[1]:]) + "\n"

    def report(code: str) -> str:
        path = tmp_path / "k.c"
        path.write_text(code)
        return subprocess.run(["gcc", "-O3", "-mavx2", "-mfma", "-c", "-fopt-info-vec-all", "k.c", "-o", "/dev/null"],
                              cwd=tmp_path, capture_output=True, text=True).stderr

    assert "k.c:3:" in report(src) and not re.search(r"k\.c:3:\d+: optimized: loop vectorized", report(src))
    between = 3 + next(n for n, t in enumerate(new.splitlines()[2:]) if "j = 0 + 1;" in t)
    assert re.search(rf"k\.c:{between}:\d+: optimized: loop vectorized", report(new)), report(new)
