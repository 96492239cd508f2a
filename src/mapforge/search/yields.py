"""Does the debugger earn its turn? Correct code per token, the debugger's against the coder's.

A repair and a fresh coder call compete for the same tokens. A capable model's repairs mostly succeed; the
embedded models' did not: over every loop run recorded in ``bench-runs/`` before the ninth session, 34
debugger calls (~1.7k tokens each) gave 27 repeats of the code they were asked to fix and 7 new candidates,
none of them correct, while the coder's calls gave a correct candidate in 15 of 78 (the ninth session's 29
repairs: none correct either; bench/RESULTS.md).

So after ``trial`` repairs (``agents.repair_trial``; None: always repair, up to ``agents.debug_rounds``) the
debugger keeps its turn only while its correct candidates per token beat the coder's, each role granted one
success more than it had: (repaired + 1) / repair tokens > (coded + 1) / coder tokens. Otherwise it is
retired for the rest of the job. The granted success makes the rule fair where neither role has succeeded
yet (the cheaper role gets the tokens: a repair prompt carries the failing code and its verdict and costs
about twice a coder call), and it lets a retired debugger back in once the coder's tokens per success grow
past the debugger's. The counts are this job's plus the same models' earlier jobs, kept in a
:class:`YieldLedger` (``~/.cache/mapforge/yields.json``): a job is too short to learn that a model's repairs
do not pay (about two repairs in 8000 tokens), a model's history is not. The ledger holds counts of calls,
correct candidates and tokens per model and job, nothing about any task.
"""

from __future__ import annotations

import fcntl
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from mapforge.files import atomic_write


@dataclass
class Tally:
    """Repairs and coder candidates, with the tokens each role spent: one job's, or a model's history."""

    repairs: int = 0
    """Debugger calls that ended: a judged candidate, a repeat of judged code, or no usable code."""
    repaired: int = 0
    """Of those, the candidates judged correct."""
    repair_tokens: int = 0
    coded: int = 0
    """Coder candidates judged correct."""
    coder_tokens: int = 0
    jobs: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Tally)))


@dataclass
class RepairYield:
    trial: int | None
    """Repairs the debugger gets before it must pay its way (None: it always gets its rounds)."""
    prior: Tally = field(default_factory=Tally)
    """The same models' earlier jobs (:meth:`YieldLedger.prior`)."""
    counts: Tally = field(default_factory=lambda: Tally(jobs=1))
    """This job's results (its tokens are the LLM's usage, passed in when asked)."""
    retired: bool = False

    def coder_result(self, correct: bool) -> None:
        self.counts.coded += correct

    def repair_result(self, correct: bool) -> None:
        self.counts.repairs += 1
        self.counts.repaired += correct

    def job(self, debugger_tokens: int, coder_tokens: int) -> Tally:
        return replace(self.counts, repair_tokens=debugger_tokens, coder_tokens=coder_tokens)

    def may_repair(self, debugger_tokens: int, coder_tokens: int) -> bool:
        """Whether the debugger gets the next repair, given the tokens each role has spent in this job. Once
        it is refused it stays retired for the job."""
        if self.retired:
            return False
        t = self.prior + self.job(debugger_tokens, coder_tokens)
        if self.trial is None or t.repairs < self.trial:
            return True
        # (repaired + 1) / repair_tokens <= (coded + 1) / coder_tokens, without dividing by zero
        self.retired = (t.repaired + 1) * max(t.coder_tokens, 1) <= (t.coded + 1) * max(t.repair_tokens, 1)
        return not self.retired

    def describe(self, debugger_tokens: int, coder_tokens: int) -> str:
        job = self.job(debugger_tokens, coder_tokens)
        said = (f"{job.repaired} of its {job.repairs} repairs were correct ({job.repair_tokens} tokens), against "
                f"{job.coded} correct candidates from the coder ({job.coder_tokens} tokens)")
        p = self.prior
        if p.jobs:
            said += (f"; in {p.jobs} earlier jobs of these models, {p.repaired} of {p.repairs} repairs "
                     f"({p.repair_tokens} tokens) against {p.coded} correct coder candidates ({p.coder_tokens} "
                     "tokens)")
        return said


def yields_file(configured: str | None) -> Path:
    """Where the ledger lives: the configured file, else ~/.cache/mapforge/yields.json."""
    return Path(configured or "~/.cache/mapforge/yields.json").expanduser()


class YieldLedger:
    """Each model's repair yields, job by job: ``{model: {job: {repairs, repaired, repair_tokens, coded,
    coder_tokens}}}``. A job's entry is replaced when it is written again (a resumed job counts once); the
    debugger's counts go under the debugger's model and the coder's under the coder's. Jobs that share the file
    (a bench's parallel units) write under a lock. An unreadable file is an empty history, never an error:
    the ledger only decides where tokens go."""

    REPAIR = ("repairs", "repaired", "repair_tokens")
    CODER = ("coded", "coder_tokens")

    def __init__(self, path: Path, job: str) -> None:
        self.path, self.job = path, job

    def _read(self) -> dict[str, dict[str, dict[str, int]]]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def prior(self, debugger_model: str, coder_model: str) -> Tally:
        """The two models' history, this job's own entry left out."""
        data, out = self._read(), Tally()
        jobs: set[str] = set()
        for model, keys in ((debugger_model, self.REPAIR), (coder_model, self.CODER)):
            entries = data.get(model)
            for job, counts in (entries.items() if isinstance(entries, dict) else ()):
                if job == self.job or not isinstance(counts, dict) or not any(k in counts for k in keys):
                    continue
                jobs.add(job)
                for k in keys:
                    v = counts.get(k, 0)
                    if isinstance(v, int) and v >= 0:
                        setattr(out, k, getattr(out, k) + v)
        out.jobs = len(jobs)
        return out

    def record(self, debugger_model: str, coder_model: str, job: Tally) -> None:
        """Write (or replace) this job's entry. Best effort: a ledger that cannot be written is skipped."""
        counts = asdict(job)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                data = self._read()
                for model, keys in ((debugger_model, self.REPAIR), (coder_model, self.CODER)):
                    if not isinstance(data.get(model), dict):
                        data[model] = {}
                    if not isinstance(data[model].get(self.job), dict):
                        data[model][self.job] = {}
                    data[model][self.job].update({k: counts[k] for k in keys})
                atomic_write(self.path, json.dumps(data, indent=1, sort_keys=True))
        except OSError:
            pass
