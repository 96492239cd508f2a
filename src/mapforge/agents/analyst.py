"""Analyst: plans read off what the harness measured, with no model call.

The planner is shown each profile, and a small model often plans past it: the 1.5B model, told that the
reference's float sum runs as an in-order reduction and that independent partial sums break that chain,
proposed OpenMP for a single-threaded task, "a vectorised loop" for a loop gcc had vectorised, and fewer
iterations. Where a profile names a cost with a remedy that holds for any code, the analyst writes that plan
itself, for the code the profile measured (``Plan.parent``). Each rule reads a finding of the compiler or
the machine, never a task: a new rule is a function from a :class:`Measured` code to plans, added to
``RULES``.

Each (code, plan) pair is offered once per job, and ``agents.analyst`` turns the analyst off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from mapforge.agents.parsing import Plan
from mapforge.evaluators.verdict import Profile

#: A serial chain of additions retires one element per addition's latency, a few GB/s. Code whose data moves at
#: half the machine's streaming bandwidth or more is not held back by one: an in-order loop its report still
#: shows is a loop over the leftover elements.
CHAIN_BOUND = 0.5


@dataclass(frozen=True)
class Measured:
    """One code the analyst reads: its id (``reference`` or a candidate's), its profile, its bytes per second
    over the machine's streaming bandwidth, whether or not the data fits in cache (None: not measured), and its
    source (the lines the profile's report names)."""

    id: str
    profile: Profile | None
    stream_share: float | None = None
    source: str = ""


#: The technique, with the loop's own term left to the coder: a small model given it only in words wrote 16
#: sums of every element, or one accumulator per block (bench/RESULTS.md, twelfth session).
SKELETON = """Keep 16 independent partial sums instead of one and combine them after the loop, in this shape:
```c
float acc[16] = {0};
int i = 0;
for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++)
        acc[k] += /* the loop's term for element i + k */;
float total = 0;
for (int k = 0; k < 16; k++) total += acc[k];
for (; i < n; i++) total += /* the term for element i */;
```
The fixed-length inner loop keeps the 16 sums in vector registers. Reordering the additions changes the result
only by rounding, within the task's tolerance."""


def in_order_reduction(m: Measured) -> list[Plan]:
    """gcc vectorised the loads of a float reduction but kept its additions in source order (no -ffast-math
    allows it to reorder them): each addition waits for the one before, which independent partial sums end.
    Only while the code moves its data well below the streaming bandwidth: a fast candidate's leftover-elements
    loop is such a reduction too, and costs nothing."""
    if m.profile is None or (m.stream_share is not None and m.stream_share >= CHAIN_BOUND):
        return []
    return [Plan(
        title=f"Independent partial sums for the reduction on line {lp.line}",
        bottleneck=(f"`{lp.code}`: the compiler's report (measured) says this loop is an in-order reduction: "
                    "its loads are vectorised but every floating-point addition waits for the previous one, "
                    "because the compiler may not reorder them"),
        approach=SKELETON,
        confidence=0.6,
    ) for lp in m.profile.loops if lp.in_order]


#: An assignment to an array element (``x[i] = ``, ``x[i + 1] *= ``), not a comparison.
_STORE = re.compile(r"\b([A-Za-z_]\w*)\s*\[[^\]]*\]\s*(?:[-+*/]?=)(?!=)")


def loop_body(source: str, line: int) -> str | None:
    """The braced body of the ``for`` loop starting on ``line`` (1-based) of ``source``; None when that line
    starts no such loop or its body is a single unbraced statement."""
    lines = source.splitlines()
    if not 0 < line <= len(lines) or not lines[line - 1].lstrip().startswith("for"):
        return None
    text = "\n".join(lines[line - 1:])
    open_paren = text.find("(")
    depth, i = 0, open_paren
    for i in range(open_paren, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            break
    rest = text[i + 1:].lstrip()
    if not rest.startswith("{"):
        return None
    depth = 0
    for j, ch in enumerate(rest):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0:
            return rest[1:j]
    return None


#: Loop distribution, stated for any loop: which statement's loop goes first follows from what each reads.
DISTRIBUTE = """Loop distribution: give each statement (or each group of statements that must stay together) a
loop of its own over the same range, in this shape:
```c
for (int i = START; i < END; i++) { /* one statement of the loop */ }
for (int i = START; i < END; i++) { /* another statement of the loop */ }
```
Order the loops so that every element a statement reads has the value it had at that point in the original loop:
- a statement that reads an element another statement writes only in a later iteration (for example `x[i + 1]`
  where the other statement writes `x[i]`) must see the old value: its loop goes first;
- a statement that reads what another statement wrote in the same or an earlier iteration goes after it;
- two statements that each need the other first stay in one loop; so do scalars carried between them.
Keep the original bounds. A loop left with one statement and no value carried from the previous iteration is
one the compiler vectorises; a statement that reads its own previous element (`x[i - 1]` while writing `x[i]`)
stays serial in its own loop, and no longer holds the others back."""


def mixed_loop(m: Measured) -> list[Plan]:
    """gcc did not vectorise an innermost loop whose body stores to two or more arrays: a dependence of one
    statement keeps every statement of the loop scalar, and splitting the loop (distribution) frees the
    statements that do not take part in it. Whatever the code's bandwidth: its data may sit in cache (tsvc-s212's
    24 MB, at 0.98 of the single-core streaming bandwidth, ran 1.64x faster split)."""
    if m.profile is None or not m.source:
        return []
    plans = []
    for lp in m.profile.loops:
        body = loop_body(m.source, lp.line) if lp.width is None else None
        if body is None or re.search(r"\b(for|while|do)\b", body):
            continue
        stored = dict.fromkeys(_STORE.findall(body))
        if len(stored) < 2:
            continue
        arrays = ", ".join(f"`{a}`" for a in stored)
        inside = [f"`{s.code}`: {s.missed}" for s in m.profile.loops
                  if s.missed and lp.line < s.line <= lp.line + body.count("\n") + 1]
        plans.append(Plan(
            title=f"Split the loop on line {lp.line} into one loop per statement",
            bottleneck=(f"`{lp.code}`: the compiler's report (measured) says it did not vectorise this loop "
                        f"({'; '.join(inside) or lp.missed or 'no reason given'}). Its body stores to {arrays}: a dependence "
                        "between its statements keeps all of them scalar, even those that would vectorise "
                        "in a loop of their own"),
            approach=DISTRIBUTE,
            confidence=0.5,
        ))
    return plans


RULES: tuple[Callable[[Measured], list[Plan]], ...] = (in_order_reduction, mixed_loop)


class Analyst:
    def __init__(self, per_round: int = 1, temperature: float | None = 0.0) -> None:
        self.per_round, self.temperature = per_round, temperature
        self._offered: set[tuple[str, str]] = set()

    def run(self, subjects: Iterable[Measured]) -> list[Plan]:
        """Up to ``per_round`` plans not offered before, for the codes in the order given (the best first)."""
        out: list[Plan] = []
        for m in subjects:
            for rule in RULES:
                for plan in rule(m):
                    if (m.id, plan.title) in self._offered or len(out) >= self.per_round:
                        continue
                    self._offered.add((m.id, plan.title))
                    out.append(plan.model_copy(update={"parent": m.id, "temperature": self.temperature}))
        return out
