#!/usr/bin/env python3
"""Regenerate tasks/tsvc-*/ from TSVC-2's src/tsvc.c: a held-out suite of optimize tasks mapforge did not write.

    python scripts/import-tsvc.py PATH/TO/tsvc.c            # writes tasks/tsvc-<loop>/ (task.toml, reference.c)
    python scripts/import-tsvc.py --git-dir DIR             # reads HEAD:src/tsvc.c from a clone of UoB-HPC/TSVC_2

Source: https://github.com/UoB-HPC/TSVC_2 (the loops of Callahan, Dongarra and Levine's "Test Suite for
Vectorizing Compilers", ported to C by the Polaris group at UIUC; University of Illinois/NCSA Open Source
License, whose notice each generated reference.c carries). Only the generated tasks are committed.

Each loop whose timed region is a plain ``for (nl...) { <loop>; dummy(...); }`` over the 1-D arrays
a, b, c, d, e (and the loop's own locals) becomes a function ``void sNNN(float *a, const float *b, ..., int n)``
with LEN_1D replaced by ``n``. Arrays the loop writes are ``inout`` (a loop that writes some elements keeps
the others), arrays it only reads are ``const``. Reference and candidates are compiled at
``-O3 -march=native``: the baseline is the compiler's best, so a win is the agents', not gcc's -O2.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARRAYS = ("a", "b", "c", "d", "e")
KEYWORDS = {"for", "if", "else", "int", "real_t", "float", "LEN_1D", "while"}
FUNC = re.compile(r"^real_t (s\d+\w*)\(struct args_t \* func_args\)\n\{(.*?)\n\}\n", re.S | re.M)
TIMED = re.compile(r"gettimeofday\(&func_args->t1, NULL\);\s*(.*?)\s*gettimeofday\(&func_args->t2, NULL\);", re.S)
NL = re.compile(r"^for \(int nl = 0; nl < [^;]+; nl\+\+\) \{\n(.*)\n\s*dummy\([^;]*\);\s*\}$", re.S)
NOTICE = """/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop {name}.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and LEN_1D is n. */
"""


def loops(text: str) -> list[tuple[str, str, str]]:
    """(name, comment, loop body) for each importable loop."""
    out = []
    for name, body in FUNC.findall(text):
        m = TIMED.search(body)
        if not m:
            continue
        region = m.group(1).strip()
        nl = NL.match(region)
        if not nl:
            continue
        loop = textwrap.dedent(nl.group(1)).strip("\n")
        comment = " ".join(ln.strip("/ ").strip() for ln in body.splitlines() if ln.strip().startswith("//"))
        out.append((name, comment, loop))
    return out


def importable(loop: str) -> tuple[list[str], list[str]] | None:
    """(arrays read only, arrays written) when the loop uses nothing but a-e, its locals and literals."""
    idents = set(re.findall(r"[A-Za-z_]\w*", re.sub(r"\b\d+\.?\d*(e[+-]?\d+)?f?", " ", loop)))
    local = set(re.findall(r"\b(?:int|real_t)\s+(\w+)", loop))
    if idents - KEYWORDS - set(ARRAYS) - local:
        return None
    if re.search(r"\b(goto|return|break|exit)\b", loop) or "for" not in loop:
        return None
    used = [x for x in ARRAYS if re.search(rf"\b{x}\[", loop)]
    written = [x for x in used if re.search(rf"\b{x}\[[^=;]*\]\s*([-+*/]?=)(?!=)", loop)]
    if not written:
        return None
    return [x for x in used if x not in written], written


def divisors(loop: str) -> set[str]:
    return set(re.findall(r"/\s*\(?\s*([a-e])\[", loop))


def task_files(name: str, comment: str, loop: str, reads: list[str], writes: list[str]) -> tuple[str, str]:
    params = [f"{'' if x in writes else 'const '}float *restrict {x}" for x in ARRAYS if x in reads + writes]
    body = loop.replace("real_t", "float").replace("LEN_1D", "n")
    ref = NOTICE.format(name=name) + f"void {name}({', '.join(params)}, int n)\n{{\n"
    ref += textwrap.indent(body, "    ") + "\n}\n"
    desc = (f"TSVC-2 loop {name} ({comment or 'no comment'}), on float arrays of n elements. Arrays the loop "
            f"writes ({', '.join(writes)}) hold their input values on entry; elements the loop does not write "
            "must keep them. Single-threaded; keep the results within the tolerance.")
    args = []
    for x in ARRAYS:
        if x not in reads + writes:
            continue
        init = "uniform(1, 2)" if x in divisors(loop) else "uniform(-1, 1)"
        role = '\nrole = "inout"' if x in writes else ""
        args.append(f'[[args]]\nname = "{x}"\ntype = "{"float*" if x in writes else "const float*"}"\n'
                    f'size = "n"\ninit = "{init}"{role}\n')
    args.append('[[args]]\nname = "n"\ntype = "int"\nvalue = "n"\n')
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
visible = [{{ n = 1000 }}]
hidden = [{{ n = 1 }}, {{ n = 41 }}, {{ n = 4097 }}]
timing = {{ n = 1024000 }}
seeds = 2

[tolerance]
rtol = 1e-4
atol = 1e-5
'''
    return toml, ref


def compiles(ref: str) -> bool:
    r = subprocess.run(["gcc", "-O3", "-march=native", "-Wall", "-Werror=implicit", "-c", "-x", "c", "-",
                        "-o", "/dev/null"], input=ref, text=True, capture_output=True)
    return r.returncode == 0


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
    for name, comment, loop in loops(text):
        got = importable(loop)
        if got is None:
            continue
        toml, ref = task_files(name, comment, loop, *got)
        if not compiles(ref):
            print(f"skip {name}: does not compile as a function", file=sys.stderr)
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
