"""What the importers of held-out optimize suites share (scripts/import-polybench.py, import-machsuite.py and
import-lcals.py).

- :class:`Source` reads a benchmark suite's checkout: a plain folder, or HEAD of a git directory;
- C text helpers: :func:`matching`, :func:`split_top`, :func:`in_code` (code between comments),
  :func:`float_literals`, :func:`tidy`, :func:`written` (the arrays a piece of code assigns);
- :class:`Arg` and :class:`Check`: a converted kernel's parameters, shapes and tolerance as the checks see them;
  :func:`prototype` is its C declaration and :func:`args_toml`/:func:`task_toml` its task.toml;
- :func:`check` runs the checks every imported reference must pass before it becomes a task: it compiles at
  ``-O3 -march=native``; built with AddressSanitizer and UBSan it stays within its arrays and leaves finite
  results at every shape; its float results stay within a quarter of the tolerance of the same code run in
  double precision on the same inputs (integer outputs: equal), at every shape; and it is timed at the timing
  shape (single-threaded; run an importer under ``taskset -c 0`` for a steady number);
- :func:`clear` and :func:`emit` remove a suite's old folders and write (and load) a new one.

The checks fill float arrays with ``uniform(lo, hi)`` from their own generator (not the harness's): the inputs
have the task's distribution, not its exact values. Integer arrays may be ``randint(lo, hi)``, ``csr_rowptr(k)``
or ``csr_colidx(ROWPTR, cols)``, and any array ``generator``: the task's generator.py, run here in process.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from mapforge.tasks.expr import eval_expr, eval_number  # noqa: E402  (the spec's own expression rules)
from mapforge.tasks.loader import load_task  # noqa: E402

CFLAGS = ["-O3", "-march=native"]
MARGIN = 4  # the float reference must be within tolerance / MARGIN of the double-precision run
#: element types an imported array may have: C name -> (bytes, numpy dtype)
ELEMENTS = {"float": (4, "float32"), "int32_t": (4, "int32"), "int": (4, "int32"), "uint8_t": (1, "uint8")}
#: libm functions whose float versions (``sqrtf``) a float reference calls
LIBM = ("sqrt", "exp", "pow", "sin", "cos", "tan", "log", "fabs", "fmin", "fmax")


# -- reading a checkout ---------------------------------------------------------------------------------------
class Source:
    """A checkout: a plain folder, or HEAD of a git directory."""

    def __init__(self, folder: str | None = None, git_dir: str | None = None) -> None:
        self.folder, self.git_dir = (Path(folder) if folder else None), git_dir

    def files(self) -> list[str]:
        if self.git_dir:
            out = subprocess.run(["git", "--git-dir", self.git_dir, "ls-tree", "-r", "--name-only", "HEAD"],
                                 check=True, capture_output=True, text=True).stdout
            return sorted(out.split())
        assert self.folder
        return sorted(p.relative_to(self.folder).as_posix() for p in self.folder.rglob("*") if p.is_file())

    def read(self, path: str) -> str:
        if self.git_dir:
            return subprocess.run(["git", "--git-dir", self.git_dir, "show", f"HEAD:{path}"], check=True,
                                  capture_output=True, text=True).stdout
        assert self.folder
        return (self.folder / path).read_text(encoding="utf-8", errors="replace")


# -- C text ---------------------------------------------------------------------------------------------------
def matching(text: str, start: int, open_: str, close: str) -> int:
    """The index just past the ``close`` matching the ``open_`` at ``start``."""
    depth = 0
    for k in range(start, len(text)):
        if text[k] == open_:
            depth += 1
        elif text[k] == close:
            depth -= 1
            if depth == 0:
                return k + 1
    raise ValueError(f"unbalanced {open_} at {start}")


def split_top(text: str, sep: str = ",") -> list[str]:
    """``text`` split at each ``sep`` outside parentheses and brackets."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        depth += 1 if ch in "([" else -1 if ch in ")]" else 0
        if ch == sep and depth == 0:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur).strip())
    return [x for x in out if x]


COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)


def in_code(text: str, fn: Callable[[str], str]) -> str:
    """``fn`` applied to the code between comments; comments are kept as they are."""
    out, k = [], 0
    for m in COMMENT.finditer(text):
        out += [fn(text[k:m.start()]), m.group()]
        k = m.end()
    return "".join(out) + fn(text[k:])


def float_literals(code: str) -> str:
    """``SCALAR_VAL(x)`` and every real literal as a float literal: ``0.5f``, ``SCALAR_VAL(2)`` -> ``2.0f``."""
    code = re.sub(r"SCALAR_VAL\(\s*(-?\s*\d+)\s*\)", lambda m: m.group(1).replace(" ", "") + ".0", code)
    code = re.sub(r"SCALAR_VAL\(\s*([^()]*?)\s*\)", r"\1", code)
    return re.sub(r"(?<![\w.])(\d+\.\d*|\.\d+)([eE][+-]?\d+)?(?![\w.])", r"\1\2f", code)


def tidy(body: str) -> str:
    """Pragmas and trailing blanks dropped, tabs expanded, runs of blank lines as one, a line holding only a
    ``//`` comment indented like the code after it (PolyBench starts some at column 0), dedented."""
    lines = [ln.expandtabs(8).rstrip() for ln in body.splitlines()
             if not re.fullmatch(r"\s*#\s*pragma\s+(end)?scop\s*", ln)]
    indent = ""
    for k in reversed(range(len(lines))):
        if lines[k].lstrip().startswith("//"):
            lines[k] = indent + lines[k].lstrip()
        elif lines[k]:
            indent = lines[k][:len(lines[k]) - len(lines[k].lstrip())]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
    return textwrap.dedent(text)


def written(code: str, arrays: Sequence[str]) -> list[str]:
    """The arrays of ``arrays`` that ``code`` (no comments) assigns or increments: ``a[i] = ``, ``a[i][j] += ``,
    ``a[i].x = ``, ``++a[i]``, ``a[i]--``."""
    out = []
    for name in arrays:
        for m in re.finditer(rf"(\+\+|--)?\s*\b{re.escape(name)}\[", code):
            end = matching(code, m.end() - 1, "[", "]")
            while (more := re.match(r"\s*(?:\[|(?:\.|->)\s*\w+)", code[end:])):
                end += more.end()
                if more.group().endswith("["):
                    end = matching(code, end - 1, "[", "]")
            if m.group(1) or re.match(r"\s*([-+*/%&|^]|<<|>>)?=(?!=)|\s*(\+\+|--)", code[end:]):
                out.append(name)
                break
    return out


# -- a converted kernel, as the checks see it -----------------------------------------------------------------
@dataclass(frozen=True)
class Arg:
    """One parameter of a converted reference, in order."""

    name: str
    type: str              # a scalar's C type ("int", "float") or an array's element type ("float", "int32_t")
    array: bool = False
    size: str = ""         # arrays: how many elements, an expression over the shape
    init: str = ""         # arrays: task.toml's init (every array is an input: written ones are inout)
    value: str = ""        # scalars: task.toml's value, an expression over the shape
    written: bool = False  # arrays: the kernel writes it (inout), else it is const

    @property
    def decl(self) -> str:
        if not self.array:
            return f"{self.type} {self.name}"
        return f"{'' if self.written else 'const '}{self.type} *restrict {self.name}"

    @property
    def toml_type(self) -> str:
        return self.type if not self.array else f"{self.type}*" if self.written else f"const {self.type}*"

    @property
    def elem(self) -> int:
        return ELEMENTS[self.type][0]


def prototype(function: str, args: Sequence[Arg]) -> str:
    return f"void {function}({', '.join(a.decl for a in args)})"


@dataclass(frozen=True)
class Check:
    """What the checks need: the function, its parameters, the task's shapes and tolerance, and the task's
    generator (Python source defining ``generate(shape, rng)``) when an array's init is ``generator``."""

    function: str
    args: tuple[Arg, ...]
    visible: dict[str, int]
    hidden: tuple[dict[str, int], ...]
    timing: dict[str, int]
    rtol: float
    atol: float
    generator: str | None = None

    @property
    def arrays(self) -> list[Arg]:
        return [a for a in self.args if a.array]


# -- task.toml ------------------------------------------------------------------------------------------------
def shape_text(shape: dict[str, int]) -> str:
    return "{ " + ", ".join(f"{k} = {v}" for k, v in shape.items()) + " }"


def args_toml(args: Sequence[Arg]) -> list[str]:
    """One ``[[args]]`` table per parameter."""
    out = []
    for a in args:
        if not a.array:
            out.append(f'[[args]]\nname = "{a.name}"\ntype = "{a.type}"\nvalue = "{a.value}"\n')
        else:
            out.append(f'[[args]]\nname = "{a.name}"\ntype = "{a.toml_type}"\nsize = "{a.size}"\n'
                       f'init = "{a.init}"' + ('\nrole = "inout"' if a.written else "") + "\n")
    return out


def task_toml(name: str, description: str, c: Check, tags: Sequence[str], why: str) -> str:
    """The task.toml of an imported kernel; ``why`` (how the tolerance was chosen) is its tolerance's comment."""
    lines = textwrap.wrap(f"{why}. The importer checks that the float reference stays within a quarter of this "
                          "tolerance of a double-precision run of the same code, at every shape.", 108)
    generator = 'generator = "generator.py"\n' if c.generator else ""
    return f'''schema_version = 1
kind = "optimize"
name = "{name}"
language = "c"
description = """{description}"""
reference = "reference.c"
function = "{c.function}"
cflags = {'["' + '", "'.join(CFLAGS) + '"]'}
tags = [{", ".join(f'"{t}"' for t in tags)}]
{generator}
{chr(10).join(args_toml(c.args))}
[shapes]
visible = [{shape_text(c.visible)}]
hidden = [{", ".join(shape_text(s) for s in c.hidden)}]
timing = {shape_text(c.timing)}
seeds = 2

[tolerance]
{chr(10).join("# " + ln for ln in lines)}
rtol = {c.rtol:g}
atol = {c.atol:g}
'''


# -- checking the reference -----------------------------------------------------------------------------------
HARNESS = r"""
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static unsigned long long mf_state;
static float mf_uniform(float lo, float hi) {
    mf_state = mf_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (float)((mf_state >> 40) / 16777216.0);
}
static float *mf_array(size_t n, float lo, float hi) {
    float *p = malloc(sizeof(float) * n);  /* exactly n: AddressSanitizer sees a read past the end */
    for (size_t i = 0; i < n; i++) p[i] = mf_uniform(lo, hi);
    return p;
}
static double *mf_widen(const float *p, size_t n) {
    double *d = malloc(sizeof(double) * n);
    for (size_t i = 0; i < n; i++) d[i] = p[i];
    return d;
}
/* the largest |f - d| / (atol + rtol |d|) over n elements; -1 when f holds NaN or Inf */
static double mf_worst(const char *what, const float *f, const double *d, size_t n, double rtol, double atol) {
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(f[i])) { printf("%s[%zu] is %g\n", what, i, f[i]); return -1; }
        double r = fabs(f[i] - d[i]) / (atol + rtol * fabs(d[i]));
        if (r > worst) worst = r;
    }
    return worst;
}
static double mf_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}
"""

# only in the programs of kernels with integer or generated arrays (PolyBench's stay as they were)
HARNESS_MORE = r"""
#include <stdint.h>
static long long mf_randint(long long lo, long long hi) {  /* uniform in [lo, hi] */
    mf_state = mf_state * 6364136223846793005ULL + 1442695040888963407ULL;
    long long v = lo + (long long)((double)(mf_state >> 11) / 9007199254740992.0 * (double)(hi - lo + 1));
    return v > hi ? hi : v;
}
/* csr_rowptr(k): rows in pairs of lengths k + d and k - d (d uniform in [-k, k]), an odd last row k: exactly
 * rows * k nonzeros, 0 to 2k a row */
static void mf_rowptr(int32_t *p, size_t n, long long k) {
    long long acc = 0, d = 0, len;
    size_t rows = n ? n - 1 : 0;
    if (n) p[0] = 0;
    for (size_t r = 0; r < rows; r++) {
        if (r & 1) len = k - d;
        else if (r + 1 >= rows) len = k;
        else { d = mf_randint(-k, k); len = k + d; }
        acc += len;
        p[r + 1] = (int32_t)acc;
    }
}
/* csr_colidx(ROWPTR, cols): each row's columns distinct, sorted and in [0, cols), one per stratum */
static void mf_colidx(int32_t *c, const int32_t *rowptr, size_t rows, long long cols) {
    for (size_t r = 0; r < rows; r++) {
        long long len = rowptr[r + 1] - rowptr[r];
        for (long long t = 0; t < len; t++)
            c[rowptr[r] + t] = (int32_t)mf_randint(t * cols / len, (t + 1) * cols / len - 1);
    }
}
static void *mf_load(const char *path, size_t bytes) {  /* a generated array: exactly its bytes */
    void *p = malloc(bytes ? bytes : 1);
    FILE *f = fopen(path, "rb");
    if (!f || fread(p, 1, bytes, f) != bytes) { printf("cannot read %s\n", path); exit(1); }
    fclose(f);
    return p;
}
static void *mf_dup(const void *p, size_t bytes) {
    void *d = malloc(bytes ? bytes : 1);
    memcpy(d, p, bytes);
    return d;
}
"""


def double_version(ref: str, function: str) -> str:
    """The reference in double precision, as ``<function>_f64`` (the licence comment left out); its other
    functions, its typedefs and its macros are renamed ``<name>_f64`` too, so both fit in one program."""
    code = ref[ref.index("*/") + 2:]
    others = set(re.findall(r"^[A-Za-z_][\w \t*]*?\b(\w+)\s*\([^;{}]*\)\s*\{", code, re.M))
    others -= {function, "for", "while", "if", "switch", "return", "sizeof"}
    others |= set(re.findall(r"^\s*#\s*define\s+(\w+)", code, re.M))
    others |= set(re.findall(r"\btypedef\b(?:[^;{}]|\{[^{}]*\})*?\b(\w+)\s*;", code))
    code = re.sub(rf"\b{function}\(", f"{function}_f64(", code)
    for name in sorted(others):
        code = re.sub(rf"\b{name}\b", f"{name}_f64", code)
    code = re.sub(r"\bfloat\b", "double", code)
    code = re.sub(rf"\b({'|'.join(LIBM)})f\b", r"\1", code)
    return re.sub(r"(?<![\w.])(\d+\.\d*|\.\d+)([eE][+-]?\d+)?f\b", r"\1\2", code)


@dataclass(frozen=True)
class Case:
    shape: dict[str, int]
    seed: int

    @property
    def tag(self) -> str:
        return f"s{self.seed}_" + "_".join(str(v) for v in self.shape.values())


def cases(c: Check) -> list[Case]:
    return [Case(s, seed) for s in (c.visible, *c.hidden) for seed in (1, 2)] + [Case(c.timing, 3)]


def bounds(init: str, shape: dict[str, int]) -> tuple[float, float]:
    m = re.fullmatch(r"uniform\((.*),(.*)\)", init.strip())
    if not m:
        raise ValueError(f"init {init!r}: the importer only writes uniform(lo, hi)")
    return float(eval_number(m.group(1), shape)), float(eval_number(m.group(2), shape))


def allocate(a: Arg, size: int, case: Case, folder: Path) -> str:
    """The driver's line that allocates and fills array ``a``."""
    init = a.init.strip()
    if a.type == "float" and init.startswith("uniform("):
        lo, hi = bounds(init, case.shape)
        return f"            float *{a.name} = mf_array({size}, {lo!r}, {hi!r});"
    new = f"            {a.type} *{a.name} = malloc({a.elem * size} ? {a.elem * size} : 1);"
    if init == "generator":
        return (f'            {a.type} *{a.name} = mf_load("{folder / f"{case.tag}_{a.name}.bin"}", '
                f"{a.elem * size});")
    m = re.fullmatch(r"(\w+)\((.*)\)", init)
    params = split_top(m.group(2)) if m else []
    if a.type in ("int32_t", "int", "uint8_t") and m and m.group(1) == "randint" and len(params) == 2:
        lo, hi = (eval_expr(p, case.shape) for p in params)
        return new + f" for (size_t i = 0; i < {size}; i++) {a.name}[i] = ({a.type})mf_randint({lo}, {hi});"
    if a.type in ("int32_t", "int") and m and m.group(1) == "csr_rowptr" and len(params) == 1:
        return new + f" mf_rowptr((int32_t *){a.name}, {size}, {eval_expr(params[0], case.shape)});"
    if a.type in ("int32_t", "int") and m and m.group(1) == "csr_colidx" and len(params) == 2:
        return new + (f" mf_colidx((int32_t *){a.name}, (const int32_t *){params[0]}, "
                      f"{{ROWS_{params[0]}}}, {eval_expr(params[1], case.shape)});")
    raise ValueError(f"{a.name}: init {a.init!r} for {a.type} elements: the checks cannot fill it")


def driver(c: Check, mode: str, folder: Path) -> str:
    """``main`` for ``accuracy`` (float reference vs the double version, every case) or ``time`` (the
    reference alone at the timing shape, seven calls, fresh inputs each)."""
    fn = c.function
    written_float = [a.name for a in c.arrays if a.written and a.type == "float"]
    blocks = []
    for n, case in enumerate(cases(c) if mode == "accuracy" else [Case(c.timing, 3)]):
        sh = case.shape
        lines = [f"    {{ /* case {n}: {sh} */"]
        lines += [f"        int {a.name} = {eval_expr(a.value, sh)};" for a in c.args if not a.array and a.type == "int"]
        lines += [f"        {a.type} {a.name} = {float(eval_number(a.value, sh))!r};" for a in c.args
                  if not a.array and a.type != "int"]
        names = [a.name for a in c.args]
        arrays = [(a, eval_expr(a.size, sh)) for a in c.arrays]
        sizes = {a.name: size for a, size in arrays}
        reps = 1 if mode == "accuracy" else 7
        lines.append(f"        double mf_t[{reps}];")
        lines.append(f"        for (int mf_rep = 0; mf_rep < {reps}; mf_rep++) {{")
        lines.append(f"            mf_state = {case.seed}ULL * 1000003ULL + mf_rep;")
        # column indices after the row pointers they follow
        for a, size in sorted(arrays, key=lambda x: x[0].init.strip().startswith("csr_colidx")):
            line = allocate(a, size, case, folder)
            for ref, rows in sizes.items():
                line = line.replace(f"{{ROWS_{ref}}}", str(max(rows - 1, 0)))
            lines.append(line)
        if mode == "accuracy":
            for a, size in arrays:
                if a.type == "float":
                    lines.append(f"            double *{a.name}_d = mf_widen({a.name}, {size});")
                else:
                    lines.append(f"            {a.type} *{a.name}_d = mf_dup({a.name}, {a.elem * size});")
            dargs = [f"{x}_d" if x in sizes else x for x in names]
            lines.append(f"            {fn}({', '.join(names)});")
            lines.append(f"            {fn}_f64({', '.join(dargs)});")
            for a, size in arrays:
                if not a.written:
                    continue
                if a.type == "float":
                    lines.append(f'            double w_{a.name} = mf_worst("{a.name}", {a.name}, {a.name}_d, {size}, '
                                 f'{c.rtol!r}, {c.atol!r});')
                    lines.append(f'            if (w_{a.name} < 0) {{ printf("at {sh}\\n"); return 1; }}')
                    lines.append(f'            printf("worst %g {a.name} {sh}\\n", w_{a.name});')
                else:
                    lines.append(f"            size_t d_{a.name} = 0;")
                    lines.append(f"            for (size_t i = 0; i < {size}; i++) d_{a.name} += "
                                 f"{a.name}[i] != {a.name}_d[i];")
                    lines.append(f'            printf("differ %zu of {size} {a.name} {sh}\\n", d_{a.name});')
            lines += [f"            free({a.name}_d);" for a, _ in arrays]
            lines.append("            mf_t[mf_rep] = 0;")
        else:
            lines.append("            double mf_t0 = mf_now();")
            lines.append(f"            {fn}({', '.join(names)});")
            lines.append("            mf_t[mf_rep] = mf_now() - mf_t0;")
            if written_float:
                lines.append(f'            if (!isfinite({written_float[0]}[0])) return 1;')
        lines += [f"            free({a.name});" for a, _ in arrays]
        lines.append("        }")
        if mode == "time":
            lines.append(f'        for (int mf_r = 0; mf_r < {reps}; mf_r++) printf("seconds %.9f\\n", mf_t[mf_r]);')
        lines.append("    }")
        blocks.append("\n".join(lines))
    return "int main(void) {\n    setvbuf(stdout, NULL, _IONBF, 0);\n" + "\n".join(blocks) + "\n    return 0;\n}\n"


def generate_inputs(c: Check, folder: Path) -> None:
    """Run the task's generator for every case and write each generated array to ``<case tag>_<name>.bin``."""
    import numpy as np

    assert c.generator is not None
    ns: dict[str, object] = {}
    exec(compile(c.generator, "generator.py", "exec"), ns)
    generate = ns["generate"]
    assert callable(generate)
    for case in cases(c):
        got = generate(dict(case.shape), np.random.default_rng([case.seed, 0]))
        for a in c.arrays:
            if a.init.strip() != "generator":
                continue
            arr = np.ascontiguousarray(np.asarray(got[a.name]).reshape(-1))
            want = eval_expr(a.size, case.shape)
            if arr.size != want:
                raise ValueError(f"the generator returned {arr.size} elements for {a.name} at {case.shape}, "
                                 f"not {want}")
            (folder / f"{case.tag}_{a.name}.bin").write_bytes(arr.astype(ELEMENTS[a.type][1]).tobytes())


def gcc(args: list[str], source: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["gcc", *args], input=source, text=True, capture_output=True)


def check(c: Check, ref: str) -> tuple[str | None, str]:
    """(why the reference makes no task, or None; what was measured)."""
    r = gcc([*CFLAGS, "-Wall", "-Werror=implicit", "-Werror=discarded-qualifiers", "-Werror=incompatible-pointer-types",
             "-c", "-x", "c", "-", "-o", "/dev/null"], ref)
    if r.returncode:
        return f"does not compile as a function: {r.stderr.strip()[:300]}", ""
    fn = c.function
    more = HARNESS_MORE if any(a.type != "float" or a.init.strip() == "generator" for a in c.arrays) else ""
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        if c.generator:
            try:
                generate_inputs(c, d)
            except Exception as e:  # the generator's own error is the reason
                return f"the generator fails: {type(e).__name__}: {e}", ""
        (d / "ref.c").write_text(ref)
        (d / "f64.c").write_text(HARNESS + more + double_version(ref, fn))
        (d / "acc.c").write_text(HARNESS + more + ref + double_version(ref, fn) + driver(c, "accuracy", d))
        # 1. AddressSanitizer and UBSan at every shape, the float and double versions side by side
        r = gcc(["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all", str(d / "acc.c"),
                 "-o", str(d / "asan"), "-lm"])
        if r.returncode:
            return f"the check does not build: {r.stderr.strip()[:300]}", ""
        r = subprocess.run([str(d / "asan")], text=True, capture_output=True, timeout=600,
                           env={**os.environ, "ASAN_OPTIONS": "detect_leaks=0"})
        if r.returncode:
            err = re.search(r"ERROR: AddressSanitizer: ([\w-]+)|runtime error: ([^\n]+)", r.stderr)
            if err and err.group(1):
                return f"the reference goes past an array's end (AddressSanitizer: {err.group(1)})", ""
            if err:
                return f"the reference has undefined behaviour: {err.group(2)}", ""
            return f"non-finite results: {' '.join(r.stdout.strip().splitlines()[-2:])}", ""
        # 2. accuracy with the reference built as the task builds it (-O3 -march=native: FMA contraction)
        cmds = [[*CFLAGS, "-c", str(d / "ref.c"), "-o", str(d / "ref.o")],
                ["-O2", "-c", str(d / "f64.c"), "-o", str(d / "f64.o")]]
        proto = prototype(fn, c.args) + ";\n"
        proto64 = re.sub(r"\bfloat\b", "double", proto).replace(f"{fn}(", f"{fn}_f64(")
        main_acc = HARNESS + more + proto + proto64 + driver(c, "accuracy", d)
        main_time = HARNESS + more + proto + driver(c, "time", d)
        (d / "main_acc.c").write_text(main_acc)
        (d / "main_time.c").write_text(main_time)
        cmds += [["-O2", str(d / "main_acc.c"), str(d / "ref.o"), str(d / "f64.o"), "-o", str(d / "acc"), "-lm"],
                 ["-O2", str(d / "main_time.c"), str(d / "ref.o"), "-o", str(d / "time"), "-lm"]]
        for cmd in cmds:
            r = gcc(cmd)
            if r.returncode:
                return f"the check does not build: {r.stderr.strip()[:300]}", ""
        r = subprocess.run([str(d / "acc")], text=True, capture_output=True, timeout=600)
        if r.returncode:
            return f"non-finite results at -O3: {' '.join(r.stdout.strip().splitlines()[-2:])}", ""
        differ = [ln.split(None, 4) for ln in r.stdout.splitlines() if ln.startswith("differ")]
        bad = [x for x in differ if x[1] != "0"]
        if bad:
            _, k, _, total, rest = bad[0]
            return (f"numerically fragile: its integer output differs from a double-precision run's in {k} of "
                    f"{total} elements of {rest}"), ""
        worst = max([(float(ln.split()[1]), ln.split(None, 2)[2]) for ln in r.stdout.splitlines()
                     if ln.startswith("worst")], default=(0.0, ""))
        if worst[0] > 1 / MARGIN:
            return (f"numerically fragile: the float reference and a double-precision run of it differ by "
                    f"{worst[0]:.3g} x the tolerance (rtol {c.rtol:g}, atol {c.atol:g}) in {worst[1]}"), ""
        r = subprocess.run([str(d / "time")], text=True, capture_output=True, timeout=600)
        if r.returncode:
            return "the timing run failed", ""
        secs = [float(ln.split()[1]) for ln in r.stdout.splitlines() if ln.startswith("seconds")]
        ms = statistics.median(secs[1:]) * 1e3
    mb = sum(eval_expr(a.size, c.timing) * a.elem for a in c.arrays) / 2**20
    return None, (f"{ms:.1f} ms per call at {shape_text(c.timing)} ({mb:.0f} MB), float vs double "
                  f"{worst[0]:.2g} of the tolerance")


# -- writing task folders -------------------------------------------------------------------------------------
def clear(out: Path, prefix: str, only: set[str] | None) -> None:
    """Remove the folders ``<prefix>*`` under ``out`` (those of ``only`` when given: the names after the prefix)."""
    for old in out.glob(f"{prefix}*"):
        if only is None or old.name.removeprefix(prefix) in only:
            shutil.rmtree(old)


def emit(folder: Path, files: dict[str, str]) -> str | None:
    """Write a task folder and load it with the project's loader: None, or why the spec is invalid (the folder
    is removed then: a bug in the importer)."""
    folder.mkdir(parents=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    try:
        load_task(folder)
    except Exception as e:  # the spec's own validation
        shutil.rmtree(folder)
        return f"the generated task.toml is invalid: {e}"
    return None
