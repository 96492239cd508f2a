"""The supervisor loop: retrieve -> plan -> (code -> evaluate -> debug*) per plan, keep the best.

The best is the reference until a candidate is significantly faster than it; after that a challenger must
beat the best head to head (``search.selection``). Plans are coded from parents drawn from a population
of islands (``search.population``); code already judged is never judged again, and code that is an
exemplar's own is caught before evaluation (``search.novelty``).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from mapforge.agents.analyst import Analyst, Measured
from mapforge.agents.coder import Coder, function_name
from mapforge.agents.context import AgentContext
from mapforge.agents.debugger import REPAIRABLE, Debugger
from mapforge.agents.llm import LLM
from mapforge.agents.parsing import Plan
from mapforge.agents.planner import FREE, Planner
from mapforge.agents.retriever import Exemplar, Retriever, memory_file
from mapforge.agents.verifier import Verifier
from mapforge.config import Config
from mapforge.errors import BudgetExhausted, ModelError
from mapforge.evaluators import Evaluator, evaluate_guarded
from mapforge.evaluators.verdict import Profile, Verdict
from mapforge.search.machine import MachineFacts, machine_facts, min_bytes, roofline_fraction
from mapforge.search.novelty import JudgedCode, exemplar_copy
from mapforge.search.population import Member, Population
from mapforge.search.selection import Entrant, Selection, Standing
from mapforge.search.store import CandidateStore
from mapforge.search.yields import Spent, Tally, YieldLedger, Yields
from mapforge.tasks.spec import OptimizeSpec, Task

Emit = Callable[..., None]
#: Failures that say the plan (not its code) was wrong once the debugger has had its rounds.
PLAN_FAULTS = frozenset({"timeout", "cheat_suspected", "wrong_answer"})


@dataclass
class Candidate:
    id: str
    source: str
    verdict: Verdict
    plan: str
    parent: str | None
    """The candidate this one repairs (debugger), else None (coder, from ``base``)."""
    round: int
    base: str = "reference"
    """The population member the coder started from (``reference`` for the task's own code)."""
    standing: Standing | None = None


@dataclass(frozen=True)
class Attempt:
    """A source waiting for evaluation: which plan (and iteration) it serves, and what it repairs."""

    plan: Plan
    iteration: int
    source: str
    parent: Candidate | None = None
    base: str = "reference"
    precheck: Verdict | None = None
    """The verdict when the source was caught before evaluation (an exemplar's code)."""
    earlier: tuple[tuple[str, str], ...] = ()
    """Earlier attempts at this plan: (source, verdict line), for the debugger."""
    author: str = "coder"
    """Who wrote the source: the coder, the debugger (a repair) or the analyst (its own code)."""


@dataclass
class Outcome:
    best: Candidate | None = None
    """The best candidate that is significantly faster than the reference (solve: highest pass rate)."""
    candidates: list[Candidate] = field(default_factory=list)
    iterations: int = 0
    stop_reason: str = "budget: max_iters"
    standings: dict[str, Any] = field(default_factory=dict)
    search: Counter[str] = field(default_factory=Counter)
    """Counts: rounds, duplicates, retries, exemplar_copies, abandoned, head_to_head_runs, debugger_retired."""
    islands: dict[str, Any] = field(default_factory=dict)

    def summary_fields(self) -> dict[str, Any]:
        """What the job adds to summary.json beside ``best``: every candidate's standing and the search's counts."""
        return {"standings": self.standings.get("standings", []),
                "search": {**self.search, "islands": self.islands}}


class Supervisor:
    def __init__(self, task: Task, config: Config, record: CandidateStore, llm: LLM, evaluator: Evaluator,
                 emit: Emit, baseline_seconds: float | None, machine: MachineFacts | None = None,
                 ledger: YieldLedger | None = None) -> None:
        self.task, self.config, self.record, self.llm = task, config, record, llm
        self.evaluator, self.emit = evaluator, emit
        a, s = config.agents, config.search
        self.retriever = Retriever(a.exemplars, memory_file(config.memory_file), a.min_relevance,
                                   frozenset(a.held_out))
        verifier = Verifier(llm, a.format_repairs) if a.planning == "mapcoder" else None
        self.planner = Planner(llm, a.plans, a.format_repairs, verifier)
        self.coder = Coder(llm, a.format_repairs)
        self.debugger = Debugger(llm, a.format_repairs)
        self.analyst = Analyst(temperature=a.analyst_temperature)
        self.ctx = AgentContext(task=task, baseline_seconds=baseline_seconds, exemplar_code=a.exemplar_code)
        self.outcome = Outcome()
        self.started = time.monotonic()
        self.parallel = max(1, min(config.sandbox.parallel, os.cpu_count() or 1))
        measured = record.load_baseline() or {}
        aa = measured.get("aa_ci")
        self.ctx.reference_evidence = measured.get("evidence", "")
        ref_profile = Profile.model_validate(measured["profile"]) if measured.get("profile") else None
        duel = getattr(evaluator, "head_to_head", None) if s.head_to_head and task.kind == "optimize" else None
        self.selection = Selection(task.kind, record, duel, tuple(aa) if aa else None)
        self.population = Population(task.reference_source or "", s.islands, s.island_size, s.lineage_budget,
                                     s.novelty_weight, self.ctx.reference_evidence, ref_profile)
        self.judged = JudgedCode(task.reference_source or "", function_name(self.ctx),
                                 compiled_rules=isinstance(task.spec, OptimizeSpec),
                                 machine_code=getattr(evaluator, "machine_code", None))
        self.machine = machine
        self.ledger = ledger
        self._models = {role: config.model.for_role(role) for role in ("debugger", "coder", "planner")}
        self.yields = Yields(a.repair_trial, ledger.prior(self._models) if ledger else Tally(),
                             compare_plans=self._free_plans)
        self._stale = 0
        self._round_best: str | None = None
        self._analyst_round = False  # a round of the analyst's plans alone: it does not count for patience

    # -- the loop ----------------------------------------------------------------------------------
    def run(self) -> Outcome:
        try:
            self._setup()
            queue: list[Plan] = []
            while self.outcome.iterations < self.config.budget.max_iters:
                self._check_wall()
                if not queue:
                    queue = self._plan()
                width = min(self.parallel, len(queue), self.config.budget.max_iters - self.outcome.iterations)
                self._attempt([queue.pop(0) for _ in range(width)])
                stop = self._early_stop(round_done=not queue)
                if stop:
                    self.outcome.stop_reason = stop
                    break
        except BudgetExhausted as e:
            self.outcome.stop_reason = f"budget: {e.reason}"
        except ModelError as e:
            self.outcome.stop_reason = f"model error: {e}"
        finally:
            self._save_standings()
            if self.ledger is not None:
                self.ledger.record(self._models, self.yields.job(self._spent()))
        return self.outcome

    def _setup(self) -> None:
        if isinstance(self.task.spec, OptimizeSpec):
            self.machine = self.machine or machine_facts()
            self.ctx.machine = self.machine.describe()
        self.emit("step", agent="retriever")
        self.ctx.exemplars = self.retriever.run(self.task)
        self.emit("retrieved", exemplars=[{"title": e.title, "source": e.source, "score": e.score}
                                          for e in self.ctx.exemplars])
        self._save_standings()

    def _plan(self) -> list[Plan]:
        self.outcome.search["rounds"] += 1
        self._round_best = self.selection.best.id if self.selection.best else None
        a = self.config.agents
        found = self._analysed()
        self._analyst_round = bool(found)
        if found:  # plans that cost no model call are coded before the planner is paid for: on a long kernel its
            return found  # one call can take the job's budget (machsuite-backprop: 4.4k of 8k tokens)
        if self._free_plans and a.plan_yield and not self.yields.may_plan(spent := self._spent()):
            # the planner's plans have gained less per token than the free plan: a round of free plans
            self.outcome.search["planner_rounds_skipped"] += 1
            self.emit("planner_sits_out", reason=self.yields.describe_plans(spent))
            return [FREE] * (a.plans + 1)
        self.emit("step", agent="planner")
        plans = self.planner.run(self.ctx)  # sorted by confidence
        if self._free_plans:
            plans = [FREE, *plans]
        self.emit("plans", plans=[p.model_dump() for p in plans])
        return plans

    def _analysed(self) -> list[Plan]:
        """The analyst's plans for this round (``agents.analyst``): read off the profiles of the best code
        first, each for the code it measured."""
        if not (self.config.agents.analyst and self.task.kind == "optimize"):
            return []
        seconds = self.ctx.baseline_seconds
        found = self.analyst.run(Measured(m.id, m.profile, self._stream_share(seconds / m.speedup) if seconds
                                          else None, m.source) for m in self.population.by_speedup())
        if found:
            self.outcome.search["analyst_plans"] += len(found)
            self.emit("analysed", plans=[p.model_dump() for p in found])
        return found

    def _early_stop(self, round_done: bool) -> str | None:
        best = self.outcome.best
        if self.task.kind == "solve":
            return "solved" if best and best.verdict.correct else None
        s = self.config.search
        if best is not None and s.roofline_stop is not None and self.machine is not None:
            frac = self._roofline(best.verdict)
            if frac is not None and frac >= s.roofline_stop:
                return f"roofline: the best reaches {frac:.0%} of the memory roofline"
        if round_done:
            now = self.selection.best.id if self.selection.best else None
            self._stale = 0 if now != self._round_best else self._stale + (not self._analyst_round)
            if s.patience is not None and self._stale >= s.patience:
                return f"no improvement: nothing beat the best in {self._stale} planning rounds"
        return None

    def _attempt(self, plans: list[Plan]) -> None:
        """Code each plan from a parent of the population, then debug each failing candidate up to t rounds
        while its verdict is repairable. Model calls happen one at a time in plan order, evaluations of a
        round side by side: the run stays deterministic (and so resumable by replay) whatever the parallelism.
        """
        live: list[Attempt] = []
        for plan in plans:
            self.outcome.iterations += 1
            self.emit("iteration", n=self.outcome.iterations, plan=plan.title, confidence=plan.confidence)
            att = self._code(plan)
            if att is not None:
                live.append(att)
        last = self.config.agents.debug_rounds
        for round_ in range(last + 1):
            repairs: list[Attempt] = []
            for att, cand in zip(live, self._evaluate_all(live, round_)):
                v = cand.verdict
                if v.correct or v.status not in REPAIRABLE or round_ == last or not self._may_repair():
                    self._conclude(att, cand)
                    continue
                self._check_wall()
                fixed = self._repair(att, cand)
                if fixed is not None:
                    repairs.append(fixed)
            live = repairs
            if not live:
                break

    # -- agents, with no repeats -------------------------------------------------------------------
    def _code(self, plan: Plan) -> Attempt | None:
        text = f"{plan.title} {plan.bottleneck} {plan.approach}"
        parent: Member | None = None
        if self.task.kind == "optimize":  # an analyst's plan is for the code it read, while that code is a parent
            parent = self.population.take(plan.parent) if plan.parent else None
            parent = parent or self.population.choose(text)
        base = parent.id if parent else "reference"
        if plan.code is not None and self.config.agents.analyst_writes:
            return self._written(plan, base)
        start = None if parent is None else ("", "") if parent is self.population.root else (
            parent.source, parent.summary)
        exemplars = self._exemplars_for(plan)
        # a plan names the bottleneck it read in the evidence; the free plan names none, so its coder may read it
        evidence = parent.evidence if plan is FREE and parent is not None and self.config.agents.free_plan_evidence \
            else ""
        repeated: tuple[str, str] | None = None
        temps = self._temperatures(retry=True)
        temps = (plan.temperature, *temps[1:]) if plan.temperature is not None else temps
        for i, temp in enumerate(temps):
            self.emit("step", agent="coder")
            before = self._spent().coder
            try:
                source = self.coder.run(self.ctx, plan, start, exemplars, temperature=temp, repeated=repeated,
                                        evidence=evidence)
            finally:
                if (planned := self._planned(plan)) is not None:
                    self.yields.coder_spent(planned, self._spent().coder - before)
            if source is None:
                self.ctx.history.append(f"{plan.title}: the coder's reply held no usable code")
                self.emit("no_code", plan=plan.title)
                return None
            where = self._judged_before(source, "coder", i + 1 < len(temps))
            if where is None:
                return Attempt(plan, self.outcome.iterations, source, None, base, self._precheck(source, exemplars))
            repeated = (source, where)
        self.ctx.history.append(f"{plan.title}: the coder only repeated code already judged (abandoned)")
        return None

    def _written(self, plan: Plan, base: str) -> Attempt | None:
        """The analyst's own code for its plan (``agents.analyst_writes``), with no model call."""
        assert plan.code is not None
        self.emit("step", agent="analyst")
        if self._judged_before(plan.code, "analyst", False) is not None:
            self.ctx.history.append(f"{plan.title}: the analyst's code was judged before")
            return None
        self.outcome.search["analyst_codes"] += 1
        return Attempt(plan, self.outcome.iterations, plan.code, None, base, author="analyst")

    def _repair(self, att: Attempt, cand: Candidate) -> Attempt | None:
        repeated: tuple[str, str] | None = None
        temps = self._temperatures(self.config.agents.retry_repeated_repair)
        for i, temp in enumerate(temps):
            self.emit("step", agent="debugger", candidate=cand.id)
            fixed = self.debugger.run(self.ctx, cand.source, cand.verdict, att.plan, list(att.earlier), temp,
                                      repeated)
            if fixed is None:
                self.yields.repair_result(False)
                self.ctx.history.append(f"{att.plan.title}: {cand.verdict.summary_line()} (no usable repair)")
                return None
            where = self._judged_before(fixed, "debugger", i + 1 < len(temps))
            if where is None:
                earlier = (*att.earlier, (cand.source, cand.verdict.summary_line()))
                return Attempt(att.plan, att.iteration, fixed, cand, att.base,
                               self._precheck(fixed, self.ctx.exemplars), earlier, "debugger")
            repeated = (fixed, where)
        self.yields.repair_result(False)
        self.outcome.search["abandoned"] += 1
        self.ctx.history.append(f"{att.plan.title}: code at fault: {cand.verdict.summary_line()} (the repair "
                                "repeated code already judged; abandoned)")
        return None

    def _may_repair(self) -> bool:
        """Whether the debugger still earns its turn in this job (``search.yields``); says so once when not."""
        spent = self._spent()
        was = self.yields.retired
        if self.yields.may_repair(spent):
            return True
        if not was:
            self.outcome.search["debugger_retired"] = 1
            self.emit("debugger_retired", reason=self.yields.describe(spent),
                      tokens={"debugger": spent.debugger, "coder": spent.coder})
        return False

    @property
    def _free_plans(self) -> bool:
        """Whether rounds open with the free plan (``agents.free_plan``; optimize tasks only)."""
        return self.config.agents.free_plan and self.task.kind == "optimize"

    def _planned(self, plan: Plan) -> bool | None:
        """For the planner's yield: whether ``plan`` is the planner's (True) or the free plan (False); None when
        free plans are off, so there is nothing to compare with, and for the analyst's plans, which are
        neither."""
        return (plan is not FREE) if self._free_plans and plan.parent is None else None

    def _spent(self) -> Spent:
        """Tokens the roles have spent in this job (the planner's with its verifier's)."""
        roles = self.llm.usage.roles

        def used(role: str) -> int:
            return roles[role].prompt_tokens + roles[role].completion_tokens if role in roles else 0

        return Spent(debugger=used("debugger"), coder=used("coder"), planner=used("planner") + used("verifier"))

    def _temperatures(self, retry: bool) -> tuple[float | None, ...]:
        """The request's own temperature, then, if a repeat is retried, ``model.retry_temperature``."""
        return (None, self.config.model.retry_temperature) if retry else (None,)

    def _judged_before(self, source: str, agent: str, can_retry: bool) -> str | None:
        """Where code was judged before (then say so and count a retry or not), or None for new code (which is
        then claimed)."""
        where = self.judged.where(source)
        if where is None:
            self.judged.claim(source, f"iteration {self.outcome.iterations}")
            return None
        self.outcome.search["duplicates"] += 1
        self.outcome.search["retries"] += can_retry
        self.emit("duplicate", agent=agent, of=where, retry=can_retry)
        return where

    def _precheck(self, source: str, exemplars: list[Exemplar]) -> Verdict | None:
        shown = {e.source: e for e in [*self.ctx.exemplars, *exemplars]
                 if not e.source.startswith(f"memory:{self.task.name}/")}
        why = exemplar_copy(source, [(e.title, e.text) for e in shown.values()], function_name(self.ctx))
        if why is None:
            return None
        self.outcome.search["exemplar_copies"] += 1
        return Verdict(status="rejected", stage="precheck", reason=why, feedback=why)

    def _exemplars_for(self, plan: Plan) -> list[Exemplar]:
        """The ``agents.coder_exemplars`` best exemplars for the plan's coder: the retriever asked again with the
        plan's bottleneck, if so configured, else the job's."""
        a = self.config.agents
        if not a.retrieve_per_plan or not a.coder_exemplars:
            return self.ctx.exemplars[:a.coder_exemplars]
        got = self.retriever.run(self.task, focus=f"{plan.bottleneck} {plan.approach}", k=a.coder_exemplars)
        self.emit("retrieved", plan=plan.title, exemplars=[{"title": e.title, "source": e.source,
                                                            "score": e.score} for e in got])
        return got

    # -- evaluation and selection --------------------------------------------------------------------
    def _evaluate_all(self, items: list[Attempt], round_: int) -> list[Candidate]:
        """Evaluate candidates (ids assigned in order; recorded verdicts reused), then record them in order."""
        base = len(self.outcome.candidates)
        ids = [f"c{base + i + 1:04d}" for i in range(len(items))]
        verdicts: dict[int, Verdict] = {}
        todo, replayed = [], set()
        for i, (cid, att) in enumerate(zip(ids, items)):
            cached = self.record.cached_verdict(cid, att.source)
            if cached is not None:
                verdicts[i] = cached
                replayed.add(i)
            elif att.precheck is not None:
                verdicts[i] = att.precheck  # caught before evaluation
            else:
                todo.append(i)
        for i in todo:
            self.emit("step", agent="evaluator", candidate=ids[i])
        if len(todo) > 1 and self.parallel > 1:
            with ThreadPoolExecutor(max_workers=self.parallel) as pool:
                for i, v in zip(todo, pool.map(lambda i: evaluate_guarded(self.evaluator, items[i].source), todo)):
                    verdicts[i] = v
        else:
            for i in todo:
                verdicts[i] = evaluate_guarded(self.evaluator, items[i].source)
        return [self._record(ids[i], att, round_, verdicts[i], i not in replayed) for i, att in enumerate(items)]

    def _record(self, cid: str, att: Attempt, round_: int, verdict: Verdict, fresh: bool) -> Candidate:
        source, suffix = att.source, self.task.spec.source_suffix
        if verdict.status == "harness_error":
            self.judged.forget(source)  # the harness failed, not the code: it may come again
        else:
            self.judged.judged(source, cid, compiled=verdict.stage not in ("static", "precheck", "build"))
        parent = att.parent.id if att.parent else None
        lineage = {"plan": att.plan.title, "parent": parent, "round": round_, "iteration": att.iteration,
                   "base": att.base, "author": att.author}
        if fresh:
            self.record.save_candidate(cid, source, suffix, verdict, lineage)
        cand = Candidate(cid, source, verdict, att.plan.title, parent, round_, att.base)
        speedup = verdict.timing.speedup if verdict.correct and verdict.timing is not None else None
        if att.parent is None:
            self.yields.coder_result(verdict.correct, self._planned(att.plan), verdict.improved)
        else:
            self.yields.repair_result(verdict.correct)
        self.outcome.candidates.append(cand)
        cand.standing = st = self.selection.offer(Entrant(cid, source, verdict))
        self.emit("candidate", id=cid, status=verdict.status, stage=verdict.stage, reason=verdict.reason,
                  speedup=verdict.speedup, speedup_ci=verdict.timing.speedup_ci if verdict.timing else None,
                  pass_rate=verdict.pass_rate, standing=st.note, head_to_head=st.head_to_head, **lineage)
        faster = speedup is not None and speedup > 1.0  # correct and faster: a parent for later plans
        evidence = self._evidence(verdict) if faster or st.became_best else ""
        if faster and speedup is not None:
            plan = f"{att.plan.title} {att.plan.bottleneck} {att.plan.approach}"
            self.population.add(cid, source, speedup, plan, verdict.summary_line(), evidence, verdict.profile)
            self.outcome.islands = self.population.describe()
        if st.became_best:
            self.outcome.best = cand
            self.record.save_best(cid, source, suffix, verdict)
            self.ctx.best_source, self.ctx.best_summary = source, verdict.summary_line()
            self.ctx.best_evidence = evidence
            self.emit("best", id=cid, speedup=verdict.speedup, pass_rate=verdict.pass_rate,
                      head_to_head=st.head_to_head)
        self._save_standings()
        return cand

    def _conclude(self, att: Attempt, cand: Candidate) -> None:
        """Supervisor-guided correction: decide whether the plan or its code was at fault, and tell the
        planner (through its history) in those words."""
        v, st, title = cand.verdict, cand.standing, att.plan.title
        if v.correct and st is not None and st.became_best:
            line, fault = f"{title}: {v.summary_line()} (new best)", None
        elif v.correct:
            line, fault = f"{title}: plan at fault: the code was correct but {st.note if st else 'not faster'}", "plan"
        elif v.status in PLAN_FAULTS:
            line, fault = f"{title}: plan at fault: {v.summary_line()} (after {cand.round} repairs)", "plan"
        else:
            line, fault = f"{title}: code at fault: {v.summary_line()} (after {cand.round} repairs)", "code"
        self.ctx.history.append(line)
        if fault:
            self.emit("blame", candidate=cand.id, plan=title, at_fault=fault)

    def _stream_share(self, seconds: float) -> float | None:
        """The task's bytes per ``seconds`` over the machine's streaming bandwidth, in cache or not."""
        spec, m = self.task.spec, self.machine
        return roofline_fraction(spec, seconds, m) if isinstance(spec, OptimizeSpec) and m is not None else None

    def _roofline(self, verdict: Verdict) -> float | None:
        """The memory roofline's share reached, where the timing shape does not fit in cache."""
        spec, m = self.task.spec, self.machine
        if verdict.timing is None or not isinstance(spec, OptimizeSpec) or m is None:
            return None
        if min_bytes(spec) <= max(m.caches.values(), default=0):
            return None  # the timing shape fits in cache: the memory roofline does not bound it
        return self._stream_share(verdict.timing.seconds)

    def _evidence(self, verdict: Verdict) -> str:
        """The roofline fraction, and the verdict's profile once the timing stage attaches one."""
        frac = self._roofline(verdict)
        lines = [] if frac is None else [f"It reaches {frac:.0%} of this machine's memory roofline."]
        profile = getattr(verdict, "profile", None)
        if profile is not None and hasattr(profile, "describe"):
            lines.append(profile.describe())
        return "\n".join(lines)

    def _save_standings(self) -> None:
        self.outcome.standings = self.selection.report()
        self.outcome.search["head_to_head_runs"] = self.selection.duels
        self.record.save_standings({**self.outcome.standings, "search": self.outcome.summary_fields()["search"]})

    def _check_wall(self) -> None:
        limit = self.config.budget.max_wall_seconds
        if limit is not None and time.monotonic() - self.started > limit:
            raise BudgetExhausted(f"wall-time budget of {limit:.0f}s reached")
