"""A loop body's branches, read: its statements and ``if`` / ``else if`` / ``else`` chains (nested or not, one
statement or several per branch), for the rules that rewrite branches (:mod:`~mapforge.agents.select`,
:mod:`~mapforge.agents.compaction`), and whether an expression is safe to evaluate where its branch would not run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.dependence import ACCESS, UNREAD, braced_body, parens


@dataclass
class Chain:
    """``if (c0) A0 else if (c1) A1 ... [else An]``: (condition, the branch's items), the ``else`` with None."""

    arms: list[tuple[str | None, list[Item]]]


Item = str | Chain  # a statement (without its semicolon) or a chain


def read_body(text: str) -> list[Item] | None:
    """The statements and chains of a sequence, in order; None when something else is there."""
    out: list[Item] = []
    rest = text.strip()
    while rest:
        if re.match(r"if\s*\(", rest):
            got = _chain(rest)
            if got is None:
                return None
            out.append(got[0])
            rest = got[1]
        else:
            semi = rest.find(";")
            if semi < 0 or re.search(r"[{}]|\b(?:else|for|while|do|switch|goto|return|break|continue)\b", rest[:semi]):
                return None
            out.append(rest[:semi].strip())
            rest = rest[semi + 1:].lstrip()
    return out


def _arm(text: str) -> tuple[list[Item], str] | None:
    """(a branch's items, what follows the branch): a braced block, a nested chain, or one statement."""
    if text.startswith("{"):
        got = braced_body(text)
        inner = None if got is None else read_body(got[0])
        return None if got is None or inner is None else (inner, got[1].lstrip())
    if re.match(r"if\s*\(", text):
        chain = _chain(text)
        return None if chain is None else ([chain[0]], chain[1])
    semi = text.find(";")
    one = None if semi < 0 else read_body(text[:semi + 1])
    return None if one is None else (one, text[semi + 1:].lstrip())


def _chain(text: str) -> tuple[Chain, str] | None:
    """The chain at the start of ``text`` and what follows it (an ``else`` binds to the nearest ``if``, as in C)."""
    rest = text
    arms: list[tuple[str | None, list[Item]]] = []
    while True:
        cond = parens(rest[2:].lstrip())
        got = None if cond is None else _arm(cond[1])
        if cond is None or got is None:
            return None
        arms.append((cond[0].strip(), got[0]))
        rest = got[1]
        if not re.match(r"else\b", rest):
            return Chain(arms), rest
        rest = rest[4:].lstrip()
        if not re.match(r"if\s*\(", rest):
            last = _arm(rest)
            if last is None:
                return None
            arms.append((None, last[0]))
            return Chain(arms), last[1]


_NUMBER = re.compile(r"(?<![\w.])(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?[fFlLuU]*\b")


def unread(text: str) -> bool:
    """What :mod:`~mapforge.agents.dependence` cannot follow (``&&`` and ``||`` aside; ``1.f`` is no member)."""
    return UNREAD.search(_NUMBER.sub("0", text).replace("&&", " ").replace("||", " ")) is not None


def plain(expr: str, var: str) -> bool:
    """An expression safe to evaluate in every iteration: no call, side effect, pointer or division (an integer
    one by zero traps), every subscript the loop variable itself."""
    if unread(expr) or re.search(r"(?<![=!<>])=(?!=)|[/%]", expr):
        return False
    if re.search(r"\b[A-Za-z_]\w*\s*\(", expr):
        return False  # a call (a cast is a parenthesis after an operator, not after a name)
    return all(index.strip() == var for _, index in ACCESS.findall(expr))


#: A comparison (not a shift): its value is 0 or 1.
_COMPARISON = re.compile(r"==|!=|(?<![<>])(?:<=?|>=?)(?![<>=])")


def _depth_zero(expr: str) -> str:
    """``expr`` with what its parentheses and brackets hold blanked out."""
    out, depth = [], 0
    for ch in expr:
        depth -= ch in ")]"
        out.append(ch if depth == 0 else " ")
        depth += ch in "(["
    return "".join(out)


def _bits(expr: str) -> str | None:
    """``expr`` with its ``&&`` and ``||`` as ``&`` and ``|``, when each operand they join is 0 or 1 (a comparison,
    a negation, or such operands joined so); None when one is not."""
    e = expr.strip()
    if e.startswith("(") and (got := parens(e)) is not None and not got[1]:
        inner = _bits(got[0])
        return None if inner is None else f"({inner})"
    flat = _depth_zero(e)
    cuts = [m for m in re.finditer(r"&&|\|\|", flat)]
    if cuts:
        pieces, at = [], 0
        for m in cuts:
            pieces += [e[at:m.start()], m.group(0)[0]]
            at = m.end()
        pieces.append(e[at:])
        operands = [_bits(p) for p in pieces[::2]]
        if any(o is None for o in operands):
            return None
        out = str(operands[0])
        for op, operand in zip(pieces[1::2], operands[1:]):
            out += f" {op} {operand}"
        return out
    if "&&" in e or "||" in e:
        return None  # nested inside an operand that is not itself 0 or 1
    if e.startswith("!") and not e.startswith("!="):
        return e
    return e if _COMPARISON.search(flat) and not re.search(r"[&|^?,]|(?<![=!<>])=(?!=)", flat) else None


def bitwise(cond: str) -> str:
    """``cond`` with ``&&`` and ``||`` as ``&`` and ``|`` where every operand they join is 0 or 1 (a comparison or a
    negation: the bitwise operators give the same value, and ``&`` binds tighter than ``|`` as ``&&`` than ``||``),
    else as it is. A condition :func:`plain` accepts is safe to evaluate whole in every iteration; with short-circuit
    operators gcc still branches over the later operands, and a compaction of four tests kept that way ran 1.1x,
    with ``&`` 3.9x."""
    return _bits(cond) or cond if "&&" in cond or "||" in cond else cond
