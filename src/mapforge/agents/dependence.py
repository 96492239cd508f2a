"""Which statements of a C loop must stay together, and in what order split loops must run: loop distribution
for the simple loops it is sure about, and nothing for the rest.

A loop is understood when its braced body is straight-line statements ``target op= expression;`` whose array
subscripts are the loop's variable plus or minus a constant (``x[i]``, ``x[i + 1]``, ``x[i-1]``); anything else
(a nested loop, a branch, ``x[2*i]``, ``x[idx[i]]``, a pointer write) and :func:`distribute` says nothing.
Arrays with different names are taken to be different buffers, as the harness passes them; the harness's
correctness check stays the judge of every split.

Two statements depend on each other when they touch one array element and one of them writes it: whichever
touches that element first in the original loop (the earlier iteration; in one iteration, the earlier
statement) must run in an earlier loop. A scalar read before the body assigns it carries its value from the
previous iteration, and ties the reader to that assignment; a scalar assigned then read in one iteration ties
the two statements too. Statements in a dependence cycle share a loop; the groups that remain, ordered by
their dependences (source order where free), are the split loops.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
HEADER = re.compile(r"for\s*\(\s*(?:(?:unsigned|signed|long|int|size_t|short)\s+)*([A-Za-z_]\w*)\s*=")
#: ``for ([type] v = LO; v < HI; v++)`` (or ``<=``, ``++v``, ``v += 1``): the type, variable, bounds and comparison.
_BOUNDS = re.compile(
    r"for\s*\(\s*((?:(?:unsigned|signed|long|int|size_t|short)\s+)*)([A-Za-z_]\w*)\s*=\s*([^;]+);"
    r"\s*\2\s*(<=?)\s*([^;]+);\s*(?:\2\s*\+\+|\+\+\s*\2|\2\s*\+=\s*([1-9]\d*)|\2\s*=\s*\2\s*\+\s*([1-9]\d*))\s*\)$",
    re.S)
ASSIGN = re.compile(
    r"^\s*(?:(?:const\s+)?(?:float|double|int|long|unsigned|short|char)\s+)?"  # a local declared here
    r"([A-Za-z_]\w*)\s*(\[[^\]]*\])?\s*([-+*/]?=)(?!=)(.*)$", re.S)
ACCESS = re.compile(r"\b([A-Za-z_]\w*)\s*\[([^\]]*)\]")
NAME = re.compile(r"(?<![\w.])([A-Za-z_]\w*)\b(?!\s*[\[(])")
#: What this module cannot follow: control flow, increments, members (``x.re``, ``p->re``), addresses, a second
#: subscript (``x[i][j]``), and a dereference (``*(x + i)``, ``*p``: a unary ``*`` after an operator or first).
UNREAD = re.compile(r"\b(if|else|for|while|do|switch|goto|return)\b|[?{}]|\+\+|--|->|&|[\w\])]\s*\.\s*[A-Za-z_]"
                     r"|\]\s*\[|(?:^|[=+\-*/(,])\s*\*")
#: What makes an expression more than a value: an increment, an assignment, a conditional, a statement's end or a block.
SIDE_EFFECT = re.compile(r"\+\+|--|[?{};]|(?<![=!<>])=(?!=)")
#: A C identifier (or keyword): what a rewrite's new names must not collide with.
IDENT = re.compile(r"\b[A-Za-z_]\w*\b")
KEYWORDS = frozenset({"float", "double", "int", "long", "unsigned", "short", "char", "const", "sizeof", "signed"})


@dataclass
class Statement:
    text: str
    writes: dict[str, int] = field(default_factory=dict)
    """Array written (at most one per statement), by its subscript's offset from the loop variable."""
    reads: list[tuple[str, int]] = field(default_factory=list)
    """Array elements read: (array, offset)."""
    scalar_writes: set[str] = field(default_factory=set)
    scalar_reads: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Split:
    """A legal distribution: the loops' statements in their order, and whether each loop carries a value from
    one iteration to the next (a recurrence, which stays serial) or not (the compiler can vectorise it)."""

    header: str
    loops: tuple[tuple[str, ...], ...]
    carried: tuple[bool, ...]


def _offset(index: str, var: str) -> int | None:
    m = re.fullmatch(rf"\s*{re.escape(var)}\s*(?:([+-])\s*(\d+))?\s*", index)
    if m is None:
        return None
    return 0 if m.group(1) is None else int(m.group(2)) * (1 if m.group(1) == "+" else -1)


def _statement(text: str, var: str) -> Statement | None:
    m = ASSIGN.match(text)
    if m is None or UNREAD.search(text):
        return None
    target, subscript, op, rhs = m.groups()
    st = Statement(text.strip() + ";")
    for name, index in ACCESS.findall(rhs):
        off = _offset(index, var)
        if off is None:
            return None
        st.reads.append((name, off))
    scalars = {n for n in NAME.findall(ACCESS.sub(" ", rhs)) if n not in KEYWORDS and n != var}
    if subscript is not None:
        off = _offset(subscript[1:-1], var)
        if off is None:
            return None
        st.writes[target] = off
        if op != "=":
            st.reads.append((target, off))
    else:
        if target == var:
            return None  # the loop's own variable changed in its body
        st.scalar_writes.add(target)
        if op != "=":
            scalars.add(target)
    st.scalar_reads = scalars
    return st


def parse_loop(header: str, body: str) -> list[Statement] | None:
    """The loop's statements, or None when it is not a loop this module understands: one that counts up (the
    dependences' directions are read off the subscripts' offsets, which a loop counting down would reverse)."""
    bounds = loop_bounds(header)
    if bounds is None:
        return None
    var = bounds.var
    parts = [p for p in COMMENT.sub(" ", body).split(";")]
    if parts and parts[-1].strip():
        return None
    statements = []
    for part in parts[:-1]:
        st = _statement(part, var)
        if st is None:
            return None
        statements.append(st)
    return statements


def _order(n: int, edges: set[tuple[int, int]], merge: list[tuple[int, int]]) -> list[list[int]]:
    """Groups of statement indices (dependence cycles and ``merge`` pairs joined), in a dependence order that
    keeps source order where it is free."""
    reach = [[i == j or (i, j) in edges for j in range(n)] for i in range(n)]
    for a, b in merge:
        reach[a][b] = reach[b][a] = True
    for k in range(n):  # transitive closure (a loop body has a handful of statements)
        for i in range(n):
            if reach[i][k]:
                for j in range(n):
                    reach[i][j] = reach[i][j] or reach[k][j]
    groups: list[list[int]] = []
    for i in range(n):
        if not any(i in g for g in groups):
            groups.append([j for j in range(n) if reach[i][j] and reach[j][i]])
    ordered: list[list[int]] = []
    while groups:
        free = next(g for g in groups if not any(
            reach[o[0]][g[0]] for o in groups if o is not g))
        ordered.append(free)
        groups.remove(free)
    return ordered


def distribute(header: str, body: str, after: str = "") -> Split | None:
    """The loop split into two or more loops, or None (not understood, or no legal split). ``after`` is the
    source after the loop: a scalar it reads must get its last value from the loop that assigns it last."""
    statements = parse_loop(header, body)
    if statements is None or len(statements) < 2:
        return None
    edges: set[tuple[int, int]] = set()
    merge: list[tuple[int, int]] = []
    for a, sa in enumerate(statements):
        for b in range(a + 1, len(statements)):
            sb = statements[b]
            for oa, ob in pairs(sa, sb):
                edges.add((a, b) if ob <= oa else (b, a))
    self_carried = [any(off < st.writes[name] for name, off in st.reads if name in st.writes) for st in statements]
    scalar_carried = [False] * len(statements)
    for x in set().union(*(s.scalar_writes for s in statements)):
        users = [k for k, s in enumerate(statements) if x in s.scalar_writes or x in s.scalar_reads]
        exposed = any(x in st.scalar_reads and not any(x in statements[j].scalar_writes for j in range(k))
                      for k, st in enumerate(statements))
        if exposed:  # read before this iteration assigns it: every statement that touches it shares one loop
            merge += [(users[0], k) for k in users[1:]]
            for k in users:
                scalar_carried[k] = True
            continue
        for k in users:  # each read takes the value assigned last before it in the same iteration
            if x in statements[k].scalar_reads:
                merge.append((max(j for j in range(k) if x in statements[j].scalar_writes), k))
    for x in set().union(*(s.scalar_writes for s in statements)):
        writers = [j for j, s in enumerate(statements) if x in s.scalar_writes]
        if re.search(rf"\b{re.escape(x)}\b", after):
            edges.update((j, writers[-1]) for j in writers[:-1])  # the value left after the loop is the last's
    groups = _order(len(statements), edges, merge)
    if len(groups) < 2:
        return None
    carried = tuple(
        any(self_carried[i] or scalar_carried[i] for i in g)
        or any(_carried_between(statements[i], statements[j]) for i in g for j in g if i != j)
        for g in groups)
    return Split(header.strip(), tuple(tuple(statements[i].text for i in g) for g in groups), carried)


def pairs(sa: Statement, sb: Statement) -> list[tuple[int, int]]:
    """(offset in ``sa``, offset in ``sb``) of each pair of accesses to one array, one of them a write."""
    out = []
    for name, off in sa.writes.items():
        out += [(off, o) for n, o in sb.reads if n == name]
        out += [(off, sb.writes[name])] if name in sb.writes else []
    for name, off in sb.writes.items():
        out += [(o, off) for n, o in sa.reads if n == name]
    return out


def _carried_between(sa: Statement, sb: Statement) -> bool:
    """Whether ``sb`` reads what ``sa`` wrote in an earlier iteration (a recurrence through two statements)."""
    return any(n in sa.writes and o < sa.writes[n] for n, o in sb.reads)


def fresh(base: str, taken: set[str]) -> str:
    """``base``, with underscores added until no name in ``taken`` is it; added to ``taken``."""
    while base in taken:
        base += "_"
    taken.add(base)
    return base


def fresh_prefix(base: str, taken: set[str] | frozenset[str]) -> str:
    """``base``, with underscores added until no name in ``taken`` is it or starts with it and an underscore: a
    prefix for a rewrite's new names (``mf_c1``, ``kept_n``)."""
    while any(t == base or t.startswith(base + "_") for t in taken):
        base += "_"
    return base


def _loop(source: str, line: int, braced: bool) -> tuple[str, str, str] | None:
    """(header, body, the source after the loop) of the ``for`` starting on ``line`` (1-based): its body what its
    braces hold, or (unless ``braced``) its one statement with the semicolon."""
    lines = source.splitlines()
    if not 0 < line <= len(lines) or not lines[line - 1].lstrip().startswith("for"):
        return None
    got = split_header("\n".join(lines[line - 1:]).lstrip())
    body = None if got is None or (braced and not got[1].startswith("{")) else body_of(got[1])
    return None if got is None or body is None else (got[0].strip(), body[0], body[1])


def loop_at(source: str, line: int) -> tuple[str, str, str] | None:
    """(header, braced body, the source after the loop) of the ``for`` loop starting on ``line`` (1-based) of
    ``source``; None when that line starts no such loop or its body is a single unbraced statement."""
    return _loop(source, line, braced=True)


def any_loop_at(source: str, line: int) -> tuple[str, str, str] | None:
    """(header, body, the source after the loop) of the ``for`` loop starting on ``line`` (1-based), its body what
    its braces hold or its one statement (with the semicolon); None when that line starts no ``for``."""
    return _loop(source, line, braced=False)


def last_line(source: str, line: int, after: str) -> int:
    """The last line (1-based) of the loop that starts on ``line`` and is followed by ``after``."""
    return line + "\n".join(source.splitlines()[line - 1:]).lstrip()[:-len(after) or None].count("\n")


@dataclass(frozen=True)
class Bounds:
    """A loop ``for ([kind] var = lo; var op hi; var += step)`` that counts up by a constant step."""

    kind: str
    """The type declared in the header (``int``), or '' when the variable is declared elsewhere."""
    var: str
    lo: str
    op: str
    hi: str
    step: int = 1

    @property
    def declared(self) -> str:
        """The header's declaration, ready to go before the variable: ``int `` or ''."""
        return f"{self.kind} " if self.kind else ""


def loop_bounds(header: str) -> Bounds | None:
    """The bounds of a ``for`` header that counts up by a positive integer literal (``v++``, ``v += 4``,
    ``v = v + 4``), or None."""
    m = _BOUNDS.match(" ".join(header.split()))
    if m is None:
        return None
    kind, var, lo, op, hi, step, step_ = (g.strip() if g else g for g in m.groups())
    return Bounds(kind, var, lo, op, hi, int(step or step_ or 1))


def assigned_next(var: str, after: str) -> bool:
    """Whether the next use of ``var`` in ``after`` (the source after a loop) is a ``for`` header assigning it, or
    there is none: a loop variable declared outside its header whose last value a rewrite may change."""
    m = re.search(rf"\b{var}\b", after)
    return m is None or (re.search(r"for\s*\(\s*$", after[:m.start()]) is not None
                         and re.match(rf"{var}\s*=(?!=)", after[m.start():]) is not None)


def text_from(source: str, line: int) -> tuple[list[str], str] | None:
    """(the source's lines with comments blanked, the text from the ``for`` that starts ``line`` (1-based) on), or
    None when that line starts no ``for``."""
    lines = COMMENT.sub(lambda m: "\n" * m.group(0).count("\n"), source).splitlines()
    if not 0 < line <= len(lines) or not lines[line - 1].lstrip().startswith("for"):
        return None
    return lines, "\n".join(lines[line - 1:]).lstrip()


@dataclass(frozen=True)
class ForLoop:
    """A ``for`` loop that counts up, read off a source: its bounds, its header, what follows the header (its body
    and the rest of the source), the text from the header on, and the source's lines (comments blanked)."""

    line: int
    bounds: Bounds
    header: str
    rest: str
    text: str
    lines: list[str]

    def last_line(self, after: str) -> int:
        """The loop's last line (1-based), when ``after`` is the source after it."""
        return self.line + self.text[:len(self.text) - len(after)].count("\n")


def counting_loop(source: str, line: int) -> ForLoop | None:
    """The loop whose ``for`` starts on ``line`` (1-based), when it counts up (:func:`loop_bounds`), else None."""
    found = text_from(source, line)
    got = None if found is None else split_header(found[1])
    bounds = None if got is None else loop_bounds(got[0])
    if found is None or got is None or bounds is None:
        return None
    return ForLoop(line, bounds, got[0], got[1], found[1], found[0])


def split_header(text: str) -> tuple[str, str] | None:
    """(the ``for (...)`` header, what follows it) of text starting with ``for``."""
    if not text.startswith("for"):
        return None
    start = text.find("(")
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[:i + 1], text[i + 1:].lstrip()
    return None




#: A scalar type a declaration may name: the floating types and the integer ones (``int32_t``, ``unsigned char``).
_SCALAR_TYPE = (r"(?:unsigned\s+|signed\s+)?(?:float|double|long\s+long|long|int|short|char)\b|"
                r"u?int(?:8|16|32|64)_t\b|size_t\b|ptrdiff_t\b")


def element_type(source: str, name: str) -> str | None:
    """The scalar type ``source`` declares ``name`` (a scalar or a pointer) with, floating or integer (``float``,
    ``int32_t``, ``unsigned char``), else None."""
    m = re.search(rf"(?<![\w])({_SCALAR_TYPE})(?:\s+(?:int\b))?[\s*]*(?:(?:const|restrict|__restrict__)\s*\**\s*)*"
                  rf"{re.escape(name)}\b", source)
    return " ".join(m.group(1).split()) if m else None  # ``long int`` is ``long``


def declared_type(source: str, name: str) -> str | None:
    """``float`` or ``double`` where ``source`` declares ``name`` (a scalar or a pointer) so, else None."""
    kind = element_type(source, name)
    return kind if kind in ("float", "double") else None


def body_of(rest: str) -> tuple[str, str] | None:
    """(the loop's body, what follows it) of the text after a ``for`` header: what its braces hold, or its one
    statement, up to and with the semicolon."""
    if rest.startswith("{"):
        return braced_body(rest)
    semi = rest.find(";")
    return None if semi < 0 else (rest[:semi + 1], rest[semi + 1:])


def braced_body(text: str) -> tuple[str, str] | None:
    """(the body inside the braces, what follows them) of text starting with ``{``."""
    depth = 0
    for j, ch in enumerate(text):
        depth += {"{": 1, "}": -1}.get(ch, 0)
        if depth == 0:
            return text[1:j], text[j + 1:]
    return None


def parens(text: str) -> tuple[str, str] | None:
    """(what the parentheses at the start of ``text`` hold, what follows them)."""
    if not text.startswith("("):
        return None
    depth = 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0:
            return text[1:i], text[i + 1:].lstrip()
    return None


_HEADER_STEP = re.compile(r"\b([A-Za-z_]\w*)\s*\+=\s*(\d+)\s*\)\s*$")


def remainder_loops(source: str) -> list[tuple[int, int]]:
    """The first and last lines (1-based) of each loop in ``source`` that runs the iterations a blocked loop before
    it left over: it starts from the variable that loop stepped by 4 or more (``for (int j = b; j < n; j++)``
    after ``for (; b + 8 <= n; b += 8)``, or ``for (; i < n; i++)`` after ``for (; i + 16 <= n; i += 16)``), and
    begins after that loop ends. Fewer iterations than a block: not worth a rewrite of its own."""
    lines = source.splitlines()
    loops = []  # (first line, last line, the variable stepped by a block, or None; the start variable)
    for number, text in enumerate(lines, 1):
        if not re.match(r"\s*for\s*\(", text):
            continue
        found = any_loop_at(source, number)
        header = split_header("\n".join(lines[number - 1:]).lstrip()) if found else None
        if found is None or header is None:
            continue
        parts = header[0][header[0].index("(") + 1:-1].split(";")
        if len(parts) != 3:
            continue
        step = _HEADER_STEP.search(parts[2] + ")")
        blocked = step.group(1) if step and int(step.group(2)) >= 4 else None
        start = re.fullmatch(r"\s*(?:(?:unsigned|signed|long|int|size_t|short)\s+)*[A-Za-z_]\w*\s*=\s*([A-Za-z_]\w*)\s*",
                             parts[0])
        var = re.match(r"\s*([A-Za-z_]\w*)", parts[1]) if not parts[0].strip() else None
        loops.append((number, last_line(source, number, found[2]), blocked,
                      start.group(1) if start else var.group(1) if var else None))
    return [(first, last) for first, last, _, begins in loops
            if begins and any(b == begins and end < first for _, end, b, _ in loops)]


def fallback_loops(source: str) -> list[tuple[int, int]]:
    """The first and last lines (1-based) of each loop in ``source`` that is the ``else`` of an ``if`` (``} else`` on
    the line before its ``for``): the loop as written, which a rewrite keeps for the cases its check refuses (an
    argument outside an inline function's range, a border row). It runs rarely, and a rule rewriting it would
    rewrite its own fallback again."""
    lines = source.splitlines()
    spans = []
    for number, text in enumerate(lines, 1):
        if not re.match(r"\s*for\s*\(", text) or number < 2 or not re.search(r"\belse\s*$", lines[number - 2]):
            continue
        found = any_loop_at(source, number)
        if found is not None:
            spans.append((number, last_line(source, number, found[2])))
    return spans
