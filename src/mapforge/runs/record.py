"""The run directory: everything a job did, written as it happens, and read back to resume.

Layout::

    DIR/config.json          resolved configuration
    DIR/task.json            the task spec (and where it came from)
    DIR/baseline.json        the reference's time and A/A self-test, as first measured
    DIR/events.jsonl         one JSON object per event, appended and flushed as it happens
    DIR/calls/NNNN-ROLE.json every model call: messages, reply, tokens, latency (the replay memo)
    DIR/candidates/ID/       source, verdict.json (with lineage), build.log, duel.json (head-to-head
                             timing against the best it challenged)
    DIR/standings.json       every candidate's standing against the reference and the best
    DIR/best/                the best candidate's source and verdict
    DIR/summary.json         the contract other tools read (see ARCHITECTURE.md)

Resuming replays the job: model calls and candidate verdicts already on disk are served from here.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, TextIO

from mapforge.evaluators.verdict import Timing, Verdict
from mapforge.files import atomic_write
from mapforge.models.base import Completion, Request

SCHEMA_VERSION = 1


def _write_source(path: Path, source: str) -> None:
    """Model-written text is saved whatever it holds (a lone surrogate from a JSON reply included)."""
    path.write_bytes(source.encode("utf-8", "surrogatepass"))


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:16]


class RunRecord:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.replaying = False
        """True while a resumed job is re-deriving steps already on disk (events are not written twice)."""
        self._calls: dict[str, Completion] = {}
        self._n_calls = 0
        self._events: TextIO | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def exists(self) -> bool:
        return (self.root / "events.jsonl").exists()

    def open(self, config: dict[str, Any], task: dict[str, Any]) -> bool:
        """Create or reopen the directory; True when resuming."""
        resuming = self.exists
        for sub in ("calls", "candidates", "best"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        if resuming:
            self._load_calls()
            self.replaying = True
        atomic_write(self.root / "config.json", json.dumps(config, indent=2, default=str))
        atomic_write(self.root / "task.json", json.dumps(task, indent=2, default=str))
        self._events = (self.root / "events.jsonl").open("a", buffering=1)
        return resuming

    def close(self) -> None:
        if self._events:
            self._events.close()
            self._events = None

    def previous_task(self) -> str | None:
        try:
            return json.loads((self.root / "task.json").read_text()).get("name")
        except (OSError, json.JSONDecodeError):
            return None

    # -- events ----------------------------------------------------------------------------------
    def event(self, event: str, /, **data: Any) -> dict[str, Any]:
        ev = {"ts": round(time.time(), 3), "event": event, **data}
        if self._events and not self.replaying:
            self._events.write(json.dumps(ev, default=str) + "\n")
        return ev

    # -- model calls (CallStore) -----------------------------------------------------------------
    def _load_calls(self) -> None:
        for p in sorted((self.root / "calls").glob("*.json")):
            try:
                rec = json.loads(p.read_text())
            except json.JSONDecodeError:
                continue
            c = rec["completion"]
            self._calls[rec["key"]] = Completion(**{k: c[k] for k in Completion.__dataclass_fields__ if k in c})
            self._n_calls += 1

    def lookup_call(self, key: str) -> Completion | None:
        hit = self._calls.get(key)
        if hit is None:
            self.replaying = False
        return hit

    def record_call(self, key: str, request: Request, completion: Completion) -> None:
        self._n_calls += 1
        self._calls[key] = completion
        rec = {"schema_version": SCHEMA_VERSION, "key": key, "request": asdict(request), "completion": asdict(completion)}
        atomic_write(self.root / "calls" / f"{self._n_calls:04d}-{request.role}.json", json.dumps(rec, indent=1))

    # -- candidates ------------------------------------------------------------------------------
    def candidate_dir(self, cid: str) -> Path:
        return self.root / "candidates" / cid

    def cached_verdict(self, cid: str, source: str) -> Verdict | None:
        p = self.candidate_dir(cid) / "verdict.json"
        if not p.exists():
            self.replaying = False
            return None
        try:
            rec = json.loads(p.read_text())
        except json.JSONDecodeError:
            self.replaying = False
            return None
        if rec.get("source_sha256") != source_hash(source):
            self.replaying = False
            return None
        return Verdict.model_validate(rec["verdict"])

    def save_candidate(self, cid: str, source: str, suffix: str, verdict: Verdict, lineage: dict[str, Any]) -> Path:
        d = self.candidate_dir(cid)
        d.mkdir(parents=True, exist_ok=True)
        src = d / f"source{suffix}"
        _write_source(src, source)
        for stage in verdict.stages:
            for name, text in stage.artifacts.items():
                (d / name).write_text(text)
        rec = {"schema_version": SCHEMA_VERSION, "id": cid, "source_sha256": source_hash(source), **lineage,
               "verdict": verdict.model_dump(mode="json")}
        atomic_write(d / "verdict.json", json.dumps(rec, indent=2))
        return src

    def save_best(self, cid: str, source: str, suffix: str, verdict: Verdict) -> Path:
        best = self.root / "best"
        best.mkdir(exist_ok=True)
        for old in best.glob("source.*"):
            old.unlink()
        path = best / f"source{suffix}"
        _write_source(path, source)
        atomic_write(best / "verdict.json", json.dumps({"id": cid, "verdict": verdict.model_dump(mode="json")}, indent=2))
        return path

    # -- head-to-head timings and standings (the supervisor's CandidateStore) -----------------------
    def cached_duel(self, champion: str, challenger: str) -> Timing | None:
        try:
            rec = json.loads((self.candidate_dir(challenger) / "duel.json").read_text())
        except (OSError, json.JSONDecodeError):
            self.replaying = False
            return None
        if rec.get("champion") != champion or rec.get("timing") is None:
            self.replaying = False
            return None
        return Timing.model_validate(rec["timing"])

    def save_duel(self, champion: str, challenger: str, timing: Timing | None, reason: str) -> None:
        d = self.candidate_dir(challenger)
        d.mkdir(parents=True, exist_ok=True)
        rec = {"schema_version": SCHEMA_VERSION, "champion": champion, "challenger": challenger, "reason": reason,
               "timing": timing.model_dump(mode="json") if timing else None}
        atomic_write(d / "duel.json", json.dumps(rec, indent=2))

    def save_standings(self, standings: dict[str, Any]) -> None:
        atomic_write(self.root / "standings.json",
                      json.dumps({"schema_version": SCHEMA_VERSION, **standings}, indent=2))

    # -- baseline --------------------------------------------------------------------------------
    def load_baseline(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.root / "baseline.json").read_text())
        except (OSError, json.JSONDecodeError):
            return None

    def save_baseline(self, baseline: dict[str, Any]) -> None:
        atomic_write(self.root / "baseline.json", json.dumps(baseline, indent=2))

    # -- summary ---------------------------------------------------------------------------------
    def write_summary(self, summary: dict[str, Any]) -> None:
        atomic_write(self.root / "summary.json", json.dumps({"schema_version": SCHEMA_VERSION, **summary}, indent=2))

    def read_summary(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.root / "summary.json").read_text())
        except (OSError, json.JSONDecodeError):
            return None
