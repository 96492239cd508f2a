"""Planner: k plans, each with the bottleneck it attacks and a confidence, tried in confidence order."""

from __future__ import annotations

from mapforge.agents import prompts
from mapforge.agents.context import AgentContext
from mapforge.agents.llm import LLM
from mapforge.agents.parsing import Plan, ask_parsed, parse_plans

FALLBACK = Plan(
    title="Rewrite for speed", bottleneck="unknown (the planner's reply was unusable)",
    approach="Improve memory access order, remove redundant work and let the compiler vectorise.",
    confidence=0.3,
)


class Planner:
    role = "planner"

    def __init__(self, llm: LLM, k: int, repairs: int) -> None:
        self.llm, self.k, self.repairs = llm, k, repairs

    def run(self, ctx: AgentContext) -> list[Plan]:
        goal = ("make the function faster while keeping its results" if ctx.task.kind == "optimize"
                else "solve the problem correctly within the limits")
        best = prompts.parent_block(prompts.language_tag(ctx.task), ctx.best_source, ctx.best_summary,
                                    ctx.best_evidence, lead="The current best version, which your plans improve on")
        content = prompts.render(
            "planner", task_block=prompts.task_block(ctx.task, ctx.baseline_seconds), machine_block=ctx.machine,
            exemplar_block=prompts.exemplar_block(ctx.exemplars, ctx.exemplar_code), parent_block=best,
            history_block=prompts.history_block(ctx.history), k=self.k, goal=goal,
        )
        messages = [prompts.system_message(), {"role": "user", "content": content}]
        plans, _ = ask_parsed(self.llm, self.role, messages, lambda t: parse_plans(t, self.k), self.repairs)
        if not plans:
            return [FALLBACK]
        return sorted(plans, key=lambda p: -p.confidence)
