"""Wire one job together: task, run directory, sandbox, evaluator, models, supervisor, summary."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mapforge.agents.llm import LLM
from mapforge.agents.retriever import memory_file, remember
from mapforge.cluster import ClusterLost, ClusterSession
from mapforge.config import Config
from mapforge.errors import UserError
from mapforge.evaluators import Evaluator, HarnessError
from mapforge.models.registry import get_model
from mapforge.models.retry import RetryPolicy
from mapforge.runs.record import RunRecord
from mapforge.runs.report import write_report
from mapforge.sandbox import Limits, SandboxFactory, make_sandbox_factory, select_backend
from mapforge.sandbox.reaper import owner_label
from mapforge.search.yields import YieldLedger, yields_file
from mapforge.supervisor import Outcome, Supervisor
from mapforge.targets import target_of
from mapforge.tasks.loader import load_task
from mapforge.tasks.spec import Task

Observer = Callable[[dict[str, Any]], None]


def default_run_dir(task: Task) -> Path:
    return Path("runs") / f"{task.name}-{time.strftime('%Y%m%d-%H%M%S')}"


def make_sandboxes(task: Task, config: Config, run_id: str) -> tuple[SandboxFactory, str]:
    """The job's sandbox factory (close it when done) and the one line saying which backend and why."""
    if config.cluster.enabled:  # candidates are judged on the cluster's workers, on their own sandboxes
        from mapforge.cluster import open_cluster

        session = open_cluster(config, run_id)
        return session, session.describe()
    sc = config.sandbox
    backend, reason = select_backend(sc.backend, image=sc.image, unsafe=sc.unsafe_no_isolation)
    options = target_of(task).sandbox_options(task, config) if backend == "local" else {}
    limits = Limits(memory_mb=max(sc.memory_mb, task.spec.limits.memory_mb), **options.pop("limits", {}))
    pool = sc.parallel if sc.pool_size is None else sc.pool_size
    factory = make_sandbox_factory(backend, limits, run_id, pool, base_dir=Path(sc.tmp_dir) if sc.tmp_dir else None,
                                   image=sc.image, gpus=sc.gpus, **options)
    return factory, reason


def make_evaluator(task: Task, config: Config, sandboxes: SandboxFactory) -> Evaluator:
    """The evaluator of the task's target (``mapforge.targets``), or the cluster's."""
    if isinstance(sandboxes, ClusterSession):
        from mapforge.cluster.evaluator import ClusterEvaluator

        return ClusterEvaluator(task, config, sandboxes)
    return target_of(task).make_evaluator(task, config, sandboxes)


class Events:
    """Appends each event to the run record and hands it to the observers (display, --json). A ``best``
    event also carries its candidate's interval and time, so ``--json`` shows what the display shows;
    ``on_candidate`` runs after each candidate event (the job checkpoints its summary there)."""

    def __init__(self, record: RunRecord, observers: list[Observer]) -> None:
        self.record, self.observers = record, observers
        self.on_candidate: Callable[[], None] | None = None
        self._candidates: dict[str, dict[str, Any]] = {}

    def __call__(self, event: str, /, **data: Any) -> None:
        if event == "best" and data.get("id") in self._candidates:
            seen = self._candidates[data["id"]]
            data = {"speedup_ci": seen.get("speedup_ci"), "status": seen.get("status"), **data}
        ev = self.record.event(event, **data)
        for obs in self.observers:
            obs(ev)
        if event == "candidate":
            self._candidates[data["id"]] = data
            if self.on_candidate is not None:
                self.on_candidate()

    def transient(self, event: str, /, **data: Any) -> None:
        """An event for the observers only, not the record (a candidate's stage; may come from any thread)."""
        ev = {"ts": round(time.time(), 3), "event": event, **data}
        for obs in self.observers:
            obs(ev)


def make_llm(config: Config, record: RunRecord, emit: Events) -> LLM:
    """The agents' LLM: every role's model resolved now (a bad model string fails before any work)."""
    mc = config.model
    policy = RetryPolicy(attempts=mc.retry_attempts, wait_max=mc.retry_wait_max, max_concurrent=mc.max_concurrent)
    slots = threading.Semaphore(mc.max_concurrent)  # one limit shared by every role's model
    llm = LLM(config, record, lambda name: get_model(name, mc, retry=policy, slots=slots, cache=mc.cache),
              on_call=lambda req, c, replayed: emit(
                  "model_call", role=req.role, index=req.index, model=c.model, prompt_tokens=c.prompt_tokens,
                  completion_tokens=c.completion_tokens, cost_usd=c.cost, latency=round(c.latency, 3),
                  cached=bool(c.extra.get("cached")), replayed=replayed))
    llm.resolve(("planner", "coder", "debugger") + (("verifier",) if config.agents.planning == "mapcoder" else ()))
    return llm


def run_job(task_path: str | Path, config: Config, run_dir: Path | None, observers: list[Observer],
            expect_kind: str, fresh: bool = False) -> dict[str, Any]:
    task = load_task(task_path)
    if task.kind != expect_kind:
        verb = "optimize" if task.kind == "optimize" else "solve"
        raise UserError(f"{task.name} is a {task.kind} task: run it with `mapforge {verb}`")
    run_dir = run_dir or default_run_dir(task)
    record = RunRecord(run_dir)
    if record.exists:
        prev = record.previous_task()
        if prev and prev != task.name:
            raise UserError(f"{run_dir} holds a run of task {prev!r}, not {task.name!r}; choose another --run-dir")
        if fresh:
            raise UserError(f"{run_dir} already holds a run; remove it or choose another --run-dir to start afresh")
    emit = Events(record, observers)
    llm = make_llm(config, record, emit)
    prior = record.read_summary() or {}
    resumed = record.open(config.model_dump(mode="json"),
                          {"name": task.name, "kind": task.kind, "root": str(task.root),
                           "spec": task.spec.model_dump(mode="json")})
    started = time.monotonic()
    record.replaying = False  # this session's own events are always written
    if resumed:
        emit("resumed", run_dir=str(run_dir))
    sandboxes, why = make_sandboxes(task, config, run_dir.name)
    outcome = Outcome()
    baseline: dict[str, Any] = {}
    status_override: str | None = None
    sup: Supervisor | None = None

    def checkpoint() -> None:
        """A summary that says the job has not finished: what a kill -9 leaves (the clean end replaces it)."""
        now = sup.outcome if sup is not None else outcome
        summary = build_summary(task, now, baseline, llm, config, run_dir, status_override,
                                time.monotonic() - started + float(prior.get("wall_seconds", 0.0)),
                                sandboxes.backend)
        summary.update(stop_reason="did not finish: still running, or killed (run the same command to resume)",
                       interrupted=True, owner=owner_label())
        record.write_summary(summary)

    emit.on_candidate = checkpoint
    try:
        checkpoint()
        emit("start", task=task.name, kind=task.kind, model=config.model.default, roles=config.model.roles,
             sandbox=sandboxes.backend, sandbox_reason=why, run_dir=str(run_dir),
             max_iters=config.budget.max_iters, max_tokens=config.budget.max_tokens,
             max_wall_seconds=config.budget.max_wall_seconds)
        record.replaying = resumed  # until the first step that is not on record
        evaluator = make_evaluator(task, config, sandboxes)
        if hasattr(evaluator, "on_stage"):  # the display shows which stage a candidate is in
            evaluator.on_stage = lambda stage: emit.transient("stage", stage=stage)
        emit("step", agent="baseline")
        try:
            b = evaluator.prepare()
        except HarnessError as e:
            status_override = "failed"
            outcome.stop_reason = f"baseline failed: {e}"
            emit("baseline_failed", error=str(e))
        else:
            if b.aa is not None:
                # a resumed job keeps the baseline it first measured: prompts (and so replay) depend on it
                baseline = record.load_baseline() or {
                    "seconds": b.seconds, "aa_speedup": b.aa.speedup, "aa_ci": list(b.aa.speedup_ci),
                    "aa_pairs": b.aa.pairs, "evidence": b.profile.describe() if b.profile else "",
                    "profile": b.profile.model_dump(mode="json") if b.profile else None}
                record.save_baseline(baseline)
                emit("baseline", **baseline)
        if status_override is None:
            ledger = YieldLedger(yields_file(config.yields_file), str(run_dir.resolve()))
            sup = Supervisor(task, config, record, llm, evaluator, emit, baseline.get("seconds"), ledger=ledger)
            try:
                outcome = sup.run()
            except ClusterLost:
                outcome = sup.outcome
                raise
            except KeyboardInterrupt:
                outcome = sup.outcome
                outcome.stop_reason = "interrupted"
                raise
            except Exception as e:
                outcome = sup.outcome
                outcome.stop_reason = f"crashed: {type(e).__name__}: {e}"
                status_override = "failed"
                raise
    except ClusterLost as e:
        outcome.stop_reason = f"cluster lost: {e}"
        raise UserError(f"the job stopped: {e}. {run_dir} keeps every verdict so far: run the same command again "
                        "once the cluster is back to resume") from None
    finally:
        sandboxes.close()
        record.replaying = False
        summary = build_summary(task, outcome, baseline, llm, config, run_dir, status_override,
                                time.monotonic() - started + float(prior.get("wall_seconds", 0.0)),
                                sandboxes.backend)
        if isinstance(sandboxes, ClusterSession):
            summary["cluster"] = sandboxes.report()
        summary["interrupted"] = outcome.stop_reason == "interrupted"
        record.write_summary(summary)
        emit("end", status=summary["status"], stop_reason=outcome.stop_reason,
             best_speedup=(summary["best"] or {}).get("speedup"))
        write_report(run_dir, summary, outcome)
        record.close()
    best = outcome.best
    if summary["status"] == "improved" and best is not None and best.verdict.improved:
        # only a win that passed every check; the memory skips a source it already holds (resume, replay)
        remember(memory_file(config.memory_file), task, best.source, best.verdict, best.plan, run_dir.name,
                 sandboxes.backend)
    return summary


def build_summary(task: Task, outcome: Outcome, baseline: dict[str, Any], llm: LLM, config: Config,
                  run_dir: Path, status_override: str | None, wall: float, backend: str) -> dict[str, Any]:
    best = outcome.best
    cands = outcome.candidates
    n = len(cands)
    if status_override:
        status = status_override
    elif task.kind == "solve":
        status = "solved" if best and best.verdict.correct else "unsolved"
    else:
        status = "improved" if best and best.verdict.improved else "no_improvement"
    best_rec = None
    if best is not None:
        t = best.verdict.timing
        best_rec = {
            "candidate_id": best.id, "correct": best.verdict.correct,
            "speedup": t.speedup if t else None, "speedup_ci": list(t.speedup_ci) if t else None,
            "seconds": t.seconds if t else None, "significant": t.significant if t else None,
            "pass_rate": best.verdict.pass_rate,
            "source_path": str(run_dir / "best" / f"source{task.spec.source_suffix}"),
        }
    compiled = sum(1 for c in cands if c.verdict.status not in ("compile_error", "rejected"))
    usage = llm.usage
    return {
        "task": task.name,
        "kind": task.kind,
        "status": status,
        "stop_reason": outcome.stop_reason,
        "baseline_seconds": baseline.get("seconds"),
        "aa_self_test": ({"speedup": baseline["aa_speedup"], "speedup_ci": baseline["aa_ci"]} if baseline else None),
        "best": best_rec,
        "candidates": n,
        "iterations": outcome.iterations,
        "rates": {
            "compile": compiled / n if n else None,
            "correct": sum(c.verdict.correct for c in cands) / n if n else None,
            "rejected_or_cheat": sum(c.verdict.status in ("rejected", "cheat_suspected") for c in cands) / n if n else None,
            "format_failures": {role: u.format_failures for role, u in sorted(usage.roles.items())},
            "format_repairs": {role: u.format_repairs for role, u in sorted(usage.roles.items())},
            "local_repairs": {role: u.local_repairs for role, u in sorted(usage.roles.items())},
            "format_failure_rate": {role: (u.format_failures / u.requests if u.requests else 0.0)
                                    for role, u in sorted(usage.roles.items())},
        },
        "tokens": {"prompt": usage.prompt_tokens, "completion": usage.completion_tokens},
        "usage": usage.as_dict(),
        "cost_usd": usage.cost,
        "model": config.model.default,
        "sandbox": backend,
        "wall_seconds": round(wall, 3),
        **outcome.summary_fields(),
    }
