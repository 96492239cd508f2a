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
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol, TypeVar

from mapforge.agents.compaction import compact
from mapforge.agents.dependence import (
    Split,
    counting_loop,
    distribute,
    fallback_loops,
    last_line,
    loop_at,
    remainder_loops,
)
from mapforge.agents.early_exit import BLOCK, blocked_search
from mapforge.agents.edges import peel_edges
from mapforge.agents.extremum import extremum
from mapforge.agents.fission import fission
from mapforge.agents.fusion import fuse, loop_lines
from mapforge.agents.interchange import interchange, loop_variables, nest_at
from mapforge.agents.mathcalls import BLOCK as ROOT_BLOCK
from mapforge.agents.mathcalls import BLOCKS, NOT_CALLS, Inlined, define, inline_calls
from mapforge.agents.parsing import Plan
from mapforge.agents.partial_sums import LANES, partial_sums
from mapforge.agents.partial_sums import Rewrite as SumsRewrite
from mapforge.agents.reassociate import carried_last
from mapforge.agents.scan import CHAINS, SECOND_CHAINS, scan
from mapforge.agents.select import masked_loop
from mapforge.agents.tiling import COLS, ROWS, tile
from mapforge.agents.wraparound import wraparound
from mapforge.evaluators.verdict import LoopReport, Profile

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


def _splice(source: str, first: int, last: int, after: str, text: str) -> str | None:
    """``source`` with lines ``first``-``last`` (1-based; a loop or a nest, followed by ``after``) replaced by
    ``text``, indented as the first line was, or None when the loop shares its first or last line with other
    code."""
    lines = source.splitlines()
    if after.split("\n", 1)[0].strip() or last > len(lines):
        return None
    indent = lines[first - 1][:len(lines[first - 1]) - len(lines[first - 1].lstrip())]
    new = [indent + t if t else t for t in text.splitlines()]
    return "\n".join(lines[:first - 1] + new + lines[last:]) + "\n"


def _rewrite(title: str, bottleneck: str, how: str, where: str, whole: str, why: str) -> Plan:
    """A plan that gives the whole code: ``how`` the technique works, ``where`` the lines the code replaces, ``why``
    it computes the same."""
    return Plan(title=title, bottleneck=bottleneck,
                approach=(f"{how} The code, with {where} replaced:\n```c\n{whole}```\n{why} Keep the rest of the code "
                          "as it is."),
                confidence=0.5, code=whole)


def in_order_reduction(m: Measured) -> list[Plan]:
    """gcc vectorised the loads of a float reduction but kept its additions in source order (no -ffast-math
    allows it to reorder them): each addition waits for the one before, which independent partial sums end.
    Where :mod:`~mapforge.agents.partial_sums` understands the loop, the plan gives the whole code with the loop
    rewritten (the 1.5B given only the skeleton got none of 10 held-out nests' reductions right: bench/RESULTS.md,
    fifteenth session); otherwise the skeleton. Only while the code moves its data well below the streaming
    bandwidth: a fast candidate's leftover-elements loop is such a reduction too, and costs nothing."""
    if m.profile is None or (m.stream_share is not None and m.stream_share >= CHAIN_BOUND):
        return []

    def plan(line: int, bottleneck: str, rewrite: SumsRewrite | None, whole: str | None) -> Plan:
        approach = SKELETON
        if rewrite and whole:
            approach = (f"Keep {LANES} independent partial sums instead of one and add them after the loop. The "
                        f"code, with the loop on lines {rewrite.lines[0]}-{rewrite.lines[1]} replaced:\n```c\n"
                        f"{whole}```\nThe fixed-length inner loop keeps the {LANES} sums in vector registers. "
                        "Reordering the additions changes the result only by rounding, within the task's tolerance. "
                        "Keep the rest of the code as it is.")
        return Plan(title=f"Independent partial sums for the reduction on line {line}", bottleneck=bottleneck,
                    approach=approach, confidence=0.6, code=whole if rewrite else None)

    plans = []
    for lp in m.profile.loops:
        if not lp.in_order or _short(m.source, lp.line):
            continue
        rewrite = partial_sums(m.source, lp.line) if m.source else None
        whole = _splice(m.source, *rewrite.lines, rewrite.after, rewrite.code) if rewrite else None
        plans.append(plan(lp.line, (f"`{lp.code}`: the compiler's report (measured) says this loop is an in-order "
                                    "reduction: its loads are vectorised but every floating-point addition waits for "
                                    "the previous one, because the compiler may not reorder them"), rewrite, whole))
    for lp, got, whole in _left_scalar(m, partial_sums):  # not vectorised at all: the same chain, scalar
        if _short(m.source, got.lines[0]):
            continue
        if set(re.findall(r"(?<![\w.>])([A-Za-z_]\w*)\s*\(", got.code)) - NOT_CALLS:
            continue  # a call keeps the sums' block scalar too, and the call, not the chain, sets the pace
        why = lp.missed or "no reason given"
        plans.append(plan(got.lines[0], (f"`{lp.code}`: the compiler's report (measured) says it did not vectorise "
                                         f"the loop on lines {got.lines[0]}-{got.lines[1]} ({why}); it adds into a "
                                         "floating-point sum, so every addition waits for the previous one"),
                          got, whole))
    return plans


#: A loop of at most this many iterations, counted by constants, holds no chain worth breaking (the sums' own
#: combining loop, ``for (int k = 0; k < 16; k++) total += acc[k];``, read again).
SHORT = 64


def _short(source: str, line: int) -> bool:
    """Whether the ``for`` on ``line`` (or up to four lines above, where gcc names a statement) counts from one
    integer constant to another, :data:`SHORT` iterations or fewer."""
    for start in range(line, max(line - 5, 0), -1):
        loop = counting_loop(source, start)
        if loop is not None:
            lo, hi = (re.fullmatch(r"\d+", e.strip()) for e in (loop.bounds.lo, loop.bounds.hi))
            return bool(lo and hi) and int(loop.bounds.hi) - int(loop.bounds.lo) <= SHORT
    return False


def _loops(split: Split) -> str:
    return "\n".join(f"{split.header} {{\n" + "".join(f"    {st}\n" for st in stmts) + "}" for stmts in split.loops)


def _written(split: Split) -> str:
    """The split loops as one braced statement: a loop around the original, unbraced, keeps all of them."""
    return "{\n" + "".join(f"    {line}\n" for line in _loops(split).splitlines()) + "}"


def _shape(split: Split) -> str:
    """The split loops written out, the order's reason, and which loops the compiler can vectorise."""
    loops = _loops(split)
    free = ", ".join(f"loop {k + 1}" for k, c in enumerate(split.carried) if not c)
    serial = ", ".join(f"loop {k + 1}" for k, c in enumerate(split.carried) if c)
    return (f"Loop distribution: the same statements, one loop per group, in this order:\n```c\n{loops}\n```\n"
            "The order is the dependences' (worked out from the subscripts): every loop reads each element as the "
            "original loop read it, after the loops that wrote it earlier and before those that overwrite it. "
            "Keep the order, the bounds and the statements as they are. No value is carried from one iteration to "
            f"the next in {free}: the compiler can vectorise each."
            + (f" {serial.capitalize()} still carries one and stays serial, no longer holding the others back."
               if serial else ""))


def mixed_loop(m: Measured) -> list[Plan]:
    """gcc did not vectorise an innermost loop whose statements it could vectorise apart: a dependence of one
    statement, or between two, keeps the whole loop scalar, and splitting it (distribution) frees the statements
    that do not take part. Only a loop :mod:`~mapforge.agents.dependence` understands and can split legally, with
    at least one of its loops free of a carried value, and whatever the code's bandwidth: its data may sit in
    cache (tsvc-s212's 24 MB, at 0.98 of the single-core streaming bandwidth, ran 1.64x faster split)."""
    if m.profile is None or not m.source:
        return []
    plans = []
    for lp in m.profile.loops:
        found = loop_at(m.source, lp.line) if lp.width is None else None
        split = distribute(*found) if found else None
        if found is None or split is None or all(split.carried):
            continue
        last = last_line(m.source, lp.line, found[2])
        inside = [f"`{s.code}`: {s.missed}" for s in m.profile.loops if s.missed and lp.line < s.line <= last]
        plans.append(Plan(
            title=f"Split the loop on line {lp.line} into {len(split.loops)} loops",
            bottleneck=(f"`{lp.code}`: the compiler's report (measured) says it did not vectorise this loop "
                        f"({'; '.join(inside) or lp.missed or 'no reason given'}): a dependence among its "
                        "statements keeps all of them scalar, even those that would vectorise in a loop of their own"),
            approach=_shape(split),
            confidence=0.5,
            code=_splice(m.source, lp.line, last, found[2], _written(split)),
        ))
    return plans


class _Rewritten(Protocol):
    """A loop rewritten by one of the rule modules: its first and last lines, the source after it, the new code."""

    @property
    def lines(self) -> tuple[int, int]: ...
    @property
    def after(self) -> str: ...
    @property
    def code(self) -> str: ...


R = TypeVar("R", bound=_Rewritten)


def _left_scalar(m: Measured, find: Callable[[str, int], R | None],
                 reason: str = "") -> Iterator[tuple[LoopReport, R, str]]:
    """Each loop the report says the compiler left scalar (for ``reason``, when given) that ``find`` rewrites, once:
    the report's entry, the rewrite, and the whole code with it. gcc names a loop by its ``for``, a statement's
    line or its exit's, so the ``for`` is looked for on the line named and up to four lines above."""
    if m.profile is None or not m.source:
        return
    done: set[int] = set()
    for lp in m.profile.loops:
        if lp.width is not None or reason not in (lp.missed or ""):
            continue
        found = next((got for start in range(lp.line, max(lp.line - 5, 0), -1)
                      if (got := find(m.source, start)) and got.lines[0] <= lp.line <= got.lines[1]), None)
        whole = _splice(m.source, *found.lines, found.after, found.code) if found else None
        if found is None or whole is None or found.lines[0] in done:
            continue
        done.add(found.lines[0])
        yield lp, found, whole


def carried_scalar(m: Measured) -> list[Plan]:
    """gcc left scalar a loop that carries a scalar holding the previous iteration's value of an expression (a
    wraparound variable: ``a[i] = b[i] + x; x = b[i];``); it vectorises no carried scalar but a reduction. Where
    :mod:`~mapforge.agents.wraparound` understands the loop, the plan gives the whole code with the first iteration
    run on its own and the scalar's reads replaced by the expression at the previous index; whatever the code's
    bandwidth (a scalar loop is far from it)."""
    plans = []
    for lp, found, whole in _left_scalar(m, wraparound):
        first, last = found.lines
        plans.append(_rewrite(
            f"Read the previous value of `{found.scalar}` from its source in the loop on line {first}",
            (f"`{lp.code}`: the compiler's report (measured) says it did not vectorise the loop on lines "
             f"{first}-{last} ({lp.missed or 'no reason given'}): `{found.scalar}` carries `{found.expression}` from "
             "one iteration to the next, and the compiler vectorises no carried scalar but a reduction"),
            ("Run the first iteration on its own; in the others, read the expression at the previous index where "
             f"the loop read `{found.scalar}` before assigning it. Nothing is carried, so the loop vectorises."),
            f"lines {first}-{last}", whole,
            (f"This computes the same: the expression reads nothing the loop writes, so at the previous index it "
             f"is the value `{found.scalar}` held, and the assignment stays, so `{found.scalar}` ends as before.")))
    return plans


def edge_iterations(m: Measured) -> list[Plan]:
    """gcc left scalar a loop whose body tests for its first or last iteration (a border: ``if (j == 0 || j == w -
    1)``): the branch keeps it scalar ("control flow in loop") though the test holds in at most two iterations.
    Where :mod:`~mapforge.agents.edges` understands the loop, the plan gives the whole code with those iterations
    run apart, as written, and the loop between them without the branch (what the body does when the test is
    false), checked before it runs; whatever the code's bandwidth (a scalar loop is far from it). The loop between
    may still call what the compiler keeps scalar: the analyst reads that code's profile next round."""
    plans = []
    for lp, found, whole in _left_scalar(m, peel_edges):
        first, last = found.lines
        edges = " or ".join(f"`{e}`" for e in found.edges)
        plans.append(_rewrite(
            f"Run the edge iterations of the loop on line {first} apart from the rest",
            (f"`{lp.code}`: the compiler's report (measured) says it did not vectorise the loop on lines "
             f"{first}-{last} ({lp.missed or 'no reason given'}): its body branches on {edges}, which hold in its "
             "first or last iteration at most, so every other iteration pays for a branch it never takes"),
            ("Index-set splitting: run the first and the last iteration on their own, as written, and the "
             "iterations between in a loop whose body is what the original runs when the test is false. A check "
             "before it (the test's other terms false, each edge outside the iterations between, two iterations "
             "or more) chooses it; otherwise the loop runs as written."),
            f"lines {first}-{last}", whole,
            ("This computes the same: between the first and last iteration the test is false, which the check "
             "makes sure of before the loops run, and the edge iterations run the body unchanged.")))
    return plans


#: How a chain of :mod:`~mapforge.agents.scan` is named, what each iteration waits for, and what its first pass does.
_CHAIN_WORDS = {
    "+": ("sum", "addition", "adds up each segment's terms"),
    "*": ("product", "multiplication", "multiplies each segment's factors"),
    "affine": ("linear recurrence (a factor times it plus a term)", "multiply-add",
               "composes each segment's factors and terms into one factor and one term"),
    "second": ("second-order linear recurrence (factors times its two previous values plus a term)", "multiply-add",
               "runs each segment's recurrence from a zero state and from two unit states without the term, which "
               "give the two values it leaves with as a linear function of the two it enters with"),
}


def running_chain(m: Measured) -> list[Plan]:
    """gcc left scalar a loop that carries a running sum or product it also reads (a scan: ``s += a[i]; b[i] = s;``,
    ``x[i] = x[i - 1] + a[i]``): no reduction it may vectorise, and each iteration waits for the previous one's
    addition. Where :mod:`~mapforge.agents.scan` understands the loop, the plan gives the whole code with the
    iterations cut into segments whose chains run side by side; whatever the code's bandwidth (one addition's
    latency per element is far from it)."""
    plans = []
    for lp, found, whole in _left_scalar(m, scan):
        first, last = found.lines
        what, step, first_pass = _CHAIN_WORDS[found.op]
        chains = SECOND_CHAINS if found.op == "second" else CHAINS
        plans.append(_rewrite(
            f"Run the {what} carried in `{found.chain}` as {chains} chains side by side in the loop on line {first}",
            (f"`{lp.code}`: the compiler's report (measured) says it did not vectorise the loop on lines "
             f"{first}-{last} ({lp.missed or 'no reason given'}): `{found.chain}` carries a running {what} from one "
             f"iteration to the next and is read in the loop, so it is no reduction the compiler may vectorise, and "
             f"every iteration waits for the previous one's {step}"),
            (f"Cut the iterations into {chains} segments. A first pass {first_pass}, independently; those give each "
             "segment the value the chain enters it with; a second pass runs the "
             f"loop's own statements over the {chains} segments side by side, each segment with its own copy of the "
             f"chain: {chains} independent chains, which the processor overlaps. The leftover iterations run as "
             "before."),
            f"lines {first}-{last}", whole,
            ("This computes the same up to rounding: but for the chain, every array the loop writes it reads and writes only at the "
             f"loop variable, so the segments may run in any order, and only the chain's {step}s are regrouped "
             "(within the task's tolerance).")))
    return plans


def carried_value(m: Measured) -> list[Plan]:
    """gcc left scalar a loop whose statement adds the value carried from the iteration before early in a sum
    (a filter's ``y = b0 * x + ... - a1 * y1 - a2 * y2; ...; y1 = y;``): every operation after it is on the chain
    from one iteration to the next. Where :mod:`~mapforge.agents.reassociate` understands the loop, the plan gives
    the whole code with the other terms summed first and the carried value added last: one multiply-add on the
    chain."""
    plans = []
    for lp, found, whole in _left_scalar(m, carried_last):
        first, last = found.lines
        plans.append(_rewrite(
            f"Add `{found.carried}` last in the loop on line {first}",
            (f"`{lp.code}`: the compiler's report (measured) says it did not vectorise the loop on lines {first}-{last} "
             f"({lp.missed or 'no reason given'}): `{found.carried}` carries the previous iteration's value into "
             f"`{found.statement}`, which adds it before its other terms, so every operation after it waits for the "
             "previous iteration"),
            ("Sum the terms that do not read the carried value first and add it last, so that one multiply-add "
             "stands between one iteration's value and the next, and the rest overlaps with the previous iteration."),
            f"lines {first}-{last}", whole,
            "This computes the same up to rounding: only the statement's sum is regrouped (within the task's "
            "tolerance)."))
    return plans


def branching_loop(m: Measured) -> list[Plan]:
    """gcc left a loop scalar for its control flow: branches that assign elements, whose arithmetic it may not run
    where the branch would not (it may trap). Where :mod:`~mapforge.agents.select` understands the branches, the
    plan gives the whole code with every statement run in every iteration and each branch's assignments kept by
    bit masks, which the compiler vectorises as blends; whatever the code's bandwidth (a scalar loop is far from
    it)."""
    plans = []
    for lp, found, whole in _left_scalar(m, masked_loop, "control flow"):
        first, last = found.lines
        targets = ", ".join(f"`{t}`" for t in found.chosen.targets)
        plans.append(_rewrite(
            f"Keep the branches' assignments by masks in the loop on line {first}",
            (f"`{lp.code}`: the compiler's report (measured) says it did not vectorise the loop on lines "
             f"{first}-{last} ({lp.missed}): its {found.chosen.branches} branches assign {targets}, and their "
             "arithmetic may not run where its branch would not, so every element takes a branch"),
            ("If-conversion: compute every condition and every branch's values in each iteration, in the loop's "
             "order, and keep each assignment's bits where its branch's mask is set, the element's own elsewhere; "
             "nothing is left to branch on, and the loop vectorises as blends."),
            f"lines {first}-{last}", whole,
            ("This computes the same: every subscript is the loop variable, so each element read is one the loop "
             "reads at that index; where a branch is not taken its assignments store what the element held, so "
             "every later statement reads what it read before, and a value not kept changes nothing.")))
    return plans


def counted_appends(m: Measured) -> list[Plan]:
    """gcc left scalar a loop that appends to an array through a counter it steps only where a condition holds
    (compaction: ``if (c) { j++; x[j] = e; }``): each element's position depends on every earlier condition, and
    on data whose conditions follow no pattern the branch mispredicts in about every other iteration. Where
    :mod:`~mapforge.agents.compaction` understands the loop, the plan gives the whole code with each append written
    to a local buffer at a slot stepped by the condition, with no branch, and the buffer copied to the array in
    blocks; whatever the code's bandwidth (a loop of mispredicted branches is far from it)."""
    plans = []
    for lp, found, whole in _left_scalar(m, compact):
        first, last = found.lines
        plans.append(_rewrite(
            f"Append to `{found.array}` without branches in the loop on line {first}",
            (f"`{lp.code}`: the compiler's report (measured) says it did not vectorise the loop on lines "
             f"{first}-{last} ({lp.missed or 'no reason given'}): it appends to `{found.array}` at `{found.counter}`, "
             f"which {found.conditional} conditional append(s) step only where their condition holds, so each "
             "element's position depends on every earlier condition, and each condition is a branch that "
             "mispredicts whenever the data follow no pattern"),
            ("Branchless compaction: store every value that may be appended at the next free slot of a small local "
             "buffer and step the slot by the condition (0 or 1), so nothing is left to predict; when the buffer is "
             f"nearly full, and after the loop, copy the kept values to `{found.array}` after `{found.counter}` and "
             f"step `{found.counter}` by their number."),
            f"lines {first}-{last}", whole,
            (f"This computes the same: `{found.array}` receives the same values at the same positions in the same "
             f"order, nothing in the loop reads `{found.array}` or `{found.counter}` meanwhile, and a value not kept "
             "is overwritten in the buffer, never stored to the array.")))
    return plans


def math_calls(m: Measured) -> list[Plan]:
    """gcc left scalar loops that call a libm function it does not vectorise without ``-ffast-math`` (``expf``
    may set ``errno``: the call "clobbers memory"; ``floorf`` is expanded to a scalar instruction; ``fmaxf``
    stays a call). Where :mod:`~mapforge.agents.mathcalls` has an inline version of each function the loop calls,
    in arithmetic and bit operations alone, one plan gives the whole code with every such loop's calls renamed to
    it and its definition put before the code; whatever the code's bandwidth (a scalar loop is far from it)."""
    found = sorted(((lp, got) for lp, got, _ in _left_scalar(m, inline_calls)), key=lambda f: f[1].lines[0])
    if not found:
        return []
    whole: str | None = m.source
    for _, got in reversed(found):  # from the last loop up: the lines above stay put
        whole = _splice(whole, *got.lines, got.after, got.code) if whole else None
    names = {f: name for _, got in found for f, name in got.names.items()}
    if whole is None:
        return []
    for old, new in dict(edit for _, got in found for edit in got.edits).items():  # helpers the loops call
        whole = whole.replace(old, new, 1)
    inlined = list(dict.fromkeys(f for _, got in found for f in got.called))
    blocks = [f for f in BLOCKS if f in names]
    named = ", ".join(f"`{f}`" for f in [*inlined, *blocks])
    where = ", ".join(f"{got.lines[0]}-{got.lines[1]}" for _, got in found)
    said = "; ".join(dict.fromkeys(f"line {lp.line} (`{lp.code}`): {lp.missed}" for lp in _specific(m, found)))
    how = " and ".join([*([f"{', '.join(f'`{f}`' for f in inlined)} inline"] if inlined else []),
                        *([f"{', '.join(f'`{f}`' for f in blocks)} {ROOT_BLOCK} at a time"] if blocks else [])])
    return [_rewrite(
        f"Compute {how} so the loop{'s' if len(found) > 1 else ''} on line{'s' if len(found) > 1 else ''} "
        f"{', '.join(str(got.lines[0]) for _, got in found)} vectorise{'' if len(found) > 1 else 's'}",
        (f"the compiler's report (measured): {said}. The loops on lines {where} call {named}, and the compiler "
         "vectorises no such call without -ffast-math (it may set errno, or its NaN, signed-zero and exception "
         "rules keep it a call or a scalar instruction), so each loop stays scalar"),
        (f"Replace the calls of {named} by a static inline function computed with arithmetic and bit operations "
         "alone (for exp and log: range reduction, a polynomial, a power of two by its exponent bits; for the "
         "rounding functions: rint and a correction; special values chosen by masks): no call, no branch and no "
         "errno, so the loops vectorise."
         + (f" Square roots have no faster formula than the instruction: the loop runs in blocks of {ROOT_BLOCK} "
            "iterations, whose root arguments are computed first and rooted all at once by the vector instruction "
            "(the same bits as the library's), and the block's iterations then read them; a sum they add into is "
            "kept in one lane per iteration and added up after the blocks, so the block carries nothing." if blocks
            else "")),
        f"the loops on lines {where}", define(whole, names),
        ("This computes the same up to rounding: the inline function is within 2 ulp of the library's on every "
         "value checked (floor, ceil, trunc, round, fmax and fmin: the same bits), with the same infinities, zeros "
         "and NaNs (within the task's tolerance)."))]


def _specific(m: Measured, found: list[tuple[LoopReport, Inlined]]) -> list[LoopReport]:
    """For each loop found, the report's entries on its lines with the compiler's most specific reasons (a call
    that "clobbers memory" rather than "couldn't vectorize loop"), or the entry it was found by."""
    out = []
    for lp, got in found:
        inside = [r for r in (m.profile.loops if m.profile else []) if r.width is None and r.missed
                  and got.lines[0] <= r.line <= got.lines[1]]
        out += [r for r in inside if "couldn't vectorize loop" not in r.missed.lower()] or [lp]
    return out


def search_loop(m: Measured) -> list[Plan]:
    """gcc left scalar a loop that tests each element and leaves at the first that passes (it vectorises no loop
    with an exit; it names the loop by the exit's line). Where :mod:`~mapforge.agents.early_exit` understands the
    loop, the plan gives the whole code with the loop replaced by a loop over blocks whose test has no exit, which
    gcc vectorises, and the loop itself from the first block with a passing element; whatever the code's
    bandwidth (a scalar loop is far from it)."""
    plans = []
    for lp, found, whole in _left_scalar(m, blocked_search, "control flow"):
        first, last = found.lines
        plans.append(_rewrite(
            f"Test blocks of {BLOCK} elements at once in the search loop on line {first}",
            (f"`{lp.code}`: the compiler's report (measured) says it did not vectorise the loop on lines "
             f"{first}-{last} ({lp.missed}): it leaves at the first element where `{found.condition}`, "
             "and the compiler vectorises no loop with an exit, so it tests one element at a time"),
            (f"Test a block of {BLOCK} iterations at a time, all of them, or-ing the results: that loop has no "
             "exit, so it vectorises. At the first block with a passing element, the original loop runs from "
             "the block's start, finds the same element and does the same."),
            f"lines {first}-{last}", whole,
            ("This computes the same: before the first passing element the loop did nothing but test, and the "
             "blocks test only elements within the loop's bounds.")))
    return plans


def kept_extreme(m: Measured) -> list[Plan]:
    """gcc left scalar a loop that keeps the largest (or smallest) float value it meets, and where: it may not
    turn a comparison of floats into a maximum (NaNs, signed zeros), and has no reduction for an index. Where
    :mod:`~mapforge.agents.extremum` understands the loop, the plan gives the whole code with the loop replaced by
    two passes over integer keys that order as the floats do, which gcc vectorises, and the loop's own ``if`` at the
    index they found; whatever the code's bandwidth (a scalar loop is far from it)."""
    plans = []
    for lp, got, whole in _left_scalar(m, extremum):
        which = "largest" if got.largest else "smallest"
        where = ("" if not got.others else
                 f", and sets {', '.join(f'`{o}`' for o in got.others)} where it found it")
        plans.append(_rewrite(
            f"Find the {which} value by integer keys in the loop on line {got.lines[0]}",
            (f"`{lp.code}`: the compiler's report (measured) says it did not vectorise this loop "
             f"({lp.missed or 'no reason given'}): it keeps the {which} value of `{got.target}`{where}, "
             "and a comparison of floats is no maximum the compiler may vectorise (NaNs, signed zeros), "
             "nor is an index"),
            ("Two passes over integer keys: a float's bits, with the magnitude flipped when the sign is set "
             "(after adding zero, which makes -0 +0; a NaN gets the key that never wins), order as the "
             f"floats do. The first pass takes the {which} key, a reduction of integers, the second the "
             f"{'first' if got.first else 'last'} index with that key; the loop's own statement then runs once, "
             "at that index. Both passes vectorise."),
            f"lines {got.lines[0]}-{got.lines[1]}", whole,
            "This computes exactly what the loop computes, NaNs and signed zeros included."))
    return plans


#: A walk down a column of a large matrix costs a cache line (and, across pages, a TLB entry) per element; code that
#: moves its data at this share of the streaming bandwidth or more is not held back by one.
STRIDE_BOUND = 0.5


def column_walk(m: Measured) -> list[Plan]:
    """The inner loop of a nest the compiler reported on walks a row-major array down a column, n elements per
    step, and the loops can swap legally (:mod:`~mapforge.agents.interchange`, worked out from the subscripts)
    so that it walks along rows: after distribution, when statements stand beside the inner loop. The plan gives
    the whole code with the nest replaced. Only while the code moves its data well below the streaming bandwidth."""
    if m.profile is None or not m.source or (m.stream_share is not None and m.stream_share >= STRIDE_BOUND):
        return []
    reported = {lp.line for lp in m.profile.loops}
    around = frozenset(loop_variables(m.source))
    plans = []
    for line, text in enumerate(m.source.splitlines(), 1):
        nest = nest_at(m.source, line) if text.lstrip().startswith("for") else None
        if nest is None or not reported & set(nest.lines[:2]):
            continue
        swap = interchange(nest.outer, nest.inner, nest.body, around, nest.pre, nest.post, nest.after)
        if swap is None:
            continue
        said = "; ".join(lp.describe() for lp in m.profile.loops if nest.lines[0] <= lp.line <= nest.lines[2])
        share = (f"; the code moves its data at {m.stream_share:.0%} of the streaming bandwidth (measured)"
                 if m.stream_share is not None else "")
        whole = _splice(m.source, nest.lines[0], nest.lines[2], nest.after, swap.nest)
        how = ("Loop interchange: the same statements with the two loops swapped, so the inner loop walks along rows"
               if not swap.distributed else
               "Loop distribution, then interchange: the statements beside the inner loop get loops of their own, "
               "and the nest's two loops swap, so its inner loop walks along rows"
               + (f" (the running sum `{swap.expanded}` is kept in the element it was stored to)"
                  if swap.expanded else ""))
        code = (f"The code, with the nest on lines {nest.lines[0]}-{nest.lines[2]} replaced:\n```c\n{whole}```"
                if whole else f"The nest becomes:\n```c\n{swap.nest}\n```\nKeep any loops around it.")
        plans.append(Plan(
            title=f"Interchange the loops of the nest on line {line}",
            bottleneck=(f"`{nest.outer}` / `{nest.inner}`: the inner loop walks {', '.join(swap.strided)} down a "
                        f"column, a whole row apart from one iteration to the next, so every element costs a cache "
                        f"line{share}. The compiler's report: {said}."),
            approach=(f"{how}. {code}\nThis is legal (worked out from the subscripts): every element is still read "
                      "and written in the same order as before. Keep the bounds and the statements as they are. "
                      + ("The new inner loop still carries a value from one iteration to the next; it walks memory "
                         "in order." if swap.carried else
                         "The new inner loop carries no value from one iteration to the next: the compiler can "
                         "vectorise it.")),
            confidence=0.5,
            code=whole,
        ))
    return plans


def split_walk(m: Measured) -> list[Plan]:
    """A loop the compiler reported on holds several inner loops, one of which walks a row-major array down a
    column: no nest :func:`column_walk` can swap. Where :mod:`~mapforge.agents.fission` may split the loop into one
    copy per inner loop (no part touches what another writes) and swap the column walks' loops, the plan gives the
    whole code; only while the code moves its data well below the streaming bandwidth."""
    if m.profile is None or not m.source or (m.stream_share is not None and m.stream_share >= STRIDE_BOUND):
        return []
    around = frozenset(loop_variables(m.source))
    plans = []
    for line, text in enumerate(m.source.splitlines(), 1):
        found = fission(m.source, line, around) if text.lstrip().startswith("for") else None
        inside = [lp for lp in m.profile.loops if found and found.lines[0] <= lp.line <= found.lines[1]]
        whole = _splice(m.source, *found.lines, found.after, found.code) if found and inside else None
        if found is None or whole is None:
            continue
        first, last = found.lines
        arrays = ", ".join(f"`{a}`" for a in found.strided)
        plans.append(_rewrite(
            f"Split the loop on line {first} into {found.parts} loops and interchange the column walks",
            (f"`{text.strip()}`: lines {first}-{last} hold {found.parts} parts under one outer loop, and an inner "
             f"loop walks {arrays} down a column, a whole row apart from one iteration to the next, so every "
             f"element costs a cache line. The compiler's report: {'; '.join(lp.describe() for lp in inside)}."),
            ("Loop distribution, then interchange: each part gets a copy of the outer loop, and in each nest that "
             "walks a column the two loops swap, so its inner loop walks along rows."),
            f"lines {first}-{last}", whole,
            ("This is legal: no part reads or writes an array another part writes, nor a scalar another assigns, so "
             "running all of one part before the next changes nothing; each swap keeps every element's reads and "
             "writes in their order (worked out from the subscripts).")))
    return plans


def transposed_walk(m: Measured) -> list[Plan]:
    """A nest the compiler reported on walks one array down a column whichever loop is inside (a transposed read
    or write beside row-wise ones), so interchange gains nothing, and the loops may swap legally: the plan runs it
    in tiles (:mod:`~mapforge.agents.tiling`), and gives the whole code with the nest replaced. Only while the code
    moves its data well below the streaming bandwidth."""
    if m.profile is None or not m.source or (m.stream_share is not None and m.stream_share >= STRIDE_BOUND):
        return []
    reported = {lp.line for lp in m.profile.loops}
    around = frozenset(loop_variables(m.source))
    taken = frozenset(re.findall(r"\b[A-Za-z_]\w*\b", m.source))
    plans = []
    for line, text in enumerate(m.source.splitlines(), 1):
        nest = nest_at(m.source, line) if text.lstrip().startswith("for") else None
        if nest is None or nest.pre or nest.post or not reported & set(nest.lines[:2]):
            continue
        got = tile(nest.outer, nest.inner, nest.body, around, nest.after, taken)
        whole = _splice(m.source, nest.lines[0], nest.lines[2], nest.after, got.nest) if got else None
        if got is None or whole is None:
            continue
        share = (f"; the code moves its data at {m.stream_share:.0%} of the streaming bandwidth (measured)"
                 if m.stream_share is not None else "")
        plans.append(_rewrite(
            f"Run the nest on line {line} in tiles of {ROWS} x {COLS}",
            (f"`{nest.outer}` / `{nest.inner}`: the inner loop walks {', '.join(got.strided)} down a column, a whole "
             "row apart from one iteration to the next, and swapping the loops would walk others down a column "
             f"instead: every element costs a cache line{share}"),
            (f"Loop tiling: the same statements over blocks of {ROWS} outer by {COLS} inner iterations, so the "
             f"{COLS} lines a column walk loads are used by the next outer iterations while they are still in the "
             "first-level cache."),
            f"the nest on lines {nest.lines[0]}-{nest.lines[2]}", whole,
            ("This is legal (worked out from the subscripts): the two loops may swap, so no dependence runs "
             "backward in either, and the tiles keep every one of them.")))
    return plans


def separate_passes(m: Measured) -> list[Plan]:
    """Consecutive loops with one header over shared arrays, which the compiler compiles one after another (gcc
    does not fuse loops): each loop loads the shared arrays again, from memory once they outgrow the caches.
    Where :mod:`~mapforge.agents.fusion` can join them into one loop that carries nothing (worked out from the
    subscripts), the plan gives the whole code with the loops replaced; whatever the code's bandwidth, which is
    counted over the task's buffers once and so does not see the passes."""
    if m.profile is None or not m.source:
        return []
    plans, covered = [], 0
    for line in loop_lines(m.source):
        got = fuse(m.source, line) if line > covered else None
        whole = _splice(m.source, *got.lines, got.after, got.code) if got else None
        if got is None or whole is None:
            continue
        covered, count = got.lines[1], got.loops
        shared = ", ".join(f"`{a}`" for a in got.shared)
        plans.append(_rewrite(
            f"Fuse the {count} loops on lines {got.lines[0]}-{got.lines[1]}",
            (f"lines {got.lines[0]}-{got.lines[1]}: {count} loops with the same header, compiled one after "
             f"another, each loading {shared} again: {count} passes over data that one pass would read"),
            f"Loop fusion: one loop runs the statements of all {count}, in their order.",
            f"lines {got.lines[0]}-{got.lines[1]}", whole,
            ("This is legal (worked out from the subscripts): every statement touches the same elements as the "
             "statements before it in its iteration, so no element is read or written in another order, and the "
             "fused loop carries no value from one iteration to the next: the compiler can vectorise it.")))
    return plans


#: In the order of the cost each removes, the largest first: a walk down a column pays a cache line (and across
#: pages a TLB miss) per element (swapped away, or tiled when both orders walk one), a pass over the data more
#: than needed its loads, a loop kept scalar (by a dependence, a carried scalar, branches, a counter stepped in
#: branches, a library call, an exit or a kept extreme) gives up the vector width, a running sum or an in-order
#: reduction the few cycles of one addition's latency per element.
RULES: tuple[Callable[[Measured], list[Plan]], ...] = (
    column_walk, split_walk, transposed_walk, separate_passes, mixed_loop, carried_scalar, edge_iterations,
    branching_loop,
    counted_appends, math_calls, search_loop, kept_extreme, running_chain, carried_value, in_order_reduction)


def _without_leftovers(m: Measured) -> Measured:
    """``m`` without the report's entries on loops that run a blocked loop's leftover iterations (a rewrite's, or the
    coder's own unrolling: fewer iterations than a block, not worth a plan of their own), or that a rewrite keeps
    as written for the cases its check refuses (:func:`~mapforge.agents.dependence.fallback_loops`)."""
    spans = remainder_loops(m.source) + fallback_loops(m.source) if m.profile and m.source else []
    if not spans or m.profile is None:
        return m
    loops = [lp for lp in m.profile.loops if not any(first <= lp.line <= last for first, last in spans)]
    return Measured(m.id, m.profile.model_copy(update={"loops": loops}), m.stream_share, m.source)


class Analyst:
    def __init__(self, per_round: int = 1, temperature: float | None = 0.0) -> None:
        self.per_round, self.temperature = per_round, temperature
        self._offered: set[tuple[str, str]] = set()

    def run(self, subjects: Iterable[Measured]) -> list[Plan]:
        """Up to ``per_round`` plans not offered before, for the codes in the order given (the best first)."""
        out: list[Plan] = []
        for m in map(_without_leftovers, subjects):
            for rule in RULES:
                for plan in rule(m):
                    if (m.id, plan.title) in self._offered or len(out) >= self.per_round:
                        continue
                    self._offered.add((m.id, plan.title))
                    out.append(plan.model_copy(update={"parent": m.id, "temperature": self.temperature}))
        return out
