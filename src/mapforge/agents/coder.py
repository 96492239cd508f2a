"""Coder: one candidate from one plan, starting from the best code so far."""

from __future__ import annotations

from mapforge.agents import prompts
from mapforge.agents.context import AgentContext
from mapforge.agents.llm import LLM
from mapforge.agents.parsing import Plan, ask_parsed, extract_code
from mapforge.tasks.spec import OptimizeSpec


def function_name(ctx: AgentContext) -> str | None:
    spec = ctx.task.spec
    return spec.function if isinstance(spec, OptimizeSpec) else None


class Coder:
    role = "coder"

    def __init__(self, llm: LLM, repairs: int) -> None:
        self.llm, self.repairs = llm, repairs

    def run(self, ctx: AgentContext, plan: Plan) -> str | None:
        """The candidate's source, or None when no usable code came back."""
        lang = prompts.language_tag(ctx.task)
        parent = ""
        if ctx.best_source:
            parent = f"The best correct version so far ({ctx.best_summary}); improve on it:\n```{lang}\n{ctx.best_source.strip()}\n```"
        content = prompts.render(
            "coder", task_block=prompts.task_block(ctx.task, ctx.baseline_seconds),
            exemplar_block=prompts.exemplar_block(ctx.exemplars), parent_block=parent,
            plan_title=plan.title, plan_bottleneck=plan.bottleneck, plan_approach=plan.approach,
            output_rules=prompts.output_rules(ctx.task),
        )
        messages = [prompts.system_message(), {"role": "user", "content": content}]
        fn = function_name(ctx)
        reply, _ = ask_parsed(self.llm, self.role, messages, lambda t: extract_code(t, lang, fn), self.repairs)
        return reply.code if reply else None
