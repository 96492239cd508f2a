"""How an input buffer is filled: the ``init`` string of an optimize task's pointer argument.

Every built-in initialiser is regenerated bit-identically in C by the harness (``mf_fill`` in
``evaluators/c/mf_harness.h``) from (seed, argument, repetition), so every timed call gets fresh inputs and
the checker can rebuild them on its own. Bounds and parameters are expressions over the shape
(``randint(0, n-1)``); they are evaluated per case and passed to the driver.

``generator`` takes the buffer from the task's Python generator instead (``tasks/generator.py``).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mapforge.tasks.expr import ExprError, eval_number

if TYPE_CHECKING:
    from mapforge.tasks.spec import OptimizeSpec

#: name -> (required parameters, optional parameters, defaults of the optional ones, meaning)
KINDS: dict[str, tuple[int, int, tuple[str, ...], str]] = {
    "uniform": (2, 0, (), "uniform(lo, hi): uniform reals in [lo, hi)"),
    "randint": (2, 0, (), "randint(lo, hi): uniform integers in [lo, hi] (inclusive)"),
    "sorted": (2, 0, (), "sorted(lo, hi): non-decreasing values in [lo, hi] (integers for integer types)"),
    "permutation": (0, 0, (), "permutation(): a random permutation of 0 .. size-1"),
    "arange": (0, 2, ("0", "1"), "arange(start=0, step=1): start + i*step (the same on every call)"),
    "csr_rowptr": (1, 0, (), "csr_rowptr(k): CSR row pointers of size-1 rows, k nonzeros per row on average "
                             "(each row 0..2k), first 0, last (size-1)*k"),
    "csr_colidx": (2, 0, (), "csr_colidx(ROWPTR, cols): the column indices matching the csr_rowptr argument "
                             "ROWPTR: distinct, sorted within each row, in [0, cols)"),
    "edges": (1, 0, (), "edges(nodes): a random directed graph as size/2 (src, dst) pairs, no self-loops"),
    "generator": (0, 0, (), "generator: this buffer comes from the task's Python generator"),
}
INTEGER_ONLY = {"permutation", "csr_rowptr", "csr_colidx", "edges"}
"""Initialisers whose values are indices: integer element types only."""
INTEGER_PARAMS = {"randint", "csr_rowptr", "csr_colidx", "edges"}
"""Initialisers whose parameters must evaluate to integers."""


def grammar() -> str:
    return "; ".join(doc for _, _, _, doc in KINDS.values())


@dataclass(frozen=True)
class Init:
    """A parsed ``init``: the initialiser, its parameter expressions and (csr_colidx) the rowptr argument."""

    kind: str
    params: tuple[str, ...] = ()
    ref: str | None = None

    def values(self, shape: Mapping[str, int]) -> list[int | float]:
        """The parameters evaluated on ``shape``; raises ExprError (a message without the arg's name)."""
        out: list[int | float] = []
        for p in self.params:
            v = eval_number(p, shape)
            if self.kind in INTEGER_PARAMS and isinstance(v, float):
                if not v.is_integer():
                    raise ExprError(f"{p!r} evaluates to {v}, expected an integer")
                v = int(v)
            out.append(v)
        lo_hi = self.kind in ("uniform", "randint", "sorted")
        if lo_hi and out[0] > out[1]:
            raise ExprError(f"lo must not exceed hi ({out[0]} > {out[1]})")
        if self.kind in ("csr_rowptr", "csr_colidx", "edges") and out[-1] < 0:
            raise ExprError(f"{self.params[-1]!r} evaluates to {out[-1]}, expected a non-negative integer")
        return out


def parse_init(text: str) -> Init:
    """Parse an ``init`` string; ValueError lists every initialiser when it is not one of them."""
    bad = ValueError(f"init {text!r}: expected one of: {grammar()}")
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise bad from None
    if isinstance(node, ast.Name) and node.id == "generator":
        return Init("generator")
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.func.id not in KINDS:
        raise bad
    if node.keywords:
        raise ValueError(f"init {text!r}: parameters are positional, e.g. {KINDS[node.func.id][3].split(':')[0]}")
    kind = node.func.id
    need, optional, defaults, doc = KINDS[kind]
    args = list(node.args)
    if not need <= len(args) <= need + optional:
        raise ValueError(f"init {text!r}: {doc}")
    ref = None
    if kind == "csr_colidx":
        first = args.pop(0)
        if not isinstance(first, ast.Name):
            raise ValueError(f"init {text!r}: the first parameter names the csr_rowptr argument ({doc})")
        ref = first.id
    params = [ast.unparse(a) for a in args]
    params += list(defaults[len(params) - need:]) if optional else []
    init = Init(kind, tuple(params), ref)
    try:  # literal parameters are checked now; expressions over the shape per shape, by the spec
        init.values({})
    except ExprError as e:
        if "unknown name" not in str(e):
            raise ValueError(f"init {text!r}: {e}") from None
    return init


def check_inits(spec: OptimizeSpec, shapes: list[dict[str, int]]) -> None:
    """Cross-argument and per-shape checks of the inputs' initialisers; ValueError names the argument."""
    from mapforge.tasks.expr import eval_expr

    args = {a.name: a for a in spec.args}
    inits = {a.name: a.init_spec for a in spec.args if a.init is not None}
    generated = [name for name, i in inits.items() if i is not None and i.kind == "generator"]
    if generated and spec.generator is None:
        raise ValueError(f"args.{generated[0]}.init = 'generator' needs generator = \"<file>.py\" in the task")
    if spec.generator is not None and not generated:
        raise ValueError(f"generator = {spec.generator!r} is set but no argument has init = \"generator\"")
    if inits and all(i is not None and i.kind == "arange" for i in inits.values()):
        raise ValueError("args: every input is arange(...), so every call would get the same inputs; give at "
                         "least one input a random initialiser")
    for name, init in inits.items():
        assert init is not None
        a = args[name]
        for shape in shapes:
            where = f"args.{name}.init = {a.init!r} with shape {shape}"
            assert a.size is not None
            size = eval_expr(a.size, shape)
            try:
                params = init.values(shape)
            except ExprError as e:
                raise ValueError(f"{where}: {e}") from None
            if init.kind == "csr_rowptr" and size < 1:
                raise ValueError(f"{where}: row pointers need size >= 1 (rows + 1)")
            if init.kind == "edges":
                if size % 2:
                    raise ValueError(f"{where}: an edge list holds (src, dst) pairs, so its size must be even")
                if size and params[0] < 1:
                    raise ValueError(f"{where}: a graph with edges needs nodes >= 1")
            if init.kind == "csr_colidx":
                ref = args.get(init.ref or "")
                ref_init = inits.get(init.ref or "")
                if ref is None or ref_init is None or ref_init.kind != "csr_rowptr":
                    raise ValueError(f"args.{name}.init = {a.init!r}: {init.ref!r} must name an input argument "
                                     "with init = \"csr_rowptr(k)\"")
                assert ref.size is not None
                rows, k = eval_expr(ref.size, shape) - 1, ref_init.values(shape)[0]
                if size != rows * k:
                    raise ValueError(f"{where}: size must be the number of nonzeros, rows * k = {rows} * {k} = "
                                     f"{rows * k} (it is {size})")
                if rows > 0 and k > 0 and params[0] < 2 * k:
                    raise ValueError(f"{where}: a row holds up to 2k = {2 * k} distinct columns, so cols must be "
                                     f"at least {2 * k} (it is {params[0]})")

