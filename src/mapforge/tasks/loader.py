"""Load a task from a folder, a ``task.toml`` path, or a file in a target's own format (a KernelBench-style
``.py``: see ``mapforge.targets``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from mapforge.errors import UserError
from mapforge.tasks.spec import AnySpec, OptimizeSpec, SolveSpec, Task, TestCase

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

_SPEC: TypeAdapter[OptimizeSpec | SolveSpec] = TypeAdapter(AnySpec)


def resolve_task_path(path: str | Path) -> Path:
    """The ``task.toml`` a user's TASK argument points at."""
    p = Path(path)
    if p.is_dir():
        p = p / "task.toml"
    if not p.exists():
        hint = " Run `mapforge task list` to see the bundled tasks." if not Path(path).exists() else ""
        raise UserError(f"{p}: no such task file. TASK is a task folder, or its task.toml.{hint}")
    return p


def format_validation_error(file: Path, err: ValidationError) -> str:
    lines = [f"{file}: invalid task spec:"]
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"] if not (isinstance(x, str) and x in ("optimize", "solve")))
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "missing":
            msg = "is required but missing"
        elif e["type"] == "extra_forbidden":
            msg = "is not a known field (check the spelling; see README 'Add a task')"
        elif e["type"] == "union_tag_invalid" or e["type"] == "union_tag_not_found":
            loc, msg = "kind", 'must be "optimize" or "solve"'
        lines.append(f"  - {loc or '(top level)'}: {msg}")
    return "\n".join(lines)


def _read_toml(file: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{file}: not valid TOML: {e}") from None


def load_task(path: str | Path) -> Task:
    """Load and validate a task; raise :class:`UserError` naming the file and field on any problem.
    A file in a target's own format (a KernelBench-style ``.py``) goes to that target's loader."""
    from mapforge.targets import loader_for

    own = loader_for(Path(path))
    if own is not None:
        if not Path(path).is_file():
            raise UserError(f"{path}: no such task file")
        return own(Path(path))
    file = resolve_task_path(path)
    data = _read_toml(file)
    try:
        spec = _SPEC.validate_python(data)
    except ValidationError as e:
        raise UserError(format_validation_error(file, e)) from None
    root = file.parent.resolve()
    if isinstance(spec, OptimizeSpec):
        ref = root / spec.reference
        if not ref.is_file():
            raise UserError(f"{file}: reference = {spec.reference!r}: file not found in {root}")
        return Task(spec=spec, root=root, reference_source=ref.read_text(encoding="utf-8"))
    hidden_file = root / spec.hidden_tests
    hidden: tuple[TestCase, ...] = ()
    if spec.format == "function":
        return Task(spec=spec, root=root, hidden_code=_read_check(file, spec.hidden_tests, hidden_file))
    if hidden_file.is_file():
        raw = _read_toml(hidden_file).get("tests", [])
        try:
            hidden = tuple(TestCase.model_validate(t) for t in raw)
        except ValidationError as e:
            raise UserError(format_validation_error(hidden_file, e)) from None
    else:
        raise UserError(f"{file}: hidden_tests = {spec.hidden_tests!r}: file not found in {root}")
    if not hidden:
        raise UserError(f"{hidden_file}: needs at least one [[tests]] entry with input and output")
    return Task(spec=spec, root=root, hidden=hidden)


def _read_check(file: Path, name: str, hidden_file: Path) -> str:
    """A function task's hidden test code: it must parse and define ``check(candidate)``."""
    import ast

    if not hidden_file.is_file():
        raise UserError(f"{file}: hidden_tests = {name!r}: file not found in {hidden_file.parent}")
    code = hidden_file.read_text(encoding="utf-8")
    try:
        tree = ast.parse(code)
    except SyntaxError as e:
        raise UserError(f"{hidden_file}: not valid Python: {e}") from None
    if not any(isinstance(n, ast.FunctionDef) and n.name == "check" for n in tree.body):
        raise UserError(f"{hidden_file}: needs a top-level `def check(candidate):` holding the hidden asserts")
    return code


def find_tasks(root: Path) -> list[Path]:
    """Every task under ``root``: folders holding a task.toml, and files in a target's own format
    (KernelBench-style ``.py``) in folders without one."""
    from mapforge.targets import loader_for

    found = [p.parent for p in root.glob("*/task.toml")]
    found += [f for f in root.glob("*/*.*") if not (f.parent / "task.toml").exists() and loader_for(f)]
    return sorted(found)
