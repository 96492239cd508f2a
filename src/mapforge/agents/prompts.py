"""Render the prompt templates in ``mapforge/prompts/`` from what an agent may see.

Only visible information reaches a prompt: the task's description, signature, reference and visible
shapes or examples, and the harness feedback the evaluator marked as showable. Hidden tests, hidden shapes
and reference outputs never do.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from string import Template

import numpy as np

from mapforge.agents.retriever import Exemplar
from mapforge.tasks.expr import eval_expr
from mapforge.tasks.spec import OptimizeSpec, SolveSpec, Task


@cache
def template(name: str) -> Template:
    return Template(resources.files("mapforge").joinpath(f"prompts/{name}.md").read_text())


def render(template_name: str, /, **values: object) -> str:
    return template(template_name).substitute({k: str(v) for k, v in values.items()}).strip() + "\n"


def system_message() -> dict[str, str]:
    return {"role": "system", "content": render("system")}


def language_tag(task: Task) -> str:
    return task.spec.language


def task_block(task: Task, baseline_seconds: float | None) -> str:
    spec = task.spec
    if isinstance(spec, OptimizeSpec):
        shapes = "; ".join(", ".join(f"{k}={v}" for k, v in s.items()) for s in spec.shapes.visible)
        base = f"{baseline_seconds * 1e3:.3f} ms" if baseline_seconds else "an unmeasured time"
        base += profile_hint(spec, baseline_seconds)
        return render(
            "optimize_task", name=spec.name, description=spec.description.strip(), language=spec.language,
            cflags=" ".join(spec.cflags), signature=spec.signature, reference=(task.reference_source or "").strip(),
            baseline=base, shapes=shapes, rtol=spec.tolerance.rtol, atol=spec.tolerance.atol,
        )
    assert isinstance(spec, SolveSpec)
    examples = "\n".join(
        f"Input:\n```\n{ex.input.rstrip()}\n```\nOutput:\n```\n{ex.output.rstrip()}\n```" for ex in spec.examples
    )
    return render("solve_task", name=spec.name, description=spec.description.strip(), language=spec.language,
                  examples=examples)


def profile_hint(spec: OptimizeSpec, seconds: float | None) -> str:
    """The reference's data volume and achieved bandwidth on the timing shape: a first roofline clue."""
    total = 0
    for a in spec.args:
        if a.is_pointer and a.size is not None:
            total += eval_expr(a.size, spec.shapes.timing) * np.dtype(a.dtype).itemsize
    if not total or not seconds:
        return ""
    timing = ", ".join(f"{k}={v}" for k, v in spec.shapes.timing.items())
    return (f" per call on the timing shape ({timing}); its buffers hold {total / 1e6:.1f} MB, so it moves at "
            f"least {total / seconds / 1e9:.2f} GB/s, where one core can stream ~20-35 GB/s")


def output_rules(task: Task) -> str:
    spec = task.spec
    if isinstance(spec, OptimizeSpec):
        return render("optimize_rules", language=spec.language, signature=spec.signature)
    return render("solve_rules", language=spec.language)


def exemplar_block(exemplars: list[Exemplar]) -> str:
    if not exemplars:
        return ""
    parts = ["## Relevant techniques and earlier solutions"]
    for e in exemplars:
        parts.append(f"### {e.title}\n{e.text.strip()}")
    return "\n\n".join(parts)


def history_block(history: list[str]) -> str:
    if not history:
        return ""
    return "## Already tried (do not repeat)\n" + "\n".join(f"- {h}" for h in history[-12:])
