"""scripts/import-tsvc.py: which TSVC-2 loops become tasks, and the reduction tasks' tolerance on the real harness.

The importer is run on small files in TSVC-2's layout written here (not TSVC's own loops): a plain loop, a sum
reduction, a max reduction, a loop that reads past its array, a product that overflows, loops over the
2-D arrays, and loops handed values by main() (scalars, the index array ip that common.c's init() fills). The
bundled
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


def imported(tmp_path: Path, source: str, common: str | None = None) -> tuple[ModuleType, Path]:
    """The importer run on ``source`` (as tsvc.c, with ``common`` as common.c beside it): the module and the
    folder it wrote the tasks to."""
    src = tmp_path / "tsvc.c"
    src.write_text(source)
    if common is not None:
        (tmp_path / "common.c").write_text(common)
    out = tmp_path / "tasks"
    mod = importer()
    sys.argv = ["import-tsvc.py", str(src), "--out", str(out)]
    assert mod.main() == 0
    return mod, out


def native(folder: Path) -> OptimizeSpec:
    spec = load_task(folder).spec  # a valid spec, or this raises
    assert isinstance(spec, OptimizeSpec)
    return spec


def tsvc_function(name: str, comment: str, region: str, setup: str = "") -> str:
    """One function in TSVC-2's layout: comments, setup, then the timed region between the two clock reads."""
    return f"""real_t {name}(struct args_t * func_args)
{{

//    {comment}
{setup}
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
    mod, out = imported(tmp_path, SOURCE)
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
    mod, out = imported(tmp_path, SOURCE_2D)
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


SOURCE_ARGS = "\n".join([
    tsvc_function("s911", "shifted copy", """    for (int nl = 0; nl < iterations; nl++) {
        for (int i = 0; i < LEN_1D - k; i++) {
            a[i] = b[i + k] * s;
        }
        dummy(a, b, c, d, e, aa, bb, cc, 0.);
    }
""", setup="""
    struct{int a;real_t b;} * x = func_args->arg_info;
    int k = x->a;
    real_t s = x->b;
"""),
    tsvc_function("s912", "first half", """    for (int nl = 0; nl < iterations; nl++) {
        for (int i = 0; i < m; i++) {
            a[i] = b[i + m];
        }
        dummy(a, b, c, d, e, aa, bb, cc, 0.);
    }
""", setup="""
    int m = *(int*)func_args->arg_info;
"""),
    tsvc_function("s913", "gather", """    for (int nl = 0; nl < iterations; nl++) {
        for (int i = 0; i < LEN_1D; i++) {
            a[ip[i]] = b[ip[i]] + c[i];
        }
        dummy(a, b, c, d, e, aa, bb, cc, 0.);
    }
""", setup="""
    int * __restrict__ ip = func_args->arg_info;
"""),
    tsvc_function("s914", "reads a float as an int", """    for (int nl = 0; nl < iterations; nl++) {
        for (int i = 0; i < LEN_1D; i++) {
            a[i] = b[i] * t;
        }
        dummy(a, b, c, d, e, aa, bb, cc, 0.);
    }
""", setup="""
    int t = *(int*)func_args->arg_info;
"""),
    """int main(int argc, char ** argv){
    int n1 = 1;
    int* ip;
    real_t s1,s2;
    init(&ip, &s1, &s2);
    time_function(&s911, &(struct{int a;real_t b;}){n1, s2});
    time_function(&s912, &(struct{int a;}){LEN_1D/2});
    time_function(&s913, ip);
    time_function(&s914, &s1);
    return EXIT_SUCCESS;
}
"""])
COMMON = """void init(int** ip, real_t* s1, real_t* s2){
    *ip = (int *) memalign(ARRAY_ALIGNMENT, LEN_1D*sizeof(real_t));
    for (int i = 0; i < LEN_1D; i = i+4){
        (*ip)[i]   = (i+3);
        (*ip)[i+1] = (i);
        (*ip)[i+2] = (i+2);
        (*ip)[i+3] = (i+1);
    }
    *s1 = 1.0;
    *s2 = 2.5;
}
"""


def test_what_main_passes_becomes_parameters_with_its_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Scalars main() hands a loop are int/float parameters with main()'s values (its globals, LEN_1D/2, and
    s1, s2 from common.c's init()); TSVC's ip, which init() fills with a permutation, is a const int array
    filled with permutation(); a loop that reads main()'s float as an int is skipped."""
    mod, out = imported(tmp_path, SOURCE_ARGS, COMMON)
    err = capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["tsvc-s911", "tsvc-s912", "tsvc-s913"]
    assert "skip s914: reads an int through a pointer to main()'s real_t (&s1): a type pun" in err

    shifted = native(out / "tsvc-s911")
    args = {a.name: a for a in shifted.args}
    assert list(args) == ["a", "b", "k", "s", "n"]
    assert (args["k"].type, args["k"].value) == ("int", "1")
    assert (args["s"].type, args["s"].value) == ("float", "2.5")
    assert "Scalar arguments: k = 1, s = 2.5." in shifted.description
    ref = (out / "tsvc-s911" / "reference.c").read_text()
    assert "void s911(float *restrict a, const float *restrict b, int k, float s, int n)" in ref

    half = native(out / "tsvc-s912")
    m = next(a for a in half.args if a.name == "m")
    assert (m.type, m.value) == ("int", "n//2")
    assert "Scalar arguments: m = n/2." in half.description

    gather = native(out / "tsvc-s913")
    args = {a.name: a for a in gather.args}
    assert list(args) == ["a", "b", "c", "ip", "n"]
    assert (args["ip"].type, args["ip"].size, args["ip"].init) == ("const int*", "n", "permutation()")
    assert args["a"].role == "inout" and args["b"].is_const
    assert "ip holds a permutation of 0..n-1" in gather.description
    ref = (out / "tsvc-s913" / "reference.c").read_text()
    assert ("void s913(float *restrict a, const float *restrict b, const float *restrict c, "
            "const int *restrict ip, int n)") in ref


def test_values_main_passes_need_common_c_and_a_permutation(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without common.c, s1, s2 and ip are unknown; an ip that init() does not fill with a permutation is too:
    the loops handed them are skipped, the one handed a literal of main()'s is not."""
    mod, out = imported(tmp_path, SOURCE_ARGS)
    assert sorted(p.name for p in out.iterdir()) == ["tsvc-s912"]
    assert "skip s913: main() passes ip, whose value is not known here" in capsys.readouterr().err
    (tmp_path / "common.c").write_text(COMMON.replace("(*ip)[i+1] = (i);", "(*ip)[i+1] = (i+3);"))
    assert mod.main() == 0
    assert sorted(p.name for p in out.iterdir()) == ["tsvc-s911", "tsvc-s912"]


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
