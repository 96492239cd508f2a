"""A scalar that carries the previous iteration's value of an expression of the loop variable (a wraparound
variable: ``a[i] = (b[i] + x) * 0.5f; x = b[i];``, or ``b[im]`` with ``im = i`` at the end), rewritten so that no
value is carried: for the loops this module is sure about, and nothing for the rest.

gcc 12 vectorises no loop that carries a scalar from one iteration to the next unless the scalar is a reduction
("unsupported use in stmt"); it has no first-order recurrence vectorisation (gcc 13 added one). Here the value
carried into iteration ``i`` is the expression evaluated at ``i - step``: the loop's first iteration is run on its
own (peeled), with the scalar as it was before the loop, and in the rest every read of the scalar before its
assignment reads the expression at ``i - step`` instead. The assignment stays, so the scalar holds after the loop
what it held before, and reads after it in the body are unchanged.

A loop is understood when it is ``for (v = lo; v < hi; v++)`` (or ``<=``, a constant step; ``v`` declared in the
header, or not read after the loop), its braced body straight-line statements (as
:mod:`~mapforge.agents.dependence` reads them), and a scalar declared before the loop as a ``float``, ``double`` or
integer is assigned once in the body, ``x = E;``, where ``E`` does not read ``x``, reads no array the loop
writes and no scalar it assigns, and calls nothing but ``fabs``/``fabsf``: so ``E`` at ``i - step``, evaluated in
iteration ``i``, is the value the loop assigned in the iteration before, and was evaluated there too. The read is
cast to the scalar's type, as the assignment converted it. ``lo`` must be free of side effects (it is evaluated
twice).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.dependence import (
    ACCESS,
    ASSIGN,
    SIDE_EFFECT,
    UNREAD,
    assigned_next,
    braced_body,
    counting_loop,
)

_TYPES = r"(?:unsigned\s+|signed\s+)?(?:float|double|int|long|short|char|size_t)"


@dataclass(frozen=True)
class Wrapped:
    """The loop's replacement (one braced statement), its first and last lines (1-based), the source after it, the
    scalar and the expression whose previous value it carried."""

    code: str
    lines: tuple[int, int]
    after: str
    scalar: str
    expression: str


def _words(name: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(name)}\b", text) is not None


def _calls_only_fabs(text: str) -> bool:
    return all(name in ("fabs", "fabsf") for name in re.findall(r"\b([A-Za-z_]\w*)\s*\(", text))


def _declared_type(before: str, name: str) -> str | None:
    """The type of the last declaration of the scalar ``name`` in ``before`` (``float x;``, ``int a = 0, x = 1;``)."""
    found = None
    for m in re.finditer(rf"\b({_TYPES})\s+([^;(){{}}]*);", before):
        names = [re.match(r"\s*([A-Za-z_]\w*)", part) for part in m.group(2).split(",")]
        if any(n is not None and n.group(1) == name for n in names):
            found = " ".join(m.group(1).split())
    return found


def _statements(body: str) -> list[str] | None:
    """The body's statements, each one assignment (none inside its expression), or None."""
    parts = [p.strip() for p in body.split(";")]
    if parts[-1] or len(parts) < 2:
        return None
    for p in parts[:-1]:
        m = ASSIGN.match(p)
        if m is None or UNREAD.search(p) or re.search(r"(?<![=!<>])=(?!=)", m.group(4)):
            return None
    return parts[:-1]


def wraparound(source: str, line: int) -> Wrapped | None:
    """The loop whose ``for`` starts on ``line`` (1-based), rewritten, or None when not understood."""
    loop = counting_loop(source, line)
    braced = braced_body(loop.rest) if loop is not None and loop.rest.startswith("{") else None
    if loop is None or braced is None:
        return None
    bounds = loop.bounds
    stmts, after = _statements(braced[0]), braced[1]
    var, step = bounds.var, bounds.step
    if stmts is None or (not bounds.declared and not assigned_next(var, after)):
        return None
    if SIDE_EFFECT.search(bounds.lo) or not _calls_only_fabs(bounds.lo):
        return None
    matches = [ASSIGN.match(s) for s in stmts]
    written = {m.group(1) for m in matches if m is not None and m.group(2) is not None}
    scalars = [m.group(1) for m in matches if m is not None and m.group(2) is None]
    if var in scalars:
        return None  # the body moves the loop variable: the previous iteration's is not v - step
    declared_here = {m.group(1) for s, m in zip(stmts, matches) if m is not None and re.match(_TYPES + r"\s", s)}
    before = "\n".join(loop.lines[:line - 1])
    for k, m in enumerate(matches):
        if m is None or m.group(2) is not None or m.group(3) != "=":
            continue
        x, expr = m.group(1), m.group(4).strip()
        if x in declared_here or scalars.count(x) != 1 or not any(_words(x, t) for t in stmts[:k]):
            continue  # a local of the body, assigned twice, or not read before it is assigned: nothing carried
        if _words(x, expr) or not _calls_only_fabs(expr) or any(name in written for name, _ in ACCESS.findall(expr)):
            continue
        if any(_words(other, expr) for other in scalars) or any(_words(x, t) for t in (bounds.lo, bounds.hi)):
            continue
        kind = _declared_type(before, x)
        if kind is None:
            continue
        shifted = re.sub(rf"\b{re.escape(var)}\b", f"({var} - {step})", expr)
        value = f"(({kind})({shifted}))"
        rest = [re.sub(rf"\b{re.escape(x)}\b", value, t) if j < k else t for j, t in enumerate(stmts)]
        advance = f"{var}++" if step == 1 else f"{var} += {step}"
        start = bounds.lo if re.fullmatch(r"\w+", bounds.lo) else f"({bounds.lo})"
        second = str(int(start) + step) if re.fullmatch(r"-?\d+", start) else f"{start} + {step}"
        code = ("{\n"
                f"    if ({start} {bounds.op} {bounds.hi}) {{\n"
                f"        {bounds.declared}{var} = {bounds.lo};\n"
                + "".join(f"        {t};\n" for t in stmts)
                + "    }\n"
                f"    for ({bounds.declared}{var} = {second}; {var} {bounds.op} {bounds.hi}; {advance}) {{\n"
                + "".join(f"        {t};\n" for t in rest)
                + "    }\n"
                "}")
        return Wrapped(code, (line, loop.last_line(after)), after, x, expr)
    return None
