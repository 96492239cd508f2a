"""scripts/import-machsuite.py: how a MachSuite benchmark becomes a float task over flat arrays.

Every snippet here is written for these tests in MachSuite's layout (MachSuite's own files are not in the
repository): HLS labels, TYPE and size macros converted, writes found through helper calls, integer benchmarks
told apart, and a tiny checkout imported end to end (a kernel with a helper kept, one with a generated index
array kept, an integer one and a numerically unstable one skipped with their reasons).
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
    spec = importlib.util.spec_from_file_location("import_machsuite", REPO / "scripts" / "import-machsuite.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["import_machsuite"] = mod  # dataclasses look their module up by name
    spec.loader.exec_module(mod)
    return mod


ms = importer()


def test_convert_makes_float_c_with_the_sizes_as_parameters() -> None:
    code = "TYPE s = 0; double t = 1.0; prob_t p = exp(-x[N-1]) + sqrt(2.) * lj1; for (i = 0; i < N; i++) NN = M;"
    assert ms.convert(code, {"N": "n", "M": "m"}, {"prob_t": "TYPE"}) == (
        "float s = 0; float t = 1.0f; float p = expf(-x[n-1]) + sqrtf(2.f) * lj1; for (i = 0; i < n; i++) NN = m;")
    assert ms.drop_labels("loop_i : for (i = 0;;) {\n    inner:for(;;)\n    x = c ? a : b;\n  L1: while (1)") == (
        "         for (i = 0;;) {\n    for(;;)\n    x = c ? a : b;\n  while (1)")


def test_writes_follow_arrays_through_helper_calls() -> None:
    code = """void put(float r[], const float s[], int k) {
    r[k] = s[k];
}

void scale(float v[4], float w[4], float u[4]) {
    put(&v[1], w, 0);
    u[0] += w[0];
}

void top(float a[8], float b[8], float c[8], float d[8]) {
    scale(a + 2, b, c);
    d[0] = a[0];
}
"""
    fns = ms.functions(code)
    assert sorted(fns) == ["put", "scale", "top"]
    assert ms.writes(code, fns) == {"put": {"r"}, "scale": {"v", "u"}, "top": {"a", "c", "d"}}
    # the shared ``written`` sees subscript chains and struct members
    assert ms.written("f[a][b][c].x = 1; g[i]->y += 2; h[i][j] == 3;", ["f", "g", "h"]) == ["f", "g"]


def test_integer_benchmarks_are_told_apart_and_header_macros_read() -> None:
    bench = ms.Bench("sort/radix", "sort/radix/sort.c", "void ss(TYPE a[SIZE]) { a[0] = 1; }",
                     "#define TYPE int32_t\n#define SIZE 2048 // elements\n//#define SIZE 4\n#define MAX(a,b) a\n")
    assert ms.floating(bench) == "integer (TYPE is int32_t)"
    assert ms.header_defines(bench.header) == {"TYPE": "int32_t", "SIZE": "2048"}
    assert ms.floating(ms.Bench("x/y", "x/y/y.c", "double z;", "")) is None
    simple, structs = ms.header_typedefs("typedef TYPE prob_t;\ntypedef struct {\n  TYPE x, y;\n} vec_t;\n")
    assert simple == {"prob_t": "TYPE"} and structs == [("vec_t", "typedef struct {\n  TYPE x, y;\n} vec_t;")]


DOT_H = """#include <stdio.h>
#include "support.h"

#define TYPE double
#define N 64
#define M 16
#define scale 0.5
#define UNUSED 3

void dot(TYPE a[N*M], TYPE b[M], TYPE out[N]);

struct bench_args_t {
  TYPE a[N*M];
  TYPE b[M];
  TYPE out[N];
};
"""
DOT_C = """/* dot.c: written for these tests in MachSuite's layout */
#include "dot.h"

void row_dot(TYPE row[], TYPE b[], TYPE result[1], int m) {
    int j;
    TYPE sum = 0.0;
    inner: for (j = 0; j < m; j++)
        sum += row[j] * b[j];
    result[0] = sum * scale;
}

void dot(TYPE a[N*M], TYPE b[M], TYPE out[N]) {
    int i;
outer: for (i = 0; i < N; i++)
        row_dot(&a[i*M], b, &out[i], M);
}
"""
GATHER_H = """#define TYPE double
#define N 100
#define K 30
void gather(TYPE x[N], int32_t idx[K], TYPE out[K]);
"""
GATHER_C = """#include "gather.h"
int gather(TYPE x[N], int32_t idx[K], TYPE out[K]) {
    int i;
    for (i = 0; i < K; i++)
        out[i] = 2.0 * x[idx[i]];
    return 0;
}
"""
GATHER_GENERATOR = '''import numpy as np


def generate(shape, rng):
    return {"idx": rng.integers(0, shape["n"], shape["k"]).astype(np.int32)}
'''
INTS_H = "#define TYPE int32_t\n#define N 8\nvoid ints(TYPE a[N]);\n"
INTS_C = '#include "ints.h"\nvoid ints(TYPE a[N]) { int i; for (i = 1; i < N; i++) a[i] += a[i-1]; }\n'
GROW_H = "#define TYPE double\n#define N 8\nvoid grow(TYPE x[N]);\n"
GROW_C = """#include "grow.h"
void grow(TYPE x[N]) {
    int i;
    loop: for (i = 1; i < N; i++)
        x[i] = x[i-1] * 1.5 - x[i] * 0.999;
}
"""
LICENSE = """Toy MachSuite License Information

----

License Overview:

(kernel/algorithm) | License | Copyright holders

toy/dot            | BSD-3   | Harvard University
toy/gather         | BSD-3   | Someone Else, Harvard University

----

MachSuite (BSD-3) License

Copyright (c) 2014-2015, the President and Fellows of Harvard College.
All rights reserved.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS".

----

BSD-3 License (toy/gather implementation)

Copyright (c) 2011, Someone Else
Copyright (c) 2014-2015, the President and Fellows of Harvard College
All rights reserved.
"""


@pytest.mark.skipif(not shutil.which("gcc"), reason="needs gcc")
def test_a_small_checkout_is_imported_and_integer_or_unsafe_kernels_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "MachSuite"
    for path, text in {"toy/dot/dot.c": DOT_C, "toy/dot/dot.h": DOT_H, "toy/dot/generate.c": "int main() {}\n",
                       "toy/dot/local_support.c": "double x;\n", "toy/gather/gather.c": GATHER_C,
                       "toy/gather/gather.h": GATHER_H, "ints/ints/ints.c": INTS_C, "ints/ints/ints.h": INTS_H,
                       "grow/grow/grow.c": GROW_C, "grow/grow/grow.h": GROW_H, "common/support.c": "int y;\n",
                       "LICENSE": LICENSE}.items():
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        (src / path).write_text(text)
    A = ms.Array
    monkeypatch.setattr(ms, "KERNELS", {
        "toy-dot": ms.Settings(
            "row dot products", {"N": "n", "M": "m"}, (A("a", "n*m"), A("b", "m"), A("out", "n")),
            "a is an n x m row-major matrix.", {"n": 5, "m": 3}, ({"n": 1, "m": 1},), {"n": 300, "m": 200},
            1e-4, 1e-6, "short sums"),
        "toy-gather": ms.Settings(
            "a gather", {"N": "n", "K": "k"},
            (A("x", "n"), A("idx", "k", "generator", "int32_t"), A("out", "k")),
            "idx holds k indices into x.", {"n": 10, "k": 4}, ({"n": 1, "k": 1},), {"n": 1000, "k": 500},
            1e-5, 1e-6, "one product each", generator=GATHER_GENERATOR),
        "grow": ms.Settings("a growing recurrence", {"N": "n"}, (A("x", "n", "uniform(1, 2)"),), "x has n elements.",
                            {"n": 9}, ({"n": 1},), {"n": 400}, 1e-4, 1e-6, "none"),
    })
    out = tmp_path / "tasks"
    (out / "machsuite-old").mkdir(parents=True)
    (out / "polybench-x").mkdir()
    monkeypatch.setattr(sys, "argv", ["import-machsuite.py", str(src), "--out", str(out)])
    assert ms.main() == 0
    err = capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["machsuite-toy-dot", "machsuite-toy-gather", "polybench-x"]
    assert "skip ints: integer (TYPE is int32_t)" in err
    assert "skip grow: non-finite results: x[" in err

    task = out / "machsuite-toy-dot"
    spec = load_task(task).spec
    assert isinstance(spec, OptimizeSpec)
    assert [(a.name, a.type, a.effective_role) for a in spec.args] == [
        ("n", "int", "scalar"), ("m", "int", "scalar"), ("a", "const float*", "input"), ("b", "const float*", "input"),
        ("out", "float*", "inout")]  # out is written through the helper
    assert spec.function == "dot" and spec.tags == ["machsuite", "held-out"] and spec.cflags == ["-O3", "-march=native"]
    assert spec.description.startswith("MachSuite benchmark toy/dot (row dot products), in float")
    assert "a is an n x m row-major matrix. Arrays the kernel writes (out) hold their input values" in spec.description
    ref = (task / "reference.c").read_text()
    assert ref.startswith("/* From MachSuite (https://github.com/breagen/MachSuite, toy/dot/dot.c), dot.\n"
                          " * Copyright (c) 2014-2015, the President and Fellows of Harvard College.\n")
    assert "LICENSE.txt beside this file" in ref and "Adapted by scripts/import-machsuite.py:" in ref
    assert '"AS IS"' not in ref  # the licence's text is beside it, not in every prompt
    assert "#define scale 0.5f\n" in ref and "UNUSED" not in ref and "TYPE" not in ref.split("*/", 1)[1]
    assert ("static void row_dot(const float row[], const float b[], float result[1], int m) {\n    int j;\n"
            "    float sum = 0.0f;\n    for (j = 0; j < m; j++)\n") in ref
    assert ("void dot(int n, int m, const float *restrict a, const float *restrict b, float *restrict out)\n{\n"
            "    int i;\n       for (i = 0; i < n; i++)\n        row_dot(&a[i*m], b, &out[i], m);\n}\n") in ref
    assert (task / "LICENSE.txt").read_text() == LICENSE and not (task / "generator.py").exists()

    task = out / "machsuite-toy-gather"
    spec = load_task(task).spec
    assert isinstance(spec, OptimizeSpec) and spec.generator == "generator.py"
    assert [(a.name, a.type, a.init) for a in spec.args][2:] == [
        ("x", "const float*", "uniform(0, 1)"), ("idx", "const int32_t*", "generator"), ("out", "float*", "uniform(0, 1)")]
    assert (task / "generator.py").read_text() == GATHER_GENERATOR
    ref = (task / "reference.c").read_text()
    assert " * Copyright (c) 2011, Someone Else\n * Copyright (c) 2014-2015, the President" in ref  # its own licence
    assert "#include <stdint.h>" in ref and "it returns void (MachSuite's returns 0)" in ref
    assert "void gather(int n, int k, const float *restrict x, const int32_t *restrict idx, float *restrict out)" in ref
    assert "return" not in ref.split("*/", 1)[1]


@pytest.mark.skipif(not shutil.which("gcc"), reason="needs gcc")
def test_a_generator_that_breaks_the_reference_skips_it_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "MachSuite"
    for path, text in {"toy/gather/gather.c": GATHER_C, "toy/gather/gather.h": GATHER_H, "LICENSE": LICENSE}.items():
        (src / path).parent.mkdir(parents=True, exist_ok=True)
        (src / path).write_text(text)
    A = ms.Array
    monkeypatch.setattr(ms, "KERNELS", {"toy-gather": ms.Settings(
        "a gather", {"N": "n", "K": "k"}, (A("x", "n"), A("idx", "k", "generator", "int32_t"), A("out", "k")),
        "", {"n": 10, "k": 4}, (), {"n": 1000, "k": 500}, 1e-5, 1e-6, "none",
        generator=GATHER_GENERATOR.replace('shape["n"], shape["k"]', 'shape["n"] + 5, shape["k"]'))})
    out = tmp_path / "tasks"
    monkeypatch.setattr(sys, "argv", ["import-machsuite.py", str(src), "--out", str(out), "--only", "toy-gather"])
    assert ms.main() == 0
    assert "skip toy-gather: the reference goes past an array's end (AddressSanitizer: heap-buffer-overflow)" in (
        capsys.readouterr().err)
    assert not (out / "machsuite-toy-gather").exists()
