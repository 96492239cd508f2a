"""Planner: k plans, each with the bottleneck it attacks and a confidence, tried in confidence order.

Two ways (``agents.planning``):

- ``batch``: one request proposes all k plans and rates them itself (cheapest: one call per round);
- ``mapcoder``: MapCoder's planning: one request per retrieved exemplar, each plan grounded in that one
  technique, and each plan's confidence scored by the :class:`~mapforge.agents.verifier.Verifier` in a
  request of its own (2k calls per round). Without a relevant exemplar it plans as ``batch`` and the
  verifier still scores the plans.
"""

from __future__ import annotations

from mapforge.agents import prompts
from mapforge.agents.context import AgentContext
from mapforge.agents.llm import LLM
from mapforge.agents.parsing import Plan, ask_parsed, parse_plans
from mapforge.agents.retriever import Exemplar
from mapforge.agents.verifier import Verifier

#: A plan that names no technique: make the current code faster as a whole, as OpenEvolve and AlphaEvolve
#: ask for every change. With ``agents.free_plan`` each optimize round tries it first, beside the planner's;
#: it is also the one plan of ``bench/search.py``'s single-shot arm.
FREE = Plan(title="Make it faster", bottleneck="whatever limits the reference",
            approach="Rewrite the function for speed, keeping its results.", confidence=0.5)
FALLBACK = Plan(
    title="Rewrite for speed", bottleneck="unknown (the planner's reply was unusable)",
    approach="Improve memory access order, remove redundant work and let the compiler vectorise.",
    confidence=0.3,
)


class Planner:
    role = "planner"

    def __init__(self, llm: LLM, k: int, repairs: int, verifier: Verifier | None = None) -> None:
        self.llm, self.k, self.repairs = llm, k, repairs
        self.verifier = verifier
        """Set: MapCoder planning (one plan per exemplar, confidence from the verifier)."""

    def run(self, ctx: AgentContext) -> list[Plan]:
        if self.verifier is None:
            plans = self._ask(ctx, ctx.exemplars, self.k)
        else:
            per = [self._ask(ctx, [e], 1)[:1] for e in ctx.exemplars[:self.k]]
            plans = [p for got in per for p in got] or self._ask(ctx, [], self.k)
            plans = [p.model_copy(update={"confidence": self.verifier.run(ctx, p)}) for p in plans]
        if not plans:
            return [FALLBACK]
        return sorted(plans, key=lambda p: -p.confidence)

    def _ask(self, ctx: AgentContext, exemplars: list[Exemplar], k: int) -> list[Plan]:
        goal = ("make the function faster while keeping its results" if ctx.task.kind == "optimize"
                else "solve the problem correctly within the limits")
        if ctx.best_source:
            best = prompts.parent_block(prompts.language_tag(ctx.task), ctx.best_source, ctx.best_summary,
                                        ctx.best_evidence, lead="The current best version, which your plans improve on")
        else:  # the reference is the best: the task block shows its code, this what was measured about it
            best = prompts.reference_evidence_block(ctx.reference_evidence)
        content = prompts.render(
            "planner", task_block=prompts.task_block(ctx.task, ctx.baseline_seconds), machine_block=ctx.machine,
            exemplar_block=prompts.exemplar_block(exemplars, ctx.exemplar_code), parent_block=best,
            history_block=prompts.history_block(ctx.history), k=k, goal=goal,
        )
        messages = [prompts.system_message(), {"role": "user", "content": content}]
        plans, _ = ask_parsed(self.llm, self.role, messages, lambda t: parse_plans(t, k), self.repairs)
        return plans or []
