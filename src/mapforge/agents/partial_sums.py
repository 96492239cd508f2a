"""An in-order floating-point reduction loop rewritten with 16 independent partial sums, written out for the loop
itself: for the simple loops this module is sure about, and nothing for the rest.

A loop is understood when it is ``for (v = start; v < end; v++)`` (or ``<= end``, ``++v``, ``v += 1``) whose body,
braced or not, is one statement that adds a term to a target that does not move with the loop: ``s += term;``,
``s = s + term;``, ``y[i] += term;`` or ``y[i] = y[i] + term;``, where the term does not read the target and the
statement is one :mod:`~mapforge.agents.dependence` reads (no branch, call with side effects, increment or
pointer). The rewrite adds the terms into 16 sums, term ``v`` into sum ``v % 16`` for the whole blocks, then adds
the 16 sums and the leftover terms in order, and the total to the target once: the same terms, reassociated, so
the result differs from the loop's only by rounding. A loop variable declared outside the loop ends where the
loop would have left it. Sums are
kept in the target's type (``double`` when the code declares it so, ``float`` otherwise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.dependence import ASSIGN, COMMENT, UNREAD, braced_body, split_header

LANES = 16
_HEADER = re.compile(
    r"for\s*\(\s*((?:(?:unsigned|signed|long|int|size_t|short)\s+)*)([A-Za-z_]\w*)\s*=\s*([^;]+);"
    r"\s*\2\s*(<=?)\s*([^;]+);\s*(?:\2\s*\+\+|\+\+\s*\2|\2\s*\+=\s*1)\s*\)$", re.S)
_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")


@dataclass(frozen=True)
class Rewrite:
    """The loop's replacement (one braced statement), and the loop's first and last lines (1-based)."""

    code: str
    lines: tuple[int, int]
    after: str
    """The source after the loop."""


def _fresh(base: str, taken: set[str]) -> str:
    name = base
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _element_type(source: str, target: str) -> str:
    """``double`` when ``source`` declares ``target`` (a scalar or a pointer) double, else ``float``."""
    declared = re.search(rf"\b(float|double)\b[\s*]*(?:(?:const|restrict|__restrict__)\s*\**\s*)*{re.escape(target)}\b",
                         source)
    return declared.group(1) if declared else "float"


def partial_sums(source: str, line: int) -> Rewrite | None:
    """The reduction loop whose ``for`` starts on ``line`` (1-based), rewritten, or None when not understood."""
    lines = COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source).splitlines()
    if not 0 < line <= len(lines) or not lines[line - 1].lstrip().startswith("for"):
        return None
    text = "\n".join(lines[line - 1:]).lstrip()
    got = split_header(text)
    header = None if got is None else _HEADER.match(" ".join(got[0].split()))
    if got is None or header is None:
        return None
    typed, var, start, cmp, end = (g.strip() for g in header.groups())
    rest = got[1]
    if rest.startswith("{"):
        braced = braced_body(rest)
        if braced is None:
            return None
        statement, after = braced[0].strip(), braced[1]
    else:
        semi = rest.find(";")
        statement, after = (rest[:semi + 1].strip(), rest[semi + 1:]) if semi >= 0 else ("", "")
    if statement.count(";") != 1 or not statement.endswith(";") or UNREAD.search(statement[:-1]):
        return None
    m = ASSIGN.match(statement[:-1])
    if m is None or not m.group(0).lstrip().startswith(m.group(1)):
        return None  # not an assignment, or a declaration
    name, sub, op, rhs = m.groups()
    target = name + (sub or "")
    if op == "=":
        plus = re.match(rf"\s*{re.escape(target)}\s*\+(.*)$", rhs, re.S)
        if plus is None:
            return None
        term = plus.group(1).strip()
    elif op == "+=":
        term = rhs.strip()
    else:
        return None
    if (not term or re.search(rf"\b{re.escape(name)}\b", term) or re.search(rf"\b{re.escape(var)}\b", sub or "")
            or any(re.search(rf"\b{re.escape(var)}\b", t) for t in (start, end))
            or not re.search(rf"\b{re.escape(var)}\b", term)):
        return None  # the target read by its term, moving with the loop, or bounds that move
    taken = set(_IDENT.findall(source))
    acc, k, total = _fresh("acc", taken), _fresh("k", taken), _fresh("total", taken)
    limit = f"({end}) + 1" if cmp == "<=" else end
    kind = _element_type(source, name)
    at = re.sub(rf"\b{re.escape(var)}\b", f"({var} + {k})", term)
    code = (f"{{\n"
            f"    {kind} {acc}[{LANES}] = {{0}};\n"
            f"    {typed + ' ' if typed else ''}{var} = {start};\n"
            f"    for (; {var} + {LANES} <= {limit}; {var} += {LANES})\n"
            f"        for (int {k} = 0; {k} < {LANES}; {k}++)\n"
            f"            {acc}[{k}] += {at};\n"
            f"    {kind} {total} = 0;\n"
            f"    for (int {k} = 0; {k} < {LANES}; {k}++)\n"
            f"        {total} += {acc}[{k}];\n"
            f"    for (; {var} < {limit}; {var}++)\n"
            f"        {total} += {term};\n"
            f"    {target} += {total};\n"
            f"}}")
    last = line + text[:len(text) - len(after)].count("\n")
    return Rewrite(code, (line, last), after)
