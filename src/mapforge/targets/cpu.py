"""The CPU targets: native C/C++ functions to optimise (``cpu-native``) and programs to solve (``solve``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mapforge.targets import Target, register

if TYPE_CHECKING:
    from mapforge.config import Config
    from mapforge.evaluators.base import Evaluator
    from mapforge.sandbox import SandboxFactory
    from mapforge.tasks.spec import Task


def _native_evaluator(task: Task, config: Config, sandboxes: SandboxFactory) -> Evaluator:
    from mapforge.evaluators.optimize import CorePins, OptimizeEvaluator, core_pins

    # docker pools pin each container to its own core; local sandboxes are pinned by the evaluator
    pins = core_pins(config.sandbox.parallel) if sandboxes.backend == "local" else CorePins()
    return OptimizeEvaluator(task, sandboxes, config.timing, config.sandbox, pins=pins)


def _solve_evaluator(task: Task, config: Config, sandboxes: SandboxFactory) -> Evaluator:
    from mapforge.evaluators.solve import SolveEvaluator

    return SolveEvaluator(task, sandboxes, config.sandbox)


def _native_static(task: Task, source: str) -> list[str]:
    from mapforge.evaluators.native import source_problems

    return source_problems(source, getattr(task.spec, "function", ""))


def _task_block(task: Task, baseline: float | None) -> str:
    from mapforge.agents.prompts import task_block

    return task_block(task, baseline)


def _rules(task: Task) -> str:
    from mapforge.agents.prompts import output_rules

    return output_rules(task)


register(Target(
    name="cpu-native", summary="a C/C++ function, built with gcc/g++, timed against its reference on one core",
    make_evaluator=_native_evaluator, task_block=_task_block, output_rules=_rules, static_problems=_native_static,
))
register(Target(
    name="solve", summary="a program (stdin -> stdout) or a Python function, judged by its tests' pass rate",
    make_evaluator=_solve_evaluator, task_block=_task_block, output_rules=_rules,
    static_problems=lambda task, source: [],
))
