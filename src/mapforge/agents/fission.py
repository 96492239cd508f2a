"""Outer-loop distribution before interchange: a loop whose body holds several inner loops (and statements between
them), split into one copy of the outer loop per part, so that each part that walks a column may swap its loops
(:mod:`~mapforge.agents.interchange`); for the loops this module is sure about, and nothing for the rest.

``for (i) { for (j) A; for (j) B; }`` runs A and B in turns, one outer iteration at a time; split, all of A's
iterations run before any of B's. That is legal when neither part touches an array the other writes, and no
scalar but the parts' own loop variables passes between them: then no element is read or written by both, and
the order between the parts changes nothing. This module asks exactly that, by name (arrays with different names
are different buffers, as the harness passes them), and each part's own nest is then judged by
:func:`~mapforge.agents.interchange.interchange`, whose legality is the subscripts'.

Understood: ``for (o ...) { PART; PART; ... }`` where a part is a ``for`` loop whose body (braced or one
statement) is straight-line assignments, or a run of straight-line assignments; at least two parts, at least one
of them a loop that interchange swaps.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.dependence import (
    ACCESS,
    ASSIGN,
    COMMENT,
    HEADER,
    UNREAD,
    body_of,
    braced_body,
    loop_bounds,
    split_header,
    text_from,
)
from mapforge.agents.interchange import interchange


@dataclass(frozen=True)
class Fissioned:
    """The loop split and its column walks swapped: the new code (one braced statement), the loop's first and last
    lines (1-based), the source after it, how many parts, and the arrays the swapped parts walked down a column."""

    code: str
    lines: tuple[int, int]
    after: str
    parts: int
    strided: tuple[str, ...]


@dataclass(frozen=True)
class _Part:
    statements: tuple[str, ...]
    header: str | None = None
    """The part's ``for`` header, or None for a run of statements."""

    @property
    def text(self) -> str:
        """The part written out: a loop (header and braced body) or its statements, each with its semicolon."""
        stmts = "".join(f"    {s};\n" if self.header else f"{s};\n" for s in self.statements)
        return f"{self.header} {{\n{stmts}}}" if self.header else stmts.rstrip("\n")


def _parts(body: str) -> list[_Part] | None:
    """The outer loop's body cut into loops and runs of statements, or None when it holds something else."""
    parts: list[_Part] = []
    run: list[str] = []
    rest = COMMENT.sub(" ", body).strip()
    while rest:
        if re.match(r"for\s*\(", rest):
            got = split_header(rest)
            inner = None if got is None else body_of(got[1])
            if got is None or inner is None:
                return None
            stmts = _straight(inner[0])
            bounds = loop_bounds(got[0].strip())
            if stmts is None or bounds is None or not bounds.kind:
                return None  # not understood, or a loop variable the parts share
            if run:
                parts.append(_Part(tuple(run)))
                run = []
            parts.append(_Part(stmts, " ".join(got[0].split())))
            rest = inner[1].strip()
        else:
            semi = rest.find(";")
            stmts = None if semi < 0 else _straight(rest[:semi + 1])
            if stmts is None:
                return None
            run += stmts
            rest = rest[semi + 1:].strip()
    if run:
        parts.append(_Part(tuple(run)))
    return parts


def _straight(text: str) -> tuple[str, ...] | None:
    """Straight-line assignments, each without its semicolon, or None."""
    pieces = [p.strip() for p in text.split(";")]
    if pieces[-1] or any(ASSIGN.match(p) is None or UNREAD.search(p) for p in pieces[:-1]):
        return None
    return tuple(pieces[:-1])


def _touches(part: _Part) -> tuple[set[str], set[str], set[str], set[str]]:
    """(arrays written, arrays read, scalars assigned, names read) by a part; its own loop variable left out."""
    own = set(HEADER.findall(part.header or ""))
    written: set[str] = set()
    read: set[str] = set()
    assigned: set[str] = set()
    names: set[str] = set()
    for s in part.statements:
        m = ASSIGN.match(s)
        assert m is not None
        target, sub, op, rhs = m.groups()
        (written if sub is not None else assigned).add(target)
        read |= {a for a, _ in ACCESS.findall(rhs + (sub or ""))}
        names |= set(re.findall(r"\b[A-Za-z_]\w*\b", ACCESS.sub(" ", rhs) + (sub or "")))
        if op != "=":
            names.add(target)
    if part.header:
        names |= set(re.findall(r"\b[A-Za-z_]\w*\b", part.header)) - own
    return written, read, assigned - own, names - own


def fission(source: str, line: int, around: frozenset[str] = frozenset()) -> Fissioned | None:
    """The loop whose ``for`` starts on ``line`` (1-based), split and its column walks swapped, or None."""
    read = text_from(source, line)
    got = None if read is None else split_header(read[1])
    braced = None if got is None or not got[1].startswith("{") else braced_body(got[1])
    parts = None if braced is None else _parts(braced[0])
    if read is None or got is None or braced is None or parts is None or len(parts) < 2:
        return None
    outer = " ".join(got[0].split())
    o = HEADER.match(outer)
    if o is None:
        return None
    touched = [_touches(p) for p in parts]
    for k, (written, _, assigned, _) in enumerate(touched):
        if o.group(1) in assigned:
            return None  # the body moves the outer loop's variable
        for j, (w2, r2, a2, n2) in enumerate(touched):
            if j != k and (written & (w2 | r2) or assigned & (a2 | n2)):
                return None  # an array one part writes and another touches, or a scalar passed between parts
    after = braced[1]
    new, strided = [], []
    for k, part in enumerate(parts):
        rest = "\n".join(p.text for p in parts[k + 1:]) + after  # what follows the part once split
        swap = (interchange(outer, part.header, "".join(f"{s};" for s in part.statements), around, (), (), rest)
                if part.header else None)
        if swap is None:
            new.append(f"{outer} {{\n" + "".join(f"    {t}\n" for t in part.text.splitlines()) + "}")
        else:
            new.append(swap.nest)
            strided += [a for a in swap.strided if a not in strided]
    if not strided:
        return None
    code = "{\n" + "".join(f"    {t}\n" if t else "\n" for t in "\n".join(new).splitlines()) + "}"
    last = line + read[1][:len(read[1]) - len(after)].count("\n")
    return Fissioned(code, (line, last), after, len(parts), tuple(strided))
