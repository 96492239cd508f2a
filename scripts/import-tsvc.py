#!/usr/bin/env python3
"""Regenerate tasks/tsvc-*/ from TSVC-2's src/tsvc.c: a held-out suite of optimize tasks mapforge did not write.

    python scripts/import-tsvc.py PATH/TO/tsvc.c            # writes tasks/tsvc-<loop>/ (task.toml, reference.c)
    python scripts/import-tsvc.py --git-dir DIR             # reads HEAD:src/tsvc.c and src/common.c of a clone

Source: https://github.com/UoB-HPC/TSVC_2 (the loops of Callahan, Dongarra and Levine's "Test Suite for
Vectorizing Compilers", ported to C by the Polaris group at UIUC; University of Illinois/NCSA Open Source
License, whose notice each generated reference.c carries). Only the generated tasks are committed.

Each loop whose timed region is a plain ``for (nl...) { <loop>; dummy(...); }`` over the 1-D arrays
a, b, c, d, e (and the loop's own locals) becomes a function ``void sNNN(float *a, const float *b, ..., int n)``
with LEN_1D replaced by ``n``. A loop over the 2-D arrays aa, bb, cc (LEN_2D x LEN_2D) becomes one over n x n
row-major matrices: ``aa[i][j]`` is written ``aa[i * n + j]``, LEN_2D is ``n``, and its 1-D arrays hold n
elements; flat_2d_array (LEN_2D * LEN_2D floats, indexed flat) holds n * n. Arrays the loop writes are
``inout`` (a loop that writes some elements keeps the others), arrays it only reads are ``const``. Locals the
function declares before the clock starts come along; ABS (TSVC's fabsf) and libm's float functions may be
called, nothing else. The control loops (va ... vbor) are read as the sNNN ones are. A 2-D loop over one row
or the diagonal is too little work to time, nested loops over LEN_1D far too much: both are skipped. Reference
and candidates are compiled at ``-O3 -march=native``: the baseline is the compiler's best, so a win is the
agents', not gcc's -O2.

What main() hands a loop through ``func_args->arg_info`` becomes parameters after the arrays: a scalar
(``int`` or ``float``, with the value main() passes: its globals n1, n3, LEN_1D/2, ... and s1, s2, which
common.c's init() sets) is an ``[[args]]`` entry with that fixed ``value``; the index array ``ip`` is
``const int *restrict ip`` of n elements, ``init = "permutation()"``: common.c's init() fills it with a
permutation of 0..LEN_1D-1 (checked here by running that fill), so the task's holds one of 0..n-1, as its
description says. A loop that reads its argument through a pointer of another type (an int read from
main()'s float s1) or that points into the arrays before the clock starts is skipped. A loop that hands
dummy() a constant but returns a local (a sum) writes that local to out[0], as a reduction does.

Every reference is built with AddressSanitizer and run at every size its task names, with those scalar
values and an index array filled as the task fills it: one that leaves its arrays or leaves a non-finite
result makes no task. Every loop skipped is named on stderr with the reason.
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
FLAT = "flat_2d_array"  # TSVC's LEN_2D * LEN_2D floats, indexed flat: n * n here
ARRAYS = ("a", "b", "c", "d", "e", "aa", "bb", "cc", FLAT)
MATRICES = ("aa", "bb", "cc")  # LEN_2D x LEN_2D in TSVC; n x n row-major here
KEYWORDS = {"for", "if", "else", "int", "real_t", "float", "LEN_1D", "LEN_2D", "while"}
MATH = ("ABS", "fabsf", "sqrtf", "sinf", "cosf", "expf", "logf")
"""Functions a loop may call: ABS (TSVC's macro for fabsf, written fabsf) and libm's, which candidates may
call too."""
FUNC = re.compile(r"^real_t ((?:s\d+|v)\w*)\(struct args_t \* func_args\)\s*\{(.*?)\n\}\n", re.S | re.M)
TIMED = re.compile(r"gettimeofday\(&func_args->t1, NULL\);\s*(.*?)\s*gettimeofday\(&func_args->t2, NULL\);", re.S)
DECLS = r"((?:(?:int|real_t) [\w, ]+(?: = [^;]+)?;\s*)*)"
NL = re.compile(DECLS + r"for \(int nl = 0; nl < [^;]+; nl\+\+\) \{\n(.*)\n\s*dummy\((?:[^,;]+, ){8}([\w.]+)\);\s*\}$", re.S)
DECL = re.compile(r"\b(int|real_t) ([\w, ]+);")
RETURNS = re.compile(r"gettimeofday\(&func_args->t2, NULL\);\s*return (\w+);")
NOTICE = """/* From TSVC-2 (https://github.com/UoB-HPC/TSVC_2, src/tsvc.c), loop {name}.
 * Copyright (c) 2011 University of Illinois at Urbana-Champaign. All rights reserved.
 * Developed by: Polaris Research Group, University of Illinois at Urbana-Champaign.
 * University of Illinois/NCSA Open Source License; see the repository's license.txt.
 * Adapted by scripts/import-tsvc.py: the arrays are parameters and {adapted}. */
"""


@dataclass(frozen=True)
class Param:
    """A value main() hands the loop through func_args->arg_info, made a parameter of the task's function:
    a scalar with the value main() passes, or an index array (TSVC's ip, a permutation)."""

    name: str        # the loop's local that holds it
    type: str        # "int", "float", or "const int*" (an index array)
    value: str = ""  # a scalar's value: main()'s, a C expression in LEN_1D or LEN_2D

    @property
    def index(self) -> bool:
        return self.type == "const int*"

    @property
    def c_decl(self) -> str:
        return f"const int *restrict {self.name}" if self.index else f"{self.type} {self.name}"

    def c_value(self) -> str:
        """The value in the function's terms: LEN_1D and LEN_2D are n."""
        return self.value.replace("LEN_1D", "n").replace("LEN_2D", "n")

    def toml_value(self) -> str:
        """The value as a task.toml expression, whose ``/`` is a real division: an int's is ``//``."""
        return self.c_value().replace("/", "//") if self.type == "int" else self.c_value()


@dataclass(frozen=True)
class Loop:
    name: str
    comment: str
    code: str                  # the timed loop, with the locals TSVC declares before it
    result: str | None = None  # the local a reduction hands to dummy(): the function writes it to out[0]
    params: tuple[Param, ...] = ()  # what main() passes it, in the order the function reads it

    @property
    def locals(self) -> set[str]:
        return {v.strip() for _, names in DECL.findall(self.code) for v in names.split(",")}

    @property
    def two_d(self) -> bool:
        return "LEN_2D" in self.code


def idents(code: str) -> set[str]:
    """The names in C code, numbers (``1.5e-3f``) left out."""
    return set(re.findall(r"[A-Za-z_]\w*", re.sub(r"\b\d+\.?\d*(e[+-]?\d+)?f?", " ", code)))


def main_body(text: str) -> str:
    m = re.search(r"^int main\([^)]*\)\s*\{(.*?)^\}", text, re.S | re.M)
    return m.group(1) if m else ""


def passed(text: str) -> dict[str, str]:
    """What main() hands each loop: the second argument of its ``time_function(&sNNN, ...)``."""
    return dict(re.findall(r"time_function\(&(\w+), (.*)\);", main_body(text)))


def permutes(init: str, name: str) -> bool:
    """Whether init()'s loop that fills ``(*name)[...]`` leaves a permutation of 0..LEN_1D-1: the fill is run
    (at TSVC's LEN_1D, 32000, and at 40: TSVC's lengths are multiples of 40) and its values counted."""
    m = re.search(rf"for \([^)]*\)\s*\{{[^{{}}]*\(\*{name}\)\[[^{{}}]*\}}", init)
    if not m:
        return False
    fill = m.group().replace(f"(*{name})", "p")
    for size in (40, 32000):
        src = (f"enum {{ LEN_1D = {size} }};\nstatic int p[LEN_1D], seen[LEN_1D];\nint main(void) {{\n{fill}\n"
               "for (int i = 0; i < LEN_1D; i++) if (p[i] < 0 || p[i] >= LEN_1D || seen[p[i]]++) return 1;\n"
               "return 0;\n}\n")
        with tempfile.TemporaryDirectory() as tmp:
            exe = Path(tmp) / "fill"
            r = subprocess.run(["gcc", "-O1", "-fsanitize=address", "-x", "c", "-", "-o", str(exe)], input=src,
                               text=True, capture_output=True)
            if r.returncode or subprocess.run([str(exe)], capture_output=True, timeout=60).returncode:
                return False
    return True


def values(text: str, common: str) -> dict[str, tuple[str, str]]:
    """main()'s globals a loop may be handed, name -> (C type, value): ``int n1 = 1;`` in main(), and what
    common.c's init() sets through its parameters: a real (``*s1 = 1.0;``), or an int array it fills with a
    permutation of 0..LEN_1D-1 (type ``int*``, no value)."""
    out = {name: (t, v.strip()) for t, name, v in
           re.findall(r"^\s*(int|real_t) (\w+) = ([^;]+);", main_body(text), re.M)}
    init = re.search(r"^void init\(([^)]*)\)\s*\{(.*?)^\}", common, re.S | re.M)
    if init:
        for t, stars, name in re.findall(r"(int|real_t)\s*(\*+)\s*(\w+)", init.group(1)):
            v = re.search(rf"\*{name} = (-?[\d.]+(?:e[+-]?\d+)?)f?;", init.group(2))
            if (t, stars) == ("real_t", "*") and v:
                out[name] = ("real_t", v.group(1))
            elif (t, stars) == ("int", "**") and permutes(init.group(2), name):
                out[name] = ("int*", "")
    return out


def ctype(t: str) -> str:
    """A C type as TSVC spells it, normalised: ``int * __restrict__`` is ``int*``."""
    return re.sub(r"\s+", "", t.replace("__restrict__", ""))


def handed(arg: str, known: dict[str, tuple[str, str]]) -> tuple[bool, list[tuple[str, str]]] | str:
    """main()'s argument to a loop as (whether it is the address of the values, [(C type, value)]), or why
    it cannot be: ``NULL``, ``&n1``, ``ip``, ``&(struct{int a;int b;}){n1, n3}``."""
    arg = arg.strip()
    if arg == "NULL":
        return False, []
    m = re.fullmatch(r"&\(struct\s*\{([^}]*)\}\)\s*\{(.*)\}", arg)
    if m:
        types = [ctype(f.rsplit(None, 1)[0] if "*" not in f else f[:f.rindex("*") + 1])
                 for f in m.group(1).split(";") if f.strip()]
        exprs = [v.strip() for v in m.group(2).split(",")]
        if len(types) != len(exprs):
            return f"main() passes {arg}, whose fields and values do not pair up"
        out = []
        for t, v in zip(types, exprs):
            if v in known and ctype(known[v][0]) != t:
                return f"main() passes its {known[v][0]} {v} as a field of type {t}"
            if v in known:
                out.append((t, known[v][1]))
            elif t in ("int", "real_t") and not idents(v) - {"LEN_1D", "LEN_2D"} and re.fullmatch(r"[\w\s.+*/()-]+", v):
                out.append((t, v))
            else:
                return f"main() passes {v}, whose value is not known here"
        return True, out
    name = arg.lstrip("&")
    if name not in known:
        return f"main() passes {arg}, whose value is not known here (common.c's init() sets s1, s2 and ip)"
    return arg.startswith("&"), [known[name]]


def bind(setup: str, arg: str | None, known: dict[str, tuple[str, str]]) -> tuple[list[Param], list[str]] | str:
    """What the function sets up before the clock starts, as (parameters: the locals it reads from
    ``func_args->arg_info``, bound to what main() passes; the other declarations), or why it cannot be a
    task: a read through a pointer of another type than main() passes, or a statement that is no declaration
    (``xx = flat_2d_array + vl;``: a pointer into the arrays)."""
    lines = [ln.split("//")[0] for ln in setup.splitlines()]
    stmts = [" ".join(s.split()) for s in re.split(r";(?![^{]*\})", "\n".join(lines)) if s.strip()]
    stmts = [s for s in stmts if s != "initialise_arrays(__func__)"]
    got = handed(arg, known) if arg is not None else (False, [])
    arg = arg or "nothing"
    if isinstance(got, str):
        return got
    address, slots = got
    fields: dict[str, dict[str, int]] = {}  # struct pointer -> field -> slot
    params: list[Param] = []
    decls: list[str] = []
    for s in stmts:
        st = re.fullmatch(r"struct\s*\{(.*)\}\s*\*\s*(\w+) = func_args->arg_info", s)
        bd = re.fullmatch(r"(int|real_t)\s*(\*?)\s*(?:__restrict__\s*)?(\w+) = (.+)", s)
        if st:
            types = [ctype(f[:f.rindex("*") + 1] if "*" in f else f.rsplit(None, 1)[0])
                     for f in st.group(1).split(";") if f.strip()]
            if not address or types != [t for t, _ in slots]:
                return f"reads struct{{{st.group(1)}}} where main() passes {arg}"
            fields[st.group(2)] = {f.strip().rsplit(None, 1)[-1].lstrip("*"): k
                                   for k, f in enumerate(x for x in st.group(1).split(";") if x.strip())}
        elif bd and ("arg_info" in bd.group(4) or "->" in bd.group(4)):
            t, ptr, name, rhs = bd.groups()
            whole = re.fullmatch(r"\*\((int|real_t)\s*\*\)\s*func_args->arg_info", rhs)
            member = re.fullmatch(r"(\w+)->(\w+)", rhs)
            if whole:
                if not address or not slots:
                    return f"reads {whole.group(1)} from func_args where main() passes {arg}"
                if slots[0][0] != whole.group(1):
                    return f"reads an {whole.group(1)} through a pointer to main()'s {slots[0][0]} ({arg}): a type pun"
                slot = slots[0]
            elif rhs == "func_args->arg_info" and ptr and not address and slots and slots[0][0] == "int*":
                slot = slots[0]
            elif member and member.group(1) in fields and member.group(2) in fields[member.group(1)]:
                slot = slots[fields[member.group(1)][member.group(2)]]
            else:
                return f"reads {rhs} where main() passes {arg}"
            if (ptr and slot[0] != "int*") or (not ptr and slot[0] == "int*"):
                return f"{name} is a {t}{ptr} but main() passes a {slot[0]}"
            if ptr and t != "int":
                return f"{name} is a {t}*"
            params.append(Param(name, "const int*") if ptr else
                          Param(name, "int" if t == "int" else "float", slot[1]))
        elif re.fullmatch(r"(int|real_t) \w+(?: ?= ?[\w\s.+*/()-]+)?(?:, \w+(?: ?= ?[\w\s.+*/()-]+)?)*", s):
            decls.append(s + ";")
        else:
            return f"sets up {s!r} before the clock starts"
    return params, decls


def carried(code: str, decls: list[str]) -> str:
    """The declarations, of those made before the clock starts, that the timed code needs (with those their
    own values need), in their order."""
    need = idents(code) - {v.strip() for _, names in DECL.findall(code) for v in names.split(",")}
    keep: list[str] = []
    for d in reversed(decls):
        names = set(re.findall(r"(?:^(?:int|real_t) |, )(\w+)", d))
        if names & need:
            keep.insert(0, d)
            need |= idents(d.split("=", 1)[1]) if "=" in d else set()
    return "\n".join(keep)


def loops(text: str, common: str = "") -> tuple[list[Loop], dict[str, str]]:
    """Each loop whose timed region is ``[locals;] for (nl...) { ...; dummy(..., x); }``, with what main()
    passes it; and each function that is not one, with why (``common`` is TSVC's common.c, where init() sets
    the values main() passes: without it a loop handed them is skipped)."""
    out, skipped = [], {}
    known, args = values(text, common), passed(text)
    for name, body in FUNC.findall(text):
        m = TIMED.search(body)
        if not m:
            skipped[name] = "no timed region"
            continue
        nl = NL.match(m.group(1).strip())
        if not nl:
            skipped[name] = "the timed region is not [locals;] for (nl...) { <loop>; dummy(...); }"
            continue
        bound = bind(body[:m.start()], args.get(name), known)
        if isinstance(bound, str):
            skipped[name] = bound
            continue
        params, setup = bound
        decls, inner, last = nl.groups()
        code = "\n".join(ln.strip() for ln in decls.strip().splitlines() if ln.strip())
        code = (code + "\n" if code else "") + textwrap.dedent(inner).strip("\n")
        before = carried(code, setup)
        code = (before + "\n" if before else "") + code
        comment = " ".join(ln.strip("/ ").strip() for ln in body.splitlines() if ln.strip().startswith("//"))
        returned = RETURNS.search(body[m.start():])
        if re.fullmatch(r"[A-Za-z_]\w*", last):
            out.append(Loop(name, comment, code, result=last, params=tuple(params)))
        elif returned:  # dummy() gets a constant, the function returns the sum
            out.append(Loop(name, comment, code, result=returned.group(1), params=tuple(params)))
        else:
            out.append(Loop(name, comment, code, params=tuple(params)))
    return out, skipped


def assigns(code: str, x: str) -> bool:
    """Whether the code assigns an element of x, its subscript matched bracket by bracket: ``a[ip[i]] = 0``
    writes a, not ip."""
    for m in re.finditer(rf"\b{x}\[", code):
        end = bracketed(code, m.end() - 1)
        while code[end:end + 1] == "[":  # aa[i][j]
            end = bracketed(code, end)
        if re.match(r"\s*[-+*/]?=(?!=)", code[end:]):
            return True
    return False


def importable(loop: Loop) -> tuple[list[str], list[str]] | str:
    """(arrays read only, arrays written) when the loop uses nothing but the arrays, its locals, what main()
    passes it and literals, and leaves a result: an array it writes, or the scalar a reduction hands to
    dummy(); else why not."""
    code = loop.code
    names = idents(code)
    calls = set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", code)) - {"for", "if", "while", "switch"}
    local = loop.locals | set(re.findall(r"\b(?:int|real_t)\s+(\w+)", code)) | {p.name for p in loop.params}
    if calls - set(MATH):
        return f"calls {', '.join(sorted(calls - set(MATH)))}()"
    if re.search(r"\b(goto|return|break|exit|switch)\b", code) or "for" not in code:
        return "jumps (goto, break, switch) or has no loop"
    if names - KEYWORDS - set(ARRAYS) - local - set(MATH):
        return f"uses {', '.join(sorted(names - KEYWORDS - set(ARRAYS) - local - set(MATH)))}"
    if loop.result is not None and loop.result not in loop.locals:
        return f"hands dummy() {loop.result}, which is not its local"
    if loop.two_d and "LEN_1D" in code:  # one n cannot be both lengths
        return "uses both LEN_1D and LEN_2D"
    nested = re.search(r"for \((?:[^()]|\([^()]*\))*\)\s*\{[^}]*\bfor \(", code)
    if loop.two_d and not nested:
        return "one loop over a row or the diagonal: too little work to time at n = 1024"
    if not loop.two_d and nested:
        return "nested loops over LEN_1D: quadratic, far too slow at n = 1024000"
    if not loop.two_d and any(re.search(rf"\b{x}\[", code) for x in (*MATRICES, FLAT)):
        return "uses TSVC's LEN_2D arrays in a loop over LEN_1D"
    scalars = [p for p in loop.params if not p.index]
    if any(("LEN_1D" if loop.two_d else "LEN_2D") in p.value for p in scalars):
        return "main() passes it a value in the other length"
    if {p.name for p in loop.params} & {"n", "out", *ARRAYS}:
        return "a parameter's name clashes with n, out or an array"
    if any(not re.search(rf"\b{p.name}\[", code) for p in loop.params if p.index):
        return "is handed an index array it does not index"
    if any(assigns(code, p.name) for p in loop.params if p.index):
        return "writes its index array"
    used = [x for x in ARRAYS if re.search(rf"\b{x}\[", code)]
    written = [x for x in used if re.search(rf"\b{x}\[[^=;]*\]\s*([-+*/]?=)(?!=)", code)]
    if not used or not (written or loop.result):
        return "leaves no result (writes no array, hands dummy() no local)"
    return [x for x in used if x not in written], written


def length(x: str) -> str:
    """Array x's element count, as an expression in n."""
    return "n * n" if x in (*MATRICES, FLAT) else "n"


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
    params += [p.c_decl for p in loop.params if p.index] + [p.c_decl for p in loop.params if not p.index]
    body = flatten(loop.code).replace("real_t", "float").replace("LEN_1D", "n").replace("LEN_2D", "n")
    body = re.sub(r"\bABS\(", "fabsf(", body)
    if loop.result:
        params.append("int n, float *restrict out")
        body += f"\nout[0] = {loop.result};"
    else:
        params.append("int n")
    adapted = "LEN_2D is n, aa[i][j] is aa[i * n + j]" if loop.two_d else "LEN_1D is n"
    if loop.params:
        passed_in = [p.name for p in loop.params]
        adapted += (f"; {', '.join(passed_in)}, which TSVC's main() passes, "
                    f"{'is a parameter' if len(passed_in) == 1 else 'are parameters'} too")
    if "ABS(" in loop.code:
        adapted += "; ABS is fabsf"
    ref = NOTICE.format(name=name, adapted=adapted)
    if re.search(rf"\b(?:{'|'.join(MATH)})\(", loop.code):
        ref += "#include <math.h>\n\n"
    ref += f"void {name}({', '.join(params)})\n{{\n" + textwrap.indent(body, "    ") + "\n}\n"
    matrices = [x for x in MATRICES if x in reads + writes]
    desc = f"TSVC-2 loop {name} ({loop.comment or 'no comment'}), on float arrays of n elements. "
    if matrices:
        desc += (f"{', '.join(matrices)} {'is an' if len(matrices) == 1 else 'are'} n x n row-major "
                 f"{'matrix' if len(matrices) == 1 else 'matrices'} (row i, column j at [i * n + j]). ")
    if FLAT in reads + writes:
        desc += f"{FLAT} holds n * n floats (TSVC's LEN_2D * LEN_2D array, indexed flat). "
    for p in loop.params:
        if p.index:
            desc += f"{p.name} holds a permutation of 0..n-1 (n ints, each index exactly once). "
    scalars = [p for p in loop.params if not p.index]
    if scalars:
        desc += f"Scalar arguments: {', '.join(f'{p.name} = {p.c_value()}' for p in scalars)}. "
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
    for p in loop.params:
        if p.index:
            args.append(f'[[args]]\nname = "{p.name}"\ntype = "const int*"\nsize = "n"\ninit = "permutation()"\n')
    for p in scalars:
        args.append(f'[[args]]\nname = "{p.name}"\ntype = "{p.type}"\nvalue = "{p.toml_value()}"\n')
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
static int *mf_permutation(int n) {  /* what init = "permutation()" fills: 0..n-1, shuffled */
    int *p = malloc(sizeof(int) * (size_t)n);
    for (int i = 0; i < n; i++) p[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)mf_uniform(0, (float)(i + 1)), t = p[i];
        if (j > i) j = i;
        p[i] = p[j];
        p[j] = t;
    }
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
    """None when the reference, at every size the task names and on its inputs (scalars with their values,
    index arrays a fresh permutation), stays within its arrays (AddressSanitizer) and leaves finite results;
    else what went wrong. A loop that reads past n (an unrolled loop whose trip count assumes n % 5 == 0) or
    whose product overflows makes no task."""
    used = [x for x in ARRAYS if x in reads + writes]
    decl = "".join(f"        float *{x} = mf_array({length(x)}, "
                   f"{', '.join(map(str, bounds(loop, x)))});\n" for x in used)
    index = [p.name for p in loop.params if p.index]
    decl += "".join(f"        int *{x} = mf_permutation(n);\n" for x in index)
    args = [*used, *index, *(f"({p.c_value()})" for p in loop.params if not p.index), "n"]
    checks = "".join(f'        ok = ok && mf_finite("{x}", {x}, {length(x)});\n'
                     for x in writes)
    if loop.result:
        decl += "        float *out = mf_array(1, 0, 0);\n"
        args.append("out")
        checks += '        ok = ok && mf_finite("out", out, 1);\n'
    checks += "".join(f"        free({x});\n" for x in args if re.fullmatch(r"\w+", x) and x != "n")
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
        try:
            r = subprocess.run([str(exe)], text=True, capture_output=True, timeout=120)
        except subprocess.TimeoutExpired:
            return "the check ran past 120 s: too slow a reference"
    if r.returncode:
        err = re.search(r"ERROR: AddressSanitizer: ([\w-]+)|runtime error: ([^\n]+)", r.stderr)
        if err and err.group(1):
            return f"the reference goes past an array's end at some size (AddressSanitizer: {err.group(1)})"
        if err:
            return f"the reference has undefined behaviour: {err.group(2)}"
        return r.stdout.strip().replace("\n", " ")
    return None


def source(args: argparse.Namespace, ap: argparse.ArgumentParser) -> tuple[str, str]:
    """TSVC-2's tsvc.c and common.c (where init() sets what main() passes; "" when there is none beside a
    tsvc.c given by path)."""
    if args.git_dir:
        show = ["git", "--git-dir", args.git_dir, "show"]
        text = subprocess.run([*show, "HEAD:src/tsvc.c"], check=True, capture_output=True, text=True).stdout
        common = subprocess.run([*show, "HEAD:src/common.c"], check=True, capture_output=True, text=True).stdout
        return text, common
    if args.source:
        near = Path(args.source).with_name("common.c")
        return Path(args.source).read_text(), near.read_text() if near.exists() else ""
    ap.error("give the path of tsvc.c or --git-dir")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", nargs="?", help="path to TSVC-2's src/tsvc.c (common.c beside it is read too)")
    ap.add_argument("--git-dir", help="a clone of UoB-HPC/TSVC_2 (reads HEAD:src/tsvc.c and src/common.c)")
    ap.add_argument("--out", default=str(ROOT / "tasks"), help="where the tsvc-* folders go")
    args = ap.parse_args()
    text, common = source(args, ap)
    out = Path(args.out)
    for old in out.glob("tsvc-*"):
        shutil.rmtree(old)
    made = []
    found, skipped = loops(text, common)
    for name, why in skipped.items():
        print(f"skip {name}: {why}", file=sys.stderr)
    for loop in found:
        name = loop.name
        got = importable(loop)
        if isinstance(got, str):
            print(f"skip {name}: {got}", file=sys.stderr)
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
