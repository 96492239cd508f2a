"""The supervisor loop: retrieve -> plan -> (code -> evaluate -> debug*) per plan, keep the best."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mapforge.agents.coder import Coder
from mapforge.agents.context import AgentContext
from mapforge.agents.debugger import REPAIRABLE, Debugger
from mapforge.agents.llm import LLM
from mapforge.agents.parsing import Plan
from mapforge.agents.planner import Planner
from mapforge.agents.retriever import Retriever
from mapforge.config import Config
from mapforge.errors import BudgetExhausted, ModelError
from mapforge.evaluators import Evaluator
from mapforge.evaluators.verdict import Verdict
from mapforge.runs.record import RunRecord
from mapforge.tasks.spec import Task

Emit = Callable[..., None]


@dataclass
class Candidate:
    id: str
    source: str
    verdict: Verdict
    plan: str
    parent: str | None
    """The candidate this one repairs (debugger), else None (coder, from the best so far)."""
    round: int


@dataclass
class Outcome:
    best: Candidate | None = None
    candidates: list[Candidate] = field(default_factory=list)
    iterations: int = 0
    stop_reason: str = "budget: max_iters"


def better(a: Verdict, b: Verdict | None, kind: str) -> bool:
    """Is ``a`` better than ``b``? optimize: correct and faster; solve: higher pass rate."""
    if kind == "solve":
        return (a.pass_rate or 0) > ((b.pass_rate or 0) if b else 0)
    if not a.correct or a.timing is None:
        return False
    return b is None or b.timing is None or a.timing.speedup > b.timing.speedup


class Supervisor:
    def __init__(self, task: Task, config: Config, record: RunRecord, llm: LLM, evaluator: Evaluator,
                 emit: Emit, baseline_seconds: float | None) -> None:
        self.task, self.config, self.record, self.llm = task, config, record, llm
        self.evaluator, self.emit = evaluator, emit
        a = config.agents
        self.retriever = Retriever(a.exemplars, _memory_path(config))
        self.planner = Planner(llm, a.plans, a.format_repairs)
        self.coder = Coder(llm, a.format_repairs)
        self.debugger = Debugger(llm, a.format_repairs)
        self.ctx = AgentContext(task=task, baseline_seconds=baseline_seconds)
        self.outcome = Outcome()
        self.started = time.monotonic()

    # -- the loop ----------------------------------------------------------------------------------
    def run(self) -> Outcome:
        try:
            self.emit("step", agent="retriever")
            self.ctx.exemplars = self.retriever.run(self.task)
            self.emit("retrieved", exemplars=[{"title": e.title, "source": e.source, "score": e.score}
                                              for e in self.ctx.exemplars])
            queue: list[Plan] = []
            while self.outcome.iterations < self.config.budget.max_iters:
                self._check_wall()
                if not queue:
                    self.emit("step", agent="planner")
                    queue = self.planner.run(self.ctx)
                    self.emit("plans", plans=[p.model_dump() for p in queue])
                plan = queue.pop(0)
                self.outcome.iterations += 1
                self.emit("iteration", n=self.outcome.iterations, plan=plan.title, confidence=plan.confidence)
                self._attempt(plan)
                if self.task.kind == "solve" and self.outcome.best and self.outcome.best.verdict.correct:
                    self.outcome.stop_reason = "solved"
                    break
        except BudgetExhausted as e:
            self.outcome.stop_reason = f"budget: {e.reason}"
        except ModelError as e:
            self.outcome.stop_reason = f"model error: {e}"
        return self.outcome

    def _attempt(self, plan: Plan) -> None:
        """One plan: code it, then debug it up to t rounds while the verdict is repairable."""
        self.emit("step", agent="coder")
        source = self.coder.run(self.ctx, plan)
        if source is None:
            self.ctx.history.append(f"{plan.title}: the coder's reply held no usable code")
            self.emit("no_code", plan=plan.title)
            return
        cand = self._evaluate(source, plan.title, parent=None, round_=0)
        for r in range(1, self.config.agents.debug_rounds + 1):
            if cand.verdict.correct or cand.verdict.status not in REPAIRABLE:
                break
            self._check_wall()
            self.emit("step", agent="debugger", candidate=cand.id)
            fixed = self.debugger.run(self.ctx, cand.source, cand.verdict)
            if fixed is None:
                break
            cand = self._evaluate(fixed, plan.title, parent=cand.id, round_=r)
        self.ctx.history.append(f"{plan.title}: {cand.verdict.summary_line()}")

    def _evaluate(self, source: str, plan: str, parent: str | None, round_: int) -> Candidate:
        cid = f"c{len(self.outcome.candidates) + 1:04d}"
        self.emit("step", agent="evaluator", candidate=cid)
        lineage = {"plan": plan, "parent": parent, "round": round_, "iteration": self.outcome.iterations}
        verdict = self.record.cached_verdict(cid, source)
        if verdict is None:
            verdict = self.evaluator.evaluate(source)
            self.record.save_candidate(cid, source, self.task.spec.source_suffix, verdict, lineage)
        cand = Candidate(cid, source, verdict, plan, parent, round_)
        self.outcome.candidates.append(cand)
        self.emit("candidate", id=cid, status=verdict.status, stage=verdict.stage, reason=verdict.reason,
                  speedup=verdict.speedup, speedup_ci=verdict.timing.speedup_ci if verdict.timing else None,
                  pass_rate=verdict.pass_rate, **lineage)
        best = self.outcome.best
        if better(verdict, best.verdict if best else None, self.task.kind):
            self.outcome.best = cand
            self.record.save_best(cid, source, self.task.spec.source_suffix, verdict)
            self.ctx.best_source = source
            self.ctx.best_summary = verdict.summary_line()
            self.emit("best", id=cid, speedup=verdict.speedup, pass_rate=verdict.pass_rate)
        return cand

    def _check_wall(self) -> None:
        limit = self.config.budget.max_wall_seconds
        if limit is not None and time.monotonic() - self.started > limit:
            raise BudgetExhausted(f"wall-time budget of {limit:.0f}s reached")


def _memory_path(config: Config) -> Any:
    from pathlib import Path

    if config.memory_file:
        return Path(config.memory_file).expanduser()
    return Path("~/.cache/mapforge/memory.jsonl").expanduser()
