"""Coder: one candidate from one plan, starting from the best code so far."""

from __future__ import annotations

from mapforge.agents import prompts
from mapforge.agents.context import AgentContext
from mapforge.agents.llm import LLM
from mapforge.agents.parsing import Plan, ask_code
from mapforge.agents.retriever import Exemplar
from mapforge.tasks.spec import OptimizeSpec, SolveSpec


def function_name(ctx: AgentContext) -> str | None:
    spec = ctx.task.spec
    if isinstance(spec, SolveSpec):
        return spec.entry_point  # function tasks; None for programs
    return spec.function if isinstance(spec, OptimizeSpec) else None


class Coder:
    role = "coder"

    def __init__(self, llm: LLM, repairs: int) -> None:
        self.llm, self.repairs = llm, repairs

    def run(self, ctx: AgentContext, plan: Plan, parent: tuple[str, str] | None = None,
            exemplars: list[Exemplar] | None = None, temperature: float | None = None,
            repeated: tuple[str, str] | None = None, evidence: str = "") -> str | None:
        """The candidate's source, or None when no usable code came back. ``parent`` is (source, verdict line)
        of the code to start from (default: the best so far; empty: the reference, which the task shows);
        ``exemplars`` default to the job's; ``repeated`` is (code, where it was judged) of this request's
        previous reply, which repeated judged code; ``evidence`` what the harness measured about the parent,
        for a plan that names no bottleneck of its own."""
        lang = prompts.language_tag(ctx.task)
        src, line = parent if parent else (ctx.best_source, ctx.best_summary)
        parent_text = prompts.parent_block(lang, src, line, evidence, lead="Start from this correct version; improve on it") \
            if src else prompts.reference_evidence_block(evidence)
        content = prompts.render(
            "coder", task_block=prompts.task_block(ctx.task, ctx.baseline_seconds),
            exemplar_block=prompts.exemplar_block(ctx.exemplars if exemplars is None else exemplars, ctx.exemplar_code),
            parent_block=parent_text,
            plan_title=plan.title, plan_bottleneck=plan.bottleneck, plan_approach=plan.approach,
            output_rules=prompts.output_rules(ctx.task),
        )
        messages = [prompts.system_message(), {"role": "user", "content": content},
                    *prompts.repeat_turns(lang, repeated)]
        return ask_code(self.llm, self.role, messages, lang, function_name(ctx), self.repairs, temperature)
