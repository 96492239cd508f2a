#!/usr/bin/env python3
"""Regenerate tasks/polybench-*/ from PolyBench/C 4.2.1: a held-out suite of optimize tasks mapforge did not write.

    python scripts/import-polybench.py PATH/TO/PolyBenchC-4.2.1     # a checkout (a plain folder)
    python scripts/import-polybench.py --git-dir DIR               # reads HEAD:... from a clone
    python scripts/import-polybench.py --git-dir DIR --only gemm,atax   # rewrite just these tasks

Source: https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1 (PolyBench/C 4.2.1 by Louis-Noel Pouchet and
Tomofumi Yuki, Ohio State University Software Distribution License: each task folder carries the licence's text
as LICENSE.txt, and its reference.c the copyright line: the reference is shown to the model in every prompt,
so its notice is short). Only the generated tasks are committed.

Each kernel ``static void kernel_<name>(...)`` of ``<category>/.../<name>/<name>.c`` becomes a function
``void <name>(...)`` (``-`` written ``_``; ``2mm`` and ``3mm``, not C names, keep PolyBench's ``kernel_2mm``):

- DATA_TYPE is float whatever the kernel's header picks (a kernel whose header defaults to int is skipped),
  ``SCALAR_VAL(x)`` and every other real literal are float literals (``0.5f``), ``SQRT_FUN``/``EXP_FUN``/
  ``POW_FUN`` are ``sqrtf``/``expf``/``powf``, and ``#pragma scop``/``endscop`` are dropped;
- a ``POLYBENCH_2D(A,NI,NK,ni,nk)`` parameter is a flat row-major ``float *restrict A`` (``const`` when the
  kernel never writes it): ``A[i][k]`` is ``A[i * nk + k]`` and a 3-D ``A[r][q][p]`` is
  ``A[(r * nq + q) * np + p]``; ``_PB_NI`` (and a bare ``NI``) is the int parameter ``ni``;
- a DATA_TYPE scalar parameter (alpha, beta, float_n) is a float argument with the value the benchmark's
  ``init_array`` gives it (alpha = 1.5, float_n = n); int parameters are the shape's sizes.

Arrays the kernel writes are ``inout`` (they hold input values on entry, as in the TSVC tasks), the others
are const inputs. The shapes, input bounds and tolerance of each kernel are set by hand in KERNELS below
(a kernel without an entry is skipped, with the reason). Before writing a task the script checks its reference:
it compiles at ``-O3 -march=native``; built with AddressSanitizer it stays within its arrays and leaves finite
results at every shape the task names; and its float results stay within a quarter of the task's tolerance of
the same code run in double precision on the same inputs, at every shape (a reordered float computation is
about as far from the exact result as the reference, so a candidate that is as accurate passes with a
margin). A kernel that is numerically unstable on random inputs (an LU factorisation without pivoting, say)
fails that check and is skipped with the distance it reached. Last it times the reference at the timing shape
(single-threaded; run the script under ``taskset -c 0`` for a steady number) and prints it.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from importing import (  # noqa: E402  (scripts/importing.py: what the importers share)
    COMMENT,
    ROOT,
    Arg,
    Check,
    Source,
    clear,
    emit,
    float_literals,
    in_code,
    matching,
    prototype,
    split_top,
    tidy,
    written,
)
from importing import check as check_reference  # noqa: E402
from importing import task_toml as write_toml  # noqa: E402

SOURCE_URL = "https://github.com/MatthiasJReisinger/PolyBenchC-4.2.1"
MATH = {"SQRT_FUN": "sqrtf", "EXP_FUN": "expf", "POW_FUN": "powf"}
CATEGORIES = {
    "linear-algebra/blas": "BLAS",
    "linear-algebra/kernels": "linear algebra",
    "linear-algebra/solvers": "linear algebra solver",
    "datamining": "data mining",
    "stencils": "stencil",
    "medley": "medley",
}


@dataclass(frozen=True)
class Settings:
    """How one kernel becomes a task: chosen by hand, checked by the script (see the module docstring)."""

    what: str                          # one phrase: what the kernel computes
    visible: dict[str, int]
    hidden: tuple[dict[str, int], ...]
    timing: dict[str, int]             # about 5-60 ms per reference call at -O3 -march=native, one core
    rtol: float
    atol: float
    why: str                           # how the tolerance was chosen: a comment in the task.toml
    init: str = "uniform(0, 1)"        # every array's initialiser unless inits names it
    inits: dict[str, str] = field(default_factory=dict)

    def bounds(self, array: str) -> str:
        return self.inits.get(array, self.init)


# Tolerances: |got - want| <= atol + rtol * |want|, want being the float reference. Inputs in [0, 1) keep the
# products of the matrix kernels positive, so a sum does not cancel to near zero and rtol means something.
SUM_LONG = ("each output is a float sum of up to a few hundred positive products, whose rounding a reordering "
            "changes by up to ~1e-5 of its value: rtol 1e-3 leaves a wide margin")
SUM_VEC = ("each output is a float sum of a few thousand positive products (a dot product): a reordered sum "
           "differs by up to ~1e-5 of its value, so rtol 1e-3")
STENCIL = ("every step averages a few neighbours (weights summing to about 1), so the values stay in [0, 1] "
           "and a reordering changes them by a few float ulps per step: rtol 1e-4 with atol 1e-5")

KERNELS: dict[str, Settings] = {
    "gemm": Settings(
        "C = alpha * A * B + beta * C",
        {"ni": 20, "nj": 25, "nk": 30},
        ({"ni": 1, "nj": 1, "nk": 1}, {"ni": 7, "nj": 13, "nk": 3}, {"ni": 67, "nj": 31, "nk": 101}),
        {"ni": 800, "nj": 900, "nk": 1000}, 1e-3, 1e-4, SUM_LONG),
    "gemver": Settings(
        "A += u1 * v1^T + u2 * v2^T, x += beta * A^T * y + z, w += alpha * A * x",
        {"n": 40},
        ({"n": 1}, {"n": 17}, {"n": 251}),
        {"n": 3000}, 1e-3, 1e-4, SUM_VEC),
    "gesummv": Settings(
        "y = alpha * A * x + beta * B * x",
        {"n": 40},
        ({"n": 1}, {"n": 17}, {"n": 251}),
        {"n": 4000}, 1e-3, 1e-4, SUM_VEC),
    "symm": Settings(
        "symmetric matrix multiply C = alpha * A * B + beta * C, A symmetric and read from its lower triangle",
        {"m": 20, "n": 30},
        ({"m": 1, "n": 1}, {"m": 13, "n": 7}, {"m": 61, "n": 97}),
        {"m": 400, "n": 480}, 1e-3, 1e-4, SUM_LONG),
    "syr2k": Settings(
        "symmetric rank-2k update of C's lower triangle: C = alpha * (A * B^T + B * A^T) + beta * C",
        {"n": 30, "m": 20},
        ({"n": 1, "m": 1}, {"n": 7, "m": 13}, {"n": 97, "m": 61}),
        {"n": 400, "m": 480}, 1e-3, 1e-4, SUM_LONG),
    "syrk": Settings(
        "symmetric rank-k update of C's lower triangle: C = alpha * A * A^T + beta * C",
        {"n": 30, "m": 20},
        ({"n": 1, "m": 1}, {"n": 7, "m": 13}, {"n": 97, "m": 61}),
        {"n": 480, "m": 560}, 1e-3, 1e-4, SUM_LONG),
    "trmm": Settings(
        "triangular matrix multiply B = alpha * A^T * B, A unit lower triangular",
        {"m": 20, "n": 30},
        ({"m": 1, "n": 1}, {"m": 13, "n": 7}, {"m": 97, "n": 61}),
        {"m": 440, "n": 520}, 1e-3, 1e-4, SUM_LONG),
    "2mm": Settings(
        "two matrix products: tmp = alpha * A * B, D = tmp * C + beta * D",
        {"ni": 16, "nj": 18, "nk": 22, "nl": 24},
        ({"ni": 1, "nj": 1, "nk": 1, "nl": 1}, {"ni": 7, "nj": 3, "nk": 11, "nl": 5},
         {"ni": 41, "nj": 37, "nk": 53, "nl": 29}),
        {"ni": 280, "nj": 300, "nk": 320, "nl": 340}, 1e-3, 1e-4, SUM_LONG),
    "3mm": Settings(
        "three matrix products: E = A * B, F = C * D, G = E * F",
        {"ni": 16, "nj": 18, "nk": 20, "nl": 22, "nm": 24},
        ({"ni": 1, "nj": 1, "nk": 1, "nl": 1, "nm": 1}, {"ni": 7, "nj": 3, "nk": 11, "nl": 5, "nm": 2},
         {"ni": 41, "nj": 37, "nk": 53, "nl": 29, "nm": 31}),
        {"ni": 240, "nj": 250, "nk": 260, "nl": 270, "nm": 280}, 1e-3, 1e-4, SUM_LONG),
    "atax": Settings(
        "y = A^T * (A * x), with tmp = A * x",
        {"m": 38, "n": 42},
        ({"m": 1, "n": 1}, {"m": 13, "n": 7}, {"m": 251, "n": 199}),
        {"m": 4000, "n": 4500}, 1e-3, 1e-4, SUM_VEC),
    "bicg": Settings(
        "the BiCG sub-kernel of BiCGStab: s = A^T * r and q = A * p",
        {"m": 38, "n": 42},
        ({"m": 1, "n": 1}, {"m": 13, "n": 7}, {"m": 199, "n": 251}),
        {"m": 4000, "n": 4500}, 1e-3, 1e-4, SUM_VEC),
    "doitgen": Settings(
        "the multi-resolution analysis kernel of MADNESS: each row A[r][q][0..np) becomes its product with C4",
        {"nr": 16, "nq": 18, "np": 20},
        ({"nr": 1, "nq": 1, "np": 1}, {"nr": 3, "nq": 5, "np": 7}, {"nr": 13, "nq": 11, "np": 37}),
        {"nr": 60, "nq": 64, "np": 128}, 1e-3, 1e-4, SUM_LONG),
    "mvt": Settings(
        "matrix-vector product and transposed product: x1 += A * y_1, x2 += A^T * y_2",
        {"n": 40},
        ({"n": 1}, {"n": 17}, {"n": 251}),
        {"n": 3000}, 1e-3, 1e-4, SUM_VEC),
    "gramschmidt": Settings(
        "QR decomposition of the m x n matrix A by modified Gram-Schmidt: A = Q * R",
        {"m": 40, "n": 24},
        ({"m": 1, "n": 1}, {"m": 7, "n": 5}, {"m": 97, "n": 61}),
        {"m": 440, "n": 300}, 1e-3, 1e-4,
        "A random m x n matrix with m >= n is well conditioned, so the factors are accurate to a few 1e-5 in float "
        "(checked against a double-precision run at every shape): rtol 1e-3, atol 1e-4",
        init="uniform(-1, 1)"),
    # The four solvers below (and adi) are unstable in float on random inputs, whatever the bounds: the check
    # rejects them and the script prints by how much. Their entries are kept so that it says so.
    "cholesky": Settings(
        "Cholesky decomposition A = L * L^T, in place",
        {"n": 40}, ({"n": 1}, {"n": 17}, {"n": 97}), {"n": 1200}, 1e-3, 1e-4,
        "as for gramschmidt (a random matrix is not positive definite: the check finds a NaN)"),
    "lu": Settings(
        "LU decomposition without pivoting, in place",
        {"n": 40}, ({"n": 1}, {"n": 17}, {"n": 97}), {"n": 1000}, 1e-3, 1e-4,
        "as for gramschmidt (LU without pivoting on a random matrix: the check finds it unstable)"),
    "ludcmp": Settings(
        "LU decomposition without pivoting then forward and back substitution",
        {"n": 40}, ({"n": 1}, {"n": 17}, {"n": 97}), {"n": 1000}, 1e-3, 1e-4,
        "as for gramschmidt (LU without pivoting on a random matrix: the check finds it unstable)"),
    "trisolv": Settings(
        "forward substitution with a lower triangular matrix L",
        {"n": 40}, ({"n": 1}, {"n": 17}, {"n": 97}), {"n": 4000}, 1e-3, 1e-4,
        "as for gramschmidt (a random triangular system grows exponentially: the check finds an Inf)",
        init="uniform(1, 2)"),
    "durbin": Settings(
        "Levinson-Durbin solution of a Toeplitz system",
        {"n": 40}, ({"n": 1}, {"n": 17}, {"n": 251}), {"n": 8000}, 1e-3, 1e-7,
        "r is drawn from (-0.5/n, 0.5/n), so the symmetric Toeplitz matrix (1 on its diagonal, r off it) is "
        "diagonally dominant and the recursion stable; y is about as small as r (1e-4 at the timing size), so "
        "atol is 1e-7 and rtol 1e-3",
        init="uniform(-0.5/n, 0.5/n)"),
    "covariance": Settings(
        "the m x m covariance matrix of the columns of the n x m matrix data",
        {"m": 28, "n": 32},
        ({"m": 1, "n": 2}, {"m": 7, "n": 13}, {"m": 61, "n": 97}),  # n = 1 would divide by float_n - 1 = 0
        {"m": 400, "n": 500}, 1e-3, 1e-4,
        "cov sums n products of centred values of either sign, which cancel: a reordering moves it by about "
        "1e-6 absolute (its values are about 0.08 on the diagonal), so atol 1e-4 and rtol 1e-3"),
    "correlation": Settings(
        "the m x m correlation matrix of the columns of the n x m matrix data",
        {"m": 28, "n": 32},
        ({"m": 1, "n": 1}, {"m": 7, "n": 13}, {"m": 61, "n": 97}),
        {"m": 400, "n": 500}, 1e-3, 1e-4,
        "corr sums n products of normalised values of either sign, which cancel (|corr| <= 1): atol 1e-4"),
    "deriche": Settings(
        "Deriche recursive edge-detection filter, along rows then along columns",
        {"w": 24, "h": 40},
        ({"w": 1, "h": 1}, {"w": 13, "h": 7}, {"w": 61, "h": 97}),
        {"w": 1024, "h": 1536}, 1e-3, 1e-4,
        "each output is a stable recursive filter (poles of modulus 0.78) over a row or column of [0, 1) "
        "pixels; a reordering changes it by a few float ulps: rtol 1e-3, atol 1e-4"),
    # adi: its coefficients grow as n^2 / tsteps (about 1e5 at the timing size) and cancel, so its float
    # results are off by percents: the check rejects it.
    "adi": Settings(
        "alternating direction implicit solver of a 2-D heat equation",
        {"tsteps": 4, "n": 40},
        ({"tsteps": 1, "n": 1}, {"tsteps": 2, "n": 7}, {"tsteps": 3, "n": 61}),
        {"tsteps": 5, "n": 600}, 1e-3, 1e-4,
        "tridiagonal solves (Thomas algorithm) of diagonally dominant systems: rtol 1e-3, atol 1e-4"),
    "fdtd-2d": Settings(
        "2-D finite-difference time-domain simulation of the fields ex, ey, hz over tmax steps",
        {"tmax": 4, "nx": 24, "ny": 36},
        ({"tmax": 1, "nx": 1, "ny": 1}, {"tmax": 3, "nx": 13, "ny": 7}, {"tmax": 5, "nx": 61, "ny": 97}),
        {"tmax": 10, "nx": 1600, "ny": 2000}, 1e-3, 1e-4,
        "a few steps of differences of neighbouring field values (of either sign once updated): rtol 1e-3 "
        "and atol 1e-4, far above the few float ulps a reordering moves them"),
    "heat-3d": Settings(
        "3-D heat equation, explicit steps between A and B",
        {"tsteps": 4, "n": 20},
        ({"tsteps": 1, "n": 1}, {"tsteps": 2, "n": 7}, {"tsteps": 3, "n": 23}),
        {"tsteps": 5, "n": 180}, 1e-4, 1e-5, STENCIL),
    "jacobi-1d": Settings(
        "1-D Jacobi stencil, three-point averages between A and B",
        {"tsteps": 4, "n": 40},
        ({"tsteps": 1, "n": 1}, {"tsteps": 2, "n": 7}, {"tsteps": 3, "n": 1009}),
        {"tsteps": 10, "n": 4000000}, 1e-4, 1e-5, STENCIL),
    "jacobi-2d": Settings(
        "2-D Jacobi stencil, five-point averages between A and B",
        {"tsteps": 4, "n": 30},
        ({"tsteps": 1, "n": 1}, {"tsteps": 2, "n": 7}, {"tsteps": 3, "n": 97}),
        {"tsteps": 10, "n": 2000}, 1e-4, 1e-5, STENCIL),
    "seidel-2d": Settings(
        "2-D Gauss-Seidel stencil, nine-point averages in place",
        {"tsteps": 4, "n": 30},
        ({"tsteps": 1, "n": 1}, {"tsteps": 2, "n": 7}, {"tsteps": 3, "n": 97}),
        {"tsteps": 5, "n": 1000}, 1e-4, 1e-5, STENCIL),
}


# -- reading PolyBench ----------------------------------------------------------------------------------------
def kernel_files(paths: Sequence[str]) -> list[str]:
    """Each ``<dirs>/<name>/<name>.c`` (a benchmark's main file), not the utilities or other sources."""
    out = []
    for p in paths:
        parts = p.split("/")
        if len(parts) >= 3 and parts[0] != "utilities" and parts[-1] == parts[-2] + ".c":
            out.append(p)
    return out


@dataclass(frozen=True)
class Param:
    name: str
    kind: str                     # "int", "scalar" (DATA_TYPE) or "array"
    dims: tuple[str, ...] = ()    # an array's extents, as its lower-case size parameters


def parse_param(text: str) -> Param:
    text = " ".join(text.split())
    if m := re.fullmatch(r"int (\w+)", text):
        return Param(m.group(1), "int")
    if m := re.fullmatch(r"DATA_TYPE (\w+)", text):
        return Param(m.group(1), "scalar")
    if m := re.fullmatch(r"DATA_TYPE POLYBENCH_([123])D\((.*)\)", text):
        k = int(m.group(1))
        parts = [p.strip() for p in m.group(2).split(",")]
        if len(parts) != 1 + 2 * k or not all(re.fullmatch(r"[a-z_]\w*", d) for d in parts[1 + k:]):
            raise ValueError(f"parameter {text!r}: expected POLYBENCH_{k}D(name, {k} sizes, {k} size names)")
        return Param(parts[0], "array", tuple(parts[1 + k:]))
    raise ValueError(f"parameter {text!r} is neither int, DATA_TYPE nor a DATA_TYPE array")


@dataclass(frozen=True)
class Kernel:
    name: str                   # the benchmark's name: gemm, jacobi-2d
    path: str                   # its .c file in the checkout
    params: tuple[Param, ...]
    body: str                   # the kernel's body as PolyBench writes it
    scalars: dict[str, str]     # DATA_TYPE parameter -> the value init_array gives it (a shape expression)
    macros: frozenset[str]      # the header's size macros (NI, TSTEPS)

    @property
    def function(self) -> str:
        fn = self.name.replace("-", "_")
        return fn if re.fullmatch(r"[A-Za-z_]\w*", fn) else f"kernel_{fn}"

    @property
    def category(self) -> str:
        for prefix, label in CATEGORIES.items():
            if self.path.startswith(prefix + "/"):
                return label
        return self.path.split("/")[0]

    @property
    def arrays(self) -> list[Param]:
        return [p for p in self.params if p.kind == "array"]


def parse_kernel(name: str, path: str, text: str, header: str) -> Kernel:
    m = re.search(r"^(?:static\s+)?void\s+kernel_\w+\s*\(", text, re.M)
    if not m:
        raise ValueError("no kernel_ function")
    close = matching(text, m.end() - 1, "(", ")")
    brace = text.index("{", close)
    if text[close:brace].strip():
        raise ValueError("unexpected text between the kernel's parameters and its body")
    body = text[brace + 1:matching(text, brace, "{", "}") - 1]
    dt = re.search(r"^\s*#\s*define\s+DATA_TYPE_IS_(\w+)", header, re.M)
    if dt and dt.group(1) == "INT":
        raise ValueError("an integer kernel (its header defaults DATA_TYPE to int): this suite is float kernels")
    params = tuple(parse_param(p) for p in split_top(text[m.end():close - 1]))
    macros = frozenset(re.findall(r"^\s*#\s*define\s+([A-Z][A-Z0-9_]*)\s+\d+\s*$", header, re.M))
    scalars = {}
    init = re.search(r"void\s+init_array\s*\(.*?\)\s*\{(.*?)^\}", text, re.S | re.M)
    for p in params:
        if p.kind != "scalar":
            continue
        got = re.search(rf"\*\s*{p.name}\s*=\s*([^;]+);", init.group(1)) if init else None
        if not got:
            raise ValueError(f"init_array gives scalar {p.name} no value")
        value = re.sub(r"\(\s*DATA_TYPE\s*\)", "", got.group(1)).strip()
        value = re.sub(r"\b[A-Z][A-Z0-9_]*\b", lambda x: x.group().lower() if x.group() in macros else x.group(),
                       value)
        scalars[p.name] = value
    return Kernel(name, path, params, body, scalars, macros)


# -- the transformation ---------------------------------------------------------------------------------------
def unparen(e: str) -> str:
    """``e`` without parentheses that enclose all of it: ``((j-1))`` -> ``j-1``."""
    e = e.strip()
    while e.startswith("(") and matching(e, 0, "(", ")") == len(e):
        e = e[1:-1].strip()
    return e


def scaled(e: str) -> str:
    """A subscript about to be multiplied: bare when a name or a number, else in parentheses."""
    e = unparen(e)
    return e if re.fullmatch(r"\w+", e) else f"({e})"


def added(e: str) -> str:
    """A subscript about to be added last: bare when it is arithmetic only (``j-1``, ``k-i-1``)."""
    e = unparen(e)
    return e if re.fullmatch(r"[\w\s+\-*/%()\[\]]+", e) else f"({e})"


def flatten(code: str, dims: dict[str, Sequence[str]]) -> str:
    """Each ``A[e1][e2]`` of a 2-D array A (extents m x n) as ``A[e1 * n + e2]``, each ``A[e1][e2][e3]`` of a
    3-D one (l x m x n) as ``A[(e1 * m + e2) * n + e3]``; subscripts are flattened too. A 1-D array's
    ``x [i]`` is written ``x[i]``. Raises ValueError when an array is subscripted the wrong number of times."""
    if not dims:
        return code
    out, k = [], 0
    pattern = re.compile(rf"\b({'|'.join(map(re.escape, dims))})\s*\[")
    for m in pattern.finditer(code):
        if m.start() < k:
            continue
        name, ext = m.group(1), dims[m.group(1)]
        subs: list[str] = []
        end = m.end() - 1
        while len(subs) < len(ext):
            while end < len(code) and code[end] in " \t":
                end += 1
            if end >= len(code) or code[end] != "[":
                raise ValueError(f"{name} has {len(ext)} dimensions but is subscripted {len(subs)} times")
            close = matching(code, end, "[", "]")
            subs.append(flatten(code[end + 1:close - 1], dims))
            end = close
        if re.match(r"\s*\[", code[end:]):
            raise ValueError(f"{name} has {len(ext)} dimensions but is subscripted more times")
        if len(ext) == 1:
            index = subs[0].strip()
        elif len(ext) == 2:
            index = f"{scaled(subs[0])} * {ext[1]} + {added(subs[1])}"
        else:
            index = f"({scaled(subs[0])} * {ext[1]} + {added(subs[1])}) * {ext[2]} + {added(subs[2])}"
        out.append(code[k:m.start()] + f"{name}[{index}]")
        k = end
    return "".join(out) + code[k:]


def macros_to_params(code: str, macros: frozenset[str]) -> str:
    """``_PB_NI`` and a bare size macro ``NI`` (heat-3d's ``TSTEPS``) as the parameter ``ni``."""
    code = re.sub(r"\b_PB_([A-Z][A-Z0-9_]*)\b", lambda m: m.group(1).lower(), code)
    return re.sub(r"\b[A-Z][A-Z0-9_]*\b", lambda m: m.group().lower() if m.group() in macros else m.group(), code)


def convert(code: str, kernel: Kernel) -> str:
    """The body's code (no comments) in plain float C over flat arrays."""
    code = re.sub(r"\bDATA_TYPE\b", "float", code)
    for macro, fn in MATH.items():
        code = re.sub(rf"\b{macro}\b", fn, code)
    code = macros_to_params(float_literals(code), kernel.macros)
    return flatten(code, {p.name: p.dims for p in kernel.arrays})


def problems(code: str, kernel: Kernel) -> str | None:
    """Why the converted body cannot be a task's reference, or None."""
    left = sorted(set(re.findall(r"\b(?:POLYBENCH_\w+|_PB_\w+|DATA_TYPE|SCALAR_VAL|\w+_FUN)\b", code)))
    if left:
        return f"uses {', '.join(left)} in a way the importer does not convert"
    calls = set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", code)) - {"for", "if", "while", "switch", "return",
                                                              "sizeof", "float", "int", *MATH.values()}
    if calls:
        return f"calls {', '.join(sorted(calls))}"
    return None


NOTICE_HEAD = """/* From PolyBench/C 4.2.1 ({url}, {path}), kernel_{name}.
 * {copyright}
 * Ohio State University Software Distribution License: its conditions, which a redistribution must keep, are in
 * LICENSE.txt beside this file (the repository's own, unchanged).
{adapted} */
"""


def copyright_line(license_text: str) -> str:
    """The licence's copyright line."""
    found = re.search(r"Copyright \(c\)[^\n]*", license_text)
    if not found:
        raise ValueError("LICENSE.txt has no copyright line")
    return " ".join(found.group().split())


def checked(kernel: Kernel, st: Settings, writes: Sequence[str]) -> Check:
    """The converted kernel's parameters, shapes and tolerance, as the shared checks and task.toml see them."""
    args = []
    for p in kernel.params:
        if p.kind == "int":
            args.append(Arg(p.name, "int", value=p.name))
        elif p.kind == "scalar":
            args.append(Arg(p.name, "float", value=kernel.scalars[p.name]))
        else:
            args.append(Arg(p.name, "float", array=True, size=size_expr(p), init=st.bounds(p.name),
                            written=p.name in writes))
    return Check(kernel.function, tuple(args), st.visible, st.hidden, st.timing, st.rtol, st.atol)


def signature(kernel: Kernel, writes: Sequence[str]) -> str:
    return prototype(kernel.function, checked(kernel, KERNELS[kernel.name], writes).args)


def reference(kernel: Kernel, writes: Sequence[str], license_text: str) -> str:
    body = in_code(tidy(kernel.body), lambda c: convert(c, kernel))
    adapted = ["DATA_TYPE is float and real literals are float literals (SCALAR_VAL(0.5) is 0.5f)"]
    if re.search(r"\b(sqrtf|expf|powf)\b", body):
        adapted.append("SQRT_FUN, EXP_FUN and POW_FUN are sqrtf, expf and powf")
    adapted.append("the sizes _PB_N (N) are the int parameters n")
    multi = [p for p in kernel.arrays if len(p.dims) > 1]
    if multi:
        a = multi[0]
        sub = "][".join("ijk"[:len(a.dims)])
        flat = f"i * {a.dims[1]} + j" if len(a.dims) == 2 else f"(i * {a.dims[1]} + j) * {a.dims[2]} + k"
        adapted.append(f"the arrays are flat row-major parameters ({a.name}[{sub}] is {a.name}[{flat}])")
    adapted.append("the arrays it does not write are const")
    if kernel.function != kernel.name.replace("-", "_"):
        adapted.append(f"the function is {kernel.function}")
    head = NOTICE_HEAD.format(url=SOURCE_URL, path=kernel.path, name=kernel.name.replace("-", "_"),
                              copyright=copyright_line(license_text),
                              adapted=textwrap.fill("Adapted by scripts/import-polybench.py: " + "; ".join(adapted)
                                                    + ".", 108, initial_indent=" * ", subsequent_indent=" * "))
    includes = "#include <math.h>\n\n" if re.search(r"\b(sqrtf|expf|powf)\b", body) else ""
    return head + includes + signature(kernel, writes) + "\n{\n" + textwrap.indent(body, "    ") + "\n}\n"


# -- task.toml ------------------------------------------------------------------------------------------------
def size_expr(p: Param) -> str:
    return "*".join(p.dims)


def letters(dims: Sequence[str]) -> list[str]:
    """Index names for an array's dimensions: ni x nk -> i, k; n x n and nx x ny -> i, j."""
    got = [d[1] if re.fullmatch(r"n[ijklmpqr]", d) else "" for d in dims]
    if len(set(got)) < len(got) or "" in got or any(g == "n" for g in got):
        return list("ijk"[:len(dims)])
    return got


def describe(kernel: Kernel, st: Settings, writes: Sequence[str]) -> str:
    desc = f"PolyBench/C 4.2.1 kernel {kernel.name} ({kernel.category}, {st.what}), on float arrays. "
    groups: dict[tuple[str, ...], list[str]] = {}
    for p in kernel.arrays:
        groups.setdefault(p.dims, []).append(p.name)
    for dims, names in groups.items():
        one = len(names) == 1
        who = ", ".join(names)
        if len(dims) == 1:
            desc += f"{who} {'has' if one else 'have'} {dims[0]} elements. "
            continue
        ix = letters(dims)
        if len(dims) == 2:
            where = f"row {ix[0]}, column {ix[1]} at [{ix[0]} * {dims[1]} + {ix[1]}]"
            what = "matrix" if one else "matrices"
        else:
            where = f"element ({', '.join(ix)}) at [({ix[0]} * {dims[1]} + {ix[1]}) * {dims[2]} + {ix[2]}]"
            what = "array" if one else "arrays"
        article = "an" if dims[0][0] in "aefhilmnorsx" else "a"
        desc += (f"{who} {'is ' + article if one else 'are'} {' x '.join(dims)} row-major {what} "
                 f"({where}). ")
    if kernel.scalars:
        desc += "Scalar arguments: " + ", ".join(
            f"{k} = {v}" for k, v in kernel.scalars.items()) + ". "
    desc += (f"Arrays the kernel writes ({', '.join(writes)}) hold their input values on entry; elements the "
             "kernel does not write must keep them. Single-threaded; keep the results within the tolerance.")
    return desc


def task_toml(kernel: Kernel, st: Settings, writes: Sequence[str]) -> str:
    return write_toml(f"polybench-{kernel.name}", describe(kernel, st, writes), checked(kernel, st, writes),
                      ["polybench", "held-out"], st.why)


def check(kernel: Kernel, st: Settings, writes: Sequence[str], ref: str) -> tuple[str | None, str]:
    """(why the reference makes no task, or None; what was measured): scripts/importing.py's checks."""
    return check_reference(checked(kernel, st, writes), ref)


# -- main -----------------------------------------------------------------------------------------------------
def load(src: Source) -> tuple[list[Kernel | tuple[str, str]], str]:
    """Every benchmark (a Kernel, or (name, why it could not be parsed)) and the text of LICENSE.txt."""
    files = src.files()
    out: list[Kernel | tuple[str, str]] = []
    for path in kernel_files(files):
        name = path.rsplit("/", 1)[1][:-2]
        try:
            out.append(parse_kernel(name, path, src.read(path), src.read(path[:-2] + ".h")))
        except (ValueError, subprocess.CalledProcessError) as e:
            out.append((name, str(e)))
    return out, src.read("LICENSE.txt")


def make(kernel: Kernel, license_text: str) -> tuple[str, str, Settings, list[str]] | str:
    """(task.toml, reference.c, settings, arrays written) or why the kernel makes no task."""
    st = KERNELS.get(kernel.name)
    if st is None:
        return "no settings in KERNELS (shapes, bounds, tolerance)"
    code = in_code(tidy(kernel.body), lambda c: convert(c, kernel))
    plain = COMMENT.sub(" ", code)
    if why := problems(plain, kernel):
        return why
    writes = written(plain, [p.name for p in kernel.arrays])
    if not writes:
        return "writes no array"
    ints = {p.name for p in kernel.params if p.kind == "int"}
    for shape in (st.visible, *st.hidden, st.timing):
        if set(shape) != ints:
            return f"KERNELS' shape {shape} does not name exactly the sizes {sorted(ints)}"
    ref = reference(kernel, writes, license_text)
    return task_toml(kernel, st, writes), ref, st, writes


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", nargs="?", help="a PolyBench/C 4.2.1 checkout (a plain folder)")
    ap.add_argument("--git-dir", help="a clone of PolyBench/C 4.2.1 (reads HEAD:...)")
    ap.add_argument("--out", default=str(ROOT / "tasks"), help="where the polybench-* folders go")
    ap.add_argument("--only", help="comma-separated kernels: rewrite just their folders")
    args = ap.parse_args()
    if not args.git_dir and not args.source:
        ap.error("give a PolyBench/C checkout or --git-dir")
    kernels, license_text = load(Source(args.source, args.git_dir))
    only = set(args.only.split(",")) if args.only else None
    out = Path(args.out)
    clear(out, "polybench-", only)
    made = []
    for k in kernels:
        name = k[0] if isinstance(k, tuple) else k.name
        if only is not None and name not in only:
            continue
        if isinstance(k, tuple):
            print(f"skip {name}: {k[1]}", file=sys.stderr)
            continue
        try:
            got = make(k, license_text)
        except ValueError as e:
            got = str(e)
        if isinstance(got, str):
            print(f"skip {name}: {got}", file=sys.stderr)
            continue
        toml, ref, st, writes = got
        bad, measured = check(k, st, writes, ref)
        if bad:
            print(f"skip {name}: {bad}", file=sys.stderr)
            continue
        why = emit(out / f"polybench-{name}", {"task.toml": toml, "reference.c": ref, "LICENSE.txt": license_text})
        if why:
            print(f"skip {name}: {why}", file=sys.stderr)
            continue
        print(f"polybench-{name}: {measured}")
        made.append(name)
    print(f"wrote {len(made)} tasks: {' '.join(made)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
