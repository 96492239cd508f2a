"""The bench loop: every sampled task, every arm, one after the other; resumable. With a cluster configured
(``--cluster``/``--workers``) the tasks run side by side instead, their candidates judged on its workers
(:meth:`Bench.run_on_cluster`).

Run directory::

    DIR/bench.json                         what is being run (suite, sample, seed, model, cap, settings, tasks)
    DIR/results.jsonl                      one line per finished (task, arm), appended as each finishes
    DIR/tasks/TASK/ARM/calls/NNNN-ROLE.json every model call (the replay memo)
    DIR/tasks/TASK/ARM/answer.*, verdict.json
    DIR/table.md, DIR/summary.json         the table, rewritten at the end of every session

Running the same command again resumes: finished (task, arm) pairs are read back, an interrupted one is run
again with its recorded model calls replayed (no tokens paid twice), the rest is run. A model error stops
the bench (it is not a wrong answer) and leaves it resumable.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mapforge.agents.llm import LLM
from mapforge.bench import suites
from mapforge.bench.arms import Answer, Settings, run_arm
from mapforge.bench.mapcoder import Memory, Relevance, Solved, problem_text
from mapforge.bench.table import render, summarize
from mapforge.config import Config
from mapforge.errors import UserError
from mapforge.evaluators.solve import SolveEvaluator
from mapforge.evaluators.verdict import Verdict
from mapforge.files import atomic_write
from mapforge.models.base import Completion, Model, Request
from mapforge.sandbox import SandboxFactory, make_sandbox_factory, select_backend
from mapforge.tasks.spec import Task

SCHEMA_VERSION = 1
Progress = Callable[[str], None]
Judge = Callable[[str], Verdict]


@dataclass
class BenchOptions:
    suite: str
    arms: list[str]
    run_dir: Path
    sample: int | None = None
    seed: int = 0
    budget_tokens: int = 6000
    settings: Settings = field(default_factory=Settings)
    tasks_root: Path = Path("tasks")


class CallLog:
    """A :class:`mapforge.agents.llm.CallStore` in one folder: every call recorded, replayed by key."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls: dict[str, Completion] = {}
        self.n = 0
        if root.is_dir():
            for p in sorted(root.glob("*.json")):
                try:
                    rec = json.loads(p.read_text())
                except (json.JSONDecodeError, OSError):
                    continue  # a torn file from a kill: that call is made again
                c = rec["completion"]
                self.calls[rec["key"]] = Completion(**{k: c[k] for k in Completion.__dataclass_fields__ if k in c})
                self.n += 1

    def lookup_call(self, key: str) -> Completion | None:
        return self.calls.get(key)

    def record_call(self, key: str, request: Request, completion: Completion) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.n += 1
        self.calls[key] = completion
        rec = {"schema_version": SCHEMA_VERSION, "key": key, "request": asdict(request), "completion": asdict(completion)}
        atomic_write(self.root / f"{self.n:04d}-{request.role}.json", json.dumps(rec, indent=1))


@dataclass
class CallStats:
    calls: int = 0
    replayed: int = 0
    model_seconds: float = 0.0
    reused_seconds: float = 0.0
    """What the calls answered from the record or the response cache took when they were first made."""

    def __call__(self, request: Request, c: Completion, replayed: bool) -> None:
        self.calls += 1
        self.replayed += replayed
        cached = bool(c.extra.get("cached"))
        latency = float(c.extra.get("original_latency", c.latency) if cached else c.latency)  # type: ignore[arg-type]
        self.model_seconds += latency
        if replayed or cached:
            self.reused_seconds += latency


def manifest(opts: BenchOptions, config: Config, tasks: list[Task], source: str) -> dict[str, Any]:
    return {"schema_version": SCHEMA_VERSION, "suite": opts.suite, "source": source, "model": config.model.default,
            "roles": config.model.roles, "sample": opts.sample, "seed": opts.seed,
            "budget_tokens": opts.budget_tokens, "settings": asdict(opts.settings),
            "max_reply_tokens": config.model.max_reply_tokens, "temperature": config.model.temperature,
            "tasks": [t.name for t in tasks], "arms": list(opts.arms)}


_SAME = ("suite", "model", "roles", "sample", "seed", "budget_tokens", "settings", "max_reply_tokens",
         "temperature", "tasks")


def open_run(opts: BenchOptions, new: dict[str, Any]) -> dict[str, Any]:
    """Create the run dir, or check that an existing one holds the same bench; arms may be added."""
    path = opts.run_dir / "bench.json"
    if path.is_file():
        old = json.loads(path.read_text())
        diff = [k for k in _SAME if old.get(k) != new.get(k)]
        if diff:
            raise UserError(f"{opts.run_dir} holds a different bench ({', '.join(diff)} differ: "
                            f"{', '.join(f'{k}={old.get(k)!r}' for k in diff if k != 'tasks')}); "
                            "use the same options to resume, or another --run-dir")
        new["arms"] = list(dict.fromkeys([*old.get("arms", []), *new["arms"]]))
    opts.run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(new, indent=2))
    return new


def read_results(run_dir: Path) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    p = run_dir / "results.jsonl"
    if p.is_file():
        for line in p.read_text().splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a torn last line: that pair is run again
            out[(rec["task"], rec["arm"])] = rec
    return out


def summary_so_far(run_dir: Path) -> dict[str, Any]:
    """The table of what a run directory holds now, without running anything."""
    path = run_dir / "bench.json"
    if not path.is_file():
        raise UserError(f"{run_dir}: no bench.json here (not a bench run directory)")
    info = json.loads(path.read_text())
    done = read_results(run_dir)
    results = [done[(t, a)] for t in info["tasks"] for a in info["arms"] if (t, a) in done]
    return summarize(results, info, len(info["tasks"]))


def remembered(task: Task, rec: dict[str, Any]) -> Solved | None:
    """What mapcoder's memory keeps of a finished mapcoder unit: the problem and the plan its answer was coded
    from, when that answer passed the visible examples (a record without a plan is not remembered)."""
    if not (rec.get("visible_passed") and rec.get("plan")):
        return None
    return Solved(task.name, problem_text(task), rec["plan"])


class Bench:
    def __init__(self, opts: BenchOptions, config: Config, get_model: Callable[[str], Model],
                 progress: Progress) -> None:
        self.opts, self.config, self.progress = opts, config, progress
        self._models: dict[str, Model] = {}
        self._lock = threading.Lock()
        self._get_model = get_model
        self.relevance: Relevance | None = None
        """How alike the suite's problems are, for mapcoder's memory (set when the suite is loaded)."""

    def model(self, name: str) -> Model:
        with self._lock:
            if name not in self._models:
                self._models[name] = self._get_model(name)
            return self._models[name]

    def run(self) -> dict[str, Any]:
        opts = self.opts
        suite = suites.load_suite(opts.suite, opts.tasks_root)
        self.relevance = Relevance(problem_text(t) for t in suite.tasks)
        tasks = suites.sample(suite.tasks, opts.sample, opts.seed)
        info = open_run(opts, manifest(opts, self.config, tasks, suite.source))
        done = read_results(opts.run_dir)
        head = (f"bench {suite.name}: {len(tasks)} tasks x {len(opts.arms)} arms, "
                f"{sum((t.name, a) in done for t in tasks for a in opts.arms)} done already")
        if self.config.cluster.enabled:
            return self.run_on_cluster(tasks, info, done, head)
        backend, why = select_backend(self.config.sandbox.backend, image=self.config.sandbox.image)
        self.progress(f"{head}; {why}")
        factory = make_sandbox_factory(backend, None, f"bench-{opts.run_dir.name}", 1,
                                       base_dir=Path(self.config.sandbox.tmp_dir) if self.config.sandbox.tmp_dir else None,
                                       image=self.config.sandbox.image)
        memory: list[Solved] = []
        started = time.monotonic()
        try:
            for i, task in enumerate(tasks):
                for arm in opts.arms:
                    rec = done.get((task.name, arm))
                    if rec is None:
                        rec = self.run_one(task, arm, factory, memory)
                        self.keep(rec, done, f"[{i + 1}/{len(tasks)}]")
                    if arm == "mapcoder" and (m := remembered(task, rec)) is not None:
                        memory.append(m)
        finally:
            factory.close()
            summary = self.finish(tasks, info, done, started)
        return summary

    def run_on_cluster(self, tasks: list[Task], info: dict[str, Any], done: dict[tuple[str, str], dict[str, Any]],
                       head: str) -> dict[str, Any]:
        """The units not done yet, side by side on the cluster the config names (``cluster.address``, or
        ``cluster.workers`` local workers started for the bench): one job per task, its arms in order, as
        many tasks at once as the cluster has workers. Model calls and every write to the run directory
        stay here; the workers judge the candidates (visible examples) and the answers (every test).
        mapcoder's memory for a task: the earlier tasks (suite order) whose mapcoder unit had finished
        when its unit starts (with one worker, what the sequential bench recalls)."""
        from mapforge.cluster import ClusterLost, open_cluster
        from mapforge.cluster.evaluator import ClusterEvaluator
        from mapforge.cluster.sweep import shared_cluster, spread_jobs
        from mapforge.evaluators.base import HarnessError

        opts = self.opts
        memory = {i: m for i, t in enumerate(tasks)
                  if (t.name, "mapcoder") in done and (m := remembered(t, done[(t.name, "mapcoder")])) is not None}
        stop = threading.Event()  # a unit that fails, or Ctrl-C, stops the bench: no unit starts after it

        with shared_cluster(self.config) as cfg:
            session = open_cluster(cfg, f"bench-{opts.run_dir.name}")

            def task_job(i: int) -> None:
                task = tasks[i]
                check = ClusterEvaluator(task.visible_view(), cfg, session)  # the visible examples only
                judge = ClusterEvaluator(task, cfg, session)
                try:
                    for arm in opts.arms:
                        with self._lock:
                            if (task.name, arm) in done:
                                continue
                            recall = [memory[j] for j in sorted(memory) if j < i]
                        if stop.is_set():
                            return
                        try:
                            rec = self.unit(task, arm, check.evaluate, judge.evaluate, recall)
                        except BaseException:
                            stop.set()
                            raise
                        self.keep(rec, done, f"[{i + 1}/{len(tasks)}]")
                        if arm == "mapcoder" and (m := remembered(task, rec)) is not None:
                            with self._lock:
                                memory[i] = m
                finally:
                    for ev in (check, judge):
                        session.release(ev.job.key)

            started = time.monotonic()
            try:
                self.progress(f"{head}; {session.describe()}")
                todo = [i for i, t in enumerate(tasks) if any((t.name, a) not in done for a in opts.arms)]
                got = spread_jobs([functools.partial(task_job, i) for i in todo], max(1, len(session.identities)),
                                  stop=stop)
            finally:
                session.close()
                summary = self.finish(tasks, info, done, started)
        failed = next((g for g in got if isinstance(g, BaseException)), None)
        if isinstance(failed, (ClusterLost, HarnessError)):
            raise UserError(f"the bench stopped: {failed}. {opts.run_dir} keeps every finished task and arm: run "
                            "the same command again (once the cluster can judge them) to resume") from failed
        if failed is not None:
            raise failed
        return summary

    def keep(self, rec: dict[str, Any], done: dict[tuple[str, str], dict[str, Any]], where: str) -> None:
        """Append a finished unit to results.jsonl (one writer at a time) and say so."""
        with self._lock:
            with (self.opts.run_dir / "results.jsonl").open("a") as f:
                f.write(json.dumps(rec) + "\n")
            done[(rec["task"], rec["arm"])] = rec
        self.progress(f"{where} {rec['task']} {rec['arm']}: {rec['status']} "
                      f"({rec['tokens']['total']} tokens, {rec['wall_seconds']:.0f} s"
                      f"{', ' + str(rec['replayed_calls']) + ' calls replayed' if rec['replayed_calls'] else ''}"
                      f"{', judged on ' + rec['worker'] if rec.get('worker') else ''})")

    def finish(self, tasks: list[Task], info: dict[str, Any], done: dict[tuple[str, str], dict[str, Any]],
               started: float) -> dict[str, Any]:
        """The session's summary and table, written to the run directory."""
        opts = self.opts
        results = [done[(t.name, a)] for t in tasks for a in info["arms"] if (t.name, a) in done]
        summary = summarize(results, info, len(tasks))
        summary["session_seconds"] = round(time.monotonic() - started, 1)
        atomic_write(opts.run_dir / "summary.json", json.dumps(summary, indent=2))
        atomic_write(opts.run_dir / "table.md", render(summary))
        return summary

    def run_one(self, task: Task, arm: str, factory: SandboxFactory, memory: list[Solved]) -> dict[str, Any]:
        visible = SolveEvaluator(task, factory, self.config.sandbox, visible_only=True)
        full = SolveEvaluator(task, factory, self.config.sandbox)
        return self.unit(task, arm, visible.evaluate, full.evaluate, memory)

    def unit(self, task: Task, arm: str, check_visible: Judge, judge: Judge,
             memory: list[Solved]) -> dict[str, Any]:
        """One (task, arm): the arm's model calls (candidates checked by ``check_visible``), then its answer
        judged on every test by ``judge``."""
        d = self.opts.run_dir / "tasks" / task.name / arm
        stats = CallStats()
        capped = self.config.model_copy(deep=True)
        capped.budget.max_tokens = self.opts.budget_tokens  # the per-task cap every arm gets, on the model's
        capped.budget.count_cached = True                   # work: cached replies count as if made again
        llm = LLM(capped, CallLog(d / "calls"), self.model, on_call=stats)
        t0 = time.monotonic()
        answer = run_arm(arm, task, llm, check_visible, self.opts.settings, Memory(tuple(memory), self.relevance))
        verdict = judge(answer.source) if answer.source else None
        wall = time.monotonic() - t0 + stats.reused_seconds  # calls not made again count their first time
        return self.record(task, arm, d, llm, answer, verdict, stats, wall)

    def record(self, task: Task, arm: str, d: Path, llm: LLM, answer: Answer, verdict: Verdict | None,
               stats: CallStats, wall: float) -> dict[str, Any]:
        d.mkdir(parents=True, exist_ok=True)
        if answer.source is not None:
            (d / f"answer{task.spec.source_suffix}").write_text(answer.source)
        if verdict is not None:
            atomic_write(d / "verdict.json", json.dumps(verdict.model_dump(mode="json"), indent=2))
        u = llm.usage
        return {
            "schema_version": SCHEMA_VERSION, "task": task.name, "arm": arm,
            "solved": bool(verdict and verdict.correct), "status": verdict.status if verdict else "no_code",
            "tests": [verdict.tests_passed, verdict.tests_total] if verdict else None,
            "visible_passed": bool(answer.visible and answer.visible.correct),
            "stop": answer.stop, "candidates": answer.candidates, "notes": answer.notes,
            # the model's work, cached replies included (as the cap counts them); "cached": of which from the cache
            "tokens": {"prompt": u.prompt_tokens + u.cached["prompt"],
                       "completion": u.completion_tokens + u.cached["completion"],
                       "total": llm.budget_used, "cached": u.cached_tokens},
            "per_role": {r: {"requests": x.requests, "format_failures": x.format_failures,
                             "format_repairs": x.format_repairs, "local_repairs": x.local_repairs,
                             "tokens": x.prompt_tokens + x.completion_tokens + x.cached_tokens}
                         for r, x in sorted(u.roles.items())},
            "calls": stats.calls, "replayed_calls": stats.replayed, "model_seconds": round(stats.model_seconds, 2),
            "wall_seconds": round(wall, 2), "source": answer.source, "plan": answer.plan,
            **({"worker": verdict.judged_by} if verdict is not None and verdict.judged_by else {}),
        }
