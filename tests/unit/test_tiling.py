"""Loop tiling of a nest that walks an array down a column in either order: which nests tile, checked by hand,
and, for random nests, by compiling the original and the tiled nest with gcc and comparing what they compute,
bit for bit, with tiles that divide the iterations and tiles that leave partial ones."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest

from mapforge.agents.interchange import interchange
from mapforge.agents.tiling import tile
from tests.helpers import rewrites_that_differ
from tests.unit.test_interchange import SAME, TRIANGLES, _function, _random_body

ROWS_LOOP = "for (int i = 0; i < n; i++)"
COLS_LOOP = "for (int j = 0; j < n; j++)"


def test_a_transposed_read_beside_row_wise_accesses_runs_in_tiles() -> None:
    got = tile(ROWS_LOOP, COLS_LOOP, "aa[i * n + j] = aa[i * n + j] * cc[j * n + i] + bb[i * n + j];")
    assert got is not None and got.strided == ("cc",)
    assert got.nest == """for (int ii = 0; ii < n; ii += 64) {
    int i_end = ii + 64 < n ? ii + 64 : n;
    for (int jj = 0; jj < n; jj += 16) {
        int j_end = jj + 16 < n ? jj + 16 : n;
        for (int i = ii; i < i_end; i++) {
            for (int j = jj; j < j_end; j++) {
                aa[i * n + j] = aa[i * n + j] * cc[j * n + i] + bb[i * n + j];
            }
        }
    }
}"""
    assert interchange(ROWS_LOOP, COLS_LOOP, "aa[i * n + j] = aa[i * n + j] * cc[j * n + i] + bb[i * n + j];") is None


def test_bounds_are_kept_inclusive_ones_made_exclusive_and_tile_names_fresh() -> None:
    got = tile("for (int i = 1; i <= m - 2; i++)", "for (int j = 2; j < n - 1; j++)", "b[j * n + i] = a[i * n + j];",
               taken=frozenset({"ii"}))
    assert got is not None
    assert "for (int ii_ = 1; ii_ < (m - 2) + 1; ii_ += 64) {" in got.nest
    assert "int j_end = jj + 16 < (n - 1) ? jj + 16 : (n - 1);" in got.nest
    assert "for (int j = jj; j < j_end; j++) {" in got.nest


def test_a_triangular_nest_runs_in_the_tiles_of_its_rectangle_each_row_clipped_to_its_bounds() -> None:
    below = tile(ROWS_LOOP, "for (int j = 0; j < i; j++)", "b[j * n + i] = a[i * n + j];")
    assert below is not None and "    for (int jj = 0; jj < i_end - 1; jj += 16) {\n" in below.nest
    assert "            int j_end = jj + 16 < i ? jj + 16 : i;\n            for (int j = jj; j < j_end; j++) {" in below.nest
    above = tile(ROWS_LOOP, "for (int j = i + 1; j <= n - 1; j++)", "b[j * n + i] = a[i * n + j];")
    assert above is not None and "    for (int jj = ii + 1; jj < (n - 1) + 1; jj += 16) {\n" in above.nest
    assert "            for (int j = (jj > i + 1 ? jj : i + 1); j < j_end; j++) {" in above.nest
    assert tile(ROWS_LOOP, "for (int j = 2 * i; j < n; j++)", "b[j * n + i] = a[i * n + j];") is None
    assert tile(ROWS_LOOP, "for (int j = i; j < i + 4; j++)", "b[j * n + i] = a[i * n + j];") is None


def test_no_tiles_where_interchange_does_better_or_nothing_walks_a_column_or_the_order_matters() -> None:
    assert tile(ROWS_LOOP, COLS_LOOP, "b[i * n + j] = a[i * n + j];") is None  # along rows already
    assert tile(ROWS_LOOP, COLS_LOOP, "b[j * n + i] = a[j * n + i];") is None  # down columns only: interchange's case
    assert tile(ROWS_LOOP, COLS_LOOP, "a[j * n + i] = a[i * n + j];") is None  # in place: a dependence runs backward
    assert tile(ROWS_LOOP, COLS_LOOP, "b[j * n + i] = a[i * n + j - 1] + b[(j + 1) * n + i - 1];") is None  # (<, >) on b
    assert tile(ROWS_LOOP, COLS_LOOP, "n = 2; b[j * n + i] = a[i * n + j];") is None  # the body assigns a bound
    assert tile(ROWS_LOOP, "for (int j = 0; j < n; j += 2)", "b[j * n + i] = a[i * n + j];") is None  # a step of 2
    assert tile(ROWS_LOOP, "for (j = 0; j < n; j++)", "b[j * n + i] = a[i * n + j];", after="x[0] = j;") is None
    assert tile(ROWS_LOOP, "for (j = 0; j < n; j++)", "b[j * n + i] = a[i * n + j];", after="for (j = 0; j < 3; j++) x[j] = 0;") is not None


OUTER = "for (int i = 1; i < n - 1; i++)"
INNER = "for (int j = 1; j < n - 1; j++)"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is installed by scripts/setup.sh")
def test_random_nests_tiled_compute_exactly_what_the_original_computes(tmp_path: Path) -> None:
    """Every tiling the module proposes for 1200 random rectangular nests (statements over two n x n matrices and
    two vectors, subscripts at offsets -1..1, a temporary or not, bounds exclusive or inclusive) and 1200 triangular
    ones (interchange's twelve bound shapes), with the default tiles and
    with 5 x 3 tiles (partial tiles in both loops at n = 24), is compiled beside the original and run on the same
    data: the same arrays, bit for bit. Enough nests must tile, or the test checks too little."""
    rng = random.Random(23)
    headers = [(OUTER, INNER), ("for (int i = 1; i <= n - 2; i++)", "for (int j = 1; j <= n - 2; j++)"),
               ("for (int i = 2; i < n - 1; i++)", "for (int j = 1; j < n - 3; j++)")]  # offsets stay in bounds
    cases = []
    for k in range(2400):  # the second half triangular
        body, (outer, inner) = _random_body(rng), rng.choice(headers if k < 1200 else TRIANGLES)
        small = k % 2 == 1
        got = tile(outer, inner, body, rows=5, cols=3) if small else tile(outer, inner, body)
        if got is not None:
            original = f"{outer} {{\n        {inner} {{\n            {body}\n        }}\n    }}"
            cases.append((k, _function(f"orig{k}", original) + _function(f"tiled{k}", got.nest)))
    triangular = sum(k >= 1200 for k, _ in cases)
    assert len(cases) - triangular >= 60 and triangular >= 60, \
        f"only {len(cases) - triangular} of 1200 rectangular and {triangular} of 1200 triangular random nests tile"
    differ = rewrites_that_differ(tmp_path, "".join(c for _, c in cases), SAME, [k for k, _ in cases], "orig", "tiled")
    assert not differ, f"tilings that compute something else (case numbers): {differ}"
