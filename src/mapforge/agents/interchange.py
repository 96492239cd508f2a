"""Whether two nested C loops can swap places, worked out from the subscripts, and whether swapping them turns
walks down a column into walks along a row: loop interchange (after distribution, for a nest with statements
beside its inner loop) for the simple nests it is sure about, and nothing for the rest.

A nest is understood when it is ``for (o ...) { pre; for (v ...) { body } post; }`` (the outer loop's body is
the inner loop alone, braced or not, or the inner loop between straight-line statements; the inner loop's body
braced or one statement), the nest is rectangular or triangular (an inner bound the outer variable plus a
constant: :func:`_swapped_headers` writes the swapped bounds over the same iterations), and every
statement is ``target op= expression;`` (as :mod:`~mapforge.agents.dependence` reads them) whose subscripts are
sums of products of integers and names: ``x[j * n + i]``, ``x[(i - 1) * n + j + 1]``, ``x[i]``. A subscript is
read as a matrix element of a row-major array: the terms with the one other name they share (the row length,
``n``) give the row, the rest the column, and each must be a loop variable plus a constant, or a constant.
Anything else and :func:`interchange` says nothing. As in :mod:`~mapforge.agents.dependence`, arrays with
different names are different buffers, a column is taken to stay within its row, and the harness's correctness
check stays the judge of every swap.

Two iterations touch one element when their row and column agree; their distance is then fixed per loop (a
number) or free (``*``: an array indexed by one loop's variable alone is the same element for every value of the
other). The swap is legal when no dependence runs forward in the outer loop and backward in the inner one (a
``(<, >)`` direction): after the swap it would run backward. A scalar may be a temporary assigned before it is
read in the same iteration, and nothing else.

Statements beside the inner loop first get loops of their own (distribution): ``for (o) pre;`` before the
swapped nest and ``for (o) post;`` after it. That is legal when no element is touched by the nest in an earlier
outer iteration than by ``pre``, or by ``post`` in an earlier one than by the nest (distribution runs all of
``pre`` first and all of ``post`` last). A scalar that carries a running sum from ``pre`` through the inner loop
into one element (``s = 0; for (v) s += ...; x[...] = s;``) becomes that element (scalar expansion), so the nest
can be split; any other scalar shared between the parts and :func:`interchange` says nothing.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from mapforge.agents.dependence import (
    ACCESS,
    ASSIGN,
    COMMENT,
    HEADER,
    KEYWORDS,
    NAME,
    UNREAD,
    assigned_next,
    body_of,
    braced_body,
    loop_bounds,
    split_header,
    text_from,
)

#: A polynomial over names: each monomial (its names, sorted, with repeats) to its integer coefficient.
Poly = dict[tuple[str, ...], int]
#: One coordinate of an element (its row or column): the coefficients of the outer and inner loop variables and
#: the rest, constant while the two loops run (integers and the variables of loops around the nest), as sorted
#: polynomial terms.
Coord = tuple[int, int, tuple[tuple[tuple[str, ...], int], ...]]
#: Per loop (outer, inner): the distance between two iterations that touch one element, or None when any.
Distance = tuple[int | None, int | None]


@dataclass(frozen=True)
class Access:
    array: str
    write: bool
    row: Coord | None
    """None: a vector (no term names the row length)."""
    col: Coord


@dataclass(frozen=True)
class Swap:
    """A legal interchange: the swapped nest written out (after distribution, its loops in one pair of braces:
    one statement, as the nest was), the arrays the inner loop walked down a column before the swap, and whether
    the new inner loop carries a value from one iteration to the next."""

    nest: str
    strided: tuple[str, ...]
    carried: bool
    distributed: bool = False
    """Whether statements beside the inner loop were given loops of their own."""
    expanded: str | None = None
    """The scalar running sum that became the element it was stored to, if any."""


def _poly(node: ast.expr) -> Poly | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int):
        return {(): node.value}
    if isinstance(node, ast.Name):
        return {(node.id,): 1}
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        p = _poly(node.operand)
        return None if p is None else {k: -v if isinstance(node.op, ast.USub) else v for k, v in p.items()}
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Sub, ast.Mult)):
        a, b = _poly(node.left), _poly(node.right)
        if a is None or b is None:
            return None
        out: Poly = {}
        if isinstance(node.op, ast.Mult):
            for ka, va in a.items():
                for kb, vb in b.items():
                    k = tuple(sorted(ka + kb))
                    out[k] = out.get(k, 0) + va * vb
        else:
            sign = 1 if isinstance(node.op, ast.Add) else -1
            out = dict(a)
            for kb, vb in b.items():
                out[kb] = out.get(kb, 0) + sign * vb
        return {k: v for k, v in out.items() if v}
    return None


def subscript(text: str) -> Poly | None:
    """The subscript as a polynomial over its names, or None when it is not sums of products of integers and
    names."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return None
    return _poly(tree.body)


def _coord(p: Poly, outer: str, inner: str, around: frozenset[str]) -> Coord | None:
    """A coordinate linear in the loop variables, the rest integers and the variables of loops around, or None."""
    if any(k not in ((outer,), (inner,)) and any(x not in around for x in k) for k in p):
        return None
    rest = tuple(sorted((k, c) for k, c in p.items() if k not in ((outer,), (inner,))))
    return p.get((outer,), 0), p.get((inner,), 0), rest


def _access(array: str, text: str, write: bool, outer: str, inner: str,
            around: frozenset[str]) -> tuple[Access, str | None] | None:
    """The access and the name of its row length (None for a vector), or None when not understood."""
    p = subscript(text)
    if p is None:
        return None
    loops = around | {outer, inner}
    widths = {n for k in p for n in k if n not in loops}
    if not widths:
        col = _coord(p, outer, inner, around)
        return None if col is None else (Access(array, write, None, col), None)
    if len(widths) > 1:
        return None
    (w,) = widths
    high: Poly = {}
    for k, v in p.items():
        if w in k:
            rest = list(k)
            rest.remove(w)
            high[tuple(rest)] = v
    low = {k: v for k, v in p.items() if w not in k}
    row, col = _coord(high, outer, inner, around), _coord(low, outer, inner, around)
    return None if row is None or col is None else (Access(array, write, row, col), w)


def _distance(a: Access, b: Access) -> Distance | None | bool:
    """The distance (outer, inner) from an iteration where ``a`` touches an element to one where ``b`` touches
    it; False when no two iterations touch one element; None when this module cannot tell (a subscript that
    mixes the loops, or two accesses whose coefficients differ)."""
    coords = [(a.col, b.col)] + ([(a.row, b.row)] if a.row is not None and b.row is not None else [])
    if (a.row is None) != (b.row is None):
        return None
    fixed: list[int | None] = [None, None]
    for (ao, av, ac), (bo, bv, bc) in coords:
        if (ao, av) != (bo, bv) or (ao and av):
            return None
        # ao * (o_b - o_a) + av * (v_b - v_a) = ac - bc, one loop at a time; the loops around are the same
        diff = dict(ac)
        for key, c in bc:
            diff[key] = diff.get(key, 0) - c
        if any(c for key, c in diff.items() if key):
            return None  # elements apart by a variable of a loop around, or by a size: not worked out here
        gap = diff.get((), 0)
        if not ao and not av:
            if gap:
                return False
            continue
        k, coef = (0, ao) if ao else (1, av)
        if gap % coef:
            return False
        d = gap // coef
        if fixed[k] is not None and fixed[k] != d:
            return False
        fixed[k] = d
    return fixed[0], fixed[1]


def _reverses(d: Distance) -> bool:
    """Whether swapping the loops reverses this dependence: one that runs forward in the outer loop and
    backward in the inner one (either way round: ``d`` is between two accesses, not yet from source to sink)."""
    do, dv = d
    if do is None and dv is None:
        return True
    if do is None:
        return dv != 0
    if dv is None:
        return do != 0
    return (do > 0 > dv) or (do < 0 < dv)


def offset_of(text: str, var: str) -> int | None:
    """c where ``text`` is ``var + c`` (c an integer, maybe 0), else None."""
    p = subscript(text)
    if p is None or p.get((var,)) != 1 or any(k and k != (var,) for k in p):
        return None
    return p.get((), 0)


def plus(text: str, k: int) -> str:
    """``text + k``, written plainly."""
    if re.fullmatch(r"-?\d+", text.strip()):
        return str(int(text) + k)
    base = text if re.fullmatch(r"[\w.]+", text) else f"({text})"
    return text if k == 0 else f"{base} + {k}" if k > 0 else f"{base} - {-k}"


def _swapped_headers(outer: str, inner: str, o: str, v: str, after: str) -> tuple[str, str] | None:
    """The headers of the swapped nest: the same two for a rectangular nest; for a triangular one, whose inner
    bound is the outer variable plus a constant (``j <= i``, ``j = i + 1``), new bounds over the same iterations:
    for the upper bound ``v < o + c``, o from ``v + 1 - c`` (its larger with LO, as a conditional expression,
    unless integer lower bounds ``v >= LV``, ``o >= LO`` have LV - c + 1 >= LO); for the lower bound
    ``v = o + c``, o up to ``v - c`` (its smaller with the outer loop's bound, unless c >= 0 and both loops have
    the same upper bound). A loop variable declared outside its header must not be read after the nest (its last value
    changes; a read before the nest, in a later iteration of a loop around it, is not looked for)."""
    if not (re.search(rf"\b{o}\b", inner) or re.search(rf"\b{v}\b", outer)):
        return inner, outer
    a, b = loop_bounds(outer), loop_bounds(inner)
    if a is None or b is None or re.search(rf"\b{v}\b", outer) or re.search(rf"\b{o}\b", a.lo + a.hi):
        return None
    if a.step != 1 or b.step != 1:
        return None  # the new bounds are worked out for steps of one
    if any(not x.declared and not assigned_next(x.var, after) for x in (a, b)):
        return None  # declared outside its header and read after the nest: its last value changes
    o_end = 0 if a.op == "<" else 1  # o < HI + o_end
    up = offset_of(b.hi, o) if re.search(rf"\b{o}\b", b.hi) else None
    low = offset_of(b.lo, o) if re.search(rf"\b{o}\b", b.lo) else None
    if up is not None and low is None and not re.search(rf"\b{o}\b", b.lo):
        c = up + (b.op == "<=")  # v < o + c: o from the larger of LO and v + 1 - c
        lo_v, lo_o = subscript(b.lo), subscript(a.lo)
        first = plus(v, 1 - c)
        plain = (lo_v is not None and lo_o is not None and not set(lo_v) - {()} and not set(lo_o) - {()}
                 and lo_v.get((), 0) - c + 1 >= lo_o.get((), 0))  # v + 1 - c >= LO for every v
        start = first if plain else f"({first} > {a.lo} ? {first} : {a.lo})"
        return (f"for ({b.declared}{v} = {b.lo}; {v} < {plus(a.hi, c - 1 + o_end)}; {v}++)",
                f"for ({a.declared}{o} = {start}; {o} {a.op} {a.hi}; {o}++)")
    if low is not None and up is None and not re.search(rf"\b{o}\b", b.hi):
        # v >= o + low: o up to the smaller of the outer bound and v - low
        first = plus(v, 1 - low)
        plain = low >= 0 and (b.op, " ".join(b.hi.split())) == (a.op, " ".join(a.hi.split()))  # v < HI
        end = plus(a.hi, o_end)
        stop = first if plain else f"({first} < {end} ? {first} : {end})"
        return (f"for ({b.declared}{v} = {plus(a.lo, low)}; {v} {b.op} {b.hi}; {v}++)",
                f"for ({a.declared}{o} = {a.lo}; {o} < {stop}; {o}++)")
    return None


def _header_var(header: str) -> str | None:
    """The variable of a loop that counts up (a dependence's direction is read off its subscripts, and a loop
    counting down would reverse it), else None."""
    bounds = loop_bounds(header.strip())
    return None if bounds is None else bounds.var


@dataclass(frozen=True)
class Nest:
    outer: str
    inner: str
    body: str
    lines: tuple[int, int, int]
    """The lines (1-based) of the outer header, the inner header, and the nest's last line (the outer loop's)."""
    pre: tuple[str, ...] = ()
    """The statements before the inner loop in the outer loop's body, each without its semicolon."""
    post: tuple[str, ...] = ()
    """... and after it."""
    after: str = ""
    """The source after the nest."""


_FOR = re.compile(r"(?<![\w.])for\s*\(")


def _statements(text: str) -> tuple[str, ...] | None:
    """Straight-line statements, each without its semicolon, or None when ``text`` holds more (a brace)."""
    parts = [p.strip() for p in text.split(";")]
    if parts[-1] or "{" in text or "}" in text:
        return None
    return tuple(parts[:-1])


def nest_at(source: str, line: int) -> Nest | None:
    """The nest of two loops whose outer ``for`` starts on ``line`` (1-based), or None. Either loop's body may be
    braced or one statement; a braced outer body may hold straight-line statements before and after the inner
    loop."""
    read = text_from(source, line)
    if read is None:
        return None
    text = read[1]
    got = split_header(text)
    if got is None:
        return None
    outer, rest = got
    if rest.startswith("{"):
        braced = braced_body(rest)
        found = None if braced is None else _FOR.search(braced[0])
        if braced is None or found is None:
            return None
        pre = _statements(braced[0][:found.start()])
        loop = braced[0][found.start():]
        at = len(text) - len(rest) + 1 + found.start()  # where the inner loop starts in text
        end: int | None = len(text) - len(braced[1])  # just past the outer loop's closing brace
    else:
        pre, loop, at, end = (), rest, len(text) - len(rest), None
    inner = split_header(loop)
    if inner is None or pre is None:
        return None
    body = body_of(inner[1])  # one statement is the caller's to read (a loop or a branch there is not understood)
    if body is None:
        return None
    post = _statements(body[1]) if end is not None else ()
    if end is None:
        end = at + len(loop) - len(body[1])  # an unbraced outer body: the nest ends with the inner loop
    if post is None:
        return None
    inner_line = line + text[:at].count("\n")
    return Nest(" ".join(outer.split()), " ".join(inner[0].split()), body[0],
                (line, inner_line, line + text[:end].count("\n")), pre, post, text[end:])


@dataclass(frozen=True)
class _Read:
    """One statement: its accesses, the row length each array's subscripts name (None: a vector), the scalars it
    reads and the scalar it assigns (None: it writes an array element)."""

    accesses: tuple[Access, ...]
    widths: frozenset[tuple[str, str | None]]
    reads: frozenset[str]
    assigns: str | None


def _read(text: str, o: str, v: str, around: frozenset[str]) -> _Read | None:
    m = ASSIGN.match(text)
    if m is None or UNREAD.search(text):
        return None
    target, sub, op, rhs = m.groups()
    reads = {n for n in NAME.findall(ACCESS.sub(" ", rhs)) if n not in KEYWORDS | {o, v} | around}
    found = [(name, index, False) for name, index in ACCESS.findall(rhs)]
    if sub is not None:
        found.append((target, sub[1:-1], True))
        if op != "=":
            found.append((target, sub[1:-1], False))
    elif target in (o, v):
        return None
    elif op != "=":
        reads.add(target)
    reads |= {n for _, index, _ in found for n in NAME.findall(index) if n not in KEYWORDS | {o, v} | around}
    accesses, widths = [], set[tuple[str, str | None]]()
    for name, index, write in found:
        got = _access(name, index, write, o, v, around - {o, v})
        if got is None:
            return None
        accesses.append(got[0])
        widths.add((name, got[1]))
    return _Read(tuple(accesses), frozenset(widths), frozenset(reads), None if sub is not None else target)


def _words(name: str, texts: tuple[str, ...] | list[str]) -> bool:
    return any(re.search(rf"\b{re.escape(name)}\b", t) for t in texts)


Parts = tuple[tuple[str, ...], list[str], tuple[str, ...]]


def _expand(pre: tuple[str, ...], body: list[str], post: tuple[str, ...], after: str) -> tuple[Parts, str] | None:
    """Scalar expansion of a running sum: ``s = e; for (v) ... s ...; x[r] = s;`` becomes ``x[r] = e; for (v) ...
    x[r] ...;`` when ``x`` is touched nowhere else in the nest and ``s`` is not read after it. The new parts and
    the scalar's name, or None when there is no such sum."""
    for k, text in enumerate(pre):
        m = ASSIGN.match(text)
        if m is None or m.group(2) is not None or m.group(3) != "=" or not _words(m.group(1), body):
            continue
        s = m.group(1)
        stores = [j for j, t in enumerate(post) if _words(s, [t])]
        store = ASSIGN.match(post[stores[0]]) if len(stores) == 1 else None
        if store is None or store.group(2) is None or store.group(3) != "=" or store.group(4).strip() != s:
            continue
        x, elem = store.group(1), f"{store.group(1)}{store.group(2)}"
        rest = post[:stores[0]] + post[stores[0] + 1:]
        declared = not text.lstrip().startswith(s)  # a local of the outer loop's body: gone after the nest
        if _words(x, list(pre) + body + list(rest)) or (not declared and _words(s, [after])):
            continue

        def put(t: str, s: str = s, elem: str = elem) -> str:
            return re.sub(rf"\b{re.escape(s)}\b", elem, t)
        new_pre = tuple(put(t) for t in pre[:k]) + (f"{elem} = {m.group(4).strip()}",) + tuple(
            put(t) for t in pre[k + 1:])
        return (new_pre, [put(t) for t in body], tuple(put(t) for t in rest)), s
    return None


def _substitute(parts: Parts, v: str) -> Parts:
    """Forward substitution of index scalars: a scalar assigned once in the nest, from a sum of products of
    integers and names none of which the nest assigns (``row = i * n``), is replaced by its expression where the
    value is the one assigned: later in the same part, and, from ``pre``, all through the body and ``post`` (its
    operands do not change there). The assignment stays. A scalar the body assigns is not carried into ``post``:
    there it would hold its last value, not the expression's."""
    texts = [list(p) for p in parts]
    counts: dict[str, int] = {}
    for t in (t for p in texts for t in p):
        m = ASSIGN.match(t)
        if m is not None and m.group(2) is None:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    for k, part in enumerate(texts):
        for i, t in enumerate(part):
            m = ASSIGN.match(t)
            if m is None or m.group(2) is not None or m.group(3) != "=" or counts.get(m.group(1)) != 1:
                continue
            poly = subscript(m.group(4))
            names = {n for key in poly for n in key} if poly is not None else set()
            if poly is None or names & set(counts) or (k == 0 and v in names):
                continue
            name, expr = m.group(1), f"({m.group(4).strip()})"
            for j, later in enumerate(texts):
                start = i + 1 if j == k else 0
                if j < k or (j > k and k != 0):
                    continue
                later[start:] = [re.sub(rf"\b{re.escape(name)}\b", expr, u) for u in later[start:]]
    return tuple(texts[0]), texts[1], tuple(texts[2])


def _ordered(first: list[_Read], then: list[_Read]) -> bool:
    """Whether every element touched by ``first`` and ``then`` (one of them writing it) is touched by ``then`` in
    the same outer iteration as ``first`` or a later one: so ``first`` may run, for every iteration, before
    ``then`` runs for any."""
    for a in (x for r in first for x in r.accesses):
        for b in (x for r in then for x in r.accesses):
            if a.array != b.array or not (a.write or b.write):
                continue
            d = _distance(a, b)
            if d is None or (isinstance(d, tuple) and (d[0] is None or d[0] < 0)):
                return False
    return True


@dataclass(frozen=True)
class Analysis:
    """A nest this module understands and may swap: its swapped headers, its parts (the statements before the inner
    loop, in it, and after it, index temporaries substituted and a running sum expanded), whether the swapped
    inner loop would carry a value, and the accesses the inner loop walks down a column and those the outer loop
    does."""

    headers: tuple[str, str]
    pre: tuple[str, ...]
    texts: tuple[str, ...]
    post: tuple[str, ...]
    carried: bool
    down: tuple[Access, ...]
    across: tuple[Access, ...]
    expanded: str | None


def analyse(outer: str, inner: str, body: str, around: frozenset[str] = frozenset(),
            pre: tuple[str, ...] = (), post: tuple[str, ...] = (), after: str = "") -> Analysis | None:
    """The nest read, when it is understood and swapping its loops (after distribution, when ``pre`` or ``post``
    hold statements beside the inner loop) is legal; else None. ``around``: the variables of loops around the
    nest, constant while it runs (the swap keeps their order, so a dependence they carry stays as it was);
    ``after``: the source after the nest."""
    o, v = _header_var(outer), _header_var(inner)
    headers = None if o is None or v is None or o == v else _swapped_headers(outer, inner, o, v, after)
    if o is None or v is None or headers is None:
        return None
    texts = [p.strip() for p in COMMENT.sub(" ", body).split(";")]
    if texts[-1] or len(texts) < 2 or _words(v, list(pre) + list(post)):
        return None
    pre, texts, post = _substitute((pre, texts[:-1], post), v)
    expanded = _expand(pre, texts, post, after)
    if expanded is not None:
        (pre, texts, post), _ = expanded
    parts: list[list[_Read]] = []
    for stmts in (pre, texts, post):
        reads = [_read(t, o, v, around) for t in stmts]
        if any(r is None for r in reads):
            return None
        parts.append([r for r in reads if r is not None])
    before, inside, later = parts
    widths = frozenset().union(*(r.widths for r in before + inside + later))
    if len({a for a, _ in widths}) < len(widths) or {w for _, w in widths} & {o, v}:
        return None  # one array read with two row lengths, or a loop variable as a row length
    for k, part in enumerate(parts):  # a scalar assigned in one part and read in another ties the parts together
        others = [q for j, other in enumerate(parts) if j != k for q in other]
        if any(r.assigns in q.reads or r.assigns == q.assigns for r in part for q in others if r.assigns):
            return None
    assigned: set[str] = set()
    targets = {r.assigns for r in inside if r.assigns}
    for r in inside:
        if r.reads & targets - assigned:
            return None  # a scalar read before this iteration assigns it carries a value across iterations
        assigned |= {r.assigns} if r.assigns else set()
    if not (_ordered(before, inside) and _ordered(inside, later) and _ordered(before, later)):
        return None
    accesses = [a for r in inside for a in r.accesses]
    carried = False
    for i, a in enumerate(accesses):
        for b in accesses[i:]:
            if a.array != b.array or not (a.write or b.write) or (a is b and not a.write):
                continue
            d = _distance(a, b)
            if d is None:
                return None
            if d is False:
                continue
            assert isinstance(d, tuple)
            if _reverses(d):
                return None
            carried = carried or (d[1] == 0 and d[0] != 0)  # the outer loop, inner once swapped, carries it
    down = tuple(a for a in accesses if a.row is not None and a.row[1] and not a.row[0])  # a column, by the inner loop
    across = tuple(a for a in accesses if a.row is not None and a.row[0] and not a.row[1])  # ... by the outer loop
    return Analysis(headers, tuple(pre), tuple(texts), tuple(post), carried, down, across,
                    expanded[1] if expanded else None)


def interchange(outer: str, inner: str, body: str, around: frozenset[str] = frozenset(),
                pre: tuple[str, ...] = (), post: tuple[str, ...] = (), after: str = "") -> Swap | None:
    """The swapped nest (after distribution, when ``pre`` or ``post`` hold statements beside the inner loop), or
    None: not understood, not legal (:func:`analyse`), or no more arrays the inner loop walks down a column than
    the swap would walk down one."""
    got = analyse(outer, inner, body, around, pre, post, after)
    if got is None or len(got.down) <= len(got.across):
        return None

    def loop(statements: tuple[str, ...]) -> list[str]:
        return [f"{outer} {{\n" + "".join(f"    {t};\n" for t in statements) + "}"] if statements else []
    swapped = (f"{got.headers[0]} {{\n    {got.headers[1]} {{\n" + "".join(f"        {t};\n" for t in got.texts)
               + "    }\n}")
    nest = "\n".join(loop(got.pre) + [swapped] + loop(got.post))
    if got.pre or got.post:  # one statement still, in braces, wherever the nest stood (an unbraced loop's body, say)
        nest = "{\n" + "".join(f"    {t}\n" if t else "\n" for t in nest.splitlines()) + "}"
    return Swap(nest, tuple(dict.fromkeys(a.array for a in got.down)), got.carried, bool(got.pre or got.post),
                got.expanded)


def loop_variables(source: str) -> set[str]:
    """The variables of every ``for`` loop in ``source``."""
    return set(HEADER.findall(source))
