"""Task specs: the loader turns every malformed task.toml into a UserError naming the file and the field,
the safe expression evaluator, and every bundled task loads."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from mapforge.errors import UserError
from mapforge.tasks.expr import ExprError, check_expr, eval_expr
from mapforge.tasks.loader import find_tasks, load_task
from mapforge.tasks.spec import Arg, OptimizeSpec, SolveSpec

REPO = Path(__file__).resolve().parents[2]
TASKS = REPO / "tasks"

REFERENCE = "void matmul(const float *A, const float *B, float *C, int n) { (void)A; (void)B; (void)C; (void)n; }\n"


# -- a tiny TOML writer, so each case states its spec as data -------------------------------------
def _val(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)  # a TOML basic string for the plain text used here
    if isinstance(v, list):
        return "[" + ", ".join(_val(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {_val(x)}" for k, x in v.items()) + "}"
    raise TypeError(v)


def to_toml(data: dict[str, Any]) -> str:
    lines = [f"{k} = {_val(v)}" for k, v in data.items() if not isinstance(v, dict) and k != "args"]
    for a in data.get("args", []):
        lines += ["", "[[args]]", *(f"{k} = {_val(v)}" for k, v in a.items())]
    for k, v in data.items():
        if isinstance(v, dict):
            lines += ["", f"[{k}]", *(f"{kk} = {_val(vv)}" for kk, vv in v.items())]
    return "\n".join(lines) + "\n"


def matmul_spec() -> dict[str, Any]:
    return {
        "schema_version": 1,
        "kind": "optimize",
        "name": "mm",
        "description": "C = A * B",
        "function": "matmul",
        "args": [
            {"name": "A", "type": "const float*", "size": "n*n", "init": "uniform(-1, 1)"},
            {"name": "B", "type": "const float*", "size": "n*n", "init": "uniform(-1, 1)"},
            {"name": "C", "type": "float*", "size": "n*n"},
            {"name": "n", "type": "int", "value": "n"},
        ],
        "shapes": {"visible": [{"n": 4}], "hidden": [{"n": 5}], "timing": {"n": 8}},
    }


def write_task(root: Path, spec: dict[str, Any] | str, files: dict[str, str] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "task.toml").write_text(spec if isinstance(spec, str) else to_toml(spec))
    for name, text in (files if files is not None else {"reference.c": REFERENCE}).items():
        (root / name).write_text(text)
    return root


def load_error(root: Path) -> str:
    with pytest.raises(UserError) as ei:
        load_task(root)
    msg = str(ei.value)
    assert str(root / "task.toml") in msg or str(root) in msg, f"message does not name the file: {msg}"
    return msg


# -- sanity: the base spec is valid, so each mutation below tests exactly one thing ------------------
def test_base_spec_loads(tmp_path: Path) -> None:
    task = load_task(write_task(tmp_path, matmul_spec()))
    assert isinstance(task.spec, OptimizeSpec)
    assert task.reference_source == REFERENCE
    assert task.root == tmp_path.resolve()
    assert task.spec.signature == "void matmul(const float* A, const float* B, float* C, int n)"
    roles = [a.effective_role for a in task.spec.args]
    assert roles == ["input", "input", "output", "scalar"]
    assert [a.dtype for a in task.spec.args] == ["float32", "float32", "float32", "int32"]


def test_task_toml_path_also_accepted(tmp_path: Path) -> None:
    write_task(tmp_path, matmul_spec())
    assert load_task(tmp_path / "task.toml").name == "mm"


# -- malformed specs ----------------------------------------------------------------------------------
def _mutate(fn) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    spec = copy.deepcopy(matmul_spec())
    fn(spec)
    return spec


MALFORMED: dict[str, tuple[Any, list[str]]] = {
    # case: (mutation, substrings the message must hold: the field, and what is expected)
    "missing required field": (lambda s: s.pop("function"), ["function", "required"]),
    "unknown field": (lambda s: s.update(functoin="matmul"), ["functoin", "not a known field"]),
    "unknown field in an arg": (lambda s: s["args"][2].update(sise="n"), ["args.2", "sise", "not a known field"]),
    "bad pointer type": (lambda s: s["args"][1].update(type="const complex*"), ["args.1", "type", "'float*'"]),
    "double pointer": (lambda s: s["args"][1].update(type="const float**"), ["args.1", "type", "pointers must be"]),
    "output with init": (lambda s: s["args"][2].update(init="uniform(0, 1)"), ["args.2", "init", "must not"]),
    "const output": (lambda s: s["args"][0].update(role="output"), ["args.0", "const", "role must be input"]),
    "input without init": (lambda s: s["args"][0].pop("init"), ["args.0", "init", "uniform(lo, hi)"]),
    "pointer without size": (lambda s: s["args"][2].pop("size"), ["args.2", "size"]),
    "scalar without value": (lambda s: s["args"][3].pop("value"), ["args.3", "value"]),
    "scalar with size": (lambda s: s["args"][3].update(size="n"), ["args.3", "only value"]),
    "bad scalar type": (lambda s: s["args"][3].update(type="short"), ["args.3", "type", "scalars must be one of"]),
    "bad init string": (lambda s: s["args"][0].update(init="gaussian(0, 1)"),
                        ["args.0", "init", "uniform(lo, hi)", "randint(lo, hi)"]),
    "init lo > hi": (lambda s: s["args"][0].update(init="uniform(1, -1)"), ["args.0", "init", "lo must not exceed hi"]),
    "no output": (lambda s: s["args"].pop(2), ["args", "output"]),
    "duplicate names": (lambda s: s["args"][1].update(name="A"), ["args", "unique"]),
    "arg name not an identifier": (lambda s: s["args"][1].update(name="B-1"), ["args.1", "name", "identifier"]),
    "function not an identifier": (lambda s: s.update(function="mat mul"), ["function", "identifier"]),
    "kind missing": (lambda s: s.pop("kind"), ["kind", '"optimize" or "solve"']),
    "kind invalid": (lambda s: s.update(kind="speedup"), ["kind", '"optimize" or "solve"']),
    "no visible shapes": (lambda s: s["shapes"].update(visible=[]), ["shapes.visible"]),
    "negative size": (lambda s: s["args"][2].update(size="n-100"), ["size", "non-negative"]),
    "float in size": (lambda s: s["args"][2].update(size="n*1.5"), ["size", "only integers"]),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_spec_names_file_and_field(tmp_path: Path, case: str) -> None:
    mutation, needles = MALFORMED[case]
    msg = load_error(write_task(tmp_path, _mutate(mutation)))
    for needle in needles:
        assert needle in msg, f"{case}: {needle!r} missing from:\n{msg}"


def test_size_with_unknown_name_names_arg_field_and_known_names(tmp_path: Path) -> None:
    msg = load_error(write_task(tmp_path, _mutate(lambda s: s["args"][2].update(size="n*m"))))
    # the arg may be named by position or by name, but the field (size) and the culprit must be there
    assert "args.2.size" in msg or "args.C.size" in msg, msg
    assert "'m'" in msg and "shape parameters: n" in msg, msg


def test_hidden_shape_checked_too(tmp_path: Path) -> None:
    """A name missing only from the hidden shape must still be caught at load time, not at evaluation."""
    spec = _mutate(lambda s: s["shapes"].update(visible=[{"n": 4, "m": 2}], timing={"n": 8, "m": 2}))
    spec["args"][2]["size"] = "n*m"
    msg = load_error(write_task(tmp_path, spec))
    assert "'m'" in msg and "{'n': 5}" in msg, msg


def test_invalid_toml(tmp_path: Path) -> None:
    msg = load_error(write_task(tmp_path, to_toml(matmul_spec()) + "\n[[[ broken\n"))
    assert "not valid TOML" in msg
    assert "line" in msg  # where to look


def test_missing_reference_file(tmp_path: Path) -> None:
    msg = load_error(write_task(tmp_path, matmul_spec(), files={}))
    assert "reference" in msg and "'reference.c'" in msg and "not found" in msg


def test_reference_path_honoured(tmp_path: Path) -> None:
    spec = matmul_spec() | {"reference": "ref/impl.c"}
    root = write_task(tmp_path, spec, files={})
    (root / "ref").mkdir()
    (root / "ref" / "impl.c").write_text(REFERENCE)
    assert load_task(root).reference_source == REFERENCE


def solve_spec() -> dict[str, Any]:
    return {"kind": "solve", "name": "echo", "description": "print the input",
            "examples": [{"input": "1\n", "output": "1\n"}]}


def test_solve_without_hidden_tests_file(tmp_path: Path) -> None:
    msg = load_error(write_task(tmp_path, solve_spec(), files={}))
    assert "hidden_tests" in msg and "'hidden_tests.toml'" in msg and "not found" in msg


def test_solve_hidden_tests_empty(tmp_path: Path) -> None:
    root = write_task(tmp_path, solve_spec(), files={"hidden_tests.toml": "# nothing yet\n"})
    with pytest.raises(UserError) as ei:
        load_task(root)
    assert "hidden_tests.toml" in str(ei.value) and "[[tests]]" in str(ei.value)


def test_solve_hidden_test_missing_output(tmp_path: Path) -> None:
    root = write_task(tmp_path, solve_spec(), files={"hidden_tests.toml": '[[tests]]\ninput = "1"\n'})
    with pytest.raises(UserError) as ei:
        load_task(root)
    msg = str(ei.value)
    assert str(root / "hidden_tests.toml") in msg and "output" in msg and "required" in msg


def test_solve_loads_hidden_tests(tmp_path: Path) -> None:
    hidden = '[[tests]]\ninput = "2\\n"\noutput = "2\\n"\n\n[[tests]]\ninput = "3\\n"\noutput = "3\\n"\n'
    task = load_task(write_task(tmp_path, solve_spec(), files={"hidden_tests.toml": hidden}))
    assert isinstance(task.spec, SolveSpec)
    assert [(t.input, t.output) for t in task.hidden] == [("2\n", "2\n"), ("3\n", "3\n")]
    assert task.spec.source_suffix == ".c"


def test_solve_without_examples(tmp_path: Path) -> None:
    spec = solve_spec() | {"examples": []}
    msg = load_error(write_task(tmp_path, spec, files={"hidden_tests.toml": '[[tests]]\ninput="1"\noutput="1"\n'}))
    assert "examples" in msg


def test_missing_task_path(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="no such task file"):
        load_task(tmp_path / "nope")


def test_python_file_that_is_not_a_kernelbench_task_says_what_it_needs(tmp_path: Path) -> None:
    (tmp_path / "kb.py").write_text("x = 1\n")
    with pytest.raises(UserError, match="class Model"):
        load_task(tmp_path / "kb.py")


def test_division_by_zero_in_size_is_a_user_error(tmp_path: Path) -> None:
    load_error(write_task(tmp_path, _mutate(lambda s: s["args"][2].update(size="n//0"))))


# -- Arg details ----------------------------------------------------------------------------------------
def test_arg_type_spacing_and_roles() -> None:
    a = Arg(name="x", type="const   double *", size="n", init="randint(0, 3)")
    assert a.is_pointer and a.is_const and a.element_type == "double" and a.dtype == "float64"
    assert a.init_spec is not None and (a.init_spec.kind, a.init_spec.params) == ("randint", ("0", "3"))
    io = Arg(name="y", type="int32_t*", size="n", role="inout", init="randint(-5, 5)")
    assert io.effective_role == "inout" and io.dtype == "int32"
    s = Arg(name="n", type="size_t", value="n")
    assert s.effective_role == "scalar" and s.dtype == "uint64"


# -- expr -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "expr, want",
    [("n*n", 49), ("(n+2)*(m+2)", 45), ("n//2", 3), ("n%4", 3), ("2**m", 8), ("-n+10", 3), ("n-m*2", 1),
     ("((n))", 7), ("17", 17)],
)
def test_expr_arithmetic(expr: str, want: int) -> None:
    assert eval_expr(expr, {"n": 7, "m": 3}) == want


@pytest.mark.parametrize(
    "expr",
    ["n.real", "len(n)", "__import__('os')", "1.5", "n/2", "n*0.5", "True", "n if n else 1", "[n]", "n<<1",
     "n and m", "+n", "'n'", "", "n +", "lambda: 1"],
)
def test_expr_rejects_non_arithmetic(expr: str) -> None:
    with pytest.raises(ExprError):
        eval_expr(expr, {"n": 7, "m": 3})


def test_expr_unknown_name_lists_known() -> None:
    with pytest.raises(ExprError, match=r"unknown name 'k' \(shape parameters: m, n\)"):
        eval_expr("n*k", {"n": 1, "m": 2})


def test_check_expr_rejects_negative() -> None:
    assert check_expr("n-7", {"n": 7}) == 0
    with pytest.raises(ExprError, match="non-negative"):
        check_expr("n-8", {"n": 7})


# -- bundled tasks ------------------------------------------------------------------------------------------
BUNDLED = find_tasks(TASKS)
#: The benchmarks' own suites, kept apart from the library: the analyst's development kernels, the suites written
#: from the README alone.
BENCH_SUITES = [*find_tasks(REPO / "bench" / "analyst-tasks"), *find_tasks(REPO / "bench" / "user-tasks"),
                *find_tasks(REPO / "bench" / "user-tasks-2")]


def test_bundled_tasks_found() -> None:
    assert len(BUNDLED) >= 10
    assert TASKS / "matmul" in BUNDLED


def test_the_bench_suites_are_found() -> None:
    assert len(BENCH_SUITES) >= 30 and REPO / "bench" / "user-tasks" / "nbody-accel" in BENCH_SUITES
    assert REPO / "bench" / "user-tasks-2" / "gaussian-blur-5x5" in BENCH_SUITES


@pytest.mark.parametrize("folder", BUNDLED + BENCH_SUITES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bundled_task_loads(folder: Path) -> None:
    task = load_task(folder)
    if folder.is_file():  # a KernelBench-style .py of the gpu-torch target
        assert task.name == folder.stem and task.spec.target == "gpu-torch" and task.reference_source
        return
    assert task.name == folder.name
    if isinstance(task.spec, OptimizeSpec):
        assert task.reference_source and f"{task.spec.function}(" in task.reference_source
        assert (folder / task.spec.reference).suffix == task.spec.source_suffix
    elif getattr(task.spec, "format", "program") == "function":
        assert task.hidden_code and "def check(" in task.hidden_code, "function tasks need a hidden check"
    else:
        assert task.hidden, "solve tasks need hidden tests"
        assert all(t.output for t in task.hidden)


# -- inputs that say what they mean: real scalars, shape-expression bounds, structured initialisers ---------
def _with_args(*extra: dict[str, Any], shapes: dict[str, Any] | None = None) -> dict[str, Any]:
    s = matmul_spec()
    s["args"] += list(extra)
    if shapes:
        s["shapes"] = shapes
    return s


def test_real_scalars_and_shape_bounds_load(tmp_path: Path) -> None:
    from mapforge.evaluators.driver import case_values, element_count

    spec = _with_args({"name": "alpha", "type": "float", "value": "1.5"},
                      {"name": "h", "type": "double", "value": "1/n"},
                      {"name": "idx", "type": "const int*", "size": "n", "init": "randint(0, n-1)"},
                      {"name": "rp", "type": "const int*", "size": "n+1", "init": "csr_rowptr(2)"},
                      {"name": "ci", "type": "const int*", "size": "n*2", "init": "csr_colidx(rp, n)"})
    task = load_task(write_task(tmp_path / "t", spec))
    assert isinstance(task.spec, OptimizeSpec)
    values = case_values(task.spec, {"n": 4})
    assert values[3:] == ("4", "1.5", "0.25", "4:0.0:3.0", "5:2.0", "8:4.0")
    assert [element_count(v) for v in values[6:]] == [4, 5, 8]


@pytest.mark.parametrize("arg, words", [
    ({"name": "a", "type": "int", "value": "1.5"}, ["args.a.value", "only integers"]),
    ({"name": "x", "type": "const int*", "size": "n", "init": "randint(n, 2)"}, ["args.x.init", "lo must not exceed hi"]),
    ({"name": "x", "type": "const int*", "size": "n", "init": "randint(0, n/2)"}, ["args.x.init", "expected an integer"]),
    ({"name": "x", "type": "const float*", "size": "n", "init": "permutation()"}, ["init", "integer type"]),
    ({"name": "x", "type": "const int*", "size": "n", "init": "csr_colidx(A, n)"}, ["csr_rowptr(k)"]),
    ({"name": "x", "type": "const int*", "size": "3", "init": "edges(n)"}, ["args.x.init", "must be even"]),
    ({"name": "x", "type": "const int*", "size": "n", "init": "generator"}, ["generator = "]),
    ({"name": "x", "type": "const int*", "size": "n", "init": "zipf(2)"}, ["args.4", "sorted(lo, hi)", "edges(nodes)"]),
])
def test_bad_initialiser_names_the_argument(tmp_path: Path, arg: dict[str, Any], words: list[str]) -> None:
    msg = load_error(write_task(tmp_path / "t", _with_args(arg)))
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


def test_colidx_size_and_columns_are_checked_per_shape(tmp_path: Path) -> None:
    rp = {"name": "rp", "type": "const int*", "size": "n+1", "init": "csr_rowptr(3)"}
    msg = load_error(write_task(tmp_path / "a", _with_args(
        rp, {"name": "ci", "type": "const int*", "size": "n*2", "init": "csr_colidx(rp, 50)"})))
    assert "number of nonzeros, rows * k" in msg
    msg = load_error(write_task(tmp_path / "b", _with_args(
        rp, {"name": "ci", "type": "const int*", "size": "n*3", "init": "csr_colidx(rp, n)"})))
    assert "cols must be at least 6" in msg and "'n': 4" in msg
