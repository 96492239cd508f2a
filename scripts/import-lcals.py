#!/usr/bin/env python3
"""Regenerate tasks/lcals-*/ from LCALS: a held-out suite of optimize tasks mapforge did not write.

    python scripts/import-lcals.py PATH/TO/llvm-test-suite                 # a checkout (a plain folder)
    python scripts/import-lcals.py --git-dir DIR                           # reads HEAD:... from a clone
    python scripts/import-lcals.py --git-dir DIR --only hydro-1d,eos       # rewrite just these tasks

Source: https://github.com/llvm/llvm-test-suite, MicroBenchmarks/LCALS (LCALS, the Livermore Compiler Analysis
Loop Suite, version 1.0, by Rich Hornung, LLNL, LLNL-CODE-638939; its README-LCALS_license.txt must go with any
redistribution of it or of its derivatives: each task folder carries it, unchanged, as LICENSE.txt). Only the
generated tasks are committed.

The "Raw" loops of subsets A, B and C (``SubsetARawLoops/RawSubsetAbenchmarks.cxx``, ...) are read in the
suite's order; each ``static void BM_<NAME>_RAW(benchmark::State& state)`` whose loop converts becomes the task
``lcals-<name>`` (``_`` written ``-``, lower case) with the function ``void <name>(...)``:

- the ``Real_ptr x = loop_data.array_1D_Real[k]`` (or ``array_1D_Nx4_Real``) arrays are flat float ``restrict``
  parameters (``const`` when the loop writes them nowhere), the ``Real_type s = loop_data.scalar_Real[k]``
  scalars float parameters, and the loop length ``state.range(0)`` the int parameter ``n``, first;
- the body is what the benchmark repeats (``for (auto _ : state) { ... }``), after the benchmark's own local
  declarations; Real_type is float (LCALS is built in double here), Index_type int, real literals are float
  literals and libm calls (``sqrt``) their float versions; an integer constant (``const Index_type m = 16;``)
  is an enum constant, as C needs for an initialised array of that size; locals the loop never uses are dropped.

A benchmark is skipped, with the reason, where the conversion does not apply: LCALS's mesh domains (ADomain),
complex numbers, 2-D/3-D arrays of row pointers, integer index arrays, a scalar result with no array output
(``benchmark::DoNotOptimize``), statements outside the repeated loop other than declarations, or no entry in
KERNELS below (the shapes, inputs, scalar values, tolerance and description, set by hand). At most MAX_TASKS
tasks are written, the first that convert in the suite's order. Arrays the loop writes are ``inout`` (they hold
input values on entry, as in the other imported suites). Before writing a task the script runs
scripts/importing.py's checks on its reference: it compiles at ``-O3 -march=native``; built with
AddressSanitizer and UBSan it stays within its arrays and leaves finite results at every shape; its float
results stay within a quarter of the tolerance of the same code run in double precision on the same inputs, at
every shape; and it is timed at the timing shape (single-threaded; run the script under ``taskset -c 0`` for a
steady number).
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from dataclasses import dataclass, field
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
    float_literals,
    in_code,
    matching,
    prototype,
    task_toml,
    tidy,
    written,
)

SOURCE_URL = "https://github.com/llvm/llvm-test-suite"
BASE = "MicroBenchmarks/LCALS"
SUBSETS = ("A", "B", "C")
LICENSE = f"{BASE}/README-LCALS_license.txt"
MAX_TASKS = 14


@dataclass(frozen=True)
class Settings:
    """How one loop becomes a task: chosen by hand, checked by the script (see the module docstring)."""

    what: str                          # one phrase: what the loop computes
    sizes: dict[str, str]              # each array's element count, over n (arrays not named: n)
    visible: dict[str, int]
    hidden: tuple[dict[str, int], ...]
    timing: dict[str, int]             # about 5-50 ms per reference call at -O3 -march=native, one core
    rtol: float
    atol: float
    why: str                           # how the tolerance was chosen: a comment in the task.toml
    scalars: dict[str, str] = field(default_factory=dict)   # each scalar parameter's value
    init: str = "uniform(0, 1)"        # every array's initialiser unless inits names it
    inits: dict[str, str] = field(default_factory=dict)
    layout: str = ""                   # more of the description: what the sizes and inputs are

    def size(self, array: str) -> str:
        return self.sizes.get(array, "n")

    def bounds(self, array: str) -> str:
        return self.inits.get(array, self.init)


# Tolerances: |got - want| <= atol + rtol * |want|, want being the float reference.
ELEMENTWISE = ("each output is a few float operations on inputs of size about 1, which a reordering changes by a "
               "few ulps: rtol 1e-5 with atol 1e-6")
SHORT = ("each output is a float expression of a few dozen terms of size about 1, some of either sign, which "
         "a reordering changes by a few ulps of the largest: rtol 1e-4 with atol 1e-5")
LONG_SUM = ("each output is a float sum of up to ~1e6 terms of either sign, whose rounding a reordering changes "
            "by about sqrt(terms) ulps: rtol 1e-3 with atol 1e-3")
RECURRENCE = ("each output comes from a contracting recurrence over the earlier ones, which keeps the rounding of "
              "a reordering near a few ulps: rtol 1e-4 with atol 1e-5")

KERNELS: dict[str, Settings] = {
    "pressure-calc": Settings(
        "the pressure of a hydrodynamics update: bvc from compression, then p_new = bvc * e_old, cut to 0 "
        "below p_cut or where vnewc >= eosvmax, and clamped below at pmin",
        {}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 8_000_000}, 1e-5, 1e-6, ELEMENTWISE,
        scalars={"cls": "0.5", "p_cut": "1e-7", "pmin": "-0.5", "eosvmax": "0.9"},
        inits={"compression": "uniform(-1, 1)", "e_old": "uniform(-1, 1)"}),
    "energy-calc": Settings(
        "the energy and artificial-viscosity update of a hydrodynamics step (LULESH's CalcEnergyForElems)",
        {}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 1_000_000}, 1e-4, 1e-5, SHORT,
        scalars={"rho0": "1.5", "e_cut": "1e-7", "emin": "-2", "q_cut": "1e-7"},
        inits={"delvc": "uniform(-1, 1)"}),
    "fir": Settings(
        "a 16-tap FIR filter: out[i] = sum over j < 16 of coeff[j] * in[i + j], for i < n - 16",
        {}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 10_000_000}, 1e-4, 1e-5, SHORT,
        init="uniform(-1, 1)", layout="out and in have n elements; out's last 16 are not written."),
    "init3": Settings(
        "out1 = out2 = out3 = -in1 - in2, elementwise",
        {}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 8_000_000}, 1e-5, 1e-6, ELEMENTWISE,
        init="uniform(-1, 1)"),
    "muladdsub": Settings(
        "out1 = in1 * in2, out2 = in1 + in2, out3 = in1 - in2, elementwise",
        {}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 8_000_000}, 1e-5, 1e-6, ELEMENTWISE,
        init="uniform(-1, 1)"),
    "if-quad": Settings(
        "the real roots x1, x2 of a x^2 + b x + c, elementwise (0 where there are none)",
        {}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 4_000_000}, 1e-4, 1e-5, SHORT,
        inits={"a": "uniform(0.5, 1.5)", "b": "uniform(-2, 2)", "c": "uniform(-1, 1)"}),
    "hydro-1d": Settings(
        "Livermore loop 1, a hydro fragment: x[k] = q + y[k] * (r * z[k+10] + t * z[k+11])",
        {"z": "n+11"}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 12_000_000}, 1e-5, 1e-6, ELEMENTWISE,
        scalars={"q": "0.5", "r": "0.25", "t": "0.75"}, layout="x and y have n elements, z n + 11."),
    "iccg": Settings(
        "Livermore loop 2, an excerpt of an incomplete Cholesky conjugate gradient: levels of halving length, "
        "each writing x past the previous level from x and v",
        {"x": "2*n", "v": "2*n"}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 8_000_000}, 1e-4, 1e-5,
        RECURRENCE, init="uniform(-0.5, 0.5)", layout="x and v have 2n elements."),
    "band-lin-eq": Settings(
        "Livermore loop 4, banded linear equations: three rows of x updated by long dot products with every "
        "fifth element of y",
        {"x": "n//5+1001"}, {"n": 171}, ({"n": 5}, {"n": 17}, {"n": 5001}), {"n": 8_000_000}, 1e-3, 1e-3,
        LONG_SUM, init="uniform(-1, 1)", layout="y has n elements (n >= 5), x n/5 + 1001."),
    "tridiag-elim": Settings(
        "Livermore loop 5, tri-diagonal elimination below the diagonal: x[i] = z[i] * (y[i] - x[i-1])",
        {}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 4_000_000}, 1e-4, 1e-5, RECURRENCE),
    "eos": Settings(
        "Livermore loop 7, an equation-of-state fragment: x[k] from u[k .. k+6], z[k] and y[k]",
        {"u": "n+7"}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 10_000_000}, 1e-5, 1e-6, ELEMENTWISE,
        scalars={"q": "0.5", "r": "0.25", "t": "0.75"}, layout="x, y and z have n elements, u n + 7."),
    "first-sum": Settings(
        "Livermore loop 11, first sum: the running sum x[k] = x[k-1] + y[k], x[0] = y[0]",
        {}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 8_000_000}, 1e-3, 1e-3, LONG_SUM,
        init="uniform(-1, 1)"),
    "first-diff": Settings(
        "Livermore loop 12, first difference: x[k] = y[k+1] - y[k]",
        {"y": "n+1"}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 16_000_000}, 1e-5, 1e-6, ELEMENTWISE,
        layout="x has n elements, y n + 1."),
    "gen-lin-recur": Settings(
        "Livermore loop 19, a general linear recurrence run forward and then backward over b5",
        {}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 2_000_000}, 1e-4, 1e-5, RECURRENCE,
        scalars={"stb5": "0.5"}),
    "disc-ord": Settings(
        "Livermore loop 20, discrete ordinates transport: a recurrence through xx with a clamped ratio dn",
        {"xx": "n+1"}, {"n": 171}, ({"n": 1}, {"n": 17}, {"n": 5001}), {"n": 2_000_000}, 1e-4, 1e-5, RECURRENCE,
        scalars={"s": "0.1", "t": "0.9", "dk": "0.5"}, layout="xx has n + 1 elements, the others n."),
}


# -- reading LCALS --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Loop:
    """One raw benchmark: its LCALS name (``HYDRO_1D``), subset, file and function text."""

    name: str
    subset: str
    path: str
    text: str

    @property
    def key(self) -> str:
        return self.name.lower().replace("_", "-")

    @property
    def function(self) -> str:
        return self.name.lower()


def loops(src: Source) -> list[Loop]:
    """The raw benchmarks of subsets A, B and C, in the suite's order."""
    out = []
    files = set(src.files())
    for s in SUBSETS:
        path = f"{BASE}/Subset{s}RawLoops/RawSubset{s}benchmarks.cxx"
        if path not in files:
            continue
        text = src.read(path)
        for m in re.finditer(r"^static\s+void\s+BM_(\w+?)_RAW\s*\(\s*benchmark::State\s*&\s*state\s*\)\s*\{",
                             text, re.M):
            end = matching(text, m.end() - 1, "{", "}")
            out.append(Loop(m.group(1), s, path, text[m.start():end]))
    return out


ARRAY = re.compile(r"^\s*Real_ptr\s+(\w+)\s*=\s*loop_data\.array_1D(?:_Nx4)?_Real\s*\[\s*\d+\s*\]\s*;\s*$")
SCALAR = re.compile(r"^\s*(?:const\s+)?Real_type\s+(\w+)\s*=\s*loop_data\.scalar_Real\s*\[\s*\d+\s*\]\s*;\s*$")
SETUP = re.compile(r"^\s*(LoopData\s*&\s*loop_data\s*=\s*getLoopData\(\)|loopInit\(\w+\))\s*;\s*$")
DECL = re.compile(r"^\s*(?:const\s+)?(?:Real_type|Index_type)\s+[^;=]*?(\w+)\s*(\[[^\]]*\])?\s*(=[^;]*)?;\s*$", re.S)
UNSUPPORTED = (
    (r"\bADomain\b", "uses LCALS's mesh domain (ADomain) and its index sets, which the importer does not model"),
    (r"\bComplex_(?:ptr|type)\b", "complex arithmetic (std::complex), not plain float"),
    (r"\bReal_ptr\s*\*", "arrays of row pointers (LoopData's 2-D and 3-D arrays), not flat arrays"),
    (r"\bIndex_type\s*\*", "integer index arrays (LoopData's array_1D_Indx)"),
    (r"\bDoNotOptimize\b", "its result is a scalar kept by benchmark::DoNotOptimize: no array output"),
)


@dataclass(frozen=True)
class Parts:
    arrays: list[str]
    scalars: list[str]
    locals: list[str]      # the benchmark's own declarations before the repeated loop, in order
    body: str              # what the benchmark repeats


def statements(text: str) -> list[str]:
    """``text`` split after each top-level ``;`` (braces of an initialiser kept whole)."""
    out, cur, depth = [], [], 0
    for ch in text:
        cur.append(ch)
        depth += 1 if ch in "({[" else -1 if ch in ")}]" else 0
        if ch == ";" and depth == 0:
            out.append("".join(cur).strip())
            cur = []
    if "".join(cur).strip():
        out.append("".join(cur).strip())
    return out


def parts(loop: Loop) -> Parts:
    """The loop's arrays, scalars, local declarations and repeated body; ValueError says why it does not
    convert."""
    code = COMMENT.sub(lambda m: " " * len(m.group()), loop.text)
    inner = code[code.index("{") + 1:code.rindex("}")]
    for pattern, why in UNSUPPORTED:
        if re.search(pattern, inner):
            raise ValueError(why)
    m = re.search(r"for\s*\(\s*auto\s+_\s*:\s*state\s*\)\s*\{", inner)
    if not m:
        raise ValueError("no repeated loop (for (auto _ : state))")
    end = matching(inner, m.end() - 1, "{", "}")
    if inner[end:].strip():
        raise ValueError(f"statements after the repeated loop: {' '.join(inner[end:].split())[:80]}")
    arrays, scalars, decls = [], [], []
    for st in statements(inner[:m.start()]):
        if (a := ARRAY.match(st)):
            arrays.append(a.group(1))
        elif (s := SCALAR.match(st)):
            scalars.append(s.group(1))
        elif SETUP.match(st):
            continue
        elif DECL.match(st):
            decls.append(st)
        else:
            raise ValueError(f"statements outside the repeated loop: {' '.join(st.split())[:80]}")
    base = code.index("{") + 1  # inner's offset in the text (comments blanked in place)
    body = loop.text[base + m.end():base + end - 1]
    if not written(COMMENT.sub(" ", body), arrays):
        raise ValueError("it writes no array")
    return Parts(arrays, scalars, decls, body)


def declared(decl: str) -> list[str]:
    """The names a declaration (``Index_type ii, ipnt;``, ``Real_type c[4] = {...};``) declares."""
    head = re.sub(r"=\s*\{.*\}", "", decl, flags=re.S)
    head = re.sub(r"^\s*(const\s+)?(Real_type|Index_type)\s+", "", head).rstrip(";")
    return [m.group(1) for p in head.split(",") if (m := re.match(r"\s*(\w+)", p))]


def convert(code: str) -> str:
    """Code (no comments) in plain float C."""
    code = re.sub(r"\bstate\.range\(\s*0\s*\)", "n", code)
    code = re.sub(r"^(\s*)const\s+Index_type\s+(\w+)\s*=\s*(\d+)\s*;", r"\1enum { \2 = \3 };", code, flags=re.M)
    code = re.sub(r"\bReal_type\b", "float", code)
    code = re.sub(r"\bIndex_type\b", "int", code)
    code = re.sub(rf"\b({'|'.join(LIBM)})\s*\(", r"\1f(", code)
    return re.sub(r"(?<![\w.])(\d+[eE][+-]?\d+)(?![\w.])", r"\1f", float_literals(code))  # and 1e-3


# -- the task -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Converted:
    reference: str
    check: Check
    writes: list[str]


def notice(loop: Loop) -> str:
    head = [f"/* From LCALS ({SOURCE_URL}, {loop.path}), {loop.name}, raw variant.",
            " * LCALS: Livermore Compiler Analysis Loop Suite, version 1.0, by Rich Hornung, LLNL (LLNL-CODE-638939).",
            " * Copyright is reserved to Lawrence Livermore National Security, LLC; its README-LCALS_license.txt, which",
            " * must go with any redistribution, is LICENSE.txt beside this file."]
    head += textwrap.wrap("Adapted by scripts/import-lcals.py: the loop the benchmark repeats is a function of the "
                          "length n, its arrays (restrict, const where it does not write them) and its scalars; "
                          "Real_type is float, Index_type int, real literals are float literals and libm calls "
                          "their float versions.", 108, initial_indent=" * ", subsequent_indent=" * ")
    return "\n".join(head) + " */\n"


def make(loop: Loop, st: Settings) -> Converted:
    """The task's reference and what the checks need; ValueError says why the loop makes no task."""
    p = parts(loop)
    missing = sorted(set(p.scalars) - set(st.scalars))
    if missing:
        raise ValueError(f"KERNELS gives no value for the scalars {missing}")
    body = tidy(in_code(p.body, convert))
    plain = COMMENT.sub(" ", body)
    used = set(re.findall(r"\b\w+\b", plain))
    locals_ = []
    for decl in p.locals:
        if set(declared(decl)) & used:
            locals_.append(convert(" ".join(decl.split())))
            used |= set(re.findall(r"\b\w+\b", decl))
    wrote = set(written(plain, p.arrays))
    args = [Arg("n", "int", value="n")]
    args += [Arg(a, "float", array=True, size=st.size(a), init=st.bounds(a), written=a in wrote) for a in p.arrays]
    args += [Arg(s, "float", value=st.scalars[s]) for s in p.scalars]
    code = "\n".join(locals_) + ("\n\n" if locals_ else "") + body
    libm = re.search(rf"\b({'|'.join(LIBM)})f\(", code)
    ref = notice(loop) + ("#include <math.h>\n\n" if libm else "")
    ref += prototype(loop.function, args) + "\n{\n" + textwrap.indent(code, "    ") + "\n}\n"
    c = Check(loop.function, tuple(args), st.visible, st.hidden, st.timing, st.rtol, st.atol)
    return Converted(ref, c, [a.name for a in args if a.written])


def describe(loop: Loop, st: Settings, c: Converted) -> str:
    arrays = [a.name for a in c.check.arrays]
    sizes = st.layout or f"{', '.join(arrays[:-1]) + ' and ' + arrays[-1] if len(arrays) > 1 else arrays[0]} " \
        f"{'have' if len(arrays) > 1 else 'has'} n elements."
    scalars = [f"{a.name} = {a.value}" for a in c.check.args if not a.array and a.name != "n"]
    given = f" Scalars: {', '.join(scalars)}." if scalars else ""
    return (f"LCALS loop {loop.name} (subset {loop.subset}: {st.what}), in float (LCALS computes in double). "
            f"{sizes}{given} Arrays the kernel writes ({', '.join(c.writes)}) hold their input values on entry; "
            "elements the kernel does not write must keep them. Single-threaded; keep the results within the "
            "tolerance.")


# -- main -----------------------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", nargs="?", help="an llvm-test-suite checkout (a plain folder)")
    ap.add_argument("--git-dir", help="a clone of llvm-test-suite (reads HEAD:...)")
    ap.add_argument("--out", default=str(ROOT / "tasks"), help="where the lcals-* folders go")
    ap.add_argument("--only", help="comma-separated loops (hydro-1d, eos): rewrite just their folders")
    args = ap.parse_args()
    if not args.git_dir and not args.source:
        ap.error("give an llvm-test-suite checkout or --git-dir")
    src = Source(args.source, args.git_dir)
    found, license_text = loops(src), src.read(LICENSE)
    only = set(args.only.split(",")) if args.only else None
    out = Path(args.out)
    clear(out, "lcals-", only)
    made: list[str] = []
    taken = 0
    for loop in found:
        if taken >= MAX_TASKS:
            print(f"skip {loop.key}: past the first {MAX_TASKS} loops that convert", file=sys.stderr)
            continue
        st = KERNELS.get(loop.key)
        try:
            parts(loop)
            if st is None:
                raise ValueError("no settings in KERNELS (shapes, inputs, tolerance)")
            conv = make(loop, st)
        except ValueError as e:
            if only is None or loop.key in only:
                print(f"skip {loop.key}: {e}", file=sys.stderr)
            continue
        bad, measured = check(conv.check, conv.reference)
        if bad:
            if only is None or loop.key in only:
                print(f"skip {loop.key}: {bad}", file=sys.stderr)
            continue
        taken += 1
        if only is not None and loop.key not in only:
            continue
        files = {"task.toml": task_toml(f"lcals-{loop.key}", describe(loop, st, conv), conv.check,
                                        ["lcals", "held-out"], st.why),
                 "reference.c": conv.reference, "LICENSE.txt": license_text}
        why = emit(out / f"lcals-{loop.key}", files)
        if why:
            print(f"skip {loop.key}: {why}", file=sys.stderr)
            continue
        print(f"lcals-{loop.key}: {measured}")
        made.append(loop.key)
    print(f"wrote {len(made)} tasks: {' '.join(made)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
