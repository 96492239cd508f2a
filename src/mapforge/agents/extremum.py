"""A loop that keeps the largest (or smallest) floating-point value it meets, and where it met it, rewritten as
two passes that gcc vectorises: for the loops this module is sure about, and nothing for the rest.

gcc 12 at ``-O3`` leaves ``if (a[i] > m) { m = a[i]; j = i; }`` scalar: without ``-ffinite-math-only`` and
``-fno-signed-zeros`` it may not turn the comparison of floats into a maximum, and it has no reduction for "the
index where the maximum was". Integers it can do: the bits of a float, with the magnitude bits flipped when the
sign is set, order as the floats do (``-0`` first made ``+0`` by adding zero, a NaN given the key that never
wins), so the first pass takes the maximum of these integer keys, a reduction gcc vectorises, and the second
takes the first (or last) index whose key is the maximum's, a minimum of indices, which it vectorises too. The
loop's own ``if`` then runs once, at that index. A loop that keeps only the value needs the second pass only
when the maximum is zero (whose sign its key lost).

This is the loop's result exactly, NaNs and signed zeros included: the loop sets ``m`` at the first index whose
value is the largest (``>``: later equal values do not pass), or the last (``>=``), provided it passes against
``m``'s value before the loop; two floats that compare equal have equal keys. A loop is understood when it is
``for (int v = lo; v < hi; v++)`` (or ``<=``, a constant step, ``v`` an ``int`` declared before) whose body,
braced or not, is one ``if`` with no ``else``: its condition compares a scalar ``m`` declared ``float`` or
``double`` with an expression ``e`` (``e > m``, ``m < e``, or ``>=``, ``<=``, and the mirror for a minimum);
its branch sets ``m = e`` and any other scalars to expressions with no side effect. A body ``m = c ? e : m;`` is
read as ``if (c) m = e;``, and ``m = fmaxf(m, e);`` (``fminf``, ``fmax``, ``fmin``; the element either side) as a
maximum kept with NaNs skipped, whose call runs once where the passes found the value: the result is the loop's
but for the sign of a zero that ties, which glibc takes from the second argument and gcc, to which the call is
commutative, may swap. ``e`` has no side effect and
no call but ``fabs`` (``fabsf`` for a float), and holds only values of ``m``'s type, so comparing it with ``m``
is comparing values of that type. Nothing the branch sets is read by ``e``, the other values or the bounds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mapforge.agents.dependence import (
    KEYWORDS,
    braced_body,
    counting_loop,
    declared_type,
    fresh_prefix,
    parens,
)

_MIRROR = {">": "<", "<": ">", ">=": "<=", "<=": ">="}
#: Per type: the integer of its width, the shift to its sign, the magnitude's mask, the least and the largest key.
_KEYS = {
    "float": ("int", 31, "0x7fffffff", "(-2147483647 - 1)", "2147483647", "0.0f"),
    "double": ("long long", 63, "0x7fffffffffffffffLL", "(-0x7fffffffffffffffLL - 1)", "0x7fffffffffffffffLL", "0.0"),
}
_CALLS = {"float": {"fabsf", "fabs"}, "double": {"fabs"}}
_SET = re.compile(r"^\s*([A-Za-z_]\w*)\s*=(?!=)(.*)$", re.S)
_COMPARE = re.compile(r"<=|>=|<<|>>|->|<|>")
_FLOAT_LITERAL = re.compile(r"(?<![\w.])(?:\d+\.\d*|\.\d+|\d+(?=[eE]))(?:[eE][-+]?\d+)?([fFlL]?)")
_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")


@dataclass(frozen=True)
class Extremum:
    """The loop's replacement (one braced statement), its first and last lines (1-based), the source after it,
    the value kept, whether the largest (else the smallest), whether its first index (else its last), and the
    other scalars the branch sets."""

    code: str
    lines: tuple[int, int]
    after: str
    target: str
    largest: bool
    first: bool
    others: tuple[str, ...]


def _if(text: str) -> tuple[str, list[str], str] | None:
    """(condition, the branch's statements, what follows) of text starting with an ``if`` with no ``else``."""
    if not re.match(r"if\s*\(", text):
        return None
    got = parens(text[2:].lstrip())
    if got is None:
        return None
    cond, rest = got
    if rest.startswith("{"):
        braced = braced_body(rest)
        if braced is None:
            return None
        inner, rest = braced
    else:
        semi = rest.find(";")
        if semi < 0:
            return None
        inner, rest = rest[:semi + 1], rest[semi + 1:]
    inner = inner.strip()
    if not inner.endswith(";") or re.match(r"\s*else\b", rest):
        return None
    return cond.strip(), [t.strip() for t in inner[:-1].split(";")], rest


#: ``m = fmaxf(m, e)`` and the like: the function, and whether it keeps the largest.
_KEEPERS = {"fmaxf": ("float", True), "fmax": ("double", True), "fminf": ("float", False), "fmin": ("double", False)}
#: Where the element stands in the call kept from ``m = fmaxf(m, e);``.
_ELEMENT = "@element@"
_ASSIGN = re.compile(r"^([A-Za-z_]\w*)\s*=(?!=)\s*(.*?);", re.S)


def _body(text: str, source: str) -> tuple[str, list[str], str, str] | None:
    """(condition, the statements it guards, what follows, the call) of a body that is an ``if`` with no ``else``
    (the call ""), or one assignment read as such an ``if``: ``m = c ? e : m;`` is ``if (c) m = e;``, and
    ``m = fmaxf(m, e);`` is ``if (e >= m) m = e;`` but for a NaN in ``m`` (which ``fmaxf`` replaces: the call is
    returned to run where the passes found the value), ``m = fmaxf(e, m);`` ``if (e > m) m = e;``; ``fminf``,
    ``fmax`` and ``fmin`` the same. Equal values differ only in a zero's sign, and the call at the index found
    gives the sign the loop gives."""
    got = _if(text)
    if got is not None:
        return (*got, "")
    m = _ASSIGN.match(text)
    if m is None:
        return None
    target, value, rest = m.group(1), m.group(2).strip(), text[m.end():]
    head = re.match(r"([A-Za-z_]\w*)\s*\(", value)
    if head and head.group(1) in _KEEPERS:
        args = parens(value[head.end() - 1:])
        kind, largest = _KEEPERS[head.group(1)]
        if args is None or args[1].strip() or declared_type(source, target) != kind:
            return None
        parts = _split_comma(args[0])
        if parts is None:
            return None
        a, b = parts
        op, call = (">" if largest else "<"), f"{target} = {head.group(1)}("
        if a == target and b != target:  # ties take the second argument: the last index
            return f"({b}) {op}= {target}", [f"{target} = {b}"], rest, call + f"{target}, {_ELEMENT});"
        if b == target and a != target:
            return f"({a}) {op} {target}", [f"{target} = {a}"], rest, call + f"{_ELEMENT}, {target});"
        return None
    choice = re.match(r"(.*?)\?(.*):(.*)$", value, re.S)  # c ? e : m, with no other conditional inside
    if choice is None or "?" in choice.group(2) + choice.group(3) or choice.group(3).strip() != target:
        return None
    cond = choice.group(1).strip()
    while (p := parens(cond)) is not None and not p[1].strip():
        cond = p[0].strip()
    return cond, [f"{target} = {choice.group(2).strip()}"], rest, ""


def _split_comma(args: str) -> tuple[str, str] | None:
    """The two arguments of a call, split at its one top-level comma."""
    depth = 0
    for i, c in enumerate(args):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(c, 0)
        if c == "," and depth == 0:
            a, b = args[:i].strip(), args[i + 1:].strip()
            return (a, b) if "," not in b and a and b else None
    return None


def _apply(call: str, target: str, value: str, op: str) -> str:
    """Keep ``value`` (found by its key, not a zero) in ``target`` as the loop would: its call of ``fmax`` with
    ``value`` for the element, or its comparison."""
    return call.replace(_ELEMENT, value) if call else f"if ({value} {op} {target}) {target} = {value};"


def _pure(expr: str, calls: set[str]) -> bool:
    """No side effect, member, address, conditional or braces; no call but those in ``calls``."""
    if re.search(r"\+\+|--|->|[?{};&|]|(?<![=!<>])=(?!=)|[\w\])]\s*\.\s*[A-Za-z_]", expr):
        return False
    return all(name in calls for name in re.findall(r"\b([A-Za-z_]\w*)\s*\(", expr))


def _typed(expr: str, kind: str, var: str, source: str) -> bool:
    """Every value ``expr`` holds is of type ``kind``: its arrays and scalars declared so (what subscripts hold
    does not count), its floating literals of that type (or float's, exact in a double), casts only to it."""
    outer = expr
    while (bare := re.sub(r"\[[^\[\]]*\]", "[]", outer)) != outer:
        outer = bare
    for m in _FLOAT_LITERAL.finditer(outer):
        if m.group(1) in ("l", "L") or (kind == "float" and m.group(1) not in ("f", "F")):
            return False  # a long double, or a double in a float's comparison
    for name in _IDENT.findall(outer):
        if name in _CALLS[kind] or name == kind:
            continue
        if name in KEYWORDS or name == var or declared_type(source, name) != kind:
            return False
    return True


def _comparison(cond: str) -> tuple[str, str, str] | None:
    """(left, operator, right) of a condition that is one ordering comparison, at the top level."""
    if re.search(r"&&|\|\||[=!]=|\?", cond):
        return None
    depth, found = 0, []
    for m in _COMPARE.finditer(cond):
        depth = sum({"(": 1, ")": -1, "[": 1, "]": -1}.get(c, 0) for c in cond[:m.start()])
        if m.group(0) in _MIRROR and depth == 0:
            found.append(m)
        elif m.group(0) not in _MIRROR:
            return None
    if len(found) != 1:
        return None
    m = found[0]
    return cond[:m.start()].strip(), m.group(0), cond[m.end():].strip()


def _same(a: str, b: str) -> bool:
    def norm(t: str) -> str:
        t = "".join(t.split())
        while (p := parens(t)) is not None and not p[1]:
            t = p[0]
        return t
    return norm(a) == norm(b)


def extremum(source: str, line: int) -> Extremum | None:
    """The loop whose ``for`` starts on ``line`` (1-based), rewritten, or None when not understood."""
    loop = counting_loop(source, line)
    if loop is None:
        return None
    bounds, header, rest = loop.bounds, " ".join(loop.header.split()), loop.rest
    var = bounds.var
    if bounds.kind != "int" and not (bounds.kind == "" and re.search(rf"\bint\b[^;(){{}}]*\b{var}\b", source)):
        return None
    if rest.startswith("{"):
        braced = braced_body(rest)
        parsed = None if braced is None else _body(braced[0].strip(), source)
        if braced is None or parsed is None or parsed[2].strip():
            return None
        after = braced[1]
    else:
        parsed = _body(rest, source)
        if parsed is None:
            return None
        after = parsed[2]
    cond, statements, _, call = parsed
    compared = _comparison(cond)
    sets = [_SET.match(s) for s in statements]
    if compared is None or not all(sets):
        return None
    values = {m.group(1): m.group(2).strip() for m in sets if m}
    if len(values) < len(statements):
        return None  # a scalar set twice
    left, op, right = compared
    if left in values and _same(values[left], right):
        target, expr, op = left, right, _MIRROR[op]  # m < e is e > m
    elif right in values and _same(values[right], left):
        target, expr = right, left
    else:
        return None
    kind = declared_type(source, target)
    if kind is None or var in values or not _pure(expr, _CALLS[kind]) or not _typed(expr, kind, var, source):
        return None
    others = [name for name in values if name != target]
    names = re.compile(rf"\b({'|'.join(map(re.escape, values))})\b")
    if (names.search(expr) or names.search(bounds.lo) or names.search(bounds.hi)
            or any(names.search(values[n]) or not _pure(values[n], set()) for n in others)):
        return None
    largest, first = op in (">", ">="), op in (">", "<")
    branch = "; ".join(statements) + ";"
    statement = call.replace(_ELEMENT, expr) if call else f"if ({cond}) {{ {branch} }}"
    # no index: past the last for the first, before the first for the last (not a constant, which gcc would
    # fold into the minimum, leaving a reduction it cannot vectorise)
    none = (f"({bounds.hi}) + 1" if bounds.op == "<=" else f"({bounds.hi})") if first else f"({bounds.lo}) - 1"
    code = _passes(header, var, bounds.kind == "", expr, op, target, kind, largest, first, none, bool(others),
                   statement, call, set(_IDENT.findall(source)))
    last = loop.last_line(after)
    return Extremum(code, (line, last), after, target, largest, first, tuple(others))


def _passes(header: str, var: str, outside: bool, expr: str, op: str, target: str, kind: str, largest: bool,
            first: bool, none: str, indexed: bool, statement: str, call: str, taken: set[str]) -> str:
    """The two passes, and the loop's ``if`` (or its call of ``fmax``) at the index they found."""
    prefix = fresh_prefix("mf", taken)
    key, shift, mask, least, most, zero = _KEYS[kind]
    sentinel = least if largest else most  # a NaN's key, which never wins

    def keyed(indent: str) -> str:
        return "".join(f"{indent}{t}\n" for t in (
            f"{kind} {prefix}_e = ({expr}) + {zero};",
            f"{key} {prefix}_b;",
            f"__builtin_memcpy(&{prefix}_b, &{prefix}_e, sizeof {prefix}_b);",
            f"{key} {prefix}_k = {prefix}_b ^ (({prefix}_b >> {shift}) & {mask});",
            f"{key} {prefix}_n = -({key})({prefix}_e != {prefix}_e);",
            f"{prefix}_k = ({prefix}_k & ~{prefix}_n) | ({prefix}_n & {sentinel});"))

    better = ">" if largest else "<"
    find = "        " + ("" if indexed else "    ")
    search = (f"{find}int {prefix}_none = {none};\n{find}int {prefix}_at = {prefix}_none;\n"
              f"{find}{header} {{\n" + keyed(find + "    ")
              + f"{find}    int {prefix}_here = {prefix}_k == {prefix}_best ? {var} : {prefix}_none;\n"
              f"{find}    {prefix}_at = {prefix}_here {'<' if first else '>'} {prefix}_at ? {prefix}_here : {prefix}_at;\n"
              f"{find}}}\n"
              f"{find}{{\n{find}    int {var} = {prefix}_at;\n{find}    {statement}\n{find}}}\n")
    if not indexed:  # the value is its key's, unless a zero's, whose sign the key lost
        search = (f"        if ({prefix}_best != 0) {{\n"
                  f"            {key} {prefix}_u = {prefix}_best ^ (({prefix}_best >> {shift}) & {mask});\n"
                  f"            {kind} {prefix}_v;\n"
                  f"            __builtin_memcpy(&{prefix}_v, &{prefix}_u, sizeof {prefix}_v);\n"
                  f"            {_apply(call, target, prefix + '_v', op)}\n"
                  f"        }} else {{\n{search}        }}\n")
    return ("{\n"
            f"    {key} {prefix}_best = {sentinel};\n"
            f"    {header} {{\n" + keyed("        ")
            + f"        {prefix}_best = {prefix}_k {better} {prefix}_best ? {prefix}_k : {prefix}_best;\n"
            "    }\n"
            + (f"    int {prefix}_end = {var};\n" if outside else "")
            + f"    if ({prefix}_best != {sentinel}) {{\n{search}    }}\n"
            + (f"    {var} = {prefix}_end;\n" if outside else "")
            + "}")
