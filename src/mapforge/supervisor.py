"""The supervisor loop: retrieve -> plan -> (code -> evaluate -> debug*) per plan, keep the best."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from mapforge.agents.coder import Coder
from mapforge.agents.context import AgentContext
from mapforge.agents.debugger import REPAIRABLE, Debugger
from mapforge.agents.llm import LLM
from mapforge.agents.parsing import Plan
from mapforge.agents.planner import Planner
from mapforge.agents.retriever import Retriever, memory_file
from mapforge.config import Config
from mapforge.errors import BudgetExhausted, ModelError
from mapforge.evaluators import Evaluator, evaluate_guarded
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


@dataclass(frozen=True)
class Attempt:
    """A source waiting for evaluation: which plan (and iteration) it serves, and what it repairs."""

    plan: Plan
    iteration: int
    source: str
    parent: Candidate | None = None


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
        self.retriever = Retriever(a.exemplars, memory_file(config.memory_file))
        self.planner = Planner(llm, a.plans, a.format_repairs)
        self.coder = Coder(llm, a.format_repairs)
        self.debugger = Debugger(llm, a.format_repairs)
        self.ctx = AgentContext(task=task, baseline_seconds=baseline_seconds)
        self.outcome = Outcome()
        self.started = time.monotonic()
        self.parallel = max(1, min(config.sandbox.parallel, os.cpu_count() or 1))

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
                    queue = self.planner.run(self.ctx)  # sorted by confidence
                    self.emit("plans", plans=[p.model_dump() for p in queue])
                width = min(self.parallel, len(queue), self.config.budget.max_iters - self.outcome.iterations)
                self._attempt([queue.pop(0) for _ in range(width)])
                if self.task.kind == "solve" and self.outcome.best and self.outcome.best.verdict.correct:
                    self.outcome.stop_reason = "solved"
                    break
        except BudgetExhausted as e:
            self.outcome.stop_reason = f"budget: {e.reason}"
        except ModelError as e:
            self.outcome.stop_reason = f"model error: {e}"
        return self.outcome

    def _attempt(self, plans: list[Plan]) -> None:
        """Code each plan, then debug each failing candidate up to t rounds while its verdict is repairable.

        Model calls happen one at a time in plan order, evaluations of a round side by side: the run stays
        deterministic (and so resumable by replay) whatever the parallelism.
        """
        live: list[Attempt] = []
        for plan in plans:
            self.outcome.iterations += 1
            self.emit("iteration", n=self.outcome.iterations, plan=plan.title, confidence=plan.confidence)
            self.emit("step", agent="coder")
            source = self.coder.run(self.ctx, plan)
            if source is None:
                self.ctx.history.append(f"{plan.title}: the coder's reply held no usable code")
                self.emit("no_code", plan=plan.title)
            else:
                live.append(Attempt(plan, self.outcome.iterations, source))
        for round_ in range(self.config.agents.debug_rounds + 1):
            cands = self._evaluate_all(live, round_)
            repairs: list[Attempt] = []
            for att, cand in zip(live, cands):
                v = cand.verdict
                if v.correct or v.status not in REPAIRABLE or round_ == self.config.agents.debug_rounds:
                    self.ctx.history.append(f"{att.plan.title}: {v.summary_line()}")
                    continue
                self._check_wall()
                self.emit("step", agent="debugger", candidate=cand.id)
                fixed = self.debugger.run(self.ctx, cand.source, v)
                if fixed is None:
                    self.ctx.history.append(f"{att.plan.title}: {v.summary_line()} (no usable repair)")
                else:
                    repairs.append(Attempt(att.plan, att.iteration, fixed, cand))
            live = repairs
            if not live:
                break

    def _evaluate_all(self, items: list[Attempt], round_: int) -> list[Candidate]:
        """Evaluate candidates (ids assigned in order; recorded verdicts reused), then record them in order."""
        base = len(self.outcome.candidates)
        ids = [f"c{base + i + 1:04d}" for i in range(len(items))]
        verdicts: dict[int, Verdict] = {}
        todo = []
        for i, (cid, att) in enumerate(zip(ids, items)):
            cached = self.record.cached_verdict(cid, att.source)
            if cached is None:
                todo.append(i)
            else:
                verdicts[i] = cached
        for i in todo:
            self.emit("step", agent="evaluator", candidate=ids[i])
        if len(todo) > 1 and self.parallel > 1:
            with ThreadPoolExecutor(max_workers=self.parallel) as pool:
                for i, v in zip(todo, pool.map(lambda i: evaluate_guarded(self.evaluator, items[i].source), todo)):
                    verdicts[i] = v
        else:
            for i in todo:
                verdicts[i] = evaluate_guarded(self.evaluator, items[i].source)
        return [self._record(ids[i], att, round_, verdicts[i], fresh=i in todo) for i, att in enumerate(items)]

    def _record(self, cid: str, att: Attempt, round_: int, verdict: Verdict, fresh: bool) -> Candidate:
        source = att.source
        parent = att.parent.id if att.parent else None
        lineage = {"plan": att.plan.title, "parent": parent, "round": round_, "iteration": att.iteration}
        if fresh:
            self.record.save_candidate(cid, source, self.task.spec.source_suffix, verdict, lineage)
        cand = Candidate(cid, source, verdict, att.plan.title, parent, round_)
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
