"""Outer-loop distribution before interchange: which loops split, checked by hand, and the splits compiled beside
the originals and run on the same data, bit for bit (tests/helpers.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mapforge.agents.fission import fission
from tests.helpers import rewrites_that_differ

SIGNATURE = "void f(float *aa, float *bb, const float *cc, float *x, float *y, int n)"


def _source(body: str) -> str:
    return f"{SIGNATURE}\n{{\n    for (int i = 1; i < n; i++) {{\n{body}\n    }}\n    x[0] += 1;\n}}\n"


#: Two inner loops: a recurrence down each column of aa, and one along each row of bb, both walking a column.
TWO = ("        for (int j = 1; j < n; j++) {\n            aa[j * n + i] = aa[(j - 1) * n + i] + cc[j * n + i];\n"
       "        }\n        for (int j = 1; j < n; j++)\n            bb[j * n + i] = bb[j * n + i - 1] + cc[j * n + i];")
#: The same with statements between the inner loops, and an inner loop that walks rows already.
MIXED = ("        y[i] = cc[i] * 2;\n" + TWO.replace("        for (int j = 1; j < n; j++)\n",
                                                     "        for (int j = 1; j < n; j++)\n            x[i * n + j] = cc[i * n + j];\n"
                                                     "        for (int j = 1; j < n; j++)\n", 1))


def test_a_loop_over_two_column_walks_is_split_and_both_swapped() -> None:
    source = _source(TWO)
    got = fission(source, 3)
    assert got is not None and got.parts == 2 and got.lines == (3, 9) and got.strided == ("aa", "cc", "bb")
    assert got.after.startswith("\n    x[0] += 1;")
    lines = got.code.splitlines()
    assert lines[0] == "{" and lines[-1] == "}"
    assert [t.strip() for t in lines if "for" in t] == ["for (int j = 1; j < n; j++) {", "for (int i = 1; i < n; i++) {"] * 2


def test_statements_and_row_walks_keep_a_copy_of_the_outer_loop_each() -> None:
    got = fission(_source(MIXED), 3)
    assert got is not None and got.parts == 4
    lines = [t.strip() for t in got.code.splitlines()]
    assert lines[1:4] == ["for (int i = 1; i < n; i++) {", "y[i] = cc[i] * 2;", "}"]
    assert "x[i * n + j] = cc[i * n + j];" in lines  # along rows: kept in its own nest as it was


def test_no_split_where_parts_share_what_one_writes_or_nothing_is_swapped() -> None:
    for body in (TWO.replace("bb[j * n + i - 1]", "aa[j * n + i - 1]"),  # the second part reads what the first writes
                 "        s = cc[i];\n" + TWO.replace("+ cc[j * n + i];", "+ s;"),  # a scalar passed between parts
                 TWO.replace("for (int j = 1; j < n; j++)", "for (j = 1; j < n; j++)"),  # a loop variable they share
                 TWO.replace("aa[j * n + i] = ", "if (cc[i] > 0) aa[j * n + i] = "),  # a branch
                 TWO.split("        }\n")[0] + "\n        }",  # one part
                 TWO.replace("[j * n + i", "[i * n + j").replace("[(j - 1) * n + i]", "[(i - 1) * n + j]")):  # rows
        assert fission(_source(body), 3) is None, body
    assert fission(_source(TWO), 4) is None  # an inner loop's line


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_splits_compute_what_the_loops_computed(tmp_path: Path) -> None:
    functions = []
    for k, body in enumerate((TWO, MIXED)):
        source = _source(body)
        got = fission(source, 3)
        assert got is not None
        lines = source.splitlines()
        new = "\n".join(lines[:2] + ["    " + t for t in got.code.splitlines()] + lines[got.lines[1]:]) + "\n"
        functions.append(f"static {source.replace('void f', f'void orig{k}')}static {new.replace('void f', f'void new{k}')}")
    same = """#define N 37
typedef void (*fn)(float *, float *, const float *, float *, float *, int);
static int same(fn f, fn g) {
    static float a1[N * N], a2[N * N], b1[N * N], b2[N * N], c[N * N], x1[N * N], x2[N * N], y1[N], y2[N];
    for (int i = 0; i < N * N; i++) {
        a1[i] = a2[i] = (float)((i * 7) % 13) / 8; b1[i] = b2[i] = (float)((i * 5) % 11) / 4;
        c[i] = (float)((i * 3) % 17) / 16; x1[i] = x2[i] = (float)(i % 5);
        if (i < N) y1[i] = y2[i] = 0;
    }
    f(a1, b1, c, x1, y1, N);
    g(a2, b2, c, x2, y2, N);
    return !memcmp(a1, a2, sizeof a1) && !memcmp(b1, b2, sizeof b1) && !memcmp(x1, x2, sizeof x1)
        && !memcmp(y1, y2, sizeof y1);
}
"""
    differ = rewrites_that_differ(tmp_path, "".join(functions), same, [0, 1], "orig", "new")
    assert not differ, f"splits that compute something else (case numbers): {differ}"
