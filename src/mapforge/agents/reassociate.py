"""A value a loop carries into the next iteration, added last: ``y = b0 * x + b1 * x1 - a1 * y1 - a2 * y2; ...;
y1 = y;`` rewritten as ``y = (b0 * x + b1 * x1 - a2 * y2) + y1 * (-a1)``, for the loops this module is sure about,
and nothing for the rest.

Such a loop runs one iteration per latency of the arithmetic between the carried value and its next value (gcc 12
vectorises no recurrence, and without ``-ffast-math`` keeps the source's order of additions). In the source's order
the carried value ``y1`` enters early, and every operation after it is on the chain: two multiply-adds per element
above. Summing the terms that do not read it first leaves one multiply-add on the chain; the rest overlaps with the
previous iteration. The sum is regrouped, so values differ by rounding (within the task's tolerance). gcc cannot
vectorise the loop either way; a second-order filter (a biquad) ran 1.9x faster so.

A loop is understood when it counts up (:func:`~mapforge.agents.dependence.counting_loop`) and its body is
straight-line assignments (no branch, no call but ``fabs``), one of them ``[T] v = E;`` where ``E`` is affine
(:mod:`~mapforge.agents.affine`) in the value carried to it:

- a scalar ``s`` declared before the loop as ``float`` or ``double`` and assigned later in the body as ``s = v;``
  (so ``E`` reads the ``v`` of the iteration before), or
- ``x[i - 1]`` where the statement is ``x[i] = E;`` (``x`` a ``float`` or ``double`` array).

``E`` must add terms after the carried value's: two, or one and a term before it (with fewer, a multiply-add already
joins the carried value to the rest, as it would after the rewrite).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.affine import affine, atom, bare
from mapforge.agents.dependence import ASSIGN, body_of, counting_loop, declared_type

_CARRIED = "reassoc_carried"  # the carried value while the statement is taken apart
_BRANCHY = re.compile(r"\b(if|else|for|while|do|switch|goto|return|break|continue)\b|[?{}]")


@dataclass(frozen=True)
class Reassociated:
    """The loop with one statement regrouped, its first and last lines (1-based), the source after it, the value
    carried and the statement as it was."""

    code: str
    lines: tuple[int, int]
    after: str
    carried: str
    statement: str


def _terms(expr: str) -> list[str]:
    """``expr`` cut at its top-level ``+`` and ``-`` (binary ones), each term with its sign."""
    terms, depth, start = [], 0, 0
    for j, ch in enumerate(expr):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        if ch in "+-" and depth == 0 and j > 0 and not re.search(r"[-+*/(,eE]\s*$", expr[start:j] or "("):
            terms.append(expr[start:j])
            start = j
    return [*terms, expr[start:]]


def _kind(name: str, before: str, statement: str) -> str | None:
    local = re.match(r"\s*(?:const\s+)?(float|double)\s", statement)
    return local.group(1) if local else declared_type(before, name)


def carried_last(source: str, line: int) -> Reassociated | None:
    """The loop whose ``for`` starts on ``line`` (1-based) with the first statement that adds a carried value
    early regrouped to add it last, or None."""
    loop = counting_loop(source, line)
    got = body_of(loop.rest) if loop is not None else None
    if loop is None or got is None or _BRANCHY.search(got[0]):
        return None
    body, after = got
    if any(name not in ("fabs", "fabsf") for name in re.findall(r"\b([A-Za-z_]\w*)\s*\(", body)):
        return None
    statements = [s.strip() for s in body.split(";") if s.strip()]
    before = "\n".join(loop.lines[:line - 1])
    var = loop.bounds.var
    for k, statement in enumerate(statements):
        m = ASSIGN.match(statement)
        if m is None or m.group(3) != "=":
            continue
        target, subscript, expr = m.group(1), m.group(2), m.group(4)
        if subscript is None:
            later = [s for s in statements[k + 1:]
                     if (c := re.fullmatch(rf"([A-Za-z_]\w*)\s*=\s*{re.escape(target)}", s)) and c.group(1) != target]
            carried = [re.match(r"[A-Za-z_]\w*", s).group(0) for s in later]  # type: ignore[union-attr]
            carried = [c for c in carried if re.search(rf"(?<![\w.]){c}\b(?!\s*\[)", expr)]
            pattern = rf"(?<![\w.]){re.escape(carried[0])}\b(?!\s*\[)" if carried else None
        elif re.fullmatch(rf"\[\s*{re.escape(var)}\s*\]", subscript):
            pattern = rf"\b{re.escape(target)}\s*\[\s*{re.escape(var)}\s*-\s*1\s*\]"
            carried = [f"{target}[{var} - 1]"] if re.search(pattern, expr) else []
        else:
            continue
        kind = _kind(target, before, statement)
        if not carried or pattern is None or kind is None:
            continue
        marked = re.sub(pattern, _CARRIED, expr)
        terms = _terms(marked.strip())
        at = max((j for j, term in enumerate(terms) if _CARRIED in term), default=0)
        following = len(terms) - 1 - at
        if following < 1 or at == 0 and following < 2:
            continue  # added last, or first with one term after it (one multiply-add on the chain already)
        split = affine(marked, _CARRIED, kind)
        if split is None or split.t is None or split.m is None:
            continue
        factor = "" if split.m == "1" else f" * {atom(bare(split.m))}"
        new = statement[:m.start(4)] + f" ({bare(split.t)}) + {carried[0]}{factor}"
        text = loop.text[:len(loop.text) - len(after)]
        at = text.find(statement)
        if at < 0:
            return None
        code = text[:at] + new + text[at + len(statement):]
        return Reassociated(code, (line, loop.last_line(after)), after, carried[0], statement)
    return None
