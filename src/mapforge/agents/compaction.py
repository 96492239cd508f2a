"""Branchless compaction: a loop that appends values to an array through a counter it steps only in some
iterations (``if (b[i] > 0) { j++; a[j] = b[i]; }``), rewritten so that no branch decides the append; for the
loops this module is sure about, and nothing for the rest.

gcc 12 keeps such a loop scalar (each element's position depends on every earlier condition), and on data whose
conditions follow no pattern, every other iteration mispredicts its branch. The rewrite stores each value that
may be appended at the next free slot of a small local buffer and steps the slot by its condition, 0 or 1, so
there is nothing to predict; when the buffer is nearly full, and after the loop, the values kept are copied to
the array after the counter, and the counter steps by their number. The array receives the same values, at the
same positions, in the same order; the counter ends where it ended.

Understood: a loop whose body (braced or one statement) holds statements and ``if`` / ``else if`` / ``else`` chains (read by
:mod:`~mapforge.agents.branches`) where

- an *append* is a store to one array at the counter, ``x[j] = e;``, next to a step of the counter, ``j++;``
  (or ``++j``, ``j += 1``): the step first (``j++; x[j] = e;``, ``x[++j] = e``) or the store first
  (``x[j] = e; j++;``, ``x[j++] = e``), the same way for every append; at least one append is in a branch;
- the branches hold appends only; statements outside them are any plain statement;
- the counter (an integer) and the array (of any scalar type: ``float``, ``int32_t``, ...) appear nowhere else in the body, so no
  statement reads an element before the copy puts it there;
- a condition, or a value appended in a branch, is an expression safe to evaluate in every iteration
  (:func:`~mapforge.agents.branches.plain`: its subscripts are the loop variable itself).

The buffer is copied to the elements the original loop stored to, and only to those: an element after the last
append keeps its value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mapforge.agents.branches import Chain, Item, bitwise, plain, read_body, unread
from mapforge.agents.dependence import (
    ASSIGN,
    COMMENT,
    HEADER,
    IDENT,
    any_loop_at,
    element_type,
    fresh_prefix,
    last_line,
)

#: Iterations per copy: the buffer holds this many appends per append statement of the body.
BLOCK = 512
_STEP = r"(?:{j}\s*\+\+|\+\+\s*{j}|{j}\s*\+=\s*1|{j}\s*=\s*{j}\s*\+\s*1)"


@dataclass(frozen=True)
class Compacted:
    """A loop rewritten: the new code, its first and last lines (1-based), the source after it, the counter, the
    array, and how many of the appends are conditional."""

    code: str
    lines: tuple[int, int]
    after: str
    counter: str
    array: str
    conditional: int


@dataclass
class _Writer:
    """Writes the branchless body: the loop variable, the counter, the array, the fresh names."""

    var: str
    counter: str
    array: str
    buffer: str = ""
    slot: str = ""
    lines: list[str] = field(default_factory=list)
    forms: set[bool] = field(default_factory=set)
    appends: int = 0
    conditional: int = 0
    _count: int = 0

    def fresh(self, what: str) -> str:
        self._count += 1
        return f"{self.buffer}_{what}{self._count}"

    def append(self, text: str, nxt: str | None) -> tuple[str, bool, bool] | None:
        """The append ``text`` starts (with ``nxt`` the next statement, when a separate step is part of it): the value
        it stores, whether the step comes first, and whether it took ``nxt``; None when ``text`` starts none."""
        j = re.escape(self.counter)
        step = re.compile(_STEP.format(j=j))
        joined = re.fullmatch(rf"\s*(\w+)\s*\[\s*(\+\+\s*{j}|{j}\s*\+\+)\s*\]\s*=(?!=)(.*)", text, re.S)
        if joined:
            return self._store(joined.group(1), joined.group(3), joined.group(2).startswith("+"), False)
        if nxt is None:
            return None
        if step.fullmatch(text.strip()):
            return self._store(*self._at_counter(nxt), True, True)
        if step.fullmatch(nxt.strip()):
            return self._store(*self._at_counter(text), False, True)
        return None

    def _at_counter(self, text: str) -> tuple[str, str]:
        """(array, value) of ``x[j] = value``, or ('', '')."""
        store = ASSIGN.match(text)
        if store and store.group(2) and store.group(2)[1:-1].strip() == self.counter and store.group(3) == "=":
            return store.group(1), store.group(4)
        return "", ""

    def _store(self, array: str, value: str, step_first: bool, took: bool) -> tuple[str, bool, bool] | None:
        return (value.strip(), step_first, took) if array == self.array else None

    def run(self, body: list[Item], mask: str | None) -> bool:
        """Writes ``body`` under ``mask`` (None: outside every branch). False when something is not understood."""
        k = 0
        while k < len(body):
            item = body[k]
            if isinstance(item, Chain):
                if not self.chain(item, mask):
                    return False
                k += 1
                continue
            nxt = body[k + 1] if k + 1 < len(body) else None
            got = self.append(item, nxt if isinstance(nxt, str) else None)
            if got is None:
                if mask is not None or self.mentions(item) or unread(item) or not ASSIGN.match(item):
                    return False  # a branch holds appends only; a statement outside may not touch the two
                self.lines.append(item.strip() + ";")
                k += 1
                continue
            value, step_first, took = got
            if self.mentions(value) or (mask is not None and not plain(value, self.var)):
                return False
            self.forms.add(step_first)
            self.appends += 1
            self.conditional += mask is not None
            self.lines += [f"{self.buffer}[{self.slot}] = {value};", f"{self.slot} += {mask or 1};"]
            k += 2 if took else 1
        return True

    def chain(self, chain: Chain, mask: str | None) -> bool:
        rest = mask
        for cond, arm in chain.arms:
            if cond is not None:
                if not plain(cond, self.var) or self.mentions(cond):
                    return False
                c = self.fresh("c")
                self.lines.append(f"int {c} = ({bitwise(cond)}) != 0;")
                here = c if rest is None else f"{rest} & {c}"
                rest = f"({c} ^ 1)" if rest is None else f"{rest} & ({c} ^ 1)"
            else:
                here = rest or "1"
            m = self.fresh("m")
            self.lines.append(f"int {m} = {here};")
            if not self.run(arm, m):
                return False
        return True

    def mentions(self, text: str) -> bool:
        return any(re.search(rf"(?<![\w.]){re.escape(n)}\b", text) for n in (self.counter, self.array))


def _counter(body: list[Item]) -> str | None:
    """The name the first step in the body steps (``j++``, ``x[j++]``, ``j += 1``)."""
    for item in body:
        if isinstance(item, Chain):
            for _, arm in item.arms:
                if found := _counter(arm):
                    return found
            continue
        m = re.search(r"\+\+\s*([A-Za-z_]\w*)|([A-Za-z_]\w*)\s*(?:\+\+|\+=\s*1\b)", item)
        if m:
            return m.group(1) or m.group(2)
    return None


def _integer(source: str, name: str) -> bool:
    return re.search(rf"\b(?:int|long|short|size_t|ptrdiff_t)\b[^;(){{}}=]*(?<![\w.]){re.escape(name)}\b",
                     COMMENT.sub(" ", source)) is not None


def compact(source: str, line: int) -> Compacted | None:
    """The loop whose ``for`` starts on ``line`` (1-based), its appends made branchless, or None when not understood."""
    found = any_loop_at(source, line)
    if found is None:
        return None
    header, body, after = found
    m = HEADER.match(header)
    body = COMMENT.sub(" ", body)
    parsed = None if m is None else read_body(body)
    counter = None if parsed is None else _counter(parsed)
    if m is None or parsed is None or counter is None or counter == m.group(1) or not _integer(source, counter):
        return None
    prefix = fresh_prefix("kept", set(IDENT.findall(source)))
    j = re.escape(counter)
    store = re.search(rf"([A-Za-z_]\w*)\s*\[\s*(?:\+\+\s*)?{j}(?:\s*\+\+)?\s*\]\s*=(?!=)", body)
    if store is None:
        return None
    w = _Writer(m.group(1), counter, store.group(1), buffer=prefix, slot=f"{prefix}_n")
    if not w.run(parsed, None) or not w.conditional or len(w.forms) != 1:
        return None
    kind = element_type(source, w.array)
    if kind is None:
        return None
    size = BLOCK * w.appends
    base = f"{counter} + 1" if w.forms.pop() else counter
    t = f"{prefix}_t"
    copy = [f"for (int {t} = 0; {t} < {w.slot}; {t}++) {w.array}[{base} + {t}] = {w.buffer}[{t}];",
            f"{counter} += {w.slot};"]
    code = "\n".join([
        "{",
        f"    {kind} {w.buffer}[{size}];",
        f"    int {w.slot} = 0;",
        f"    {header} {{",
        *(f"        {x}" for x in w.lines),
        f"        if ({w.slot} > {size - w.appends}) {{",
        *(f"            {x}" for x in copy),
        f"            {w.slot} = 0;",
        "        }",
        "    }",
        *(f"    {x}" for x in copy),
        "}",
    ])
    return Compacted(code, (line, last_line(source, line, after)), after, counter, w.array, w.conditional)
