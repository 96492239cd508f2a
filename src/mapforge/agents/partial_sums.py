"""An in-order floating-point reduction loop rewritten with 16 independent partial sums, written out for the loop
itself: for the simple loops this module is sure about, and nothing for the rest.

A loop is understood when it is ``for (v = start; v < end; v++)`` (or ``<= end``, ``++v``, ``v += S`` for an
integer literal S) whose body, braced or not, holds statements that add or subtract a term to a target that does
not move with the loop (``s += term;``, ``s -= term;``, ``s = s + term;``, ``s = s - term;``, ``y[i] += term;``
or ``y[i] = y[i] + term;``), one or more, each into its own target; temporaries of the iteration declared in
the body (``float t = x[v] * 2;``) that the terms read; and, at its end, steps of induction variables by
integer literals (``j++;``, ``j += 5;``) that the terms read. Nothing in the body reads a target, every term
moves with the loop, and every other statement is one :mod:`~mapforge.agents.dependence` reads (no branch,
call with side effects, increment or pointer). The rewrite adds each target's terms (negated where the loop
subtracts them) into 16 sums, the block's k-th iteration into sum k, then adds the 16 sums and the leftover
terms in order, and the total to the target once: the same terms, reassociated, so the result differs from
the loop's only by rounding. A loop variable declared outside the loop, and each induction variable, ends
where the loop would have left it. Sums are kept in the target's type (``double`` when the code declares it
so, ``float`` otherwise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.dependence import (
    ASSIGN,
    UNREAD,
    body_of,
    counting_loop,
    declared_type,
    fresh,
)

LANES = 16
_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")


@dataclass(frozen=True)
class Rewrite:
    """The loop's replacement (one braced statement), and the loop's first and last lines (1-based)."""

    code: str
    lines: tuple[int, int]
    after: str
    """The source after the loop."""



def _element_type(source: str, target: str) -> str:
    """``double`` when ``source`` declares ``target`` (a scalar or a pointer) double, else ``float``."""
    return declared_type(source, target) or "float"


def partial_sums(source: str, line: int) -> Rewrite | None:
    """The reduction loop whose ``for`` starts on ``line`` (1-based), rewritten, or None when not understood."""
    loop = counting_loop(source, line)
    if loop is None:
        return None
    bounds = loop.bounds
    var, start, cmp, end = bounds.var, bounds.lo, bounds.op, bounds.hi
    found = body_of(loop.rest)
    if found is None:
        return None
    body, after = found[0].strip(), found[1]
    inductions = _inductions(body, var)
    if inductions is None:
        return None
    body, steps = inductions
    parts = _body(body, var, tuple(steps))
    if parts is None or any(re.search(rf"\b{re.escape(var)}\b", t) for t in (start, end)):
        return None  # not understood, or bounds that move
    temps, sums = parts
    taken = set(_IDENT.findall(source))
    k = fresh("k", taken)
    accs = [fresh("acc", taken) for _ in sums]
    totals = [fresh("total", taken) for _ in sums]
    kinds = [_element_type(source, name) for name, _, _ in sums]
    limit = f"({end}) + 1" if cmp == "<=" else end
    step = bounds.step
    # the block's last iteration still runs: v + 15 * step < limit (with step 1, v + 16 <= limit)
    whole = f"{var} + {LANES} <= {limit}" if step == 1 else f"{var} + {(LANES - 1) * step} < {limit}"
    steps = {var: step, **steps}  # the loop's variable and each induction variable, by its step
    ahead = {name: f"({name} + {k})" if by == 1 else f"({name} + {by} * {k})" for name, by in steps.items()}
    moving = re.compile(rf"\b({'|'.join(map(re.escape, steps))})\b")
    blocks = ", ".join(f"{name} += {LANES * by}" for name, by in steps.items())
    advance = ", ".join(f"{name}++" if by == 1 else f"{name} += {by}" for name, by in steps.items())

    def at(text: str) -> str:
        return moving.sub(lambda m: ahead[m.group(1)], text)

    def block(lines: list[str], indent: str) -> str:
        """The statements as a loop's body: one on its own line, more in braces."""
        if len(lines) == 1:
            return f"\n{indent}    {lines[0]}\n"
        return " {\n" + "".join(f"{indent}    {t}\n" for t in lines) + f"{indent}}}\n"
    blocked = [at(t) + ";" for t in temps] + [f"{a}[{k}] += {at(term)};" for a, (_, _, term) in zip(accs, sums)]
    leftover = [t + ";" for t in temps] + [f"{t} += {term};" for t, (_, _, term) in zip(totals, sums)]
    code = ("{\n"
            + "".join(f"    {kind} {a}[{LANES}] = {{0}};\n" for kind, a in zip(kinds, accs))
            + f"    {bounds.declared}{var} = {start};\n"
            f"    for (; {whole}; {blocks})\n"
            f"        for (int {k} = 0; {k} < {LANES}; {k}++)" + block(blocked, "        ")
            + "".join(f"    {kind} {t} = 0;\n" for kind, t in zip(kinds, totals))
            + f"    for (int {k} = 0; {k} < {LANES}; {k}++)" + block([f"{t} += {a}[{k}];" for t, a in zip(totals, accs)],
                                                                     "    ")
            + f"    for (; {var} < {limit}; {advance})" + block(leftover, "    ")
            + "".join(f"    {target} += {t};\n" for t, (_, target, _) in zip(totals, sums))
            + "}")
    return Rewrite(code, (line, loop.last_line(after)), after)


_STEP = re.compile(r"^\s*(?:([A-Za-z_]\w*)\s*\+\+|\+\+\s*([A-Za-z_]\w*)|([A-Za-z_]\w*)\s*\+=\s*([1-9]\d*)"
                   r"|([A-Za-z_]\w*)\s*=\s*\5\s*\+\s*([1-9]\d*))\s*$")


def _inductions(body: str, var: str) -> tuple[str, dict[str, int]] | None:
    """The body without the steps of induction variables that end it (``j++``, ``j += 5``, ``j = j + 5``: a
    variable moved by an integer literal each iteration, after every statement that reads it), and each such
    variable's step; None when a variable steps twice, or is the loop's own."""
    if not body.endswith(";"):
        return body, {}
    statements = body[:-1].split(";")
    steps: dict[str, int] = {}
    while statements and (m := _STEP.match(statements[-1])):
        name = next(g for g in (m.group(1), m.group(2), m.group(3), m.group(5)) if g)
        if name in steps or name == var:
            return None
        steps[name] = int(m.group(4) or m.group(6) or 1)
        statements.pop()
    return ";".join(statements) + ";", dict(reversed(steps.items()))


def _body(body: str, var: str, inductions: tuple[str, ...] = ()) -> tuple[list[str], list[tuple[str, str, str]]] | None:
    """The loop body's statements read as temporaries (``float t = ...``, declared in the body, each read only
    after it is set) and reductions (name, target, term): each adds a term to a target that does not move with
    the loop and that nothing in the body reads; each term moves with the loop (through the variable or a
    temporary). None when the body holds anything else, or no reduction."""
    if not body.endswith(";") or UNREAD.search(body):
        return None
    temps: list[str] = []
    names: list[str] = []  # the temporaries' names
    sums: list[tuple[str, str, str]] = []
    for statement in (t.strip() for t in body[:-1].split(";")):
        m = ASSIGN.match(statement)
        if m is None:
            return None
        name, sub, op, rhs = m.groups()
        if not m.group(0).lstrip().startswith(name):  # a declaration: a temporary of this iteration
            if sub or op != "=" or name in names or name in (var, *inductions):
                return None
            temps.append(statement)
            names.append(name)
            continue
        target = name + (sub or "")
        if op == "=":
            plus = re.match(rf"\s*{re.escape(target)}\s*([-+])(.*)$", rhs, re.S)
            if plus is None:
                return None
            # s = s - a + b adds (-a) + b: the unary minus takes the first operand, as the binary one did
            term = ("- " if plus.group(1) == "-" else "") + plus.group(2).strip()
        elif op == "+=":
            term = rhs.strip()
        elif op == "-=":
            term = f"-({rhs.strip()})"
        else:
            return None
        moving = (var, *inductions, *names)
        if (not term or name in names or name in inductions or re.search(rf"\b({'|'.join(map(re.escape, moving))})\b", sub or "")
                or not re.search(rf"\b({'|'.join(map(re.escape, moving))})\b", term)):
            return None  # no term, a temporary as a target, a target that moves, or a term that does not
        sums.append((name, target, term))
    targets = [n for n, _, _ in sums]
    read = " ".join([t.split("=", 1)[1] for t in temps] + [term for _, _, term in sums]
                    + [target[len(n):] for n, target, _ in sums])
    if not sums or len(set(targets)) < len(targets) or any(re.search(rf"\b{re.escape(n)}\b", read) for n in targets):
        return None  # two sums into one array or scalar, or a target the body reads
    return temps, sums
