"""A loop whose body tests for its first or last iteration (a border: ``if (j == 0 || j == w - 1) ...``), rewritten
so that those iterations run apart and the loop between them has no test: for the loops this module is sure about,
and nothing for the rest.

gcc 12 at ``-O3`` leaves such a loop scalar when the branch guards work it may not run everywhere ("control flow in
loop": a call, a store it cannot mask), or vectorises both arms and blends them; it does not split the iteration
space. Here the loop runs as three: its first iteration on its own, the iterations between with the branch's
condition known false (what the ``else`` and the statements after the ``if`` do, nothing more), and its last on its
own; the two alone run the body as written. That holds only when the condition is false between, which the code
checks before it runs: every term is ``v == E`` with ``E`` outside the iterations between, or a term that does not
change in the loop and is false. Where the check fails (a row of the border, a short loop) the loop runs as written.

A loop is understood when it is ``for (v = lo; v < hi; v++)`` (or ``<=``; ``v`` declared in the header, or assigned
before it is next read), and its braced body is statements with no ``break``, ``return`` or ``goto``: first any
number without control flow, then ``if (C) X`` (with or without ``else Y``), then any statements. ``C`` is terms
joined by ``||``, at least one of them ``v == E`` (or ``E == v``); every ``E`` and every other term, and ``lo`` and
``hi``, are expressions of names and numbers alone (no call, subscript, pointer or side effect) that read neither
``v`` nor any name the body assigns, so they may be evaluated before the loop. The new loop between runs the first
statements, ``Y`` and the statements after the ``if``, in that order: what the body runs when ``C`` is false.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.dependence import (
    COMMENT,
    SIDE_EFFECT,
    assigned_next,
    braced_body,
    counting_loop,
    parens,
)

#: An expression that may be evaluated once more, before the loop: names, numbers, arithmetic and comparisons.
_PLAIN = re.compile(r"[\w\s+\-*/%()<>=!.]*")
_ASSIGNED = re.compile(r"(?:\b([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*(?:[-+*/%&|^]|<<|>>)?=(?!=))|"
                       r"(?:(?:\+\+|--)\s*([A-Za-z_]\w*))|(?:\b([A-Za-z_]\w*)\s*(?:\+\+|--))")
_DECLARED = re.compile(r"\b(?:float|double|int|long|unsigned|short|char|size_t|const)\s+\**\s*([A-Za-z_]\w*)")


@dataclass(frozen=True)
class Peeled:
    """The loop's replacement (one statement), its first and last lines (1-based), the source after it, the loop
    variable and the condition's terms on it (``j == 0``)."""

    code: str
    lines: tuple[int, int]
    after: str
    var: str
    edges: tuple[str, ...]


def _statements(body: str) -> list[str] | None:
    """The body's top-level statements, each with its own text (an ``if`` with its branches and ``else`` is one);
    None when a brace or parenthesis does not close."""
    out: list[str] = []
    rest = body.strip()
    while rest:
        m = re.match(r"if\s*\(", rest)
        if m:
            end = _if_end(rest)
            if end is None:
                return None
            out.append(rest[:end].strip())
            rest = rest[end:].lstrip()
            continue
        if rest.startswith("{"):
            got = braced_body(rest)
            if got is None:
                return None
            out.append(rest[:len(rest) - len(got[1])].strip())
            rest = got[1].lstrip()
            continue
        end = _statement_end(rest)
        if end is None:
            return None
        out.append(rest[:end].strip())
        rest = rest[end:].lstrip()
    return out


def _statement_end(text: str) -> int | None:
    """Where the statement at the start of ``text`` ends: after its first semicolon outside parentheses."""
    depth = 0
    for k, ch in enumerate(text):
        depth += {"(": 1, ")": -1, "{": 1, "}": -1}.get(ch, 0)
        if ch == ";" and depth == 0:
            return k + 1
    return None


def _branch_end(text: str) -> int | None:
    """Where the branch at the start of ``text`` (a braced block, an ``if``, or one statement) ends."""
    if text.startswith("{"):
        got = braced_body(text)
        return None if got is None else len(text) - len(got[1])
    if re.match(r"if\s*\(", text):
        return _if_end(text)
    return _statement_end(text)


def _if_end(text: str) -> int | None:
    """Where the ``if`` (and its ``else``) at the start of ``text`` ends."""
    cond = parens(text[text.index("("):])
    if cond is None:
        return None
    start = len(text) - len(cond[1])
    end = _branch_end(cond[1])
    if end is None:
        return None
    end += start
    tail = text[end:]
    if re.match(r"\s*else\b", tail):
        skip = len(tail) - len(tail.lstrip()) + 4
        rest = tail[skip:]
        more = _branch_end(rest.lstrip())
        if more is None:
            return None
        end += skip + len(rest) - len(rest.lstrip()) + more
    return end


def _split_if(statement: str) -> tuple[str, str, str | None] | None:
    """(condition, then-branch, else-branch or None) of an ``if`` statement."""
    cond = parens(statement[statement.index("("):])
    if cond is None:
        return None
    then_end = _branch_end(cond[1])
    if then_end is None:
        return None
    then, tail = cond[1][:then_end], cond[1][then_end:].strip()
    if not tail:
        return cond[0], then, None
    if not tail.startswith("else"):
        return None
    return cond[0], then, tail[4:].strip()


def _terms(cond: str) -> list[str] | None:
    """The terms of ``a || b || c`` at the top level (parentheses around the whole removed)."""
    cond = cond.strip()
    while cond.startswith("(") and (got := parens(cond)) is not None and not got[1]:
        cond = got[0].strip()
    terms, depth, start = [], 0, 0
    for k, ch in enumerate(cond):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and cond.startswith("||", k):
            terms.append(cond[start:k].strip())
            start = k + 2
    terms.append(cond[start:].strip())
    return terms if all(terms) else None


def _names(expr: str) -> set[str]:
    return set(re.findall(r"\b[A-Za-z_]\w*\b", expr))


def _unchanged(expr: str, var: str, assigned: set[str]) -> bool:
    """Whether ``expr`` is names and numbers alone, reads neither ``var`` nor an assigned name: the same value before
    the loop and in every iteration."""
    plain = _PLAIN.fullmatch(expr) is not None and "&&" not in expr and "||" not in expr
    no_effect = not SIDE_EFFECT.search(expr) and not re.search(r"\b[A-Za-z_]\w*\s*\(", expr)
    return plain and no_effect and not (_names(expr) & (assigned | {var}))


def _edge(term: str, var: str, assigned: set[str]) -> str | None:
    """``E`` of a term ``var == E`` or ``E == var``, when ``E`` does not change in the loop."""
    sides = term.split("==")
    if len(sides) != 2 or "!" in sides[0][-1:] or any(c in sides[1][:1] for c in "="):
        return None
    left, right = (s.strip() for s in sides)
    other = right if left == var else left if right == var else None
    return other if other is not None and _unchanged(other, var, assigned) else None


def peel_edges(source: str, line: int) -> Peeled | None:
    """The rewrite of the loop whose ``for`` starts on ``line`` (1-based), or None (not understood)."""
    loop = counting_loop(COMMENT.sub(lambda m: " " * len(m.group(0)) if "\n" not in m.group(0)
                                     else "\n" * m.group(0).count("\n"), source), line)
    if loop is None or not loop.rest.startswith("{") or loop.bounds.step != 1:
        return None
    got = braced_body(loop.rest)
    if got is None:
        return None
    body, after = got
    b = loop.bounds
    if re.search(r"\b(?:break|return|goto)\b", body) or (not b.kind and not assigned_next(b.var, after)):
        return None
    statements = _statements(body)
    if not statements:
        return None
    first = next((k for k, s in enumerate(statements) if re.match(r"(?:if|for|while|do|switch)\b|\{", s)), None)
    if first is None or not statements[first].startswith("if"):
        return None
    split = _split_if(statements[first])
    terms = None if split is None else _terms(split[0])
    if split is None or terms is None:
        return None
    assigned = {n for groups in _ASSIGNED.findall(body) for n in groups if n} | set(_DECLARED.findall(body))
    if b.var in assigned or not all(_unchanged(e, b.var, assigned) for e in (b.lo, b.hi)):
        return None
    edges, others = [], []
    for term in terms:
        e = _edge(term, b.var, assigned)
        if e is not None:
            edges.append(e)
        elif _unchanged(term, b.var, assigned):
            others.append(term)
        else:
            return None
    if not edges:
        return None
    _, _, otherwise = split
    lo, last = _p(b.lo), (f"{_p(b.hi)} - 1" if b.op == "<" else b.hi)
    checks = [f"!{_p(t)}" for t in others] + [f"{_p(last)} - {lo} >= 1"]
    checks += [f"({_p(e)} <= {lo} || {_p(e)} >= {_p(last)})" for e in edges if _same(e) not in (_same(lo), _same(last))]
    between = [*statements[:first], *([otherwise] if otherwise else []), *statements[first + 1:]]
    v, kind, indent = b.var, b.declared, _indent(body)
    whole = loop.text[:len(loop.text) - len(after)]
    code = "\n".join([
        "if (" + " && ".join(checks) + ") {",
        f"    for ({kind}{v} = {b.lo}; {v} < {lo} + 1; {v}++) {{",
        *("        " + s for s in _lines(body)),
        "    }",
        f"    for ({kind}{v} = {lo} + 1; {v} < {last}; {v}++) {{",
        *("        " + s for s in _lines("\n".join(_reindent(s, indent) for s in between))),
        "    }",
        f"    for ({kind}{v} = {last}; {v} <= {last}; {v}++) {{",
        *("        " + s for s in _lines(body)),
        "    }",
        "} else",
        *("    " + s if s.strip() else s for s in _dedent(whole).splitlines()),
    ]) + "\n"
    return Peeled(code, (line, loop.last_line(after)), after, v, tuple(f"{v} == {e}" for e in edges))


def _dedent(text: str) -> str:
    """``text`` (a loop as written, its first line already stripped) with its later lines' common indent removed."""
    lines = text.splitlines()
    rest = [s for s in lines[1:] if s.strip()]
    cut = min((len(s) - len(s.lstrip()) for s in rest), default=0)
    closing = len(lines[-1]) - len(lines[-1].lstrip()) if len(lines) > 1 else 0
    cut = min(cut, closing)
    return "\n".join([lines[0], *(s[cut:] for s in lines[1:])])


def _indent(body: str) -> int:
    """The common indent of the body's lines."""
    return min((len(s) - len(s.lstrip()) for s in body.splitlines() if s.strip()), default=0)


def _lines(body: str) -> list[str]:
    """The body's lines, its common indent removed."""
    cut = _indent(body)
    return [s[cut:] for s in body.splitlines() if s.strip()]


def _reindent(statement: str, indent: int) -> str:
    """A statement read off the body (its first line stripped, the others as written) at the body's indent."""
    return " " * indent + statement


def _p(expr: str) -> str:
    """``expr``, in parentheses unless it is one name or number."""
    expr = expr.strip()
    return expr if re.fullmatch(r"[\w.]+", expr) else f"({expr})"


def _same(expr: str) -> str:
    """``expr`` with no spaces and no parentheses around the whole: for comparing two written the same."""
    expr = re.sub(r"\s+", "", expr)
    while expr.startswith("(") and (got := parens(expr)) is not None and not got[1]:
        expr = got[0]
    return expr
