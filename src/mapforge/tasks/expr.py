"""Safe integer arithmetic over a shape's parameters: ``"n*n"``, ``"(n+2)*(m+2)"``, ``"n//4"``."""

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
    """An expression that is not integer arithmetic over known names."""


def eval_expr(expr: str, env: Mapping[str, int]) -> int:
    """Evaluate ``expr`` with the names in ``env``; only + - * // % ** and parentheses are allowed."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as e:
        raise ExprError(f"not an expression: {e.msg}") from None
    return _eval(tree.body, env)


def check_expr(expr: str, env: Mapping[str, int]) -> int:
    """Like :func:`eval_expr` but also rejects negative results."""
    v = eval_expr(expr, env)
    if v < 0:
        raise ExprError(f"evaluates to {v}, expected a non-negative integer")
    return v


def _eval(node: ast.AST, env: Mapping[str, int]) -> int:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in env:
            known = ", ".join(sorted(env)) or "none"
            raise ExprError(f"unknown name {node.id!r} (shape parameters: {known})")
        return int(env[node.id])
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        left, right = _eval(node.left, env), _eval(node.right, env)
        if isinstance(node.op, (ast.FloorDiv, ast.Mod)) and right == 0:
            raise ExprError("division by zero")
        if isinstance(node.op, ast.Pow) and (right < 0 or right > 64):
            raise ExprError("exponents must be integers from 0 to 64")
        return int(_OPS[type(node.op)](left, right))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_eval(node.operand, env)
    raise ExprError("only integers, shape parameters, + - * // % ** and parentheses are allowed")
