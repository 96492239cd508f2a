"""scripts/import-polybench.py: how a PolyBench/C kernel becomes a float task over flat arrays.

Every snippet here is written for these tests in PolyBench's style (PolyBench's own files are not in the
repository): subscripts flattened, macros replaced, written arrays found, a kernel file and its header parsed,
and a tiny checkout in PolyBench's layout imported end to end (one kernel kept, one numerically unstable one
and one integer one skipped with their reasons).
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from mapforge.tasks.loader import load_task
from mapforge.tasks.spec import OptimizeSpec

REPO = Path(__file__).resolve().parents[2]


def importer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_polybench", REPO / "scripts" / "import-polybench.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["import_polybench"] = mod  # dataclasses look their module up by name
    spec.loader.exec_module(mod)
    return mod


pb = importer()


def test_flatten_writes_row_major_subscripts_without_needless_parentheses() -> None:
    dims = {"A": ("n", "m"), "B": ("nr", "nq", "np"), "x": ("n",)}
    assert pb.flatten("A[i][j] = x[i];", dims) == "A[i * m + j] = x[i];"
    assert pb.flatten("A[i+1][j-1] + A[(i)][ (j) ]", dims) == "A[(i+1) * m + j-1] + A[i * m + j]"
    assert pb.flatten("A[1+i][k-i-1]", dims) == "A[(1+i) * m + k-i-1]"
    assert pb.flatten("B[r][q][s] = A [i][j];", dims) == "B[(r * nq + q) * np + s] = A[i * m + j];"
    assert pb.flatten("A[x[i]][j] + x [j]", dims) == "A[(x[i]) * m + j] + x[j]"
    assert pb.flatten("A[B[0][1][2]][0]", dims) == "A[(B[(0 * nq + 1) * np + 2]) * m + 0]"
    assert pb.flatten("Ax[i][j] + xA[i]", dims) == "Ax[i][j] + xA[i]"  # other names are left alone


def test_flatten_rejects_a_subscript_count_that_does_not_match_the_declaration() -> None:
    with pytest.raises(ValueError, match="subscripted 1 times"):
        pb.flatten("A[i] = 0;", {"A": ("n", "m")})
    with pytest.raises(ValueError, match="more times"):
        pb.flatten("A[i][j][k] = 0;", {"A": ("n", "m")})


def kernel(params: tuple[object, ...] = (), macros: frozenset[str] = frozenset({"N", "M", "TSTEPS"})) -> object:
    return pb.Kernel("toy", "stencils/toy/toy.c", params, "", {}, macros)


def test_convert_replaces_polybench_macros_with_float_c() -> None:
    k = kernel((pb.Param("A", "array", ("n", "m")),))
    code = ("DATA_TYPE s = SCALAR_VAL(0.5);\n"
            "for (t = 0; t < TSTEPS; t++)\n"
            "  for (i = 0; i < _PB_N - 1; i++)\n"
            "    A[i][_PB_M-1] = SQRT_FUN(A[i+1][0]) * 0.33333 + EXP_FUN(SCALAR_VAL(-2.0)) + SCALAR_VAL(2) + 1e-3;")
    assert pb.convert(code, k) == (
        "float s = 0.5f;\n"
        "for (t = 0; t < tsteps; t++)\n"
        "  for (i = 0; i < n - 1; i++)\n"
        "    A[i * m + m-1] = sqrtf(A[(i+1) * m + 0]) * 0.33333f + expf(-2.0f) + 2.0f + 1e-3;")
    # literals inside names or already float stay as they are; comments are not rewritten
    assert pb.float_literals("x1 = y_2 + 1.5f + 3;") == "x1 = y_2 + 1.5f + 3;"
    assert pb.in_code("x = 0.5; // NI is 0.5\n", lambda c: pb.convert(c, k)) == "x = 0.5f; // NI is 0.5\n"


def test_written_finds_assignments_and_increments_but_not_comparisons() -> None:
    code = "s[i] += 1; if (r[i] == q[i]) t[j * n + k] = 0; ++u[0]; v[i]--; w[i] <= 2; p[i] >>= 1;"
    assert pb.written(code, ["s", "r", "q", "t", "u", "v", "w", "p"]) == ["s", "t", "u", "v", "p"]


def test_tidy_drops_the_scop_pragmas_and_indents_column_zero_comments_like_their_code() -> None:
    body = "\n  int i;\n\n\n//A is NxN\n#pragma scop\n  for (i = 0; i < n; i++)\n\tx[i] = 0;\n#pragma endscop\n"
    assert pb.tidy(body) == "int i;\n\n//A is NxN\nfor (i = 0; i < n; i++)\n      x[i] = 0;"


TOY_C = """/* toy.c: written for these tests in PolyBench's layout */
#include <polybench.h>
#include "toy.h"

static
void init_array(int n, int m, DATA_TYPE *alpha, DATA_TYPE *scale,
                DATA_TYPE POLYBENCH_2D(A,N,M,n,m))
{
  *alpha = 0.5;
  *scale = (DATA_TYPE)N;
}

static
void kernel_toy(int n, int m,
                DATA_TYPE alpha,
                DATA_TYPE scale,
                DATA_TYPE POLYBENCH_2D(A,N,M,n,m),
                DATA_TYPE POLYBENCH_1D(s,N,n),
                DATA_TYPE POLYBENCH_1D(w,M,m))
{
  int i, j;

#pragma scop
  for (i = 0; i < _PB_N; i++) {
    s[i] = SCALAR_VAL(0.0);
    for (j = 0; j < _PB_M; j++)
      s[i] += alpha * A[i][j] * w[j] / scale;
  }
#pragma endscop
}
"""
TOY_H = """#ifndef _TOY_H
# define _TOY_H
#  ifdef LARGE_DATASET
#   define N 1000
#   define M 1200
#  endif
# define _PB_N POLYBENCH_LOOP_BOUND(N,n)
# define _PB_M POLYBENCH_LOOP_BOUND(M,m)
# if !defined(DATA_TYPE_IS_INT) && !defined(DATA_TYPE_IS_FLOAT) && !defined(DATA_TYPE_IS_DOUBLE)
#  define DATA_TYPE_IS_DOUBLE
# endif
#endif
"""


def test_parse_kernel_reads_the_parameters_and_the_scalars_init_array_sets() -> None:
    k = pb.parse_kernel("toy", "medley/toy/toy.c", TOY_C, TOY_H)
    assert [(p.name, p.kind, p.dims) for p in k.params] == [
        ("n", "int", ()), ("m", "int", ()), ("alpha", "scalar", ()), ("scale", "scalar", ()),
        ("A", "array", ("n", "m")), ("s", "array", ("n",)), ("w", "array", ("m",))]
    assert k.scalars == {"alpha": "0.5", "scale": "n"}
    assert k.macros == {"N", "M"}
    with pytest.raises(ValueError, match="integer kernel"):
        pb.parse_kernel("toy", "medley/toy/toy.c", TOY_C, TOY_H.replace("DATA_TYPE_IS_DOUBLE\n", "DATA_TYPE_IS_INT\n"))
    assert pb.kernel_files(["utilities/x/x.c", "medley/toy/toy.c", "medley/toy/Toy.orig.c", "a/b.c"]) == [
        "medley/toy/toy.c"]


UNSTABLE_C = """static
void kernel_grow(int n,
                 DATA_TYPE POLYBENCH_1D(x,N,n))
{
  int i;
#pragma scop
  for (i = 1; i < _PB_N; i++)
    x[i] = x[i-1] * SCALAR_VAL(1.5) - x[i] * SCALAR_VAL(0.999);
#pragma endscop
}
"""

LICENSE = "TOY LICENSE\n\nCopyright (c) 2010-2016, Ohio State University. All rights reserved.\n\nTHE SOFTWARE IS \u201cAS IS\u201d.\n"


@pytest.mark.skipif(not shutil.which("gcc"), reason="needs gcc")
def test_a_small_checkout_is_imported_and_unsafe_kernels_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "PolyBenchC"
    for path, text in {"medley/toy/toy.c": TOY_C, "medley/toy/toy.h": TOY_H,
                       "stencils/grow/grow.c": UNSTABLE_C, "stencils/grow/grow.h": TOY_H,
                       "medley/ints/ints.c": TOY_C, "medley/ints/ints.h": TOY_H.replace("_DOUBLE\n", "_INT\n"),
                       "LICENSE.txt": LICENSE}.items():
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        (src / path).write_text(text)
    shapes = dict(visible={"n": 5, "m": 3}, hidden=({"n": 1, "m": 1},), timing={"n": 300, "m": 200})
    monkeypatch.setattr(pb, "KERNELS", {
        "toy": pb.Settings("a weighted row sum", **shapes, rtol=1e-4, atol=1e-6, why="short sums"),
        "grow": pb.Settings("a growing recurrence", {"n": 9}, ({"n": 1},), {"n": 400}, rtol=1e-4, atol=1e-6,
                            why="none", init="uniform(1, 2)"),
    })
    out = tmp_path / "tasks"
    (out / "polybench-old").mkdir(parents=True)
    (out / "tsvc-s000").mkdir()
    monkeypatch.setattr(sys, "argv", ["import-polybench.py", str(src), "--out", str(out)])
    assert pb.main() == 0
    err = capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["polybench-toy", "tsvc-s000"]  # its own folders only
    assert "skip ints: an integer kernel" in err
    assert "skip grow: non-finite results: x[" in err

    spec = load_task(out / "polybench-toy").spec
    assert isinstance(spec, OptimizeSpec)
    args = {a.name: a for a in spec.args}
    assert [(a.name, a.type) for a in spec.args] == [("n", "int"), ("m", "int"), ("alpha", "float"),
                                                      ("scale", "float"), ("A", "const float*"), ("s", "float*"),
                                                      ("w", "const float*")]
    assert (args["alpha"].value, args["scale"].value, args["A"].size, args["s"].role) == ("0.5", "n", "n*m", "inout")
    assert spec.tags == ["polybench", "held-out"] and spec.cflags == ["-O3", "-march=native"]
    assert "A is an n x m row-major matrix (row i, column j at [i * m + j])" in spec.description
    assert "Arrays the kernel writes (s) hold their input values on entry" in spec.description
    ref = (out / "polybench-toy" / "reference.c").read_text()
    assert ref.startswith("/* From PolyBench/C 4.2.1 (https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1, "
                          "medley/toy/toy.c)")
    assert " * Copyright (c) 2010-2016, Ohio State University. All rights reserved.\n" in ref
    assert "LICENSE.txt beside this file" in ref and "Adapted by scripts/import-polybench.py:" in ref
    assert 'THE SOFTWARE IS "AS IS".' not in ref  # the licence's text is beside it, not in every prompt
    assert (out / "polybench-toy" / "LICENSE.txt").read_text() == LICENSE
    assert ("void toy(int n, int m, float alpha, float scale, const float *restrict A, float *restrict s, "
            "const float *restrict w)\n{\n    int i, j;\n\n    for (i = 0; i < n; i++) {\n      s[i] = 0.0f;\n"
            "      for (j = 0; j < m; j++)\n        s[i] += alpha * A[i * m + j] * w[j] / scale;\n    }\n}\n") in ref
