"""Load a KernelBench-style file as a task, unchanged: ``class Model(nn.Module)``, ``get_inputs()`` and
``get_init_inputs()``. An optional ``<name>.toml`` beside it adds tolerances, forbidden operations, flops
and bytes. The file is parsed, never imported here: the harness process has no torch and must not run
task code; the sandbox does that."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from pydantic import ValidationError

from mapforge.errors import UserError
from mapforge.tasks.spec import GpuSpec, Task

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def module_constants(source: str) -> dict[str, int | float]:
    """Module-level ``NAME = <number or arithmetic of earlier names>`` assignments (shape constants)."""
    tree = ast.parse(source)
    env: dict[str, int | float] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                value = safe_eval(node.value, env)
            except ValueError:
                continue
            env[node.targets[0].id] = value
    return env


def safe_eval(node: ast.expr, env: dict[str, int | float]) -> int | float:
    """Arithmetic over numbers and known names only."""
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.Name) and node.id in env:
        return env[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -safe_eval(node.operand, env)
    if isinstance(node, ast.BinOp):
        a, b = safe_eval(node.left, env), safe_eval(node.right, env)
        ops = {ast.Add: lambda: a + b, ast.Sub: lambda: a - b, ast.Mult: lambda: a * b, ast.Div: lambda: a / b,
               ast.FloorDiv: lambda: a // b, ast.Pow: lambda: a**b, ast.Mod: lambda: a % b}
        for op, fn in ops.items():
            if isinstance(node.op, op):
                return fn()
    raise ValueError("not a constant expression")


def expression_value(expr: str, source: str, what: str) -> float:
    try:
        return float(safe_eval(ast.parse(expr, mode="eval").body, module_constants(source)))
    except (SyntaxError, ValueError, ZeroDivisionError) as e:
        raise UserError(f"{what} = {expr!r}: not an arithmetic expression over the module's constants ({e})") from None


def check_module(path: Path, source: str) -> None:
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as e:
        raise UserError(f"{path}:{e.lineno}: not valid Python: {e.msg}") from None
    names = {n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))}
    missing = [n for n in ("Model", "get_inputs", "get_init_inputs") if n not in names]
    if missing:
        raise UserError(f"{path}: a KernelBench-style task defines class Model(nn.Module), get_inputs() and "
                        f"get_init_inputs(); missing: {', '.join(missing)}")


def load_kernelbench(path: Path) -> Task:
    path = path.resolve()
    source = path.read_text(encoding="utf-8")
    check_module(path, source)
    extra: dict[str, object] = {}
    side = path.with_suffix(".toml")
    if side.is_file():
        try:
            extra = tomllib.loads(side.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as e:
            raise UserError(f"{side}: not valid TOML: {e}") from None
    doc = ast.get_docstring(ast.parse(source)) or ""
    model_doc = next((ast.get_docstring(n) for n in ast.parse(source).body
                      if isinstance(n, ast.ClassDef) and n.name == "Model"), None) or ""
    data = {"name": path.stem.replace(".", "-"), "description": (doc or model_doc or f"KernelBench problem {path.stem}"),
            "reference": path.name, **extra}
    try:
        spec = GpuSpec.model_validate(data)
    except ValidationError as e:
        lines = [f"{side if side.is_file() else path}: invalid task spec:"]
        lines += [f"  - {'.'.join(str(x) for x in err['loc'])}: {err['msg']}" for err in e.errors()]
        raise UserError("\n".join(lines)) from None
    for field in ("flops", "bytes"):
        expr = getattr(spec, field)
        if expr is not None:
            expression_value(expr, source, f"{side}: {field}")
    return Task(spec=spec, root=path.parent, reference_source=source)
