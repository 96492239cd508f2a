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

Every array the body writes it writes at ``v``, and reads only at ``v`` but for the recurrence's chain: no
iteration touches an element another touches but through the chain, so the segments may run in any order. The
loop variable ends where the loop left it (the leftover loop sets it last).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.affine import affine, atom, bare
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
_PREV = "scan_prev"  # the recurrence's read of the element before, while its term is taken apart
_NAMES = ("scan_n", "scan_len", "scan_part", "scan_mul", "scan_run", "scan_at", "scan_m", "scan_j", "scan_k", _PREV)


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


def _recurrence(st: Statement, text: str, var: str, lo: str, before: str) -> _Chain | None:
    """The chain of ``x[v] = x[v - 1] op T``, or None."""
    m = ASSIGN.match(text)
    if m is None or len(st.writes) != 1:
        return None
    (name, offset), = st.writes.items()
    kind = declared_type(before, name)
    prev = re.compile(rf"\b{re.escape(name)}\s*\[\s*{re.escape(var)}\s*-\s*1\s*\]")
    rhs = prev.sub(_PREV, m.group(4))
    if offset != 0 or kind is None or _PREV not in rhs:
        return None  # not written at v, not a float, or x[v - 1] not read
    if any(o not in (-1, 0) for a, o in st.reads if a == name):
        return None  # T reads the recurrence elsewhere than at v
    got = _moves(m.group(3), f"{name}[{var}]", rhs, _PREV, kind)
    if got is None:
        return None
    run = [prev.sub("scan_run[scan_k]", text) + ";", f"scan_run[scan_k] = {name}[{var}];"]
    return _Chain(f"{name}[{var} - 1]", *got, kind, f"{name}[({lo}) - 1]", run)


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
    if len(scalars) == 1:
        if any(a in written and o != 0 for st in stmts for a, o in st.reads):
            return None  # an element another iteration writes
        found = _scalar_chain(stmts, texts, before, written)
    elif not scalars and len(stmts) == 1:
        found = _recurrence(stmts[0], texts[0], var, b.lo, before)
    else:
        found = None
    if found is None:
        return None
    count = f"(long)({b.hi}) - (long)({b.lo})" + (" + 1" if b.op == "<=" else "")
    lo = "" if b.lo == "0" else f"{b.lo} + "
    at = f"{b.declared}{var} = {lo}scan_k * scan_len + scan_j;"
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
            f"    for ({b.declared}{var} = {lo}{n} * scan_len; {var} {b.op} {b.hi}; {var}++) {{\n"
            + "".join(f"        {t};\n" for t in texts)
            + "    }\n"
            "}")
    return Scanned(code, (line, loop.last_line(after)), after, found.chain, found.op)
