"""TaskSpec: the pydantic model of a task folder's ``task.toml``.

Two kinds of task share one file format:

- ``optimize``: a reference implementation of one C/C++ function, its arguments (how to generate the
  inputs, which buffers are outputs), the shapes and seeds to check it on, and a tolerance. Goal: a faster
  function with the same interface.
- ``solve``: a problem statement, visible example tests and hidden tests (stdin -> expected stdout).
  Goal: a program that passes them all. With ``format = "function"`` (HumanEval's shape) the candidate is
  a Python function instead: ``prompt`` (its signature and docstring), ``entry_point`` (its name), visible
  examples (a call and the expected value) and hidden test code defining ``check(candidate)``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mapforge.tasks.expr import ExprError, check_expr, eval_number
from mapforge.tasks.inits import INTEGER_ONLY, Init, parse_init

SCHEMA_VERSION = 1

#: C element types a buffer argument may have, mapped to numpy dtype names.
ELEMENT_TYPES: dict[str, str] = {
    "float": "float32",
    "double": "float64",
    "char": "int8",
    "int8_t": "int8",
    "uint8_t": "uint8",
    "unsigned char": "uint8",
    "int16_t": "int16",
    "uint16_t": "uint16",
    "int": "int32",
    "int32_t": "int32",
    "uint32_t": "uint32",
    "unsigned": "uint32",
    "unsigned int": "uint32",
    "int64_t": "int64",
    "long long": "int64",
    "uint64_t": "uint64",
}
#: Scalar argument types (passed by value).
SCALAR_TYPES: dict[str, str] = {
    "int": "int32",
    "int32_t": "int32",
    "int64_t": "int64",
    "long long": "int64",
    "size_t": "uint64",
    "float": "float32",
    "double": "float64",
}

_INTEGER_DTYPES = {"int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"}
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _c_identifier(v: str) -> str:
    if not _IDENT.match(v):
        raise ValueError(f"{v!r} is not a C identifier")
    return v


class _TaskCommon(_Strict):
    """Fields every task kind has."""

    schema_version: Literal[1] = 1
    name: str
    """Short identifier (letters, digits, -, _)."""
    description: str
    """What to compute (optimize) or the problem statement (solve); shown to the model."""
    tags: list[str] = []
    """Free-form keywords that help retrieval (e.g. ``memory-bound``, ``stencil``)."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.match(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", v):
            raise ValueError("use letters, digits, '-' and '_' only")
        return v


class Tolerance(_Strict):
    """Element-wise tolerance: ``|cand - ref| <= atol + rtol * |ref|``. Integer outputs are compared exactly."""

    rtol: float = Field(1e-5, ge=0)
    """Relative tolerance for floating-point outputs."""
    atol: float = Field(1e-6, ge=0)
    """Absolute tolerance for floating-point outputs."""


class Arg(_Strict):
    """One parameter of the function, in declaration order."""

    name: str
    """The C parameter name."""
    type: str
    """A C type: a scalar (``int``, ``double``, ...) or a pointer (``const float*``, ``int32_t*``, ...)."""
    value: str | None = None
    """Scalars only: an expression over the shape's parameters, e.g. ``"n"`` or ``"n*m"``; float and double
    scalars may use real numbers and ``/`` too (``"1.5"``, ``"1/n"``)."""
    size: str | None = None
    """Pointers only: number of elements, an expression over the shape's parameters, e.g. ``"n*n"``."""
    init: str | None = None
    """Input pointers: how to fill the buffer, with bounds that may be shape expressions: ``uniform(lo, hi)``,
    ``randint(lo, hi)`` (inclusive), ``sorted(lo, hi)``, ``permutation()``, ``arange(start, step)``,
    ``csr_rowptr(k)``, ``csr_colidx(ROWPTR, cols)``, ``edges(nodes)``, or ``generator`` (the task's Python
    generator). See ``mapforge.tasks.inits``."""
    role: Literal["input", "output", "inout"] | None = None
    """Pointers: ``input`` (default for ``const T*``), ``output`` (default for ``T*``) or ``inout``."""

    _ident = field_validator("name")(_c_identifier)

    @property
    def is_pointer(self) -> bool:
        return self.type.strip().endswith("*")

    @property
    def element_type(self) -> str:
        """``const float*`` -> ``float``."""
        t = self.type.strip().rstrip("*").strip()
        return t.removeprefix("const ").strip()

    @property
    def is_const(self) -> bool:
        return self.type.strip().startswith("const ")

    @property
    def dtype(self) -> str:
        """numpy dtype name of the element (pointers) or of the value (scalars)."""
        return (ELEMENT_TYPES if self.is_pointer else SCALAR_TYPES)[self.element_type]

    @property
    def effective_role(self) -> Literal["input", "output", "inout", "scalar"]:
        if not self.is_pointer:
            return "scalar"
        if self.role:
            return self.role
        return "input" if self.is_const else "output"

    @model_validator(mode="after")
    def _consistent(self) -> Arg:
        t = " ".join(self.type.replace("*", " * ").split()).replace(" *", "*")
        if t.endswith("*"):
            base = t[:-1].strip().removeprefix("const ").strip()
            if t.count("*") != 1 or base not in ELEMENT_TYPES:
                raise ValueError(
                    f"type {self.type!r}: pointers must be one of "
                    + ", ".join(f"'{k}*'" for k in ELEMENT_TYPES) + " (optionally const)"
                )
            if self.size is None:
                raise ValueError(f"pointer argument {self.name!r} needs size = \"<expression>\"")
            if self.value is not None:
                raise ValueError(f"pointer argument {self.name!r} takes size, not value")
            role = self.role or ("input" if t.startswith("const ") else "output")
            if t.startswith("const ") and role != "input":
                raise ValueError(f"{self.name!r} is const, so its role must be input")
            if role in ("input", "inout"):
                if self.init is None:
                    raise ValueError(f"input argument {self.name!r} needs init = \"uniform(lo, hi)\" or \"randint(lo, hi)\" "
                                     "(or another initialiser: see README, 'Add a task')")
                kind = parse_init(self.init).kind
                if kind in INTEGER_ONLY and ELEMENT_TYPES[base] not in _INTEGER_DTYPES:
                    raise ValueError(f"init {self.init!r}: {kind} fills indices, so {self.name!r} needs an integer type")
            elif self.init is not None:
                raise ValueError(f"output argument {self.name!r} must not have init (outputs are poisoned, not initialised)")
        else:
            if t not in SCALAR_TYPES:
                raise ValueError(f"type {self.type!r}: scalars must be one of {', '.join(SCALAR_TYPES)}")
            if self.value is None:
                raise ValueError(f"scalar argument {self.name!r} needs value = \"<expression>\"")
            if self.size is not None or self.init is not None or self.role is not None:
                raise ValueError(f"scalar argument {self.name!r} takes only value")
        return self

    @property
    def init_spec(self) -> Init | None:
        """The parsed ``init`` (validated when the spec was loaded)."""
        return None if self.init is None else parse_init(self.init)

    @property
    def c_decl(self) -> str:
        return f"{self.type.strip()} {self.name}"


Shape = dict[str, int]


class Shapes(_Strict):
    """The shapes a task is checked and timed on. Each shape binds the parameters used in the args' expressions."""

    visible: list[Shape] = Field(min_length=1)
    """Shapes the model may see (in the prompt and in feedback)."""
    hidden: list[Shape] = []
    """Extra shapes for correctness only; never shown to the model."""
    timing: Shape
    """The shape speed is measured on."""
    seeds: int = Field(3, ge=1, le=100)
    """Number of input seeds per correctness shape."""


class Limits(_Strict):
    """Per-run limits for the sandbox when running this task's programs."""

    timeout_seconds: float = Field(20.0, gt=0)
    """Wall-clock limit for one run of the program (correctness or one timing batch)."""
    memory_mb: int = Field(2048, ge=64)
    """Address-space limit for one run."""


class OptimizeSpec(_TaskCommon):
    """An optimisation task: make ``function`` faster with the same interface."""

    kind: Literal["optimize"]
    target: Literal["cpu-native"] = "cpu-native"
    """What the task runs on (see ``mapforge.targets``): native C/C++ on the CPU."""
    language: Literal["c", "cpp"] = "c"
    reference: str = "reference.c"
    """Path of the reference implementation, relative to the task folder."""
    function: str
    """Name of the function (``extern "C"`` in C++)."""
    args: list[Arg] = Field(min_length=1)
    """The function's parameters in order. It must return void; outputs go through pointers."""
    shapes: Shapes
    tolerance: Tolerance = Tolerance()
    cflags: list[str] = ["-O2"]
    """Compiler flags for both the reference and candidates (alignment flags are always added)."""
    allow_symbols: list[str] = []
    """Extra external symbols a candidate may call (beyond libc memory and libm)."""
    limits: Limits = Limits()
    generator: str | None = None
    """A Python file in the task folder defining ``generate(shape, rng) -> {arg name: array}`` for the args
    with ``init = "generator"`` (numpy; use only ``rng``, so it is deterministic). See README, 'Add a task'."""
    generator_pool: int = Field(8, ge=8, le=256)
    """Timing rotates through this many generated input sets per process (built-in inits are fresh on
    every call)."""

    _fn = field_validator("function")(_c_identifier)

    @model_validator(mode="after")
    def _check(self) -> OptimizeSpec:
        names = [a.name for a in self.args]
        if len(set(names)) != len(names):
            raise ValueError("args: parameter names must be unique")
        if not any(a.effective_role in ("output", "inout") for a in self.args):
            raise ValueError("args: at least one pointer must be an output (a non-const T*)")
        shapes = [*self.shapes.visible, *self.shapes.hidden, self.shapes.timing]
        for a in self.args:
            expr = a.value if a.value is not None else a.size
            assert expr is not None
            real = not a.is_pointer and a.dtype.startswith("float")
            for shape in shapes:
                try:
                    eval_number(expr, shape) if real else check_expr(expr, shape)
                except ExprError as e:
                    where = "value" if a.value is not None else "size"
                    raise ValueError(f"args.{a.name}.{where} = {expr!r} with shape {shape}: {e}") from e
        from mapforge.tasks.inits import check_inits

        check_inits(self, shapes)
        return self

    @property
    def signature(self) -> str:
        params = ", ".join(a.c_decl for a in self.args)
        prefix = 'extern "C" ' if self.language == "cpp" else ""
        return f"{prefix}void {self.function}({params})"

    @property
    def source_suffix(self) -> str:
        return ".cpp" if self.language == "cpp" else ".c"


class TestCase(_Strict):
    """One stdin -> stdout test."""

    input: str
    output: str


class SolveSpec(_TaskCommon):
    """A problem with tests: the program reads stdin and writes stdout (``format = "program"``), or a
    Python function checked by hidden test code (``format = "function"``)."""

    kind: Literal["solve"]
    target: Literal["solve"] = "solve"
    """What the task runs on (see ``mapforge.targets``): a program or function judged by tests."""
    language: Literal["c", "cpp", "python"] = "c"
    examples: list[TestCase] = []
    """Visible tests: shown to the model and in feedback. program: stdin -> stdout (at least one);
    function: ``input`` is a Python expression (usually a call of the entry point), ``output`` the expected
    value as a Python expression; the example passes when they are equal (floats to 1e-6 relative)."""
    hidden_tests: str = "hidden_tests.toml"
    """File (relative to the task folder), never shown to the model. program: ``[[tests]]`` with input/output;
    function: Python code defining ``check(candidate)`` (default ``check.py``)."""
    cflags: list[str] = ["-O2"]
    limits: Limits = Limits(timeout_seconds=5.0, memory_mb=512)
    format: Literal["program", "function"] = "program"
    """``program``: reads stdin, writes stdout. ``function``: a Python function named ``entry_point``."""
    entry_point: str | None = None
    """function format: the name of the function to write."""
    prompt: str = ""
    """function format: code shown to the model and run before the candidate (imports, helpers, and the
    function's signature and docstring), like HumanEval's prompt. May be empty."""

    @model_validator(mode="before")
    @classmethod
    def _function_defaults(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("format") == "function" and "hidden_tests" not in data:
            data = {**data, "hidden_tests": "check.py"}
        return data

    @model_validator(mode="after")
    def _check_format(self) -> SolveSpec:
        if self.format == "program":
            if not self.examples:
                raise ValueError("examples: a program task needs at least one [[examples]] entry (input, output)")
            if self.entry_point is not None or self.prompt:
                raise ValueError('entry_point and prompt belong to format = "function" tasks')
            return self
        if self.language != "python":
            raise ValueError('format = "function" tasks are Python: set language = "python"')
        if not self.entry_point or not _IDENT.match(self.entry_point):
            raise ValueError('format = "function" needs entry_point = "<the function\'s name>"')
        return self

    @property
    def source_suffix(self) -> str:
        return {"c": ".c", "cpp": ".cpp", "python": ".py"}[self.language]


AnySpec = Annotated[OptimizeSpec | SolveSpec, Field(discriminator="kind")]


class GpuSpec(_TaskCommon):
    """A KernelBench-style PyTorch module to make faster on a GPU (loaded from its ``.py``; an optional
    ``<name>.toml`` beside it sets the fields below)."""

    kind: Literal["optimize"] = "optimize"
    target: Literal["gpu-torch"] = "gpu-torch"
    language: Literal["python"] = "python"
    reference: str
    """The task's ``.py`` file name (``Model``, ``get_inputs``, ``get_init_inputs``)."""
    tolerance: dict[str, Tolerance] = {
        "float32": Tolerance(rtol=1e-4, atol=1e-4), "float64": Tolerance(rtol=1e-7, atol=1e-7),
        "float16": Tolerance(rtol=1e-2, atol=1e-2), "bfloat16": Tolerance(rtol=2e-2, atol=2e-2),
    }
    """Per output dtype. TF32 is off on both sides, so fp32 stays fp32."""
    forbidden: list[str] = []
    """PyTorch calls a candidate may not make (``torch.softmax``, ``F.softmax``, ...): do the work yourself."""
    allow_torch_only: bool = False
    """Accept candidates with no kernel of their own (by default one of their own kernels must run)."""
    flops: str | None = None
    """Floating-point operations per call: a Python expression over the module's constants."""
    bytes: str | None = None
    """Bytes a call must move at least: a Python expression over the module's constants."""
    seeds: int = Field(3, ge=1, le=20)
    """Input seeds checked for correctness (and two more after timing)."""
    limits: Limits = Limits(timeout_seconds=900.0, memory_mb=65536)
    """One run: generous, since a CUDA extension compiles in ~45 s and torch.compile takes a while."""

    @property
    def source_suffix(self) -> str:
        return ".py"


class Task(BaseModel):
    """A loaded task: the spec plus everything read from its folder."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    spec: OptimizeSpec | SolveSpec | GpuSpec
    root: Path
    reference_source: str | None = None
    """optimize: the reference implementation's source."""
    hidden: tuple[TestCase, ...] = ()
    """solve: hidden tests (harness side only)."""
    hidden_code: str | None = None
    """solve, function format: the hidden test code defining ``check(candidate)`` (harness side only)."""
    visible_only: bool = False
    """A view with the hidden tests left out (:meth:`visible_view`): judged on its visible examples only, and
    never reloaded from its folder (a cluster worker gets this copy, not the folder's task)."""

    @property
    def name(self) -> str:
        return self.spec.name

    def visible_view(self) -> Task:
        """This solve task with its hidden tests removed: what an agent may check its own candidates against.
        Any solve evaluator judges the view exactly as ``SolveEvaluator(task, visible_only=True)`` judges the
        task (programs: the examples only; functions: the examples, no ``check``)."""
        if not isinstance(self.spec, SolveSpec):
            raise TypeError(f"{self.name} is not a solve task: it has no hidden tests to leave out")
        return self.model_copy(update={"hidden": (), "hidden_code": None, "visible_only": True})

    @property
    def kind(self) -> str:
        return self.spec.kind
