"""A loop that carries a running sum, product or linear recurrence from one iteration to the next (a scan:
``s += a[i]; b[i] = s;``, ``x[i] = x[i - 1] * b[i] + c[i]``), rewritten to run eight chains side by side: for the
loops this module is sure about, and nothing for the rest.

gcc 12 vectorises none of them ("unsupported use in stmt": the chain is read in the loop, so it is no reduction),
and the loop runs one element per floating-point addition's (or multiply-add's) latency, a few cycles. The rewrite
cuts the iterations into eight segments of equal length. A first pass reduces each segment on its own, eight
independent chains: its terms added, its factors multiplied, or, for ``c * m + t`` (:mod:`~mapforge.agents.affine`
reads the statement so), its steps composed into one factor and one term. Those give each segment the value the
chain enters it with. A second pass runs the loop's own body over the eight segments side by side, iteration
``j`` of every segment in turn, each segment with its own copy of the chain; the leftover iterations run as the
loop did. The chain's arithmetic is regrouped (each segment starts from the segments before it), so values differ
from the loop's by rounding: only ``float`` and ``double`` chains, whose latency is worth hiding.

A loop is understood when it is ``for (v = lo; v < hi; v++)`` (or ``<=``), ``lo`` and ``hi`` free of side effects,
calls and what the loop writes, its body straight-line statements (as :mod:`~mapforge.agents.dependence` reads
them) and either

- a scalar chain: one scalar declared before the loop as ``float`` or ``double`` is the only scalar the body
  assigns, once, to an affine function of itself (``s += T``, ``s = s * T``, ``s = a * T + (1 - a) * s``, ...)
  whose terms read no array the loop writes; another statement reads ``s`` (or it is a plain reduction, which
  :mod:`~mapforge.agents.partial_sums` rewrites); or
- a recurrence: the body is the one statement ``x[v] = E`` (or ``x[v] op= E``), ``x`` declared ``float`` or
  ``double``, ``E`` an affine function of ``x[v - 1]`` reading ``x`` at ``v`` or ``v - 1`` only.
- a second-order recurrence: the same with ``E`` an affine function of ``x[v - 1]`` and ``x[v - 2]`` together,
  with factors read from arrays (``a[i] += a[i - 1] * b[i] + a[i - 2] * c[i]``; not a filter's constant ones). A
  segment's two last values are then an affine function of the two it enters with: the first pass runs each
  segment from the state (0, 0) with the terms and from (1, 0) and (0, 1) without them, which gives the function
  (:data:`SECOND_CHAINS` segments: six values each).

Every array the body writes it writes at ``v``, and reads only at ``v`` but for the recurrence's chain: no
iteration touches an element another touches but through the chain, so the segments may run in any order. The
loop variable ends where the loop left it (the leftover loop sets it last).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.affine import Affine, affine, atom, bare
from mapforge.agents.dependence import (
    ASSIGN,
    COMMENT,
    SIDE_EFFECT,
    Statement,
    body_of,
    counting_loop,
    declared_type,
    parse_loop,
)

#: Chains run side by side: enough to cover the addition's latency (3-4 cycles) at two additions per cycle.
CHAINS = 8
#: A second-order recurrence's segments: its first pass keeps six values per segment, and eight segments' 48 spill
#: the 16 vector registers (tsvc-s322 ran 0.75x at eight, 1.36x at four). Only for factors read from arrays: with
#: constant ones (a filter's) the first pass costs what the loop itself does, and an IIR filter ran 0.4x.
SECOND_CHAINS = 4
_PREV = "scan_prev"  # the recurrence's read of the element before, while its term is taken apart
_PREV2 = "scan_prev2"  # ... and of the one before that, in a second-order recurrence
_NAMES = ("scan_n", "scan_len", "scan_part", "scan_mul", "scan_run", "scan_at", "scan_m", "scan_j", "scan_k", _PREV,
          _PREV2, "scan_q", "scan_u", "scan_w", "scan_r", "scan_s", "scan_run2", "scan_b", "scan_c1", "scan_c2",
          "scan_e")


def _READ(name: str) -> re.Pattern[str]:
    """A read or write of the scalar ``name`` (not an array of that name)."""
    return re.compile(rf"(?<![\w.]){re.escape(name)}\b(?!\s*\[)")


@dataclass(frozen=True)
class _Chain:
    """What the rewrite needs of a chain: its name, operator, the term an iteration applies, the type, the value
    it enters the loop with, and the body's statements with the chain read from (and kept in) ``scan_run[scan_k]``."""

    chain: str
    op: str
    term: str
    factor: str | None
    kind: str
    start: str
    run: list[str]


@dataclass(frozen=True)
class Scanned:
    """The loop's replacement (one braced statement), its first and last lines (1-based), the source after it, the
    chain (a scalar's name, or ``x[v - 1]``) and its operator (``+`` or ``*``)."""

    code: str
    lines: tuple[int, int]
    after: str
    chain: str
    op: str


def _moves(op: str, target: str, rhs: str, var: str, kind: str) -> tuple[str, str, str | None] | None:
    """How the statement ``target op rhs`` moves its chain, read as ``var`` (the chain's value before it):
    (``+`` and the term added, ``*`` and the factor, or ``affine``, the term and the factor ``m`` of
    ``c * m + t``), or None."""
    full = rhs if op == "=" else f"{target} {op[0]} ({rhs})" if op in ("+=", "-=", "*=", "/=") else None
    got = None if full is None else affine(full, var, kind)
    if got is None:
        return None
    if got.m == "1":
        return None if got.t is None else ("+", bare(got.t), None)
    if got.t is None:
        return "*", bare(got.m or "0"), None
    return "affine", bare(got.t), bare(got.m or "0")


def _scalar_chain(stmts: list[Statement], texts: list[str], before: str, written: set[str]) -> _Chain | None:
    """The chain of the one scalar the body assigns, or None."""
    (name,) = {s for st in stmts for s in st.scalar_writes}
    at = [k for k, st in enumerate(stmts) if name in st.scalar_writes]
    m = ASSIGN.match(texts[at[0]])
    kind = declared_type(before, name)
    if len(at) != 1 or m is None or m.group(1) != name or not texts[at[0]].startswith(name) or kind is None:
        return None  # assigned twice, or declared in the body (a temporary), or not a float
    got = _moves(m.group(3), name, m.group(4), name, kind)
    if got is None or any(a in written for a, _ in stmts[at[0]].reads):
        return None
    if not any(name in st.scalar_reads for k, st in enumerate(stmts) if k != at[0]):
        return None  # a plain reduction
    run = [_READ(name).sub("scan_run[scan_k]", t) + ";" for t in texts]
    return _Chain(name, *got, kind, name, run)


def _element(st: Statement, text: str, before: str) -> tuple[re.Match[str], str, int, str | None] | None:
    """(the assignment, the array, its subscript's offset from the loop variable, its type) of a statement that
    writes one array, or None."""
    m = ASSIGN.match(text)
    if m is None or len(st.writes) != 1:
        return None
    (name, offset), = st.writes.items()
    return m, name, offset, declared_type(before, name)


def _back(name: str, var: str, steps: int) -> re.Pattern[str]:
    """A read of ``name[var - steps]``."""
    return re.compile(rf"\b{re.escape(name)}\s*\[\s*{re.escape(var)}\s*-\s*{steps}\s*\]")


def _recurrence(st: Statement, text: str, var: str, lo: str, before: str) -> _Chain | None:
    """The chain of ``x[v] = x[v - 1] op T``, or None."""
    got = _element(st, text, before)
    if got is None:
        return None
    m, name, offset, kind = got
    prev = _back(name, var, 1)
    rhs = prev.sub(_PREV, m.group(4))
    if offset != 0 or kind is None or _PREV not in rhs:
        return None  # not written at v, not a float, or x[v - 1] not read
    if any(o not in (-1, 0) for a, o in st.reads if a == name):
        return None  # T reads the recurrence elsewhere than at v
    moves = _moves(m.group(3), f"{name}[{var}]", rhs, _PREV, kind)
    if moves is None:
        return None
    run = [prev.sub("scan_run[scan_k]", text) + ";", f"scan_run[scan_k] = {name}[{var}];"]
    return _Chain(f"{name}[{var} - 1]", *moves, kind, f"{name}[({lo}) - 1]", run)


@dataclass(frozen=True)
class _Second:
    """``x[v] = c1 * x[v - 1] + c2 * x[v - 2] + t``: the array, its type, the coefficients, the term and the
    statement (``x[v - 1]`` and ``x[v - 2]`` read from ``scan_run[scan_k]`` and ``scan_run2[scan_k]``)."""

    name: str
    kind: str
    c1: str
    c2: str
    term: str
    run: str


def _second_order(st: Statement, text: str, var: str, before: str) -> _Second | None:
    """The recurrence of ``x[v] = E`` (or ``x[v] op= E``) with ``E`` an affine function of ``x[v - 1]`` and
    ``x[v - 2]`` together, reading ``x`` nowhere else but at ``v``; or None."""
    got = _element(st, text, before)
    if got is None:
        return None
    m, name, offset, kind = got
    prev, prev2 = _back(name, var, 1), _back(name, var, 2)
    rhs = prev2.sub(_PREV2, prev.sub(_PREV, m.group(4)))
    op = m.group(3)
    if offset != 0 or kind is None or _PREV2 not in rhs or op not in ("=", "+=", "-=", "*=", "/="):
        return None
    if any(o not in (-2, -1, 0) for a, o in st.reads if a == name):
        return None  # E reads the recurrence elsewhere than at v, v - 1 and v - 2
    full = rhs if op == "=" else f"{name}[{var}] {op[0]} ({rhs})"
    def split(text: str, var: str) -> Affine | None:  # c * m + t, or t alone where c is not read
        return affine(text, var, kind) if re.search(rf"\b{var}\b", text) else Affine(None, text)

    first, second = split(full, _PREV), split(full, _PREV2)  # each factor free of the other value:
    if first is None or second is None or second.m is None or _PREV2 in (first.m or "") or _PREV in second.m:
        return None  # then E is affine in both together, and its term is the first's term without x[v - 2]
    uncast = re.sub(rf"\((?:float|double)\)\(([^()]*\b{_PREV2}\b[^()]*)\)", r"(\1)", first.t or "0")
    rest = split(uncast, _PREV2) or split(re.sub(rf"\b{_PREV2}\b", "0", full), _PREV)
    if rest is None:
        return None
    if _constant(bare(first.m or "0"), var) and _constant(bare(second.m), var):
        return None  # the first pass costs what the loop does, and the segments gain no more than that back
    run = prev2.sub("scan_run2[scan_k]", prev.sub("scan_run[scan_k]", text))
    return _Second(name, kind, bare(first.m or "0"), bare(second.m), bare(rest.t or "0"), run)


def _constant(expr: str, var: str) -> bool:
    """Whether a factor is the same in every iteration: no element, call or the loop variable in it."""
    return "[" not in expr and "(" not in expr.replace("(float)", "").replace("(double)", "") and not re.search(
        rf"\b{re.escape(var)}\b", expr)


def _second_code(found: _Second, at: str, lo: str, var: str, n: int) -> str:
    """The two passes of a second-order recurrence over ``n`` segments: the first runs each segment's recurrence from
    the entry state (0, 0), and from (1, 0) and (0, 1) without the term, which give the state it leaves with as an
    affine function of the state it enters with; the entry states follow in order; the second runs the statement
    over the segments side by side, each from its entry state."""
    kind, x = found.kind, found.name
    step = [f"{kind} scan_c1 = {found.c1}, scan_c2 = {found.c2}, scan_m;",
            f"scan_m = scan_c1 * scan_part[scan_k] + scan_c2 * scan_q[scan_k] + {atom(found.term)};",
            "scan_q[scan_k] = scan_part[scan_k];", "scan_part[scan_k] = scan_m;",
            "scan_m = scan_c1 * scan_u[scan_k] + scan_c2 * scan_w[scan_k];",
            "scan_w[scan_k] = scan_u[scan_k];", "scan_u[scan_k] = scan_m;",
            "scan_m = scan_c1 * scan_r[scan_k] + scan_c2 * scan_s[scan_k];",
            "scan_s[scan_k] = scan_r[scan_k];", "scan_r[scan_k] = scan_m;"]
    return (f"        {kind} scan_part[{n}], scan_q[{n}], scan_u[{n}], scan_w[{n}], scan_r[{n}], scan_s[{n}], "
            f"scan_run[{n}], scan_run2[{n}];\n"
            f"        for (int scan_k = 0; scan_k < {n}; scan_k++) {{\n"
            "            scan_part[scan_k] = scan_q[scan_k] = scan_w[scan_k] = scan_r[scan_k] = 0;\n"
            "            scan_u[scan_k] = scan_s[scan_k] = 1;\n        }\n"
            "        for (long scan_j = 0; scan_j < scan_len; scan_j++)\n"
            f"            for (int scan_k = 0; scan_k < {n}; scan_k++) {{\n"
            f"                {at}\n"
            + "".join(f"                {s}\n" for s in step)
            + "            }\n"
            f"        {kind} scan_at = {x}[({lo}) - 1], scan_b = {x}[({lo}) - 2];\n"
            f"        for (int scan_k = 0; scan_k < {n}; scan_k++) {{\n"
            "            scan_run[scan_k] = scan_at;\n            scan_run2[scan_k] = scan_b;\n"
            f"            {kind} scan_e = scan_part[scan_k] + scan_u[scan_k] * scan_at + scan_r[scan_k] * scan_b;\n"
            "            scan_b = scan_q[scan_k] + scan_w[scan_k] * scan_at + scan_s[scan_k] * scan_b;\n"
            "            scan_at = scan_e;\n        }\n"
            "        for (long scan_j = 0; scan_j < scan_len; scan_j++)\n"
            f"            for (int scan_k = 0; scan_k < {n}; scan_k++) {{\n"
            f"                {at}\n"
            f"                {found.run};\n"
            "                scan_run2[scan_k] = scan_run[scan_k];\n"
            f"                scan_run[scan_k] = {x}[{var}];\n"
            "            }\n")


def scan(source: str, line: int) -> Scanned | None:
    """The loop whose ``for`` starts on ``line`` (1-based), rewritten, or None when not understood."""
    loop = counting_loop(source, line)
    got = body_of(loop.rest) if loop is not None else None
    if loop is None or got is None or loop.bounds.step != 1:
        return None
    body, after = got
    b, var = loop.bounds, loop.bounds.var
    stmts = parse_loop(loop.header, body)
    texts = [t.strip() for t in COMMENT.sub(" ", body).split(";")][:-1]
    if not stmts or len(texts) != len(stmts) or any(re.search(rf"\b{n}\b", source) for n in _NAMES):
        return None
    if any(SIDE_EFFECT.search(e) or re.search(r"\w\s*\(", e) for e in (b.lo, b.hi)):
        return None  # the bounds are evaluated more than once: free of side effects (and calls)
    written = {a for st in stmts for a in st.writes}
    scalars = {s for st in stmts for s in st.scalar_writes}
    if any(re.search(rf"\b{re.escape(n)}\b", b.lo + " " + b.hi) for n in written | scalars):
        return None
    if any(o != 0 for st in stmts for o in st.writes.values()):
        return None
    before = "\n".join(loop.lines[:line - 1])
    second = None
    if len(scalars) == 1:
        if any(a in written and o != 0 for st in stmts for a, o in st.reads):
            return None  # an element another iteration writes
        found = _scalar_chain(stmts, texts, before, written)
    elif not scalars and len(stmts) == 1:
        found = _recurrence(stmts[0], texts[0], var, b.lo, before)
        second = _second_order(stmts[0], texts[0], var, before) if found is None else None
    else:
        found = None
    count = f"(long)({b.hi}) - (long)({b.lo})" + (" + 1" if b.op == "<=" else "")
    lo = "" if b.lo == "0" else f"{b.lo} + "
    at = f"{b.declared}{var} = {lo}scan_k * scan_len + scan_j;"

    def leftover(n: int) -> str:  # the iterations after n segments, as written
        return (f"    for ({b.declared}{var} = {lo}{n} * scan_len; {var} {b.op} {b.hi}; {var}++) {{\n"
                + "".join(f"        {t};\n" for t in texts) + "    }\n")

    if found is None and second is not None:
        code = ("{\n"
                f"    long scan_n = {count};\n"
                f"    long scan_len = scan_n > 0 ? scan_n / {SECOND_CHAINS} : 0;\n"
                "    if (scan_len > 0) {\n" + _second_code(second, at, b.lo, var, SECOND_CHAINS) + "    }\n"
                + leftover(SECOND_CHAINS) + "}")
        return Scanned(code, (line, loop.last_line(after)), after, f"{second.name}[{var} - 1]", "second")
    if found is None:
        return None
    n, kind, op = CHAINS, found.kind, found.op
    if op == "affine":  # each segment's chain is c * scan_mul + scan_part of the value c it enters with
        arrays, init = "scan_part[{n}], scan_mul[{n}], ", "{ scan_part[scan_k] = 0; scan_mul[scan_k] = 1; }"
        step = [f"{kind} scan_m = {found.factor};", f"scan_part[scan_k] = scan_part[scan_k] * scan_m + {atom(found.term)};",
                "scan_mul[scan_k] *= scan_m;"]
        enter = "scan_at = scan_at * scan_mul[scan_k] + scan_part[scan_k];"
    else:
        arrays, init = "scan_part[{n}], ", f"scan_part[scan_k] = {1 if op == '*' else 0};"
        step = [f"scan_part[scan_k] {op}= {found.term};"]
        enter = f"scan_at {op}= scan_part[scan_k];"
    code = ("{\n"
            f"    long scan_n = {count};\n"
            f"    long scan_len = scan_n > 0 ? scan_n / {n} : 0;\n"
            "    if (scan_len > 0) {\n"
            f"        {kind} {arrays.format(n=n)}scan_run[{n}], scan_at = {found.start};\n"
            f"        for (int scan_k = 0; scan_k < {n}; scan_k++) {init}\n"
            "        for (long scan_j = 0; scan_j < scan_len; scan_j++)\n"
            f"            for (int scan_k = 0; scan_k < {n}; scan_k++) {{\n"
            f"                {at}\n"
            + "".join(f"                {t}\n" for t in step)
            + "            }\n"
            f"        for (int scan_k = 0; scan_k < {n}; scan_k++) {{\n"
            "            scan_run[scan_k] = scan_at;\n"
            f"            {enter}\n"
            "        }\n"
            "        for (long scan_j = 0; scan_j < scan_len; scan_j++)\n"
            f"            for (int scan_k = 0; scan_k < {n}; scan_k++) {{\n"
            f"                {at}\n"
            + "".join(f"                {t}\n" for t in found.run)
            + "            }\n"
            + (f"        {found.chain} = scan_run[{n - 1}];\n" if found.chain == found.start else "")
            + "    }\n"
            + leftover(n) + "}")
    return Scanned(code, (line, loop.last_line(after)), after, found.chain, found.op)
