"""A search loop, one that does nothing but test each element until a test passes and then leaves, rewritten to
test blocks of elements at once: for the loops this module is sure about, and nothing for the rest.

gcc 12 vectorises no loop with an exit in it ("control flow in loop"): the loop tests one element per iteration.
Testing a whole block (32 iterations, unconditionally, their results or-ed together) is a loop without an exit,
which gcc vectorises; the first block with a passing test is then searched by the original loop, from the
block's start, which finds the same element and runs the same statements. Until then the original loop did
nothing, since its body holds only the test.

A loop is understood when it is ``for (v = lo; v < hi; v++)`` (or ``<=``, a constant step, ``v`` declared in the
header or before) whose body, braced or not, is one ``if`` with no ``else`` whose branch ends with ``break;``
(what comes before the ``break`` is kept as it is, since only the original loop runs it, once; it holds no
``continue`` and no loop or ``switch`` of its own, so the ``break`` is reached and is the loop's), and whose
condition has no side effect, no call but ``fabs``/``fabsf`` and no division (an integer one may trap). The blocks test the condition for iterations past the one that passes, within the loop's
bounds: the elements a loop with those bounds reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.dependence import braced_body, counting_loop, parens

BLOCK = 32
_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")


@dataclass(frozen=True)
class Search:
    """The loop's replacement (one braced statement), its first and last lines (1-based), the source after it,
    and the condition the blocks test."""

    code: str
    lines: tuple[int, int]
    after: str
    condition: str


def _pure(cond: str) -> bool:
    if re.search(r"\+\+|--|->|[?{};/%]|(?<![=!<>])=(?!=)|[\w\])]\s*\.\s*[A-Za-z_]|(?<!&)&(?!&)", cond):
        return False
    return all(name in ("fabs", "fabsf") for name in re.findall(r"\b([A-Za-z_]\w*)\s*\(", cond))


def _if_break(text: str) -> tuple[str, str, str] | None:
    """(condition, the branch as written, what follows) of text starting with ``if (c) ... break;``."""
    if not re.match(r"if\s*\(", text):
        return None
    got = parens(text[2:].lstrip())
    if got is None:
        return None
    cond, rest = got
    if rest.startswith("{"):
        braced = braced_body(rest)
        if (braced is None or not re.search(r"(?:^|[;}\s])break\s*;\s*$", braced[0])
                or re.search(r"\b(continue|for|while|do|switch)\b", braced[0])):
            return None  # the break at its end might not be reached, or not be the loop's
        branch, rest = rest[:len(rest) - len(braced[1])], braced[1]
    else:
        m = re.match(r"break\s*;", rest)
        if m is None:
            return None
        branch, rest = m.group(0), rest[m.end():]
    if re.match(r"\s*else\b", rest):
        return None
    return cond.strip(), branch, rest


def blocked_search(source: str, line: int) -> Search | None:
    """The search loop whose ``for`` starts on ``line`` (1-based), rewritten, or None when not understood."""
    loop = counting_loop(source, line)
    if loop is None:
        return None
    bounds, rest = loop.bounds, loop.rest
    if rest.startswith("{"):
        braced = braced_body(rest)
        parsed = None if braced is None else _if_break(braced[0].strip())
        if braced is None or parsed is None or parsed[2].strip():
            return None
        after = braced[1]
    else:
        parsed = _if_break(rest)
        if parsed is None:
            return None
        after = parsed[2]
    cond, branch, _ = parsed
    var, step = bounds.var, bounds.step
    if not _pure(cond) or not re.search(rf"\b{re.escape(var)}\b", cond):
        return None
    taken = set(_IDENT.findall(source))
    k = "k"
    while k in taken:
        k += "_"
    found = "any"
    while found in taken:
        found += "_"
    ahead = f"({var} + {k})" if step == 1 else f"({var} + {step} * {k})"
    tested = re.sub(rf"\b{re.escape(var)}\b", ahead, cond)
    limit = f"({bounds.hi}) + 1" if bounds.op == "<=" else bounds.hi
    whole = f"{var} + {BLOCK} <= {limit}" if step == 1 else f"{var} + {(BLOCK - 1) * step} < {limit}"
    advance = f"{var}++" if step == 1 else f"{var} += {step}"
    body = " ".join(branch.split())
    code = ("{\n"
            f"    {bounds.declared}{var} = {bounds.lo};\n"
            f"    for (; {whole}; {var} += {BLOCK * step}) {{\n"
            f"        int {found} = 0;\n"
            f"        for (int {k} = 0; {k} < {BLOCK}; {k}++)\n"
            f"            {found} |= ({tested}) != 0;\n"
            f"        if ({found})\n"
            "            break;\n"
            "    }\n"
            f"    for (; {var} {bounds.op} {bounds.hi}; {advance})\n"
            f"        if ({cond}) {body}\n"
            "}")
    return Search(code, (line, loop.last_line(after)), after, cond)
