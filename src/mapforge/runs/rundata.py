"""Read a run directory back into plain data for reports: summary, candidates with lineage, per-role usage.

Everything here comes from what is on disk (see ``record.py`` for the layout), so a report can be drawn
for any run, finished, interrupted or crashed, long after its job ended. Missing or malformed files give
empty values, never exceptions.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError):
        return None


def read_events(run_dir: Path) -> list[dict[str, Any]]:
    """events.jsonl, skipping a torn last line (a killed job may leave one)."""
    text = _read_text(run_dir / "events.jsonl") or ""
    out = []
    for line in text.splitlines():
        try:
            ev = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(ev, dict):
            out.append(ev)
    return out


@dataclass
class CandidateRow:
    """One candidate as the reports show it."""

    id: str
    plan: str
    parent: str | None
    round: int
    iteration: int | None
    status: str
    stage: str
    reason: str
    speedup: float | None = None
    speedup_ci: tuple[float, float] | None = None
    seconds: float | None = None
    pass_rate: float | None = None
    tests_passed: int | None = None
    tests_total: int | None = None
    eval_seconds: float = 0.0
    """Seconds the harness spent on it (sum over its stages)."""
    elapsed: float | None = None
    """Seconds from the job's first start to its verdict (None when events.jsonl does not say)."""


@dataclass
class RoleRow:
    role: str
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    cost: float | None = None


@dataclass
class RunData:
    """What one run directory holds, shaped for reports."""

    root: Path
    summary: dict[str, Any] | None
    task: dict[str, Any]
    config: dict[str, Any]
    candidates: list[CandidateRow]
    roles: list[RoleRow]
    events: list[dict[str, Any]] = field(default_factory=list)
    best_source: str | None = None
    reference_source: str | None = None
    reference_note: str = ""
    """Why the reference is missing, when it is."""
    baseline: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def kind(self) -> str:
        return str((self.summary or {}).get("kind") or self.task.get("kind") or "optimize")

    @property
    def task_name(self) -> str:
        return str((self.summary or {}).get("task") or self.task.get("name") or "?")

    @property
    def status(self) -> str:
        return str((self.summary or {}).get("status") or "running or interrupted")

    @property
    def best(self) -> dict[str, Any] | None:
        b = (self.summary or {}).get("best")
        return b if isinstance(b, dict) else None

    @property
    def best_id(self) -> str | None:
        b = self.best
        return str(b["candidate_id"]) if b and b.get("candidate_id") else None

    @property
    def aa(self) -> tuple[float, tuple[float, float]] | None:
        """The A/A self-test: the reference timed against itself (speedup, 95% interval)."""
        aa = (self.summary or {}).get("aa_self_test")
        if isinstance(aa, dict) and aa.get("speedup") is not None:
            lo, hi = aa["speedup_ci"]
            return float(aa["speedup"]), (float(lo), float(hi))
        b = self.baseline
        if b and b.get("aa_speedup") is not None:
            lo, hi = b["aa_ci"]
            return float(b["aa_speedup"]), (float(lo), float(hi))
        return None

    @property
    def tokens(self) -> int:
        t = (self.summary or {}).get("tokens") or {}
        if t:
            return int(t.get("prompt", 0)) + int(t.get("completion", 0))
        return sum(r.prompt_tokens + r.completion_tokens for r in self.roles)

    @property
    def wall_seconds(self) -> float | None:
        w = (self.summary or {}).get("wall_seconds")
        if w is not None:
            return float(w)
        ts = [e["ts"] for e in self.events if isinstance(e.get("ts"), (int, float))]
        return float(max(ts) - min(ts)) if ts else None

    def best_so_far(self) -> list[tuple[float, float]]:
        """(elapsed seconds, best metric so far) at each improvement: speedup, or pass rate for solve runs."""
        out: list[tuple[float, float]] = []
        best: float | None = None
        for i, c in enumerate(self.candidates):
            value = c.pass_rate if self.kind == "solve" else (c.speedup if c.status == "correct" else None)
            if value is None or (best is not None and value <= best):
                continue
            best = value
            out.append((c.elapsed if c.elapsed is not None else float(i), value))
        return out


def _candidate(rec: dict[str, Any], elapsed: float | None) -> CandidateRow:
    v = rec.get("verdict") or {}
    t = v.get("timing") or {}
    ci = t.get("speedup_ci")
    return CandidateRow(
        id=str(rec.get("id", "?")), plan=str(rec.get("plan") or ""), parent=rec.get("parent"),
        round=int(rec.get("round") or 0), iteration=rec.get("iteration"),
        status=str(v.get("status", "?")), stage=str(v.get("stage", "?")), reason=str(v.get("reason", "")),
        speedup=t.get("speedup"), speedup_ci=(float(ci[0]), float(ci[1])) if ci else None,
        seconds=t.get("seconds"), pass_rate=v.get("pass_rate"), tests_passed=v.get("tests_passed"),
        tests_total=v.get("tests_total"),
        eval_seconds=float(sum(s.get("seconds") or 0.0 for s in v.get("stages") or [])),
        elapsed=elapsed,
    )


def _candidates(run_dir: Path, events: list[dict[str, Any]]) -> list[CandidateRow]:
    starts = [e["ts"] for e in events if e.get("event") == "start" and isinstance(e.get("ts"), (int, float))]
    t0 = min(starts) if starts else None
    when: dict[str, float] = {}
    for e in events:
        if e.get("event") == "candidate" and t0 is not None and isinstance(e.get("ts"), (int, float)):
            when.setdefault(str(e.get("id")), float(e["ts"]) - t0)
    rows = []
    folder = run_dir / "candidates"
    for d in sorted(folder.iterdir()) if folder.is_dir() else []:
        rec = _read_json(d / "verdict.json")
        if isinstance(rec, dict):
            rows.append(_candidate(rec, when.get(d.name)))
    return rows


def _roles(summary: dict[str, Any] | None, events: list[dict[str, Any]], cands: list[CandidateRow]) -> list[RoleRow]:
    rows: dict[str, RoleRow] = {}
    per_role = ((summary or {}).get("usage") or {}).get("per_role") or {}
    for role, u in per_role.items():
        rows[role] = RoleRow(role, int(u.get("requests", 0)), int(u.get("prompt_tokens", 0)),
                             int(u.get("completion_tokens", 0)),
                             cost=u.get("cost") if u.get("cost_known", True) else None)
    seconds: dict[str, float] = defaultdict(float)
    from_events: dict[str, RoleRow] = {}
    for e in events:
        if e.get("event") != "model_call" or e.get("replayed"):
            continue
        role = str(e.get("role", "?"))
        seconds[role] += float(e.get("latency") or 0.0)
        r = from_events.setdefault(role, RoleRow(role))
        r.requests += 1
        r.prompt_tokens += int(e.get("prompt_tokens") or 0)
        r.completion_tokens += int(e.get("completion_tokens") or 0)
    for role, r in from_events.items():  # a crashed run has events but no summary
        rows.setdefault(role, r)
    for role, s in seconds.items():
        rows[role].seconds = s
    if cands:
        rows["evaluator"] = RoleRow("evaluator", requests=len(cands), seconds=sum(c.eval_seconds for c in cands))
    order = {"retriever": 0, "planner": 1, "coder": 2, "debugger": 3, "evaluator": 9}
    return sorted(rows.values(), key=lambda r: (order.get(r.role, 5), r.role))


def _reference(task: dict[str, Any]) -> tuple[str | None, str]:
    spec = task.get("spec") or {}
    if task.get("kind") != "optimize" or not spec.get("reference") or not task.get("root"):
        return None, "this task has no reference implementation"
    path = Path(task["root"]) / spec["reference"]
    text = _read_text(path)
    return text, "" if text is not None else f"the reference ({path}) is no longer on disk"


def load_run(run_dir: Path) -> RunData:
    events = read_events(run_dir)
    summary = _read_json(run_dir / "summary.json")
    summary = summary if isinstance(summary, dict) else None
    task = _read_json(run_dir / "task.json")
    task = task if isinstance(task, dict) else {}
    config = _read_json(run_dir / "config.json")
    cands = _candidates(run_dir, events)
    best_src = None
    best_dir = run_dir / "best"
    for p in sorted(best_dir.glob("source.*")) if best_dir.is_dir() else []:
        best_src = _read_text(p)
    ref, note = _reference(task)
    baseline = _read_json(run_dir / "baseline.json")
    return RunData(root=run_dir, summary=summary, task=task, config=config if isinstance(config, dict) else {},
                   candidates=cands, roles=_roles(summary, events, cands), events=events, best_source=best_src,
                   reference_source=ref, reference_note=note,
                   baseline=baseline if isinstance(baseline, dict) else None)
