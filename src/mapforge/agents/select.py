"""If-conversion: a loop body of assignments and ``if`` / ``else if`` / ``else`` chains (nested or not, one statement
or several per branch) rewritten so that every statement runs in every iteration and each assignment a branch makes
is kept or dropped by bit masks; for the bodies this module is sure about, and nothing for the rest.

gcc 12 at ``-O3`` leaves such a loop scalar ("control flow in loop"): each branch's arithmetic may trap
(``-ftrapping-math``), so it may not run where its branch would not, and a plain ``c ? x : y`` over computed values
does not help, since gcc sinks each computation back into its arm. Choosing the bits with integer masks leaves
nothing to sink, and the loop vectorises as blends.

The rewrite keeps the statements' order. A chain's conditions are computed where the chain stood (C computes an
``else if``'s condition after the earlier ones and before any branch runs), each branch's mask is its condition and
no earlier one, under the mask of the branch around it; an assignment in a branch computes its value and stores it
where the mask is set, the element's own bits elsewhere. Where a branch is not taken its assignments store what the
element held, so every later statement reads what it read in the original loop.

Understood:

- a branch's assignments (``=``, ``+=``, ``-=``, ``*=``) go to an element ``x[i]`` (the loop variable itself) of a
  ``float`` or ``double`` array (all of one of the two: the masks have its width), or to a scalar temporary: one the
  branch assigns before it reads it and nothing outside the branch reads (declared in the branch, or declared
  outside the loop and used nowhere else but in declarations); a temporary becomes a new local of its own;
- every condition and every right-hand side in a branch is an expression :mod:`~mapforge.agents.dependence` reads
  (no call, increment, assignment, pointer, division or conditional of its own) whose subscripts are all the loop
  variable itself: each element read in every iteration is then one the loop reads at that index anyway, and
  arithmetic whose result is dropped changes nothing (its exceptions are masked);
- statements outside any branch are any plain assignment and stay as they are.

``t += e`` is ``t = t + (e)``, as C defines it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mapforge.agents.branches import Chain, Item, bitwise, plain, read_body, unread
from mapforge.agents.dependence import (
    ACCESS,
    ASSIGN,
    COMMENT,
    HEADER,
    IDENT,
    declared_type,
    fresh_prefix,
    last_line,
    loop_at,
)

_OPS = {"=": "", "+=": "+", "-=": "-", "*=": "*"}
_BITS = {"float": "unsigned int", "double": "unsigned long long"}
_TYPE = r"\s*(?:const\s+)?(?:float|double|int|long|unsigned|short|char)\b"
_DECLARED = re.compile(_TYPE + r"[\s\w,]*")  # a declaration with no value: ``float s``, ``float s, t``
_NAMED = re.compile(_TYPE + r"[^=;()]*")  # a declaration up to a name it declares: ``float s``, ``float x = 0, s``


@dataclass(frozen=True)
class Select:
    """The loop's new body (its statements, one per line), the elements the branches assign, and how many branches
    (arms of a chain, an ``else`` included) it joins."""

    body: str
    targets: tuple[str, ...]
    branches: int


_NOT_A_NAME = r"(?<![\w.])(?<!->)"  # not part of a longer name, nor a member


def _names(expr: str) -> set[str]:
    """The plain names an expression reads (not members, calls or subscripted arrays)."""
    return set(re.findall(_NOT_A_NAME + r"([A-Za-z_]\w*)\b(?!\s*[\[(])", ACCESS.sub(" ", expr)))


def _rename(expr: str, names: dict[str, str]) -> str:
    if not names:
        return expr
    pattern = _NOT_A_NAME + "(" + "|".join(map(re.escape, names)) + r")\b(?!\s*\()"
    return re.sub(pattern, lambda m: names[m.group(1)], expr)


def _branch_targets(items: list[Item], elements: bool, inside: bool = False) -> set[str]:
    """The names assigned in a branch, anywhere in ``items``: arrays (``elements``) or scalars."""
    out: set[str] = set()
    for item in items:
        if isinstance(item, Chain):
            for _, arm in item.arms:
                out |= _branch_targets(arm, elements, True)
        elif inside and (assign := ASSIGN.match(item)) and (assign.group(2) is not None) == elements:
            out.add(assign.group(1))
    return out


@dataclass
class _Writer:
    """Writes the converted body: the loop variable, the code around the loop, the fresh names' prefix."""

    var: str
    source: str
    body: str
    prefix: str
    bits: str
    """The masks' type: as wide as the elements the branches assign."""
    lines: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)
    branches: int = 0
    temporaries: set[str] = field(default_factory=set)
    """Every scalar a branch assigns: none may be read where no branch around has given it a value."""
    _count: int = 0

    def fresh(self, what: str) -> str:
        self._count += 1
        return f"{self.prefix}_{what}{self._count}"

    def run(self, items: list[Item], mask: str | None, names: dict[str, str]) -> bool:
        """Writes ``items`` under ``mask`` (None: outside every branch); ``names``: the temporaries assigned so far
        in the branches around, by their new names. False when something is not understood."""
        outer, names = set(names), dict(names)
        for item in items:
            if isinstance(item, Chain):
                if not self.chain(item, mask, names):
                    return False
            elif not self.statement(item, mask, names, outer):
                return False
        return True

    def chain(self, chain: Chain, mask: str | None, names: dict[str, str]) -> bool:
        self.branches += len(chain.arms)
        bits = self.bits
        rest = mask
        for cond, items in chain.arms:
            if cond is not None:
                if not plain(cond, self.var) or not self.readable(cond, names):
                    return False
                c = self.fresh("c")
                self.lines.append(f"{bits} {c} = -({bits})(({bitwise(_rename(cond, names))}) != 0);")
                here = c if rest is None else f"{rest} & {c}"
                rest = f"~{c}" if rest is None else f"{rest} & ~{c}"
            else:
                here = rest or ""
            m = here
            if not re.fullmatch(r"\w+", here):
                m = self.fresh("m")
                self.lines.append(f"{bits} {m} = {here};")
            if not self.run(items, m, names):
                return False
        return True

    def readable(self, expr: str, names: dict[str, str]) -> bool:
        """No temporary read where no branch around has assigned it."""
        return not (_names(expr) & self.temporaries - set(names))

    def statement(self, text: str, mask: str | None, names: dict[str, str], outer: set[str]) -> bool:
        """Writes one statement; ``outer``: the temporaries the branches around this one assigned."""
        assign = ASSIGN.match(text)
        if mask is None and assign is None and _DECLARED.fullmatch(text):
            self.lines.append(text.strip() + ";")  # a declaration with no value
            return True
        if assign is None:
            return False
        name, sub, op, rhs = assign.groups()
        declares = not text.lstrip().startswith(name)
        if mask is None:  # outside every branch: runs as it did
            reads = rhs if op == "=" else f"{name}{sub or ''} {rhs}"
            if unread(text) or not self.readable(reads, names):
                return False
            self.lines.append(text.strip() + ";")
            return True
        if op not in _OPS or name == self.var or not plain(rhs, self.var) or not self.readable(rhs, names):
            return False
        value = _rename(rhs.strip(), names)
        if sub is None:  # a temporary: assigned before it is read, read in its branch only
            kind = declared_type(text, name) if declares else self.outside_only(name)
            if kind is None or (op != "=" and name not in names) or (not declares and name in outer):
                return False  # not a float, read before it is assigned, or one a branch around assigned: its
                #              value after this branch would depend on the branch
            new = self.fresh("t")
            value = value if op == "=" else f"{names[name]} {_OPS[op]} ({value})"
            self.lines.append(f"{kind} {new} = {value};")
            names[name] = new
            return True
        kind = declared_type(self.source, name)
        if declares or sub[1:-1].strip() != self.var or kind is None:
            return False
        target = f"{name}[{self.var}]"
        if target not in self.targets:
            self.targets.append(target)
        v, u, o = self.fresh("v"), self.fresh("u"), self.fresh("o")
        value = value if op == "=" else f"{target} {_OPS[op]} ({value})"
        self.lines += [f"{kind} {v} = {value};", f"{self.bits} {u}, {o};",
                       f"__builtin_memcpy(&{u}, &{v}, sizeof {u}); __builtin_memcpy(&{o}, &{target}, sizeof {o});",
                       f"{o} = ({u} & {mask}) | ({o} & ~{mask});", f"__builtin_memcpy(&{target}, &{o}, sizeof {o});"]
        return True

    def outside_only(self, name: str) -> str | None:
        """A scalar declared outside the loop whose value nothing but this loop's branches reads: its type, when the
        code names it, outside the loop, in declarations only."""
        outside = COMMENT.sub(" ", self.source.replace(self.body, " ", 1))
        for m in re.finditer(_NOT_A_NAME + rf"{re.escape(name)}\b", outside):
            start = max(outside.rfind(ch, 0, m.start()) for ch in ";{}")
            if not _NAMED.fullmatch(outside[start + 1:m.start()]):
                return None
        return declared_type(self.source, name)


def if_convert(header: str, body: str, source: str) -> Select | None:
    """The body (what the loop's braces hold) with its branches' assignments kept by masks, or None when not
    understood or when it has no branch. ``source``: the code around it, which declares the targets' types."""
    m = HEADER.match(header.strip())
    items = None if m is None else read_body(COMMENT.sub(" ", body))
    if m is None or items is None or not any(isinstance(item, Chain) for item in items):
        return None
    prefix = fresh_prefix("mf", set(IDENT.findall(source + body)))
    kinds = {declared_type(source, name) for name in _branch_targets(items, True)}
    if len(kinds) != 1 or None in kinds:
        return None  # no element assigned in a branch, one not float or double, or both (masks of two widths)
    writer = _Writer(m.group(1), source, body, prefix, _BITS[str(kinds.pop())],
                     temporaries=_branch_targets(items, False))
    if not writer.run(items, None, {}):
        return None
    return Select("\n".join(writer.lines), tuple(writer.targets), writer.branches)


@dataclass(frozen=True)
class Masked:
    """A loop whose branches :func:`if_convert` understands, rewritten: the new loop, its first and last lines
    (1-based), the source after it, and what the conversion joined."""

    code: str
    lines: tuple[int, int]
    after: str
    chosen: Select


def masked_loop(source: str, line: int) -> Masked | None:
    """The loop whose ``for`` starts on ``line`` (1-based), its branches kept by masks, or None when not understood."""
    found = loop_at(source, line)
    chosen = None if found is None else if_convert(found[0], found[1], source)
    if found is None or chosen is None:
        return None
    header, _, after = found
    code = f"{header} {{\n" + "".join(f"    {t}\n" for t in chosen.body.splitlines()) + "}"
    return Masked(code, (line, last_line(source, line, after)), after, chosen)
