"""Targets: what a task runs on, and everything that differs with it.

A target bundles the task loader for its file format, its evaluator, the prompt sections that tell the
model what to write, and its static checks. The task spec names its target (``spec.target``); the job,
the prompts and ``mapforge eval`` ask this registry instead of branching on the kind of task. To add a
target, write a module that calls :func:`register` and list it in ``_MODULES``.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mapforge.errors import UserError

if TYPE_CHECKING:
    from mapforge.config import Config
    from mapforge.evaluators.base import Evaluator
    from mapforge.sandbox import SandboxFactory
    from mapforge.tasks.spec import Task


@dataclass(frozen=True)
class Target:
    name: str
    """``cpu-native``, ``solve``, ``gpu-torch``, ..."""
    summary: str
    make_evaluator: Callable[[Task, Config, SandboxFactory], Evaluator]
    """The evaluator for one task, on the job's sandboxes."""
    task_block: Callable[[Task, float | None], str]
    """The prompt section that presents the task (with the measured baseline time, if any)."""
    output_rules: Callable[[Task], str]
    """The prompt section that says what to return and what is not allowed."""
    static_problems: Callable[[Task, str], list[str]]
    """Problems in a candidate's source found without running it (empty: none)."""
    sandbox_options: Callable[[Task, Config], dict[str, Any]] = lambda task, config: {}
    """Extra options for this target's local sandboxes (e.g. ``python=True`` for the GPU target's interpreter);
    a ``limits`` entry holds fields of :class:`~mapforge.sandbox.Limits` fixed per sandbox (disk, file size)."""
    load: Callable[[Path], Task] | None = None
    """Loads a task file of this target's own format (``suffix``); None: ``task.toml`` specs."""
    suffix: str | None = None
    uses_gpu: bool = False
    """Candidates run on a GPU: two timings must not share one (cluster workers are checked for it)."""


_REGISTRY: dict[str, Target] = {}
_MODULES = ("mapforge.targets.cpu", "mapforge.targets.gpu_torch")


def register(target: Target) -> Target:
    _REGISTRY[target.name] = target
    return target


def _load_all() -> None:
    if len(_REGISTRY) < len(_MODULES):
        for mod in _MODULES:
            importlib.import_module(mod)


def get_target(name: str) -> Target:
    _load_all()
    if name in _REGISTRY:
        return _REGISTRY[name]
    close = difflib.get_close_matches(name, list(_REGISTRY), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise UserError(f"unknown target {name!r}; valid: {', '.join(sorted(_REGISTRY))}.{hint}")


def target_of(task: Task) -> Target:
    return get_target(task.spec.target)


def loader_for(path: Path) -> Callable[[Path], Task] | None:
    """The loader of the target whose own task format has this file's suffix (None: a ``task.toml``)."""
    _load_all()
    for t in _REGISTRY.values():
        if t.suffix is not None and t.load is not None and path.suffix == t.suffix:
            return t.load
    return None


def targets() -> list[Target]:
    _load_all()
    return sorted(_REGISTRY.values(), key=lambda t: t.name)
