"""Safe arithmetic over a shape's parameters.

Sizes are integers: ``"n*n"``, ``"(n+2)*(m+2)"``, ``"n//4"`` (:func:`eval_expr`). Scalar values and
initialiser bounds may also be real numbers: ``"1.5"``, ``"-1e-3"``, ``"n-1"``, ``"1/n"``
(:func:`eval_number`).
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Mapping

_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}


class ExprError(ValueError):
    """An expression that is not arithmetic over known names."""


def eval_expr(expr: str, env: Mapping[str, int]) -> int:
    """Evaluate ``expr`` with the names in ``env``; only + - * // % ** and parentheses are allowed."""
    v = _eval(_parse(expr), env, real=False)
    assert isinstance(v, int)
    return v


def eval_number(expr: str, env: Mapping[str, int]) -> int | float:
    """Like :func:`eval_expr`, but real literals (``1.5``, ``2e-3``) and true division ``/`` are allowed
    too. The result is an ``int`` when every step was integer arithmetic."""
    return _eval(_parse(expr), env, real=True)


def check_expr(expr: str, env: Mapping[str, int]) -> int:
    """Like :func:`eval_expr` but also rejects negative results."""
    v = eval_expr(expr, env)
    if v < 0:
        raise ExprError(f"evaluates to {v}, expected a non-negative integer")
    return v


def _parse(expr: str) -> ast.AST:
    try:
        return ast.parse(expr.strip(), mode="eval").body
    except SyntaxError as e:
        raise ExprError(f"not an expression: {e.msg}") from None


def _eval(node: ast.AST, env: Mapping[str, int], real: bool) -> int | float:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if real and isinstance(node, ast.Constant) and isinstance(node.value, float):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in env:
            known = ", ".join(sorted(env)) or "none"
            raise ExprError(f"unknown name {node.id!r} (shape parameters: {known})")
        return int(env[node.id])
    if isinstance(node, ast.BinOp) and (type(node.op) in _OPS or (real and isinstance(node.op, ast.Div))):
        left, right = _eval(node.left, env, real), _eval(node.right, env, real)
        if isinstance(node.op, (ast.FloorDiv, ast.Mod, ast.Div)) and right == 0:
            raise ExprError("division by zero")
        if isinstance(node.op, ast.Div):
            return left / right
        if isinstance(node.op, ast.Pow) and (not isinstance(right, int) or right < 0 or right > 64):
            raise ExprError("exponents must be integers from 0 to 64")
        v = _OPS[type(node.op)](left, right)
        return v if isinstance(v, float) else int(v)
    if isinstance(node, ast.UnaryOp) and (isinstance(node.op, ast.USub) or (real and isinstance(node.op, ast.UAdd))):
        v = _eval(node.operand, env, real)
        return -v if isinstance(node.op, ast.USub) else v
    if real:
        raise ExprError("only numbers, shape parameters, + - * / // % ** and parentheses are allowed")
    raise ExprError("only integers, shape parameters, + - * // % ** and parentheses are allowed")
