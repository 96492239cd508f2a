"""A C arithmetic expression read as an affine function of one variable: ``e(c) = c * m + t``, with ``m`` and
``t`` written as C expressions that do not read ``c``; for the expressions this module is sure about, and
nothing for the rest.

An expression is understood when it is built of numbers, names, array elements (``x[i - 1]``), calls, casts and
parentheses with ``+``, ``-``, ``*`` and ``/``, and ``c`` (a name, not an array) occurs outside subscripts, calls
and casts, multiplied by nothing that reads it and divided by nothing that does. ``m`` and ``t`` are the
expression's own terms regrouped (``z[i] * (y[i] - c)`` is ``c * (-(z[i])) + z[i] * y[i]``): equal to it in exact
arithmetic, not always in rounding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?[fFlLuU]*|\.\d+(?:[eE][-+]?\d+)?[fFlL]?)|([A-Za-z_]\w*)|(\S))")
_TYPES = frozenset({"float", "double", "int", "long", "unsigned", "short", "char", "signed", "const"})


@dataclass(frozen=True)
class Affine:
    """``c * m + t``: ``m`` (None: zero; ``'1'``: one) and ``t`` (None: zero), each a C expression, parenthesised
    unless it is one name, number or element."""

    m: str | None
    t: str | None


class _Unread(Exception):
    pass


def atom(text: str) -> str:
    return text if re.fullmatch(r"[\w.]+(?:\s*\[[^\[\]]*\])*|\([^()]*\)", text) else f"({text})"


def bare(text: str) -> str:
    """``text`` without the parentheses around all of it, if any."""
    if not (text.startswith("(") and text.endswith(")")):
        return text
    depth = 0
    for j, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if depth == 0 and j < len(text) - 1:
            return text
    return text[1:-1]


class _Parser:
    def __init__(self, text: str, var: str, kind: str) -> None:
        self.tokens = [(m.group(0).strip(), m.lastindex or 0) for m in _TOKEN.finditer(text) if m.group(0).strip()]
        self.var, self.kind, self.at = var, kind, 0

    # Terms regrouped are new arithmetic: its left operand is cast to the variable's type, as the original's
    # arithmetic had it (``(c + n) * n`` multiplies floats; ``n * n``, its ``t``, would multiply integers).
    def plus(self, x: str | None, y: str | None, sign: str = "+") -> str | None:
        if y is None:
            return x
        if x is None:
            return y if sign == "+" else f"(-{atom(y)})"
        return f"(({self.kind}){atom(x)} {sign} {atom(y)})"

    def times(self, x: str | None, y: str, op: str = "*") -> str | None:
        if x is None:
            return None
        if x == "1" and op == "*":
            return y
        return x if y == "1" else f"(({self.kind}){atom(x)} {op} {atom(y)})"

    def peek(self) -> str:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else ""

    def take(self) -> str:
        tok = self.peek()
        self.at += 1
        return tok

    def enclosed(self, close: str) -> str:
        """The text up to the bracket that closes the one just taken, with it; the variable must not occur."""
        depth, out = 1, list[str]()
        opening = {")": "(", "]": "["}[close]
        while self.at < len(self.tokens):
            tok = self.take()
            depth += (tok == opening) - (tok == close)
            if depth == 0:
                return " ".join(out)
            if tok == self.var:
                raise _Unread
            out.append(tok)
        raise _Unread

    def expr(self) -> Affine:
        left = self.term()
        while self.peek() in ("+", "-"):
            sign = self.take()
            right = self.term()
            if left.m is None and right.m is None:  # the variable in neither: the code as written
                left = Affine(None, f"{left.t} {sign} {right.t}")
            else:
                left = Affine(self.plus(left.m, right.m, sign), self.plus(left.t, right.t, sign))
        return left

    def term(self) -> Affine:
        left = self.unary()
        while self.peek() in ("*", "/"):
            op = self.take()
            right = self.unary()
            if right.m is not None and (op == "/" or left.m is not None):
                raise _Unread  # the variable times itself, or divided by
            if left.m is None and right.m is None:
                left = Affine(None, f"{left.t} {op} {right.t}")
                continue
            if right.m is not None:
                left, right = right, left  # the constant factor on the right
            factor = right.t or "0"
            left = Affine(self.times(left.m, factor, op), self.times(left.t, factor, op))
        return left

    def unary(self) -> Affine:
        if self.peek() in ("-", "+"):
            sign = self.take()
            inner = self.unary()
            if sign == "+":
                return inner
            return Affine(None if inner.m is None else f"(-{atom(inner.m)})",
                          None if inner.t is None else f"(-{atom(inner.t)})")
        if self.peek() == "(" and self.at + 1 < len(self.tokens) and self.tokens[self.at + 1][0] in _TYPES:
            self.take()
            cast = self.enclosed(")")
            inner = self.unary()
            if inner.m is not None:
                raise _Unread
            return Affine(None, f"(({cast}){atom(inner.t or '0')})")
        return self.primary()

    def primary(self) -> Affine:
        tok, kind = self.tokens[self.at] if self.at < len(self.tokens) else ("", 0)
        self.at += 1
        if tok == "(":
            inner = self.expr()
            if self.take() != ")":
                raise _Unread
            return Affine(inner.m, None if inner.t is None else atom(inner.t))
        if kind == 1:
            return Affine(None, tok)
        if kind != 2:
            raise _Unread
        if self.peek() == "(":
            self.take()
            return Affine(None, f"{tok}({self.enclosed(')')})")
        text = tok
        while self.peek() == "[":
            self.take()
            text += f"[{self.enclosed(']')}]"
        if text == self.var:
            return Affine("1", None)
        return Affine(None, text)


def affine(text: str, var: str, kind: str = "double") -> Affine | None:
    """``text`` as ``var * m + t``, or None when it is not understood (or does not read ``var``); ``kind`` is
    ``var``'s type."""
    parser = _Parser(text, var, kind)
    try:
        got = parser.expr()
    except _Unread:
        return None
    if parser.at != len(parser.tokens) or got.m is None:
        return None
    return got
