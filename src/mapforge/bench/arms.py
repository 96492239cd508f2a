"""The arms: three ways of asking a model for a solution, each under the same per-task token cap.

- ``direct``: one prompt, one answer.
- ``cot``: think step by step, then answer (one request).
- ``mapcoder``: recall similar problems (self-generated, plus this bench's memory of tasks solved earlier
  that are alike), k plans each grounded in one of them and scored for confidence in a request of its own,
  code from the most confident plan (the coder sees the problem and the plan), and up to t debugging rounds
  against the *visible* examples only; the next plan when those fail.

An arm returns its answer: the candidate that passed the most visible examples (the latest on a tie), which
for ``direct`` and ``cot`` is their only one. When the token cap is reached the arm stops and its answer so
far is judged. The hidden tests are run once, by the runner, on that answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mapforge.agents.context import AgentContext
from mapforge.agents.debugger import REPAIRABLE, Debugger
from mapforge.agents.llm import LLM
from mapforge.bench import mapcoder as mc
from mapforge.errors import BudgetExhausted
from mapforge.evaluators.verdict import Verdict
from mapforge.tasks.spec import Task

ARMS = ("direct", "cot", "mapcoder")
@dataclass
class Settings:
    recall: int = 2
    """Similar problems the model recalls (MapCoder's k)."""
    memory: int = 1
    """Solved tasks recalled from this bench's memory."""
    memory_min_similarity: float = 0.5
    """How alike (:class:`mapforge.bench.mapcoder.Relevance`) a solved task must be to be recalled: none rather
    than an unrelated one, whose plan a small model follows instead of the problem's."""
    plans: int = 2
    """Plans written and scored."""
    debug_rounds: int = 2
    """Repairs per plan against the visible examples (t)."""
    repairs: int = 1
    """Repair requests after an unparseable reply."""
    code_reserve: int | None = None
    """mapcoder: tokens of the cap kept for coding (None: what one coding request for the task needs, its
    prompt and a full reply). Recall, planning and scoring never eat into it (an arm that spends its cap on
    plans and writes no code is measuring its budget, not MapCoder)."""


@dataclass
class Answer:
    source: str | None = None
    visible: Verdict | None = None
    plan: str | None = None
    """mapcoder: the plan the answer was coded from."""
    candidates: int = 0
    stop: str = "done"
    notes: list[str] = field(default_factory=list)

    def offer(self, source: str, verdict: Verdict, plan: str | None = None) -> None:
        self.candidates += 1
        mine = self.visible.tests_passed or 0 if self.visible else -1
        if self.source is None or (verdict.tests_passed or 0) >= mine and verdict.status != "compile_error":
            self.source, self.visible, self.plan = source, verdict, plan


VisibleCheck = Callable[[str], Verdict]


def run_arm(arm: str, task: Task, llm: LLM, check_visible: VisibleCheck, settings: Settings,
            memory: mc.Memory) -> Answer:
    answer = Answer()
    try:
        if arm == "direct":
            _single(task, llm, "direct", "bench_direct", settings, answer)
        elif arm == "cot":
            _single(task, llm, "cot", "bench_cot", settings, answer)
        elif arm == "mapcoder":
            _mapcoder(task, llm, check_visible, settings, memory, answer)
        else:
            raise ValueError(f"unknown arm {arm!r}")
    except BudgetExhausted as e:
        answer.stop = f"budget: {e.reason}"
    return answer


def _single(task: Task, llm: LLM, role: str, template: str, s: Settings, answer: Answer) -> None:
    from mapforge.agents import prompts

    msgs = mc.user(template, task, output_rules=prompts.output_rules(task))
    code = mc.ask_task_code(llm, role, msgs, task, s.repairs)
    if code is None:
        answer.stop = "no usable code"
    else:
        answer.source = code
        answer.candidates = 1


def _mapcoder(task: Task, llm: LLM, check: VisibleCheck, s: Settings, memory: mc.Memory, answer: Answer) -> None:
    exemplars = memory.recall(task, s.memory, s.memory_min_similarity)
    planner, scorer = mc.PlanWriter(llm, s.repairs), mc.ConfidenceScorer(llm, s.repairs)
    coder = mc.PlanCoder(llm, s.repairs)
    reserve = s.code_reserve if s.code_reserve is not None else coder.tokens_needed(task)
    plans: list[tuple[float, int, str]] = []  # (confidence, order written, plan)
    unscored: tuple[int, str] | None = None
    with llm.keeping(reserve):  # recall, planning and scoring never spend what coding needs
        try:
            exemplars += mc.Recaller(llm, s.recall, s.repairs).run(task)
            for i in range(s.plans):
                ex = exemplars[i] if i < len(exemplars) else None
                plan = planner.run(task, ex)
                if plan is not None:
                    unscored = (i, plan)
                    plans.append((scorer.run(task, plan), i, plan))
                    unscored = None
        except BudgetExhausted:
            if unscored is not None:  # written but not scored: tried after the scored ones
                plans.append((0.0, *unscored))
            answer.notes.append(f"planning stopped after {len(plans)} plan(s): {reserve} tokens kept for code")
    answer.notes.append("exemplars: " + (", ".join(e.source for e in exemplars) or "none"))
    if not plans:
        plans = [(0.0, 0, "Solve the problem directly, checking the examples.")]
    plans.sort(key=lambda p: (-p[0], p[1]))
    answer.notes.append("confidences: " + ", ".join(f"{c:.2f}" for c, *_ in plans))
    debugger = Debugger(llm, s.repairs)
    ctx = AgentContext(task=task)
    for _, _, plan in plans:
        source = coder.run(task, plan)
        if source is None:
            continue
        for round_ in range(s.debug_rounds + 1):
            verdict = check(source)
            answer.offer(source, verdict, plan)
            if verdict.correct:
                answer.stop = "passed the visible examples"
                return
            if round_ == s.debug_rounds or verdict.status not in REPAIRABLE:
                break
            fixed = debugger.run(ctx, source, verdict)
            if fixed is None:
                break
            source = fixed
    answer.stop = "plans exhausted" if answer.source else "no usable code"
