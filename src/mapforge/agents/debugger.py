"""Debugger: repair a failing candidate from the feedback the harness chose to show."""

from __future__ import annotations

from mapforge.agents import prompts
from mapforge.agents.coder import function_name
from mapforge.agents.context import AgentContext
from mapforge.agents.llm import LLM
from mapforge.agents.parsing import Plan, ask_code
from mapforge.evaluators.verdict import Verdict

#: Verdicts a repair can plausibly fix. Timeouts and cheating suspicions are left to new plans.
REPAIRABLE = frozenset({"compile_error", "wrong_answer", "runtime_error", "rejected", "memory", "output_limit",
                        "timeout"})


class Debugger:
    role = "debugger"

    def __init__(self, llm: LLM, repairs: int) -> None:
        self.llm, self.repairs = llm, repairs

    def run(self, ctx: AgentContext, source: str, verdict: Verdict, plan: Plan | None = None,
            attempts: list[tuple[str, str]] | None = None, temperature: float | None = None,
            repeated: tuple[str, str] | None = None) -> str | None:
        """A repair of ``source``, or None. The debugger sees the plan the candidate implements (to keep it)
        and its earlier attempts at that plan, each with its verdict line; ``repeated`` is (code, where it was
        judged) of this request's previous reply, which repeated judged code."""
        lang = prompts.language_tag(ctx.task)
        feedback = f"\nDetails:\n```\n{verdict.feedback.strip()[:4000]}\n```\n" if verdict.feedback.strip() else ""
        plan_block = (f"The candidate implements this plan; keep to it:\nTitle: {plan.title}\n"
                      f"Bottleneck: {plan.bottleneck}\nApproach: {plan.approach}") if plan else ""
        content = prompts.render(
            "debugger", task_block=prompts.task_block(ctx.task, ctx.baseline_seconds), language=lang,
            plan_block=plan_block, attempts_block=prompts.attempts_block(lang, attempts or []),
            source=source.strip(), status=verdict.status, stage=verdict.stage, reason=verdict.reason,
            feedback_block=feedback, output_rules=prompts.output_rules(ctx.task),
        )
        messages = [prompts.system_message(), {"role": "user", "content": content},
                    *prompts.repeat_turns(lang, repeated)]
        return ask_code(self.llm, self.role, messages, lang, function_name(ctx), self.repairs, temperature)
