"""If-conversion: a loop body that is one ``if`` / ``else if`` / ``else`` chain whose branches each assign the
same floating-point element, rewritten so that every branch's value and every condition is computed in every
iteration and the result is chosen by bit masks; for the chains this module is sure about, and nothing for the
rest.

gcc 12 at ``-O3`` leaves such a chain scalar ("control flow in loop"): each branch's arithmetic may trap
(``-ftrapping-math``), so it may not run where its branch would not, and a plain ``c ? x : y`` over computed
values does not help, since gcc sinks each computation back into its arm. Choosing the bits with integer masks
leaves nothing to sink, and the loop vectorises as a blend.

A chain is understood when every branch is one assignment (``=``, ``+=``, ``-=``, ``*=``) to one target declared
``float`` or ``double``, the same in every branch, and every condition and right-hand side is an expression
:mod:`~mapforge.agents.dependence` reads (no call, increment, assignment, pointer, division or conditional of its
own) whose subscripts are all the loop variable itself: each element read in every iteration is then one the
loop reads at that index anyway, and arithmetic whose result is not chosen changes nothing (its exceptions are
masked). ``t += e`` is ``t = t + (e)``, as C defines it; a chain with no ``else`` keeps the target's value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.dependence import ACCESS, ASSIGN, HEADER, UNREAD, braced_body, declared_type, parens

_OPS = {"=": "", "+=": "+", "-=": "-", "*=": "*"}
_BITS = {"float": "unsigned int", "double": "unsigned long long"}


@dataclass(frozen=True)
class Select:
    """The loop's new body (its statements, one per line), the target, and how many branches it joins."""

    body: str
    target: str
    branches: int


def _branch(text: str) -> tuple[str, str] | None:
    """(the branch's one statement, without its semicolon; what follows the branch)."""
    if text.startswith("{"):
        got = braced_body(text)
        if got is None or got[0].count(";") != 1 or not got[0].strip().endswith(";"):
            return None
        return got[0].strip()[:-1], got[1].lstrip()
    semi = text.find(";")
    return None if semi < 0 else (text[:semi], text[semi + 1:].lstrip())


def _plain(expr: str, var: str) -> bool:
    """An expression safe to evaluate in every iteration: no call, side effect, pointer or division (an integer
    one by zero traps), every subscript the loop variable itself."""
    if UNREAD.search(expr.replace("&&", " ").replace("||", " ")) or re.search(r"(?<![=!<>])=(?!=)|[/%]", expr):
        return False
    if re.search(r"\b[A-Za-z_]\w*\s*\(", expr):
        return False  # a call (a cast is a parenthesis after an operator, not after a name)
    return all(index.strip() == var for _, index in ACCESS.findall(expr))


def _chain(body: str) -> list[tuple[str | None, str]] | None:
    """The chain's arms: (condition, statement), the final ``else`` with condition None."""
    rest = body.strip()
    arms: list[tuple[str | None, str]] = []
    while True:
        if not re.match(r"if\s*\(", rest):
            return None
        cond = parens(rest[2:].lstrip())
        got = None if cond is None else _branch(cond[1])
        if cond is None or got is None:
            return None
        arms.append((cond[0].strip(), got[0]))
        rest = got[1]
        if not re.match(r"else\b", rest):
            break
        rest = rest[4:].lstrip()
        if not re.match(r"if\s*\(", rest):
            last = _branch(rest)
            if last is None:
                return None
            arms.append((None, last[0]))
            rest = last[1]
            break
    return arms if not rest.strip() else None


def if_convert(header: str, body: str, source: str) -> Select | None:
    """The body (what the loop's braces hold) with its chain chosen by masks, or None when not understood.
    ``source``: the code around it, which declares the target's type."""
    m = HEADER.match(header.strip())
    arms = None if m is None else _chain(body)
    if m is None or arms is None:
        return None
    var = m.group(1)
    target, values = None, []
    for cond, statement in arms:
        assign = ASSIGN.match(statement)
        if assign is None or assign.group(3) not in _OPS or not assign.group(0).lstrip().startswith(assign.group(1)):
            return None  # not an assignment, another operator, or a declaration
        name, sub, op, rhs = assign.groups()
        here = name + ("" if sub is None else "[" + sub[1:-1].strip() + "]")
        if target not in (None, here) or (sub is not None and sub[1:-1].strip() != var) or name == var:
            return None
        target = here
        if not _plain(rhs, var) or (cond is not None and not _plain(cond, var)):
            return None
        values.append(rhs.strip() if op == "=" else f"{target} {_OPS[op]} ({rhs.strip()})")
    assert target is not None
    kind = declared_type(source, target.split("[")[0])
    if kind is None:
        return None
    conds = [c for c, _ in arms if c is not None]
    if arms[-1][0] is not None:
        values.append(target)  # no else: the value it holds
    taken = set(re.findall(r"\b[A-Za-z_]\w*\b", source))
    prefix = "mf"
    while any(t.startswith(prefix + "_") for t in taken):
        prefix += "_"
    bits = _BITS[kind]
    n = len(values)
    lines = [f"{kind} {prefix}_v{k} = {v};" for k, v in enumerate(values)]
    lines.append(f"{bits} " + ", ".join(f"{prefix}_u{k}" for k in range(n)) + ";")
    lines += [f"__builtin_memcpy(&{prefix}_u{k}, &{prefix}_v{k}, sizeof {prefix}_u{k});" for k in range(n)]
    lines += [f"{bits} {prefix}_m{k} = -({bits})(({c}) != 0);" for k, c in enumerate(conds)]
    chosen = f"{prefix}_u{n - 1}"
    for k in reversed(range(len(conds))):
        chosen = f"(({prefix}_u{k} & {prefix}_m{k}) | (~{prefix}_m{k} & {chosen}))"
    lines.append(f"{bits} {prefix}_r = {chosen};")
    lines.append(f"__builtin_memcpy(&{target}, &{prefix}_r, sizeof {prefix}_r);")
    return Select("\n".join(lines), target, len(arms))
