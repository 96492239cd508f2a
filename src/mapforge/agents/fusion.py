"""Loop fusion: consecutive loops with the same header over shared arrays joined into one loop, so that each
element is loaded once for all of them instead of once per loop; for the simple loops this module is sure about,
and nothing for the rest.

Loops are understood when they follow one another with nothing between them, count up with one header written
the same way (``for (int i = 0; i < n; i++)``), and hold statements :mod:`~mapforge.agents.dependence` reads
(subscripts ``v + c``, no branch, call with side effects, increment or pointer). Fusion runs a statement of a
later loop at iteration ``i`` before the statements of the earlier loops at iterations after ``i``. Loops join
only where the fused loop carries nothing from one iteration to the next: every two accesses to one array, one
of them a write, touch the same element (which makes the order legal, and leaves a loop the compiler can
vectorise, never the undoing of a distribution that freed a recurrence), and every scalar is assigned in the
iteration before it is read. A scalar assigned in one loop and read or assigned in another keeps the loops
apart, and so do loops that share no array (fusing them saves no load).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.dependence import Statement, body_of, pairs, parse_loop, split_header, text_from


@dataclass(frozen=True)
class Fusion:
    """The fused loop, the first and last lines (1-based) of the loops it replaces, the source after them, the
    arrays the loops share, and how many loops it joins."""

    code: str
    lines: tuple[int, int]
    after: str
    shared: tuple[str, ...]
    loops: int


def _arrays(statements: list[Statement]) -> set[str]:
    return {name for st in statements for name in st.writes} | {name for st in statements for name, _ in st.reads}


def _scalars(statements: list[Statement]) -> tuple[set[str], set[str]]:
    """(the scalars the statements assign, those they read)."""
    return (set().union(*(st.scalar_writes for st in statements)),
            set().union(*(st.scalar_reads for st in statements)))


def _free(statements: list[Statement]) -> bool:
    """Whether the loop carries nothing from one iteration to the next: every two accesses to one array, one of
    them a write, are to the same element, and every scalar it assigns is assigned before it is read."""
    for k, a in enumerate(statements):
        if any(off_a != off_b for b in statements[k:] for off_a, off_b in pairs(a, b)):
            return False
        earlier = set().union(*(st.scalar_writes for st in statements[:k]))
        if a.scalar_reads & (_scalars(statements)[0] - earlier):
            return False
    return True


def fuse(source: str, line: int) -> Fusion | None:
    """The loop whose ``for`` starts on ``line`` (1-based) fused with as many of the loops right after it as
    can join it, or None when not even the next one can."""
    start = text_from(source, line)
    if start is None:
        return None
    text = start[1]
    header: str | None = None
    fused: list[Statement] = []
    shared: set[str] = set()
    count, end, rest = 0, 0, text
    while rest.startswith("for"):
        got = split_header(rest)
        found = None if got is None else body_of(got[1])
        if got is None or found is None or header not in (None, " ".join(got[0].split())):
            break
        statements = parse_loop(got[0], found[0])
        if not statements or not _free(fused + statements):
            break
        if header is not None:
            wrote, read = _scalars(fused)
            wrote_now, read_now = _scalars(statements)
            common = _arrays(fused) & _arrays(statements)
            if wrote & (wrote_now | read_now) or wrote_now & read or not common:
                break  # a scalar passes between the loops, or they share no array
            shared |= common
        header = " ".join(got[0].split())
        fused += statements
        count += 1
        end = len(text) - len(found[1])
        rest = found[1].lstrip()
    if header is None or count < 2:
        return None
    code = f"{header} {{\n" + "".join(f"    {st.text}\n" for st in fused) + "}"
    return Fusion(code, (line, line + text[:end].count("\n")), text[end:], tuple(sorted(shared)), count)


def loop_lines(source: str) -> list[int]:
    """The lines (1-based) on which a ``for`` starts."""
    return [k for k, text in enumerate(source.splitlines(), 1) if re.match(r"\s*for\s*\(", text)]
