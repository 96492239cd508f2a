"""Render the prompt templates in ``mapforge/prompts/`` from what an agent may see.

Only visible information reaches a prompt: the task's description, signature, reference and visible
shapes or examples, and the harness feedback the evaluator marked as showable. Hidden tests, hidden shapes
and reference outputs never do.
"""

from __future__ import annotations

import re
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
    if not isinstance(spec, (OptimizeSpec, SolveSpec)):  # a target with prompt sections of its own
        from mapforge.targets import target_of

        return target_of(task).task_block(task, baseline_seconds)
    if isinstance(spec, OptimizeSpec):
        shapes = "; ".join(", ".join(f"{k}={v}" for k, v in s.items()) for s in spec.shapes.visible)
        # two significant digits: the prompt (and so the response cache) does not change with timing noise
        base = f"{float(f'{baseline_seconds * 1e3:.2g}'):g} ms" if baseline_seconds else "an unmeasured time"
        base += profile_hint(spec, baseline_seconds)
        return render(
            "optimize_task", name=spec.name, description=spec.description.strip(), language=spec.language,
            cflags=" ".join(spec.cflags), signature=spec.signature, reference=(task.reference_source or "").strip(),
            baseline=base, shapes=shapes, rtol=spec.tolerance.rtol, atol=spec.tolerance.atol,
        )
    assert isinstance(spec, SolveSpec)
    if spec.format == "function":
        return function_task_block(spec)
    examples = "\n".join(
        f"Input:\n```\n{ex.input.rstrip()}\n```\nOutput:\n```\n{ex.output.rstrip()}\n```" for ex in spec.examples
    )
    return render("solve_task", name=spec.name, description=spec.description.strip(), language=spec.language,
                  examples=examples)


def function_task_block(spec: SolveSpec) -> str:
    """A function task: its prompt code (signature and docstring) and the visible examples as calls."""
    examples = "\n".join(f">>> {ex.input}\n{ex.output}" for ex in spec.examples)
    if examples:
        examples = f"Examples:\n```\n{examples}\n```"
    code = spec.prompt.strip()
    if f"def {spec.entry_point}" not in code:
        code = (code + "\n\n\n" if code else "") + f"def {spec.entry_point}(...):"
    return render("solve_function_task", name=spec.name, description=spec.description.strip(),
                  entry_point=spec.entry_point, prompt=code, examples=examples)


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
    if not isinstance(spec, (OptimizeSpec, SolveSpec)):
        from mapforge.targets import target_of

        return target_of(task).output_rules(task)
    if isinstance(spec, OptimizeSpec):
        return render("optimize_rules", language=spec.language, signature=spec.signature)
    if isinstance(spec, SolveSpec) and spec.format == "function":
        return render("solve_function_rules", entry_point=spec.entry_point)
    return render("solve_rules", language=spec.language)


_CODE = re.compile(r"```[^\n]*\n.*?```", re.S)


def exemplar_block(exemplars: list[Exemplar], code: bool = True) -> str:
    """Exemplars as techniques. With ``code=False`` pattern cards lose their code blocks (small models copy
    them verbatim, under the card's function name); memories of earlier wins keep theirs."""
    if not exemplars:
        return ""
    parts = ["## Relevant techniques (apply the idea to this task's own code; do not copy other functions)"]
    for e in exemplars:
        text = e.text.strip()
        if not code and e.source.startswith("pattern:"):
            text = _CODE.sub("", text).strip()
        parts.append(f"### {e.title}\n{text}")
    return "\n\n".join(parts)


def parent_block(lang: str, source: str | None, summary: str | None, evidence: str = "",
                 lead: str = "The current best version") -> str:
    """The code a plan or candidate starts from, with its verdict and what the harness measured about it."""
    if not source:
        return ""
    out = f"{lead} ({summary}):\n```{lang}\n{source.strip()}\n```"
    return out + (f"\n{evidence.strip()}" if evidence.strip() else "")


def reference_evidence_block(evidence: str) -> str:
    """What the harness measured about the reference, whose code the task block already shows; "" when nothing."""
    return f"What the harness measured about the reference:\n{evidence.strip()}" if evidence.strip() else ""


def attempts_block(lang: str, attempts: list[tuple[str, str]]) -> str:
    """Earlier attempts at the same plan, each with its verdict line (newest last)."""
    if not attempts:
        return ""
    parts = ["## Your earlier attempts at this plan (do not repeat them)"]
    for i, (src, line) in enumerate(attempts, 1):
        parts.append(f"Attempt {i}: {line}\n```{lang}\n{src.strip()[:3000]}\n```")
    return "\n\n".join(parts)


def repeat_turns(lang: str, repeated: tuple[str, str] | None) -> list[dict[str, str]]:
    """For a retry after a reply that repeated code already judged, ``repeated`` = (that code, where it was
    judged): the reply, and what was wrong with it (a small model asked the same question again at a higher
    temperature mostly repeats itself)."""
    if repeated is None:
        return []
    code, where = repeated
    return [{"role": "assistant", "content": f"```{lang}\n{code.strip()}\n```"},
            {"role": "user", "content": f"That code was already judged ({where}) and would be judged the same. "
                                        "Write a different version, following the same instructions."}]


def history_block(history: list[str]) -> str:
    if not history:
        return ""
    return "## Already tried (do not repeat)\n" + "\n".join(f"- {h}" for h in history[-12:])
