"""Verifier: a plan's confidence, scored in a request of its own (MapCoder's separate confidence step).

A planner rating its own plans tends to rate them all alike; a second call that sees one plan and the code
it would change gives the supervisor an order to try them in. Replies are parsed leniently
(:func:`~mapforge.agents.parsing.parse_confidence`); an unusable one scores 0 after the format repairs.
"""

from __future__ import annotations

from mapforge.agents import prompts
from mapforge.agents.context import AgentContext
from mapforge.agents.llm import LLM
from mapforge.agents.parsing import Plan, ask_parsed, parse_confidence


class Verifier:
    role = "verifier"

    def __init__(self, llm: LLM, repairs: int) -> None:
        self.llm, self.repairs = llm, repairs

    def run(self, ctx: AgentContext, plan: Plan) -> float:
        optimize = ctx.task.kind == "optimize"
        best = prompts.parent_block(prompts.language_tag(ctx.task), ctx.best_source, ctx.best_summary,
                                    lead="The current best version, which the plan changes")
        content = prompts.render(
            "verify_plan", task_block=prompts.task_block(ctx.task, ctx.baseline_seconds), parent_block=best,
            goal="make the function faster while keeping its results" if optimize else "solve the problem",
            outcome="make the code measurably faster than the current best" if optimize
            else "solve every input within the limits",
            title=plan.title, bottleneck=plan.bottleneck, approach=plan.approach,
        )
        messages = [prompts.system_message(), {"role": "user", "content": content}]
        temperature = self.llm.config.model.temperatures.get(self.role, 0.0)  # a score: deterministic unless set
        score, _ = ask_parsed(self.llm, self.role, messages, parse_confidence, self.repairs, temperature)
        return 0.0 if score is None else score.value
