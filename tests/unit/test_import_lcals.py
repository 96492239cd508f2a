"""scripts/import-lcals.py: how an LCALS raw loop becomes a float task over flat arrays.

Every snippet here is written for these tests in the layout of LCALS in the LLVM test-suite (LCALS's own files
are not in the repository): the benchmark's repeated loop taken out as a function, its arrays, scalars and
locals found, types and literals converted, the loops the conversion does not cover told apart, and a tiny
checkout imported end to end (two loops kept in the suite's order, the others skipped with their reasons, and
the cap on the number of tasks).
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
    spec = importlib.util.spec_from_file_location("import_lcals", REPO / "scripts" / "import-lcals.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["import_lcals"] = mod  # dataclasses look their module up by name
    spec.loader.exec_module(mod)
    return mod


lc = importer()


def test_convert_makes_float_c_with_the_length_as_n() -> None:
    code = ("const Index_type m = 16;\nReal_type s = fabs(x[state.range(0)-1]) * 0.5 + sqrt(2.);\n"
            "for (Index_type i = 0; i < state.range(0); i++) y[i] = 1e-3;")
    assert lc.convert(code) == (
        "enum { m = 16 };\nfloat s = fabsf(x[n-1]) * 0.5f + sqrtf(2.f);\nfor (int i = 0; i < n; i++) y[i] = 1e-3f;")
    assert lc.declared("Index_type ii, ipnt = 0, i;") == ["ii", "ipnt", "i"]
    assert lc.declared("Real_type coeff[4] = { 1.0, 2.0, 3.0, 4.0 };") == ["coeff"]


AXPY = """static void BM_TOY_AXPY_RAW(benchmark::State& state) {

   /*
    *   a toy: y = a * x + y, then a clamp
    */
   LoopData& loop_data = getLoopData();

   loopInit(TOY_AXPY);

   Real_ptr x = loop_data.array_1D_Real[0];
   Real_ptr y = loop_data.array_1D_Real[1];

   const Real_type a = loop_data.scalar_Real[0];
   const Index_type two = 2;
   Real_type w[two] = { 1.0, -1.0 };
   Index_type val = 0;

   for (auto _ : state) {

      for (Index_type i=0 ; i< state.range(0) ; i++ ) {
         y[i] += a * x[i] * w[i % two];   // the update
         if ( fabs(y[i]) > 4.0 ) y[i] = 4.0 ;
      }

   }
}

BENCHMARK(BM_TOY_AXPY_RAW)->Arg(171)->Arg(5001)->Unit(benchmark::kMicrosecond);
"""
MESH = """static void BM_MESH_RAW(benchmark::State& state) {
   LoopData& loop_data = getLoopData();
   Real_ptr x = loop_data.array_1D_Real[0];
   ADomain domain(state.range(0), /* ndims = */ 2);
   for (auto _ : state) {
      for (Index_type i = domain.fpz ; i <= domain.lpz ; i++ ) x[i] = 0.0;
   }
}
"""
DOT = """static void BM_DOT_RAW(benchmark::State& state) {
   LoopData& loop_data = getLoopData();
   Real_ptr x = loop_data.array_1D_Real[0];
   Real_type q = 0.0;
   for (auto _ : state) {
      q = 0.0;
      for (Index_type k=0 ; k< state.range(0); k++ ) {
         benchmark::DoNotOptimize(q += x[k]*x[k]);
      }
   }
}
"""
SETUP = """static void BM_SETUP_RAW(benchmark::State& state) {
   LoopData& loop_data = getLoopData();
   Real_ptr u = loop_data.array_1D_Real[0];
   Real_ptr v = loop_data.array_1D_Real[1];
   u[state.range(0)-1] = 2.0*v[0];
   for (auto _ : state) {
      for (Index_type k=0 ; k< state.range(0) ; k++ ) v[k] = u[k];
   }
}
"""
GROW = """static void BM_GROW_RAW(benchmark::State& state) {
   LoopData& loop_data = getLoopData();
   Real_ptr x = loop_data.array_1D_Real[0];
   for (auto _ : state) {
      for (Index_type k=1 ; k< state.range(0) ; k++ ) x[k] = x[k-1] * 1.5 - x[k] * 0.999;
   }
}
"""
SHIFT = """static void BM_SHIFT_RAW(benchmark::State& state) {
   LoopData& loop_data = getLoopData();
   Real_ptr x = loop_data.array_1D_Real[0];
   Real_ptr y = loop_data.array_1D_Real[1];
   for (auto _ : state) {
      for (Index_type k=0 ; k< state.range(0) ; k++ ) x[k] = y[k+1] - y[k];
   }
}
"""
ROWS = """static void BM_ROWS_RAW(benchmark::State& state) {
   LoopData& loop_data = getLoopData();
   Real_ptr* px = loop_data.array_2D_Nx25_Real[0];
   for (auto _ : state) {
      for (Index_type i=0 ; i< state.range(0) ; i++ ) px[i][0] = px[i][1];
   }
}
"""
HEAD = '#include <benchmark/benchmark.h>\n#include "../LCALSSuite.hxx"\n\n'
LICENSE = "LCALS: Livermore Compiler Analysis Loop Suite, version 1.0 (a toy licence file)\n"


def checkout(root: Path, a: str, c: str) -> Path:
    base = root / "llvm-test-suite" / "MicroBenchmarks" / "LCALS"
    for path, text in {"SubsetARawLoops/RawSubsetAbenchmarks.cxx": HEAD + a,
                       "SubsetCRawLoops/RawSubsetCbenchmarks.cxx": HEAD + c,
                       "SubsetALambdaLoops/LambdaSubsetAbenchmarks.cxx": HEAD + a.replace("_RAW", "_LAMBDA"),
                       "README-LCALS_license.txt": LICENSE}.items():
        (base / path).parent.mkdir(parents=True, exist_ok=True)
        (base / path).write_text(text)
    return root / "llvm-test-suite"


def settings() -> dict[str, object]:
    S = lc.Settings
    return {
        "toy-axpy": S("a clamped axpy", {}, {"n": 9}, ({"n": 1},), {"n": 1000}, 1e-5, 1e-6, "short",
                      scalars={"a": "0.5"}, init="uniform(-1, 1)"),
        "shift": S("a first difference", {"y": "n+1"}, {"n": 9}, ({"n": 1},), {"n": 1000}, 1e-5, 1e-6, "exact",
                   layout="x has n elements, y n + 1."),
        "grow": S("a growing recurrence", {}, {"n": 9}, ({"n": 1}, {"n": 400}), {"n": 400}, 1e-4, 1e-6, "none",
                  init="uniform(1, 2)"),
        "setup": S("a copy", {}, {"n": 9}, (), {"n": 100}, 1e-5, 1e-6, "none"),
    }


@pytest.mark.skipif(not shutil.which("gcc"), reason="needs gcc")
def test_a_small_checkout_is_imported_and_loops_that_do_not_convert_are_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = checkout(tmp_path, AXPY + MESH + DOT + SETUP, ROWS + GROW + SHIFT + DOT.replace("BM_DOT", "BM_NOSET")
                   .replace("DoNotOptimize(q += x[k]*x[k])", "x[k] = 0.0"))
    monkeypatch.setattr(lc, "KERNELS", settings())
    out = tmp_path / "tasks"
    (out / "lcals-old").mkdir(parents=True)
    (out / "machsuite-x").mkdir()
    monkeypatch.setattr(sys, "argv", ["import-lcals.py", str(src), "--out", str(out)])
    assert lc.main() == 0
    got = capsys.readouterr()
    assert sorted(p.name for p in out.iterdir()) == ["lcals-shift", "lcals-toy-axpy", "machsuite-x"]
    assert got.out.splitlines()[-1] == "wrote 2 tasks: toy-axpy shift"  # the suite's order: A before C
    err = got.err
    assert "skip mesh: uses LCALS's mesh domain (ADomain)" in err
    assert "skip dot: its result is a scalar kept by benchmark::DoNotOptimize: no array output" in err
    assert "skip setup: statements outside the repeated loop: u[state.range(0)-1] = 2.0*v[0];" in err
    assert "skip rows: arrays of row pointers (LoopData's 2-D and 3-D arrays), not flat arrays" in err
    assert "skip grow: non-finite results: x[" in err
    assert "skip noset: no settings in KERNELS (shapes, inputs, tolerance)" in err
    assert "_lambda" not in err and "LAMBDA" not in got.out  # only the raw variants are read

    task = out / "lcals-toy-axpy"
    spec = load_task(task).spec
    assert isinstance(spec, OptimizeSpec)
    assert [(a.name, a.type, a.effective_role) for a in spec.args] == [
        ("n", "int", "scalar"), ("x", "const float*", "input"), ("y", "float*", "inout"), ("a", "float", "scalar")]
    assert spec.function == "toy_axpy" and spec.tags == ["lcals", "held-out"] and spec.cflags == ["-O3", "-march=native"]
    assert spec.description.startswith("LCALS loop TOY_AXPY (subset A: a clamped axpy), in float")
    assert "x and y have n elements. Scalars: a = 0.5. Arrays the kernel writes (y) hold" in spec.description
    ref = (task / "reference.c").read_text()
    assert ref.startswith("/* From LCALS (https://github.com/llvm/llvm-test-suite, "
                          "MicroBenchmarks/LCALS/SubsetARawLoops/RawSubsetAbenchmarks.cxx), TOY_AXPY, raw variant.\n")
    assert ref.endswith(
        "#include <math.h>\n\nvoid toy_axpy(int n, const float *restrict x, float *restrict y, float a)\n{\n"
        "    enum { two = 2 };\n    float w[two] = { 1.0f, -1.0f };\n\n"
        "    for (int i=0 ; i< n ; i++ ) {\n"
        "       y[i] += a * x[i] * w[i % two];   // the update\n"
        "       if ( fabsf(y[i]) > 4.0f ) y[i] = 4.0f ;\n    }\n}\n")
    assert "val" not in ref.split("*/", 1)[1] and "loop_data" not in ref  # unused locals and the suite's data go
    assert (task / "LICENSE.txt").read_text() == LICENSE

    spec = load_task(out / "lcals-shift").spec
    assert isinstance(spec, OptimizeSpec)
    assert [(a.name, a.type, a.size) for a in spec.args][1:] == [("x", "float*", "n"), ("y", "const float*", "n+1")]
    assert "#include" not in (out / "lcals-shift" / "reference.c").read_text()


@pytest.mark.skipif(not shutil.which("gcc"), reason="needs gcc")
def test_at_most_max_tasks_are_written_the_first_in_the_suites_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = checkout(tmp_path, AXPY, SHIFT)
    monkeypatch.setattr(lc, "KERNELS", settings())
    monkeypatch.setattr(lc, "MAX_TASKS", 1)
    out = tmp_path / "tasks"
    monkeypatch.setattr(sys, "argv", ["import-lcals.py", str(src), "--out", str(out)])
    assert lc.main() == 0
    assert "skip shift: past the first 1 loops that convert" in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["lcals-toy-axpy"]
    # --only rewrites one folder and keeps the others; the cap still counts the loops before it
    (out / "lcals-shift").mkdir()
    monkeypatch.setattr(lc, "MAX_TASKS", 2)
    monkeypatch.setattr(sys, "argv", ["import-lcals.py", str(src), "--out", str(out), "--only", "shift"])
    assert lc.main() == 0
    assert sorted(p.name for p in out.iterdir()) == ["lcals-shift", "lcals-toy-axpy"]
    assert (out / "lcals-shift" / "task.toml").exists() and (out / "lcals-toy-axpy" / "task.toml").exists()
