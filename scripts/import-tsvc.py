#!/usr/bin/env python3
"""Regenerate tasks/tsvc-*/ from TSVC-2's src/tsvc.c: a held-out suite of optimize tasks mapforge did not write.

    python scripts/import-tsvc.py PATH/TO/tsvc.c            # writes tasks/tsvc-<loop>/ (task.toml, reference.c)
    python scripts/import-tsvc.py --git-dir DIR             # reads HEAD:src/tsvc.c from a clone of UoB-HPC/TSVC_2

Source: https://github.com/UoB-HPC/TSVC_2 (the loops of Callahan, Dongarra and Levine's "Test Suite for
Vectorizing Compilers", ported to C by the Polaris group at UIUC; University of Illinois/NCSA Open Source
License, whose notice each generated reference.c carries). Only the generated tasks are committed.

Each loop whose timed region is a plain ``for (nl...) { <loop>; dummy(...); }`` over the 1-D arrays
a, b, c, d, e (and the loop's own locals) becomes a function ``void sNNN(float *a, const float *b, ..., int n)``
with LEN_1D replaced by ``n``. A loop over the 2-D arrays aa, bb, cc (LEN_2D x LEN_2D) becomes one over n x n
row-major matrices: ``aa[i][j]`` is written ``aa[i * n + j]``, LEN_2D is ``n``, and its 1-D arrays hold n
elements. Arrays the loop writes are ``inout`` (a loop that writes some elements keeps
the others), arrays it only reads are ``const``. Reference and candidates are compiled at
``-O3 -march=native``: the baseline is the compiler's best, so a win is the agents', not gcc's -O2.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARRAYS = ("a", "b", "c", "d", "e", "aa", "bb", "cc")
MATRICES = ("aa", "bb", "cc")  # LEN_2D x LEN_2D in TSVC; n x n row-major here
KEYWORDS = {"for", "if", "else", "int", "real_t", "float", "LEN_1D", "LEN_2D", "while"}
FUNC = re.compile(r"^real_t (s\d+\w*)\(struct args_t \* func_args\)\n\{(.*?)\n\}\n", re.S | re.M)
TIMED = re.compile(r"gettimeofday\(&func_args->t1, NULL\);\s*(.*?)\s*gettimeofday\(&func_args->t2, NULL\);", re.S)
DECLS = r"((?:(?:int|real_t) [\w, ]+;\s*)*)"
NL = re.compile(DECLS + r"for \(int nl = 0; nl < [^;]+; nl\+\+\) \{\n(.*)\n\s*dummy\((?:[^,;]+, ){8}([\w.]+)\);\s*\}$", re.S)
DECL = re.compile(r"\b(int|real_t) ([\w, ]+);")
NOTICE = """/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop {name}.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and {adapted}. */
"""


@dataclass(frozen=True)
class Loop:
    name: str
    comment: str
    code: str                  # the timed loop, with the locals TSVC declares before it
    result: str | None = None  # the local a reduction hands to dummy(): the function writes it to out[0]

    @property
    def locals(self) -> set[str]:
        return {v.strip() for _, names in DECL.findall(self.code) for v in names.split(",")}

    @property
    def two_d(self) -> bool:
        return "LEN_2D" in self.code


def loops(text: str) -> list[Loop]:
    """Each loop whose timed region is ``[locals;] for (nl...) { ...; dummy(..., x); }``."""
    out = []
    for name, body in FUNC.findall(text):
        m = TIMED.search(body)
        if not m:
            continue
        nl = NL.match(m.group(1).strip())
        if not nl:
            continue
        decls, inner, last = nl.groups()
        code = "\n".join(ln.strip() for ln in decls.strip().splitlines() if ln.strip())
        code = (code + "\n" if code else "") + textwrap.dedent(inner).strip("\n")
        comment = " ".join(ln.strip("/ ").strip() for ln in body.splitlines() if ln.strip().startswith("//"))
        loop = Loop(name, comment, code)
        if re.fullmatch(r"[A-Za-z_]\w*", last):
            loop = Loop(name, comment, code, result=last)
        out.append(loop)
    return out


def importable(loop: Loop) -> tuple[list[str], list[str]] | None:
    """(arrays read only, arrays written) when the loop uses nothing but a-e, its locals and literals, and
    leaves a result: an array it writes, or the scalar a reduction hands to dummy()."""
    code = loop.code
    idents = set(re.findall(r"[A-Za-z_]\w*", re.sub(r"\b\d+\.?\d*(e[+-]?\d+)?f?", " ", code)))
    local = loop.locals | set(re.findall(r"\b(?:int|real_t)\s+(\w+)", code))
    if idents - KEYWORDS - set(ARRAYS) - local:
        return None
    if re.search(r"\b(goto|return|break|exit)\b", code) or "for" not in code:
        return None
    if loop.result is not None and loop.result not in loop.locals:
        return None
    if loop.two_d and "LEN_1D" in code:  # one n cannot be both lengths
        return None
    if loop.two_d and not re.search(r"for \([^)]*\)\s*\{[^}]*\bfor \(", code):
        return None  # one loop over a row or the diagonal: too little work to time at n = 1024
    if not loop.two_d and any(re.search(rf"\b{x}\[", code) for x in MATRICES):
        return None
    used = [x for x in ARRAYS if re.search(rf"\b{x}\[", code)]
    written = [x for x in used if re.search(rf"\b{x}\[[^=;]*\]\s*([-+*/]?=)(?!=)", code)]
    if not used or not (written or loop.result):
        return None
    return [x for x in used if x not in written], written


def length(x: str) -> str:
    """Array x's element count, as an expression in n."""
    return "n * n" if x in MATRICES else "n"


def divisors(loop: str) -> set[str]:
    return set(re.findall(r"/\s*\(?\s*([a-e]|aa|bb|cc)\[", loop))


def bracketed(code: str, start: int) -> int:
    """The index just past the ``]`` that closes the ``[`` at ``start``."""
    depth = 0
    for k in range(start, len(code)):
        depth += {"[": 1, "]": -1}.get(code[k], 0)
        if depth == 0:
            return k + 1
    raise ValueError(f"unbalanced [ at {start}")


def flatten(code: str) -> str:
    """``aa[E1][E2]`` as ``aa[E1 * n + E2]`` (E1 in parentheses when it is not a name or a number)."""
    out, k = [], 0
    for m in re.finditer(rf"\b(?:{'|'.join(MATRICES)})\[", code):
        if m.start() < k:
            continue
        row_end = bracketed(code, m.end() - 1)
        if row_end >= len(code) or code[row_end] != "[":
            raise ValueError(f"{m.group()} with one subscript")
        col_end = bracketed(code, row_end)
        row, col = code[m.end():row_end - 1].strip(), code[row_end + 1:col_end - 1].strip()
        while re.fullmatch(r"\(([^()]*)\)", row):  # TSVC writes aa[(0)][0]
            row = row[1:-1].strip()
        if not re.fullmatch(r"\w+", row):
            row = f"({row})"
        out.append(code[k:m.end()] + f"{row} * n + {col}]")
        k = col_end
    return "".join(out) + code[k:]


def compares(loop: str) -> bool:
    """Whether the loop compares values (a max, a search, a conditional sum), outside its for-headers."""
    return bool(re.search(r"[<>]", re.sub(r"for \([^)]*\)", "", loop)))


def bounds(loop: Loop, x: str) -> tuple[int, int]:
    """The interval array x is drawn from. A reduction's float sum, reordered, differs from the reference's
    in-order sum by up to a few 1e-5 of its value at the timing size when its terms have one sign (by ~1e-3
    when they cancel): a reduction draws from [1, 2] unless it compares values (a max, a conditional sum),
    where signs matter and nothing cancels. A divisor draws from [1, 2] too."""
    if x in divisors(loop.code) or (loop.result is not None and not compares(loop.code)):
        return 1, 2
    return -1, 1


# The timing size is about a million elements per array either way: 4 MB, past the L2 cache.
SHAPES_1D = """visible = [{ n = 1000 }]
hidden = [{ n = 1 }, { n = 41 }, { n = 4097 }]
timing = { n = 1024000 }"""
SHAPES_2D = """visible = [{ n = 64 }]
hidden = [{ n = 1 }, { n = 7 }, { n = 100 }]
timing = { n = 1024 }"""


def task_files(loop: Loop, reads: list[str], writes: list[str]) -> tuple[str, str]:
    name = loop.name
    params = [f"{'' if x in writes else 'const '}float *restrict {x}" for x in ARRAYS if x in reads + writes]
    body = flatten(loop.code).replace("real_t", "float").replace("LEN_1D", "n").replace("LEN_2D", "n")
    if loop.result:
        params.append("int n, float *restrict out")
        body += f"\nout[0] = {loop.result};"
    else:
        params.append("int n")
    adapted = "LEN_2D is n, aa[i][j] is aa[i * n + j]" if loop.two_d else "LEN_1D is n"
    ref = NOTICE.format(name=name, adapted=adapted) + f"void {name}({', '.join(params)})\n{{\n"
    ref += textwrap.indent(body, "    ") + "\n}\n"
    matrices = [x for x in MATRICES if x in reads + writes]
    desc = f"TSVC-2 loop {name} ({loop.comment or 'no comment'}), on float arrays of n elements. "
    if matrices:
        desc += (f"{', '.join(matrices)} {'is an' if len(matrices) == 1 else 'are'} n x n row-major "
                 f"{'matrix' if len(matrices) == 1 else 'matrices'} (row i, column j at [i * n + j]). ")
    if writes:
        desc += (f"Arrays the loop writes ({', '.join(writes)}) hold their input values on entry; elements the "
                 "loop does not write must keep them. ")
    if loop.result:
        desc += f"out[0] receives the value the loop leaves in {loop.result}. "
    desc += "Single-threaded; keep the results within the tolerance."
    args = []
    for x in ARRAYS:
        if x not in reads + writes:
            continue
        init = "uniform({}, {})".format(*bounds(loop, x))
        role = '\nrole = "inout"' if x in writes else ""
        args.append(f'[[args]]\nname = "{x}"\ntype = "{"float*" if x in writes else "const float*"}"\n'
                    f'size = "{length(x).replace(" ", "")}"\ninit = "{init}"{role}\n')
    args.append('[[args]]\nname = "n"\ntype = "int"\nvalue = "n"\n')
    if loop.result:
        args.append('[[args]]\nname = "out"\ntype = "float*"\nsize = "1"\n')
    # rtol 2e-4 for a reduction: 5x the largest reordering error measured at the timing size (see above).
    rtol = "2e-4" if loop.result else "1e-4"
    toml = f'''schema_version = 1
kind = "optimize"
name = "tsvc-{name}"
language = "c"
description = """{desc}"""
reference = "reference.c"
function = "{name}"
cflags = ["-O3", "-march=native"]
tags = ["tsvc", "held-out"]

{chr(10).join(args)}
[shapes]
{SHAPES_2D if loop.two_d else SHAPES_1D}
seeds = 2

[tolerance]
rtol = {rtol}
atol = 1e-5
'''
    return toml, ref


def compiles(ref: str) -> bool:
    r = subprocess.run(["gcc", "-O3", "-march=native", "-Wall", "-Werror=implicit", "-c", "-x", "c", "-",
                        "-o", "/dev/null"], input=ref, text=True, capture_output=True)
    return r.returncode == 0


SIZES = (1, 41, 1000, 4097, 1024000)  # every n SHAPES_1D names
SIZES_2D = (1, 7, 64, 100, 1024)  # every n SHAPES_2D names
CHECK = """
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
static unsigned long long mf_state = 12;
static float mf_uniform(float lo, float hi) {
    mf_state = mf_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return lo + (hi - lo) * (float)((mf_state >> 40) / 16777216.0);
}
static float *mf_array(int n, float lo, float hi) {
    float *p = malloc(sizeof(float) * (size_t)n);  /* exactly n: AddressSanitizer sees a read past the end */
    for (int i = 0; i < n; i++) p[i] = mf_uniform(lo, hi);
    return p;
}
static int mf_finite(const char *what, const float *p, int n) {
    for (int i = 0; i < n; i++)
        if (!isfinite(p[i])) { printf("%s[%d] is %g\\n", what, i, p[i]); return 0; }
    return 1;
}
int main(void) {
    static const int sizes[] = {SIZES};
    for (unsigned s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        int n = sizes[s], ok = 1;
ARRAYS        CALL;
CHECKS        if (!ok) { printf("at n = %d\\n", n); return 1; }
    }
    return 0;
}
"""


def runs_clean(ref: str, loop: Loop, reads: list[str], writes: list[str]) -> str | None:
    """None when the reference, at every size the task names and on its inputs, stays within its arrays
    (AddressSanitizer) and leaves finite results; else what went wrong. A loop that reads past n (an unrolled
    loop whose trip count assumes n % 5 == 0) or whose product overflows makes no task."""
    used = [x for x in ARRAYS if x in reads + writes]
    decl = "".join(f"        float *{x} = mf_array({length(x)}, "
                   f"{', '.join(map(str, bounds(loop, x)))});\n" for x in used)
    args = [*used, "n"]
    checks = "".join(f'        ok = ok && mf_finite("{x}", {x}, {length(x)});\n'
                     for x in writes)
    if loop.result:
        decl += "        float *out = mf_array(1, 0, 0);\n"
        args.append("out")
        checks += '        ok = ok && mf_finite("out", out, 1);\n'
    checks += "".join(f"        free({x});\n" for x in args if x != "n")
    sizes = SIZES_2D if loop.two_d else SIZES
    main = (CHECK.replace("SIZES", ", ".join(map(str, sizes))).replace("ARRAYS", decl)
            .replace("CALL", f"{loop.name}({', '.join(args)})").replace("CHECKS", checks))
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "check"
        r = subprocess.run(["gcc", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
                            "-x", "c", "-", "-o", str(exe), "-lm"], input=ref + main, text=True,
                           capture_output=True)
        if r.returncode:
            return f"the check does not build: {r.stderr.strip()[:300]}"
        r = subprocess.run([str(exe)], text=True, capture_output=True, timeout=120)
    if r.returncode:
        err = re.search(r"ERROR: AddressSanitizer: ([\w-]+)|runtime error: ([^\n]+)", r.stderr)
        if err and err.group(1):
            return f"the reference goes past an array's end at some size (AddressSanitizer: {err.group(1)})"
        if err:
            return f"the reference has undefined behaviour: {err.group(2)}"
        return r.stdout.strip().replace("\n", " ")
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", nargs="?", help="path to TSVC-2's src/tsvc.c")
    ap.add_argument("--git-dir", help="a clone of UoB-HPC/TSVC_2 (reads HEAD:src/tsvc.c)")
    ap.add_argument("--out", default=str(ROOT / "tasks"), help="where the tsvc-* folders go")
    args = ap.parse_args()
    if args.git_dir:
        text = subprocess.run(["git", "--git-dir", args.git_dir, "show", "HEAD:src/tsvc.c"], check=True,
                              capture_output=True, text=True).stdout
    elif args.source:
        text = Path(args.source).read_text()
    else:
        ap.error("give the path of tsvc.c or --git-dir")
    out = Path(args.out)
    for old in out.glob("tsvc-*"):
        shutil.rmtree(old)
    made = []
    for loop in loops(text):
        name = loop.name
        got = importable(loop)
        if got is None:
            continue
        toml, ref = task_files(loop, *got)
        if not compiles(ref):
            print(f"skip {name}: does not compile as a function", file=sys.stderr)
            continue
        bad = runs_clean(ref, loop, *got)
        if bad:
            print(f"skip {name}: {bad}", file=sys.stderr)
            continue
        d = out / f"tsvc-{name}"
        d.mkdir(parents=True)
        (d / "task.toml").write_text(toml)
        (d / "reference.c").write_text(ref)
        made.append(name)
    print(f"wrote {len(made)} tasks: {' '.join(made)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
