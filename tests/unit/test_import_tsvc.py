"""scripts/import-tsvc.py: which TSVC-2 loops become tasks, and the reduction tasks' tolerance on the real harness.

The importer is run on small files in TSVC-2's layout written here (not TSVC's own loops): a plain loop, a sum
reduction, a max reduction, a loop that reads past its array, a product that overflows, and loops over the
2-D arrays. The bundled
``tasks/tsvc-s311`` (a float sum) is then judged by the real evaluator on the local sandbox: a reordered sum
(independent partial sums) must pass at every size, the timing size included, and a sum that skips elements
must not.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from mapforge.config import Config, TimingConfig
from mapforge.evaluators.optimize import OptimizeEvaluator
from mapforge.sandbox import open_sandbox
from mapforge.tasks.loader import load_task
from mapforge.tasks.spec import OptimizeSpec

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("gcc", "nm", "readelf", "objcopy")), reason="needs gcc and binutils"
)

REPO = Path(__file__).resolve().parents[2]


def importer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_tsvc", REPO / "scripts" / "import-tsvc.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["import_tsvc"] = mod  # dataclasses look their module up by name
    spec.loader.exec_module(mod)
    return mod


def native(folder: Path) -> OptimizeSpec:
    spec = load_task(folder).spec  # a valid spec, or this raises
    assert isinstance(spec, OptimizeSpec)
    return spec


def tsvc_function(name: str, comment: str, region: str) -> str:
    """One function in TSVC-2's layout: comments, setup, then the timed region between the two clock reads."""
    return f"""real_t {name}(struct args_t * func_args)
{{

//    {comment}

    initialise_arrays(__func__);
    gettimeofday(&func_args->t1, NULL);

{region}
    gettimeofday(&func_args->t2, NULL);
    return calc_checksum(__func__);
}}
"""


SOURCE = "\n".join([
    tsvc_function("s901", "plain loop", """    for (int nl = 0; nl < iterations; nl++) {
        for (int i = 0; i < LEN_1D; i++) {
            a[i] = b[i] * (real_t)2.;
        }
        dummy((real_t*)a, (real_t*)b, (real_t*)c, (real_t*)d, (real_t*)e, aa, bb, cc, 0.);
    }
"""),
    tsvc_function("s902", "weighted sum", """    real_t acc;
    for (int nl = 0; nl < iterations; nl++) {
        acc = (real_t)0.;
        for (int i = 0; i < LEN_1D; i++) {
            acc += c[i] * d[i];
        }
        dummy(a, b, c, d, e, aa, bb, cc, acc);
    }
"""),
    tsvc_function("s903", "largest value", """    real_t top;
    for (int nl = 0; nl < iterations; nl++) {
        top = b[0];
        for (int i = 0; i < LEN_1D; i++) {
            if (b[i] > top) {
                top = b[i];
            }
        }
        dummy(a, b, c, d, e, aa, bb, cc, top);
    }
"""),
    tsvc_function("s904", "reads one past the end", """    for (int nl = 0; nl < iterations; nl++) {
        for (int i = 0; i < LEN_1D; i++) {
            a[i] = b[i + 1];
        }
        dummy(a, b, c, d, e, aa, bb, cc, 0.);
    }
"""),
    tsvc_function("s905", "product", """    real_t p;
    for (int nl = 0; nl < iterations; nl++) {
        p = (real_t)1.;
        for (int i = 0; i < LEN_1D; i++) {
            p *= e[i] * (real_t)4.;
        }
        dummy(a, b, c, d, e, aa, bb, cc, p);
    }
"""),
])


def test_loops_and_reductions_become_tasks_and_unsafe_references_are_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "tsvc.c"
    src.write_text(SOURCE)
    out = tmp_path / "tasks"
    mod = importer()
    sys.argv = ["import-tsvc.py", str(src), "--out", str(out)]
    assert mod.main() == 0
    err = capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["tsvc-s901", "tsvc-s902", "tsvc-s903"]
    assert "skip s904: the reference goes past an array's end" in err and "heap-buffer-overflow" in err
    assert "skip s905: out[0] is inf" in err

    plain = native(out / "tsvc-s901")
    assert [a.name for a in plain.args] == ["a", "b", "n"]
    assert plain.tolerance.rtol == 1e-4

    total = native(out / "tsvc-s902")
    args = {a.name: a for a in total.args}
    assert list(args) == ["c", "d", "n", "out"]
    assert (args["out"].type, args["out"].size) == ("float*", "1")
    assert args["c"].init == args["d"].init == "uniform(1, 2)"  # one sign: reordering stays within rtol
    assert total.tolerance.rtol == 2e-4
    assert "out[0] receives the value the loop leaves in acc" in total.description
    ref = (out / "tsvc-s902" / "reference.c").read_text()
    assert "void s902(const float *restrict c, const float *restrict d, int n, float *restrict out)" in ref
    assert ref.endswith("    out[0] = acc;\n}\n")

    top = native(out / "tsvc-s903")
    assert top.args[0].init == "uniform(-1, 1)"  # a comparison: signs matter, nothing is summed



SOURCE_2D = "\n".join([
    tsvc_function("s906", "transposed add", """    for (int nl = 0; nl < iterations; nl++) {
        for (int i = 1; i < LEN_2D; i++) {
            for (int j = 0; j < LEN_2D; j++) {
                aa[j][i] = aa[(j)][i-1] + bb[i][j] * a[j];
            }
        }
        dummy(a, b, c, d, e, aa, bb, cc, 0.);
    }
"""),
    tsvc_function("s907", "one row", """    for (int nl = 0; nl < iterations; nl++) {
        for (int i = 0; i < LEN_2D; i++) {
            a[i] = aa[0][i];
        }
        dummy(a, b, c, d, e, aa, bb, cc, 0.);
    }
"""),
    tsvc_function("s908", "both lengths", """    for (int nl = 0; nl < iterations; nl++) {
        for (int i = 0; i < LEN_2D; i++) {
            for (int j = 0; j < LEN_1D; j++) {
                aa[i][0] += b[j];
            }
        }
        dummy(a, b, c, d, e, aa, bb, cc, 0.);
    }
"""),
])


def test_a_loop_over_2d_arrays_becomes_one_over_row_major_n_by_n_matrices(tmp_path: Path) -> None:
    """aa[i][j] is aa[i * n + j] and LEN_2D is n; a loop that walks one row (too little work to time) and one
    that mixes LEN_1D and LEN_2D (one n cannot be both) make no task."""
    src = tmp_path / "tsvc.c"
    src.write_text(SOURCE_2D)
    out = tmp_path / "tasks"
    mod = importer()
    sys.argv = ["import-tsvc.py", str(src), "--out", str(out)]
    assert mod.main() == 0
    assert sorted(p.name for p in out.iterdir()) == ["tsvc-s906"]
    spec = native(out / "tsvc-s906")
    assert {a.name: a.size for a in spec.args if a.size} == {"a": "n", "aa": "n*n", "bb": "n*n"}
    assert {a.name: a.role for a in spec.args if a.name in ("aa", "bb")} == {"aa": "inout", "bb": None}
    assert spec.shapes.timing == {"n": 1024}
    assert "aa, bb are n x n row-major matrices (row i, column j at [i * n + j])" in spec.description
    ref = (out / "tsvc-s906" / "reference.c").read_text()
    assert "aa[j * n + i] = aa[j * n + i-1] + bb[i * n + j] * a[j];" in ref
    assert "LEN_2D is n, aa[i][j] is aa[i * n + j]" in ref


def test_flatten_keeps_each_subscript_whole() -> None:
    flatten = importer().flatten
    assert flatten("aa[(j-1)][i] + bb[i][j+1]") == "aa[(j-1) * n + i] + bb[i * n + j+1]"
    assert flatten("max = aa[(0)][0];") == "max = aa[0 * n + 0];"
    assert flatten("cc[a[i]][k] + a[i]") == "cc[(a[i]) * n + k] + a[i]"


S311 = REPO / "tasks" / "tsvc-s311"
PARTIAL_SUMS = (REPO / "tests" / "fixtures" / "fast" / "tsvc-s311.c").read_text()
EVERY_OTHER = """void s311(const float *restrict a, int n, float *restrict out) {
    float t = 0;
    for (int i = 0; i < n; i += 2) t += a[i];
    out[0] = n > 1 ? 2 * t : t;
}
"""


@pytest.fixture(scope="module")
def s311() -> OptimizeEvaluator:
    timing = TimingConfig(min_pairs=6, max_pairs=10, max_seconds=3)
    ev = OptimizeEvaluator(load_task(S311), lambda: open_sandbox("local"), timing, Config().sandbox)
    ev.prepare()
    return ev


def test_a_reordered_float_sum_passes_the_imported_reduction_at_every_size(s311: OptimizeEvaluator) -> None:
    v = s311.evaluate(PARTIAL_SUMS)
    assert v.status == "correct", v.summary_line() + "\n" + v.feedback
    assert v.timing is not None  # the timing-size outputs were compared too


def test_a_sum_that_skips_elements_fails_the_imported_reduction(s311: OptimizeEvaluator) -> None:
    v = s311.evaluate(EVERY_OTHER)
    assert v.status == "wrong_answer", v.summary_line()
