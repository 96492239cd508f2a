#!/usr/bin/env python3
"""Regenerate tasks/machsuite-*/ from MachSuite: a held-out suite of optimize tasks mapforge did not write.

    python scripts/import-machsuite.py PATH/TO/MachSuite                  # a checkout (a plain folder)
    python scripts/import-machsuite.py --git-dir DIR                      # reads HEAD:... from a clone
    python scripts/import-machsuite.py --git-dir DIR --only gemm-ncubed,md-knn   # rewrite just these tasks

Source: https://github.com/breagen/MachSuite (MachSuite by Brandon Reagen, Robert Adolf, Sophia Shao, Gu-Yeon
Wei and David Brooks; BSD-3, some benchmarks also under their original authors' BSD-3 or ISC terms: each task
folder carries MachSuite's LICENSE file as LICENSE.txt, and its reference.c the benchmark's copyright lines).
Only the generated tasks are committed.

Each benchmark ``<kernel>/<variant>/`` (its kernel file, say ``gemm.c``, and header ``gemm.h``) becomes the task
``machsuite-<kernel>-<variant>`` (``machsuite-<kernel>`` when the two names are the same: ``machsuite-viterbi``),
whose function is the one the header declares, with the rest of the kernel file (its helper functions, made
``static``, and macros) kept around it:

- TYPE, ``double`` and the header's typedefs of them are float (MachSuite computes in double), real literals
  are float literals (``1.0f``) and ``exp``/``sqrt``/... are ``expf``/``sqrtf``/...; HLS loop labels
  (``outer: for``) are dropped; a benchmark with no float or double in its source is skipped as integer;
- the sizes the header fixes (``#define row_size 64``) are int parameters, as KERNELS names them (row_size and
  col_size of the square gemm are both ``n``); the header's other constants the code uses are #defines in the
  reference (``#define lj1 1.5f``), and its struct typedefs typedefs;
- the arrays are flat ``restrict`` parameters (``const`` when the kernel writes them nowhere, its helpers
  included); a kernel that returns a constant 0 returns void; where MachSuite's arrays are multi-dimensional
  arrays of structs (md/grid) the kernel views the flat parameters as them; a kernel of one fixed size
  (fft/transpose's 512-point FFT) becomes a static helper that the task's function applies to a batch.

Arrays the kernel writes are ``inout`` (they hold input values on entry, as in the PolyBench tasks), the others
are const inputs. Each kernel's shapes, inputs, tolerance and description are set by hand in KERNELS below (a
kernel without an entry is skipped, with the reason); inputs the spec's initialisers cannot make valid (a
neighbour list that never names the atom itself) come from a generator.py the script writes beside the task.
Before writing a task the script runs scripts/importing.py's checks on its reference, as the PolyBench importer
does: it compiles at ``-O3 -march=native``; built with AddressSanitizer and UBSan it stays within its arrays and
leaves finite results at every shape; its float results stay within a quarter of the tolerance of the same code
run in double precision on the same inputs (integer outputs: equal), at every shape; and it is timed at the
timing shape (single-threaded; run the script under ``taskset -c 0`` for a steady number).
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from importing import (  # noqa: E402  (scripts/importing.py: what the importers share)
    COMMENT,
    LIBM,
    ROOT,
    Arg,
    Check,
    Source,
    check,
    clear,
    emit,
    eval_expr,
    float_literals,
    in_code,
    matching,
    prototype,
    split_top,
    task_toml,
    tidy,
    written,
)

SOURCE_URL = "https://github.com/breagen/MachSuite"
NOT_KERNELS = ("generate.c", "local_support.c", "support.c", "harness.c")
KEYWORDS = {"for", "while", "if", "switch", "return", "sizeof", "do", "else"}


@dataclass(frozen=True)
class Array:
    """One array parameter of the kernel, in the kernel's order (``source``: its name there, when the task's
    differs)."""

    name: str
    size: str                       # elements, over the shape and the header's constants (``input_dimension``)
    init: str = "uniform(0, 1)"
    type: str = "float"
    source: str = ""


@dataclass(frozen=True)
class Settings:
    """How one benchmark becomes a task: chosen by hand, checked by the script (see the module docstring)."""

    what: str                          # one phrase: what the kernel computes
    sizes: dict[str, str]              # the header's size macros -> int parameters, in the parameters' order
    arrays: tuple[Array, ...]
    layout: str                        # the description's sentences on the arrays
    visible: dict[str, int]
    hidden: tuple[dict[str, int], ...]
    timing: dict[str, int]             # about 5-50 ms per reference call at -O3 -march=native, one core
    rtol: float
    atol: float
    why: str                           # how the tolerance was chosen: a comment in the task.toml
    writes: tuple[str, ...] = ()       # the arrays it writes, where the script cannot see them (views)
    prologue: str = ""                 # lines put first in the kernel's body
    edits: tuple[tuple[str, str], ...] = ()  # exact replacements in the converted code, each must apply
    adapted: str = ""                  # what prologue and edits changed, for the reference's notice
    generator: str | None = None       # generator.py, for the arrays whose init is "generator"
    batch: str = ""                    # an int parameter: the kernel (a fixed size) runs on that many inputs


# Tolerances: |got - want| <= atol + rtol * |want|, want being the float reference.
SUM_POSITIVE = ("each output is a float sum of up to a few hundred positive products, whose rounding a reordering "
                "changes by up to ~1e-5 of its value: rtol 1e-3 leaves a wide margin")
SPARSE = ("each output is a float sum of up to a few dozen positive products (inputs in [0, 1)); a reordered sum "
          "differs by a few float ulps: rtol 1e-4, atol 1e-6")
FORCES = ("each force sums a few dozen Lennard-Jones terms of either sign between atoms at least 1.05 apart "
          "(each |term| below 1), which partly cancel: atol 1e-4 and rtol 1e-3, far above the few float ulps a "
          "reordering moves them")

KNN_GENERATOR = '''"""Inputs of machsuite-md-knn, written by scripts/import-machsuite.py after MachSuite's md/knn/generate.c:
n_atoms atoms at least 1.05 apart (MachSuite rejects atoms closer than 1.049) and, for each, the indices of its
max_neighbors nearest other atoms. The atoms sit at distinct sites of a cubic lattice of spacing 1.5, jittered,
in random order (so a neighbour's index says nothing of where it is)."""

import numpy as np

SPACING = 1.5
JITTER = 0.15  # at most this far from its site along each axis, in spacings: atoms stay >= 0.7 * 1.5 apart


def generate(shape, rng):
    n, m = shape["n_atoms"], shape["max_neighbors"]
    side = max(2, int(np.ceil(round(n ** (1 / 3), 9))))
    sites = rng.permutation(side**3)[:n]
    grid = np.stack(np.unravel_index(sites, (side,) * 3), axis=1)
    position = (grid + rng.uniform(-JITTER, JITTER, (n, 3))) * SPACING
    owner = np.full(side**3, -1)
    owner[sites] = np.arange(n)
    r = np.arange(-2, 3)
    offsets = np.stack(np.meshgrid(r, r, r, indexing="ij"), axis=-1).reshape(-1, 3)
    offsets = offsets[np.abs(offsets).sum(axis=1) > 0]
    offsets = offsets[np.argsort((offsets**2).sum(axis=1), kind="stable")]  # nearest sites first
    nl = np.zeros((n, m), dtype=np.int64)
    count = np.zeros(n, dtype=np.int64)
    for off in offsets:
        nb = grid + off
        inside = np.all((nb >= 0) & (nb < side), axis=1)
        j = np.full(n, -1)
        j[inside] = owner[np.ravel_multi_index(tuple(nb[inside].T), (side,) * 3)]
        take = np.nonzero((j >= 0) & (count < m))[0]
        nl[take, count[take]] = j[take]
        count[take] += 1
    for i in np.nonzero(count < m)[0]:  # fewer atoms within reach than max_neighbors (small shapes): any others
        nl[i, count[i]:] = (i + 1 + rng.integers(0, n - 1, m - count[i])) % n
    return {"position_x": position[:, 0], "position_y": position[:, 1], "position_z": position[:, 2],
            "NL": nl.reshape(-1)}
'''

GRID_GENERATOR = '''"""Inputs of machsuite-md-grid, written by scripts/import-machsuite.py after MachSuite's md/grid/generate.c:
block_side^3 blocks of edge 5 (MachSuite's 20 / 4) with 0 to min(density, 27) atoms inside each, at least 1.17
apart (MachSuite rejects atoms closer than 1.049): a block's atoms sit at distinct sites of a 3 x 3 x 3 lattice
of spacing 5/3, jittered. Unused slots are zero."""

import numpy as np

EDGE = 5.0
JITTER = 0.15  # at most this far from its site along each axis, in spacings


def generate(shape, rng):
    b, d = shape["block_side"], shape["density"]
    blocks, slots = b**3, min(d, 27)
    n_points = rng.integers(0, slots + 1, blocks)
    sites = np.argsort(rng.random((blocks, 27)), axis=1)[:, :slots]
    sub = np.stack(np.unravel_index(sites, (3, 3, 3)), axis=-1)
    origin = np.stack(np.unravel_index(np.arange(blocks), (b, b, b)), axis=-1)[:, None, :] * EDGE
    points = origin + (sub + 0.5 + rng.uniform(-JITTER, JITTER, sub.shape)) * (EDGE / 3)
    points[np.arange(slots)[None, :] >= n_points[:, None]] = 0.0
    position = np.zeros((blocks, d, 3))
    position[:, :slots] = points
    return {"n_points_flat": n_points.astype(np.int32), "position_flat": position.reshape(-1)}
'''

GRID_VIEWS = """/* MachSuite's arrays over the flat parameters: block (x, y, z) of the block_side^3 has n_points[x][y][z]
 * atoms, whose positions and forces are position[x][y][z][0 .. n) and force[x][y][z][0 .. n) */
const int32_t (*n_points)[block_side][block_side] = (const int32_t (*)[block_side][block_side])n_points_flat;
dvector_t (*force)[block_side][block_side][density] = (dvector_t (*)[block_side][block_side][density])force_flat;
const dvector_t (*position)[block_side][block_side][density] =
    (const dvector_t (*)[block_side][block_side][density])position_flat;
"""

KERNELS: dict[str, Settings] = {
    "gemm-ncubed": Settings(
        "matrix multiply prod = m1 * m2, the naive triple loop",
        {"row_size": "n", "col_size": "n"},
        (Array("m1", "n*n"), Array("m2", "n*n"), Array("prod", "n*n")),
        "m1, m2 and prod are n x n row-major matrices (row i, column j at [i * n + j]).",
        {"n": 24}, ({"n": 1}, {"n": 7}, {"n": 67}), {"n": 240}, 1e-3, 1e-4, SUM_POSITIVE),
    "gemm-blocked": Settings(
        "matrix multiply-accumulate prod += m1 * m2, blocked in 8 x 8 tiles",
        {"row_size": "n", "col_size": "n"},
        (Array("m1", "n*n"), Array("m2", "n*n"), Array("prod", "n*n")),
        "m1, m2 and prod are n x n row-major matrices (row i, column j at [i * n + j]); n is a multiple of 8.",
        {"n": 24}, ({"n": 8}, {"n": 16}, {"n": 72}), {"n": 480}, 1e-3, 1e-4, SUM_POSITIVE),
    "spmv-crs": Settings(
        "sparse matrix-vector product out = A * vec, A in compressed row storage",
        {"N": "n"},
        (Array("val", "n*k"), Array("cols", "n*k", "csr_colidx(rowDelimiters, n)", "int32_t"),
         Array("rowDelimiters", "n+1", "csr_rowptr(k)", "int32_t"), Array("vec", "n"), Array("out", "n")),
        "A is an n x n sparse matrix with n*k nonzeros in CSR form: row i's nonzeros are val[j] at column cols[j] "
        "for rowDelimiters[i] <= j < rowDelimiters[i+1]; rowDelimiters has n+1 entries, rowDelimiters[0] = 0 and "
        "rowDelimiters[n] = n*k, it is non-decreasing, and the columns of a row are distinct, sorted and in [0, n). "
        "Rows hold 0 to 2k nonzeros (k on average). vec and out have n elements.",
        {"n": 100, "k": 4}, ({"n": 2, "k": 1}, {"n": 37, "k": 3}, {"n": 1000, "k": 9}), {"n": 400000, "k": 16},
        1e-4, 1e-6, SPARSE),
    "spmv-ellpack": Settings(
        "sparse matrix-vector product-accumulate out += A * vec, A in ELLPACK form",
        {"N": "n", "L": "l"},
        (Array("nzval", "n*l"), Array("cols", "n*l", "randint(0, n-1)", "int32_t"), Array("vec", "n"),
         Array("out", "n")),
        "A is an n x n sparse matrix in ELLPACK form with l entries a row: row i's entries are nzval[i * l + j] at "
        "column cols[i * l + j], j < l (columns in [0, n), in any order, possibly repeated). vec and out have n "
        "elements.",
        {"n": 100, "l": 10}, ({"n": 1, "l": 1}, {"n": 13, "l": 3}, {"n": 1000, "l": 16}), {"n": 400000, "l": 16},
        1e-4, 1e-6, SPARSE),
    "md-knn": Settings(
        "molecular dynamics: the Lennard-Jones force on each atom from its nearest neighbours",
        {"nAtoms": "n_atoms", "maxNeighbors": "max_neighbors"},
        (Array("force_x", "n_atoms", "uniform(-1, 1)"), Array("force_y", "n_atoms", "uniform(-1, 1)"),
         Array("force_z", "n_atoms", "uniform(-1, 1)"), Array("position_x", "n_atoms", "generator"),
         Array("position_y", "n_atoms", "generator"), Array("position_z", "n_atoms", "generator"),
         Array("NL", "n_atoms*max_neighbors", "generator", "int32_t")),
        "Atom i is at (position_x[i], position_y[i], position_z[i]) and its force goes to force_x[i], force_y[i], "
        "force_z[i] (n_atoms elements each). NL[i * max_neighbors + j], j < max_neighbors, are the indices of atom "
        "i's max_neighbors nearest other atoms (never i; the atoms are at least 1.05 apart and the indices are in "
        "no spatial order).",
        {"n_atoms": 64, "max_neighbors": 16},
        ({"n_atoms": 2, "max_neighbors": 1}, {"n_atoms": 27, "max_neighbors": 8}, {"n_atoms": 500, "max_neighbors": 16}),
        {"n_atoms": 100000, "max_neighbors": 16}, 1e-3, 1e-4, FORCES, generator=KNN_GENERATOR),
    "md-grid": Settings(
        "molecular dynamics: Lennard-Jones forces between the atoms of neighbouring blocks of a 3-D grid",
        {"blockSide": "block_side", "densityFactor": "density"},
        (Array("n_points_flat", "block_side**3", "generator", "int32_t", source="n_points"),
         Array("force_flat", "block_side**3*density*3", "uniform(-1, 1)", source="force"),
         Array("position_flat", "block_side**3*density*3", "generator", source="position")),
        "Space is a grid of block_side^3 blocks of edge 5, block (x, y, z) at b = (x * block_side + y) * "
        "block_side + z. Block b holds n_points_flat[b] atoms (0 to density); atom p < n_points_flat[b] of it is at "
        "(position_flat[(b * density + p) * 3 + c], c = 0, 1, 2), inside the block, and its force is force_flat at "
        "the same place. Atoms are at least 1.05 apart. Slots p >= n_points_flat[b] are not atoms.",
        {"block_side": 3, "density": 6},
        ({"block_side": 1, "density": 1}, {"block_side": 2, "density": 4}, {"block_side": 5, "density": 10}),
        {"block_side": 16, "density": 10}, 1e-3, 1e-4, FORCES.replace("a few dozen", "up to a few hundred"),
        writes=("force_flat",), prologue=GRID_VIEWS,
        edits=(("    dvector_t *base_q = position", "    const dvector_t *base_q = position"),),
        adapted="n_points, force and position are views of the flat parameters n_points_flat, force_flat and "
                "position_flat, as MachSuite's arrays of blocks",
        generator=GRID_GENERATOR),
    "fft-strided": Settings(
        "a radix-2 in-place FFT butterfly network over strided pairs, with given twiddle factors",
        {"FFT_SIZE": "n"},
        (Array("real", "n", "uniform(-1, 1)"), Array("img", "n", "uniform(-1, 1)"),
         Array("real_twid", "n//2", "uniform(-1, 1)"), Array("img_twid", "n//2", "uniform(-1, 1)")),
        "real and img are the real and imaginary parts of n complex values (n a power of two, at most 2^16), "
        "transformed in place; real_twid and img_twid are n/2 twiddle factors, arbitrary inputs here (not "
        "necessarily roots of unity).",
        {"n": 64}, ({"n": 2}, {"n": 8}, {"n": 1024}), {"n": 65536}, 1e-3, 1e-3,
        "each output is a signed sum of up to n products of log2(n) inputs and twiddles in (-1, 1), which cancel: "
        "atol 1e-3 and rtol 1e-3, far above the float rounding a reordering changes"),
    "fft-transpose": Settings(
        "512-point complex FFTs of batch independent signals, as 8-point FFTs around transposes through a "
        "scratch array",
        {},
        (Array("work_x", "batch*512", "uniform(-1, 1)"), Array("work_y", "batch*512", "uniform(-1, 1)")),
        "work_x and work_y are the real and imaginary parts of batch signals of 512 complex values, signal s at "
        "[s * 512], each transformed in place (MachSuite's kernel transforms one signal: the importer adds the "
        "loop over the batch).",
        {"batch": 2}, ({"batch": 1}, {"batch": 3}, {"batch": 17}), {"batch": 2500}, 1e-3, 1e-3,
        "each output is a signed sum of 512 inputs in (-1, 1) times unit twiddles (about 13 in size), which "
        "cancel: atol 1e-3 and rtol 1e-3, far above the float rounding a reordering changes",
        batch="batch"),
    "backprop": Settings(
        "one epoch of stochastic gradient descent, sample by sample, on a 13-64-64-3 sigmoid network with softmax",
        {"training_sets": "training_sets"},
        (Array("weights1", "input_dimension*nodes_per_layer", "uniform(-0.5, 0.5)"),
         Array("weights2", "nodes_per_layer*nodes_per_layer", "uniform(-0.5, 0.5)"),
         Array("weights3", "nodes_per_layer*possible_outputs", "uniform(-0.5, 0.5)"),
         Array("biases1", "nodes_per_layer", "uniform(-0.5, 0.5)"),
         Array("biases2", "nodes_per_layer", "uniform(-0.5, 0.5)"),
         Array("biases3", "possible_outputs", "uniform(-0.5, 0.5)"),
         Array("training_data", "training_sets*input_dimension"),
         Array("training_targets", "training_sets*possible_outputs")),
        "The network has input_dimension = 13 inputs, two layers of nodes_per_layer = 64 nodes and "
        "possible_outputs = 3 outputs: weights1 is 13 x 64, weights2 64 x 64 and weights3 64 x 3, row-major "
        "(the reference reads them as it does); biases1, biases2 and biases3 have 64, 64 and 3 elements. "
        "training_data holds training_sets samples of 13 values and training_targets their 3 targets, sample s "
        "at [s * 13] and [s * 3].",
        {"training_sets": 8}, ({"training_sets": 1}, {"training_sets": 3}, {"training_sets": 40}),
        {"training_sets": 1000}, 1e-3, 1e-4,
        "the weights and biases are renormalised after every sample, so they stay below 1; a reordered float sum "
        "moves them by a few ulps per sample, which the next samples carry on: rtol 1e-3 and atol 1e-4"),
    "viterbi": Settings(
        "the Viterbi decoding of a hidden Markov model: the most likely state path for a token sequence",
        {"N_OBS": "n_obs", "N_STATES": "n_states", "N_TOKENS": "n_tokens"},
        (Array("obs", "n_obs", "randint(0, n_tokens-1)", "uint8_t"), Array("init", "n_states", "uniform(0, 4)"),
         Array("transition", "n_states*n_states", "uniform(0, 4)"),
         Array("emission", "n_states*n_tokens", "uniform(0, 4)"),
         Array("path", "n_obs", "randint(0, n_states-1)", "uint8_t")),
        "All probabilities are -log values. obs holds n_obs tokens in [0, n_tokens); init has n_states entries, "
        "transition is n_states x n_states (from state i to j at [i * n_states + j]) and emission n_states x "
        "n_tokens (token t in state s at [s * n_tokens + t]), row-major. path receives the n_obs states of the "
        "most likely path (an integer output: it must be equal). States are uint8_t: n_states is at most 255.",
        {"n_obs": 32, "n_states": 5, "n_tokens": 9},
        ({"n_obs": 1, "n_states": 1, "n_tokens": 1}, {"n_obs": 7, "n_states": 3, "n_tokens": 4},
         {"n_obs": 140, "n_states": 64, "n_tokens": 64}),
        {"n_obs": 1000, "n_states": 100, "n_tokens": 64}, 1e-3, 1e-4,
        "the output is integer (compared exactly); a path is a chain of minima of float sums, and the check "
        "requires the float path to equal a double-precision run's"),
}


# -- reading MachSuite ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Bench:
    """One benchmark of the checkout: ``md/knn``, its kernel file and its header."""

    path: str          # md/knn
    c_file: str        # md/knn/md.c
    code: str
    header: str

    @property
    def key(self) -> str:
        return task_key(self.path)


def task_key(folder: str) -> str:
    """``md/knn`` -> ``md-knn``, ``viterbi/viterbi`` -> ``viterbi``: the task is machsuite-<key>."""
    kernel, variant = folder.split("/")
    return kernel if kernel == variant else f"{kernel}-{variant}"


def benches(src: Source) -> list[Bench | tuple[str, str]]:
    """Every ``<kernel>/<variant>/`` with a kernel file and its header (or (key, why not))."""
    files = src.files()
    folders = sorted({p.rsplit("/", 1)[0] for p in files if p.count("/") == 2 and p.endswith(".c")})
    out: list[Bench | tuple[str, str]] = []
    for folder in folders:
        if folder.split("/")[0] in ("common", "templates"):
            continue
        key = task_key(folder)
        cs = [p for p in files if p.rsplit("/", 1)[0] == folder and p.endswith(".c")
              and p.rsplit("/", 1)[1] not in NOT_KERNELS and not p.endswith("_test.c")]
        if len(cs) != 1:
            out.append((key, f"expected one kernel file in {folder}/, found {', '.join(cs) or 'none'}"))
            continue
        h = cs[0][:-2] + ".h"
        if h not in files:
            out.append((key, f"no header {h}"))
            continue
        out.append(Bench(folder, cs[0], src.read(cs[0]), src.read(h)))
    return out


def header_defines(header: str) -> dict[str, str]:
    """The header's object-like macros (``#define NAME value``), in order, comments dropped."""
    out = {}
    for m in re.finditer(r"^\s*#\s*define\s+(\w+)(?!\()[ \t]+([^\n]*)$", COMMENT.sub("", header), re.M):
        out[m.group(1)] = m.group(2).strip()
    return out


def header_typedefs(header: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """({alias: type} of the simple typedefs, [(name, text)] of the struct typedefs) of the header."""
    plain = COMMENT.sub("", header)
    simple = {m.group(2): m.group(1) for m in re.finditer(r"^\s*typedef\s+(\w+)\s+(\w+)\s*;", plain, re.M)}
    structs = [(m.group(1), m.group(0)) for m in
               re.finditer(r"^typedef\s+struct\s*\w*\s*\{[^{}]*\}\s*(\w+)\s*;", plain, re.M)]
    return simple, structs


def floating(bench: Bench) -> str | None:
    """None when the benchmark computes in floating point, else why it is integer."""
    if re.search(r"\b(double|float)\b", COMMENT.sub("", bench.code + bench.header)):
        return None
    t = header_defines(bench.header).get("TYPE")
    return f"integer (TYPE is {t})" if t else "integer (no float or double in its source)"


# -- the transformation ---------------------------------------------------------------------------------------
FUNC = re.compile(r"^(?:static\s+)?[A-Za-z_][\w \t*]*?\b(\w+)\s*\(([^;{}]*)\)\s*\{", re.M)


@dataclass(frozen=True)
class Function:
    name: str
    start: int          # where its definition starts
    params: tuple[int, int]  # the span of its parameter list
    brace: int          # its body's {
    end: int            # just past its body's }

    def body(self, code: str) -> str:
        return code[self.brace + 1:self.end - 1]


def functions(code: str) -> dict[str, Function]:
    """The top-level function definitions of ``code`` (comments blanked), by name."""
    out = {}
    for m in FUNC.finditer(code):
        if m.group(1) in KEYWORDS:
            continue
        brace = m.end() - 1
        out[m.group(1)] = Function(m.group(1), m.start(), m.span(2), brace, matching(code, brace, "{", "}"))
    return out


def param_spans(text: str, start: int) -> list[tuple[str, int, int]]:
    """(name, start, end) of each parameter of a parameter list (``text`` starting at ``start``)."""
    out, k, depth = [], 0, 0
    for i, ch in enumerate(text + ","):
        depth += 1 if ch in "([" else -1 if ch in ")]" else 0
        if ch == "," and depth == 0:
            piece = re.sub(r"\[.*\]", "", text[k:i], flags=re.S)
            names = re.findall(r"\w+", piece)
            if names and names != ["void"]:
                out.append((names[-1], start + k, start + i))
            k = i + 1
    return out


def array_params(code: str, f: Function) -> list[str]:
    return [name for name, a, b in param_spans(code[f.params[0]:f.params[1]], f.params[0])
            if re.search(r"[\[*]", code[a:b])]


def writes(code: str, fns: dict[str, Function]) -> dict[str, set[str]]:
    """The array parameters each function writes: itself, or through a call that passes one (``p``, ``&p[i]``,
    ``p + i``) to a parameter the callee writes."""
    arrays = {n: array_params(code, f) for n, f in fns.items()}
    out = {n: set(written(f.body(code), arrays[n])) for n, f in fns.items()}
    changed = True
    while changed:
        changed = False
        for n, f in fns.items():
            body = f.body(code)
            for call in re.finditer(r"\b(\w+)\s*\(", body):
                callee = call.group(1)
                if callee not in fns:
                    continue
                params = [p for p, _, _ in param_spans(code[fns[callee].params[0]:fns[callee].params[1]], 0)]
                got = split_top(body[call.end():matching(body, call.end() - 1, "(", ")") - 1])
                for k, arg in enumerate(got):
                    m = re.match(r"&?\s*(\w+)", arg)
                    if (m and m.group(1) in arrays[n] and m.group(1) not in out[n] and k < len(params)
                            and params[k] in out[callee]):
                        out[n].add(m.group(1))
                        changed = True
    return out


def convert(code: str, sizes: dict[str, str], typedefs: dict[str, str]) -> str:
    """Code (no comments) in plain float C: TYPE, double and their typedefs float, float literals and libm
    calls, the size macros as their parameters."""
    for alias, real in typedefs.items():
        code = re.sub(rf"\b{alias}\b", real, code)
    code = re.sub(r"\b(TYPE|double)\b", "float", code)
    code = re.sub(rf"\b({'|'.join(LIBM)})\s*\(", r"\1f(", code)
    for macro, param in sizes.items():
        code = re.sub(rf"\b{macro}\b", param, code)
    return float_literals(code)


def drop_labels(code: str) -> str:
    """HLS loop labels dropped: ``    outer:for(`` -> ``    for(``; a label at the start of a line (MachSuite's
    bodies are indented past it there) becomes spaces, so the loop stays where it was."""
    def one(m: re.Match[str]) -> str:
        return m.group(1) if m.group(1) else " " * len(m.group(0))
    return re.sub(r"^([ \t]*)[A-Za-z_]\w*[ \t]*:[ \t]*(?=(for|while|do)\b)", one, code, flags=re.M)


@dataclass(frozen=True)
class Converted:
    reference: str
    check: Check
    writes: list[str]


def notice(bench: Bench, function: str, license_text: str, adapted: list[str]) -> str:
    kernel = bench.path.split("/")[0]
    sections = license_text.split("\n----\n")
    own = [s for s in sections if re.search(r"\(.*implementation\)", s.strip().split("\n")[0])
           and (bench.path in s.strip().split("\n")[0] or f"({kernel} implementation)" in s.strip().split("\n")[0])]
    base = [s for s in sections if s.strip().startswith("MachSuite (BSD-3) License")]
    section = (own or base or [license_text])[0]
    lines = [" ".join(ln.split()) for ln in section.splitlines() if ln.strip().startswith("Copyright")]
    if not lines:
        raise ValueError("LICENSE has no copyright line for this benchmark")
    kind = re.search(rf"^{re.escape(bench.path)}\s*\|\s*([^|]+?)\s*\|", license_text, re.M)
    head = [f"/* From MachSuite ({SOURCE_URL}, {bench.c_file}), {function}."]
    head += [f" * {ln}" for ln in lines]
    head += textwrap.wrap(f"{kind.group(1) if kind else 'BSD-3'} licence: its conditions, which a redistribution "
                          "must keep, are in LICENSE.txt beside this file (MachSuite's LICENSE, unchanged).", 108,
                          initial_indent=" * ", subsequent_indent=" * ")
    head += textwrap.wrap("Adapted by scripts/import-machsuite.py: " + "; ".join(adapted) + ".", 108,
                          initial_indent=" * ", subsequent_indent=" * ")
    return "\n".join(head) + " */\n"


def make(bench: Bench, st: Settings, license_text: str) -> Converted:
    """The task's reference and what the checks need; ValueError says why the benchmark makes no task."""
    defines = header_defines(bench.header)
    simple, structs = header_typedefs(bench.header)
    protos = re.findall(r"^\s*\w+\s+(\w+)\s*\([^;{]*\)\s*;", COMMENT.sub("", bench.header), re.M)
    if len(protos) != 1:
        raise ValueError(f"expected the header to declare one function, found {protos}")
    function = protos[0]
    code = "\n".join(ln for ln in bench.code.splitlines() if not re.match(r"\s*#\s*include\b", ln))
    code = tidy(in_code(drop_labels(code), lambda c: convert(c, st.sizes, simple)))
    for old, replacement in st.edits:
        if old not in code:
            raise ValueError(f"KERNELS' edit {old!r} does not apply")
        code = code.replace(old, replacement)
    plain = COMMENT.sub(lambda m: " " * len(m.group()), code)
    fns = functions(plain)
    if function not in fns:
        raise ValueError(f"the kernel file defines no function {function}")
    kern = fns[function]
    sources = [a.source or a.name for a in st.arrays]
    names = array_params(plain, kern)
    if names != sources:
        raise ValueError(f"the kernel's array parameters are {names}, KERNELS lists {sources}")
    w = writes(plain, fns)
    wrote = set(st.writes) or {a.name for a in st.arrays if (a.source or a.name) in w[function]}
    params = list(dict.fromkeys(st.sizes.values())) + ([st.batch] if st.batch else [])
    consts = {k: v for k, v in defines.items() if k not in st.sizes and re.fullmatch(r"[\w.+\-*/() ]+", v)}

    def size(e: str) -> str:
        for k, v in consts.items():
            e = re.sub(rf"\b{k}\b", v, e)
        return e

    args = [Arg(p, "int", value=p) for p in params]
    args += [Arg(a.name, a.type, array=True, size=size(a.size), init=a.init, written=a.name in wrote)
             for a in st.arrays]
    adapted: list[str] = []
    # the kernel: its new signature, a constant return dropped, the prologue
    head = plain[kern.start:kern.brace]
    body = code[kern.brace + 1:kern.end - 1]
    returns_value = not re.match(r"\s*(static\s+)?void\b", head)
    if returns_value:
        if re.findall(r"\breturn\b[^;]*;", body) != ["return 0;"]:
            raise ValueError("the kernel returns something other than a constant 0")
        body = re.sub(r"\n?[ \t]*return 0;[ \t]*", "", body).rstrip() + "\n"
        adapted.append("it returns void (MachSuite's returns 0)")
    if st.prologue:
        indent = re.search(r"\n([ \t]+)\S", body)
        body = "\n" + textwrap.indent(st.prologue, indent.group(1) if indent else "    ") + body
    if st.batch:  # the kernel is a helper, static like the others; the task's function loops over the batch
        one = re.sub(rf"\b{function}\s*\(", f"{function}_one(", code[kern.start:kern.brace], count=1)
        code = code[:kern.start] + one + code[kern.brace:]
        plain = COMMENT.sub(lambda m: " " * len(m.group()), code)
        fns = functions(plain)
        w[f"{function}_one"] = w[function]
        per = {a.name: eval_expr(size(a.size), {st.batch: 1}) for a in st.arrays}
        loop = (f"{prototype(function, args)}\n{{\n    for (int b = 0; b < {st.batch}; b++)\n        {function}_one("
                + ", ".join(f"{a.name} + {per[a.name]} * b" for a in st.arrays) + ");\n}\n")
        code = code.rstrip("\n") + "\n\n" + loop
        adapted.append(f"{function} of one signal is the static {function}_one, and the task's {function} "
                       f"applies it to {st.batch} signals")
        new: dict[int, tuple[int, str]] = {}
    else:
        new = {kern.start: (kern.end, prototype(function, args) + "\n{" + body + "}")}
    # helpers: static, and their unwritten array parameters const
    for name, f in fns.items():
        if name == function:
            continue
        text = code[f.start:f.end]
        for p, a, b in reversed(param_spans(plain[f.params[0]:f.params[1]], f.params[0] - f.start)):
            if p not in w[name] and re.search(r"[\[*]", text[a:b]) and "const" not in text[a:b]:
                pad = len(text[a:b]) - len(text[a:b].lstrip())
                text = text[:a + pad] + "const " + text[a + pad:]
        new[f.start] = (f.end, text if text.startswith("static") else "static " + text)
    out, k = [], 0
    for start in sorted(new):
        end, text = new[start]
        out += [code[k:start], text]
        k = end
    code = "".join(out) + code[k:]
    if len(fns) > 1:
        adapted.append("its helper functions are static, their array parameters const where they do not write them")
    # the header's constants and struct typedefs the code uses
    plain = COMMENT.sub(" ", code)
    used = set(re.findall(r"\b\w+\b", plain))
    own = set(re.findall(r"^\s*#\s*define\s+(\w+)", plain, re.M))
    keep: list[str] = []
    for name, value in reversed(list(defines.items())):
        if name in used and name not in st.sizes and name not in own and name != "TYPE":
            keep.insert(0, name)
            used |= set(re.findall(r"\b\w+\b", value))
    types = [text for name, text in structs if name in used]
    pre = []
    for n in keep:  # a fallback in the header (#ifndef M_SQRT1_2) stays one
        line = f"#define {n} {convert(defines[n], st.sizes, simple)}"
        guarded = re.search(rf"^\s*#\s*ifndef\s+{n}\s*\n\s*#\s*define\s+{n}\b", bench.header, re.M)
        pre.append(f"#ifndef {n}\n{line}\n#endif" if guarded else line)
    pre += [("\n" if i == 0 and pre else "") + re.sub(r"\bTYPE\b", "float", text) for i, text in enumerate(types)]
    libm = re.search(rf"\b({'|'.join(LIBM)})f\(", plain)
    includes = "#include <math.h>\n" if libm else ""
    includes += "#include <stdint.h>\n" if re.search(r"\b(u?int\d+_t)\b", plain + "".join(pre)) or any(
        a.type != "float" for a in st.arrays) else ""
    double = re.search(r"\bdouble\b", COMMENT.sub(" ", bench.code))
    lead = [f"TYPE ({defines.get('TYPE', 'double')}){' and double are' if double else ' is'} float"
            if "TYPE" in defines else "double is float", "real literals are float literals"]
    if libm:
        lead.append(f"libm calls are their float versions ({libm.group(1)}f)")
    if re.search(r"^[ \t]*[A-Za-z_]\w*[ \t]*:[ \t]*(for|while|do)\b", bench.code, re.M):
        lead.append("the HLS loop labels are dropped")
    if st.sizes:
        sized = ", ".join(m if m == p else f"{m} is {p}" for m, p in st.sizes.items())
        lead.append(f"the sizes are int parameters ({sized})")
    if keep or types:
        lead.append("the header's constants and types it uses are defined here")
    lead.append("the arrays are restrict parameters, const where it does not write them")
    adapted = lead + adapted + ([st.adapted] if st.adapted else [])
    if simple:
        pre_types = ", ".join(f"{a} is {t if t != 'TYPE' else 'float'}" for a, t in simple.items() if a in
                              set(re.findall(r"\b\w+\b", COMMENT.sub(" ", bench.code))))
        if pre_types:
            adapted.insert(1, f"the typedefs are spelled out ({pre_types})")
    ref = notice(bench, function, license_text, adapted) + includes + ("\n" if includes else "")
    ref += ("\n".join(pre) + "\n\n" if pre else "") + code.strip("\n") + "\n"
    c = Check(function, tuple(args), st.visible, st.hidden, st.timing, st.rtol, st.atol, st.generator)
    return Converted(ref, c, [a.name for a in args if a.written])


def describe(bench: Bench, st: Settings, writes: list[str]) -> str:
    return (f"MachSuite benchmark {bench.path} ({st.what}), in float (MachSuite computes in double). {st.layout} "
            f"Arrays the kernel writes ({', '.join(writes)}) hold their input values on entry; elements the kernel "
            "does not write must keep them. Single-threaded; keep the results within the tolerance.")


# -- main -----------------------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", nargs="?", help="a MachSuite checkout (a plain folder)")
    ap.add_argument("--git-dir", help="a clone of MachSuite (reads HEAD:...)")
    ap.add_argument("--out", default=str(ROOT / "tasks"), help="where the machsuite-* folders go")
    ap.add_argument("--only", help="comma-separated benchmarks (gemm-ncubed, viterbi): rewrite just their folders")
    args = ap.parse_args()
    if not args.git_dir and not args.source:
        ap.error("give a MachSuite checkout or --git-dir")
    src = Source(args.source, args.git_dir)
    found, license_text = benches(src), src.read("LICENSE")
    only = set(args.only.split(",")) if args.only else None
    out = Path(args.out)
    clear(out, "machsuite-", only)
    made = []
    for b in found:
        key = b[0] if isinstance(b, tuple) else b.key
        if only is not None and key not in only:
            continue
        if isinstance(b, tuple):
            print(f"skip {key}: {b[1]}", file=sys.stderr)
            continue
        why = floating(b)
        st = KERNELS.get(key)
        if why is None and st is None:
            why = "no settings in KERNELS (shapes, inputs, tolerance)"
        if why is not None or st is None:
            print(f"skip {key}: {why}", file=sys.stderr)
            continue
        try:
            conv = make(b, st, license_text)
        except ValueError as e:
            print(f"skip {key}: {e}", file=sys.stderr)
            continue
        bad, measured = check(conv.check, conv.reference)
        if bad:
            print(f"skip {key}: {bad}", file=sys.stderr)
            continue
        files = {"task.toml": task_toml(f"machsuite-{key}", describe(b, st, conv.writes), conv.check,
                                        ["machsuite", "held-out"], st.why),
                 "reference.c": conv.reference, "LICENSE.txt": license_text}
        if st.generator:
            files["generator.py"] = st.generator
        why = emit(out / f"machsuite-{key}", files)
        if why:
            print(f"skip {key}: {why}", file=sys.stderr)
            continue
        print(f"machsuite-{key}: {measured}")
        made.append(key)
    print(f"wrote {len(made)} tasks: {' '.join(made)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
