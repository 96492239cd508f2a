"""Does each optional role earn its turn? Useful code per token, a role's against the coder's alone.

Two roles spend tokens the coder could spend on fresh candidates, and each keeps its turn only while its
yield per token beats the coder's, counted over this job and the same models' earlier jobs (a
:class:`YieldLedger`, ``~/.cache/mapforge/yields.json``: a job is too short to learn that a model's repairs
or plans do not pay, a model's history is not). The ledger holds counts of calls, candidates and tokens per
model and job, nothing about any task.

**The debugger** (``agents.repair_trial``). A repair and a fresh coder call compete for the same tokens. A
capable model's repairs mostly succeed; the embedded models' did not: over every loop run recorded in
``bench-runs/`` before the ninth session, 34 debugger calls (~1.7k tokens each) gave 27 repeats of the code
they were asked to fix and 7 new candidates, none of them correct, while the coder's calls gave a correct
candidate in 15 of 78 (bench/RESULTS.md). So after ``trial`` repairs (None: always repair, up to
``agents.debug_rounds``) the debugger keeps its turn only while (repaired + 1) / repair tokens >
(coded + 1) / coder tokens; otherwise it is retired for the rest of the job.

**The planner** (``agents.plan_yield``, with ``agents.free_plan``). A round of plans costs a planner call
(~1.3k tokens with the 1.5B, 30% of the loop's tokens in the tenth session) before any code is written; the
free plan ("make it faster", no technique named) costs nothing but its coder call. A candidate *gains* when
it is correct and significantly faster than the reference (its whole interval above 1 and above the job's
noise floor: a point estimate above 1 is a coin toss for code as fast as the reference). The planner plans the
next round while (planned gains + 1) / (planner tokens + its plans' coder tokens) > (free gains + 1) / the
free plan's coder tokens; otherwise the round codes the free plan from as many parents as a planned round
has plans. The rule is asked again each round, so where neither side has gained the two get about equal
tokens, and a side that gains gets more. Measured in the eleventh session (eight held-out TSVC loops, the
1.5B): the planner sat out 7 of 14 rounds, its share of the tokens fell from 31% to 19%, and the loop judged
37 candidates where it had judged 31.

Each rule grants both sides one success more than they had: that makes it fair where neither has succeeded
yet (the cheaper side gets the tokens), and it lets a retired role back in once the other side's tokens per
success grow past its own.
"""

from __future__ import annotations

import fcntl
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from mapforge.files import atomic_write


@dataclass
class Tally:
    """What each role made with the tokens it spent: one job's, or a model's history."""

    repairs: int = 0
    """Debugger calls that ended: a judged candidate, a repeat of judged code, or no usable code."""
    repaired: int = 0
    """Of those, the candidates judged correct."""
    repair_tokens: int = 0
    coded: int = 0
    """Coder candidates judged correct."""
    coder_tokens: int = 0
    jobs: int = 0
    planned: int = 0
    """Coder candidates judged from the planner's plans."""
    planned_gains: int = 0
    """Of those, correct and significantly faster than the reference."""
    plan_tokens: int = 0
    """The planner's (and its verifier's) tokens plus the coder's tokens for the planner's plans."""
    free: int = 0
    """Coder candidates judged from the free plan."""
    free_gains: int = 0
    free_tokens: int = 0
    """The coder's tokens for the free plan."""

    def __add__(self, other: Tally) -> Tally:
        return Tally(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(Tally)))


@dataclass(frozen=True)
class Spent:
    """Tokens this job's roles have spent so far (the LLM's usage; ``planner`` includes its verifier)."""

    debugger: int = 0
    coder: int = 0
    planner: int = 0


@dataclass
class Yields:
    trial: int | None
    """Repairs the debugger gets before it must pay its way (None: it always gets its rounds)."""
    prior: Tally = field(default_factory=Tally)
    """The same models' earlier jobs (:meth:`YieldLedger.prior`)."""
    counts: Tally = field(default_factory=lambda: Tally(jobs=1))
    """This job's results; its role tokens are the LLM's usage, passed in as :class:`Spent` when asked."""
    retired: bool = False
    """The debugger was refused a repair: it sits out the rest of the job."""
    compare_plans: bool = True
    """Free plans are on, so the planner's tokens are counted against them (off: the planner's tokens are
    not the ledger's business, and a later job with free plans does not inherit them)."""

    def coder_result(self, correct: bool, planned: bool | None = None, gain: bool = False) -> None:
        """A coder candidate's verdict; ``planned``: from the planner's plan (True), the free plan (False), or
        not part of the comparison (None: free plans are off)."""
        self.counts.coded += correct
        if planned is True:
            self.counts.planned += 1
            self.counts.planned_gains += gain
        elif planned is False:
            self.counts.free += 1
            self.counts.free_gains += gain

    def coder_spent(self, planned: bool, tokens: int) -> None:
        """Coder tokens spent on one plan (its retries included)."""
        if planned:
            self.counts.plan_tokens += tokens
        else:
            self.counts.free_tokens += tokens

    def repair_result(self, correct: bool) -> None:
        self.counts.repairs += 1
        self.counts.repaired += correct

    def job(self, spent: Spent) -> Tally:
        return replace(self.counts, repair_tokens=spent.debugger, coder_tokens=spent.coder,
                       plan_tokens=self.counts.plan_tokens + (spent.planner if self.compare_plans else 0))

    def may_repair(self, spent: Spent) -> bool:
        """Whether the debugger gets the next repair. Once it is refused it stays retired for the job."""
        if self.retired:
            return False
        t = self.prior + self.job(spent)
        if self.trial is None or t.repairs < self.trial:
            return True
        # (repaired + 1) / repair_tokens <= (coded + 1) / coder_tokens, without dividing by zero
        self.retired = (t.repaired + 1) * max(t.coder_tokens, 1) <= (t.coded + 1) * max(t.repair_tokens, 1)
        return not self.retired

    def may_plan(self, spent: Spent) -> bool:
        """Whether the planner plans the next round: always until its plans have been judged once (in this
        job or the models' history), then while its gains per token beat the free plan's."""
        t = self.prior + self.job(spent)
        if not t.planned or not t.free:
            return True
        return (t.planned_gains + 1) * max(t.free_tokens, 1) > (t.free_gains + 1) * max(t.plan_tokens, 1)

    def describe(self, spent: Spent) -> str:
        """The debugger's counts, for the line that retires it."""
        job = self.job(spent)
        said = (f"{job.repaired} of its {job.repairs} repairs were correct ({job.repair_tokens} tokens), against "
                f"{job.coded} correct candidates from the coder ({job.coder_tokens} tokens)")
        p = self.prior
        if p.jobs:
            said += (f"; in {p.jobs} earlier jobs of these models, {p.repaired} of {p.repairs} repairs "
                     f"({p.repair_tokens} tokens) against {p.coded} correct coder candidates ({p.coder_tokens} "
                     "tokens)")
        return said

    def describe_plans(self, spent: Spent) -> str:
        """The planner's counts against the free plan's, for the line that says it sits out a round."""
        def side(t: Tally) -> str:
            return (f"{t.planned_gains} of {t.planned} candidates from plans gained ({t.plan_tokens} tokens), "
                    f"{t.free_gains} of {t.free} from the free plan ({t.free_tokens} tokens)")

        said = f"in this job {side(self.job(spent))}"
        if self.prior.jobs:
            said += f"; in {self.prior.jobs} earlier jobs of these models {side(self.prior)}"
        return said


def yields_file(configured: str | None) -> Path:
    """Where the ledger lives: the configured file, else ~/.cache/mapforge/yields.json."""
    return Path(configured or "~/.cache/mapforge/yields.json").expanduser()


#: Which role's model each field is kept under: a role's results depend on the model that played it.
KEYS: dict[str, tuple[str, ...]] = {
    "debugger": ("repairs", "repaired", "repair_tokens"),
    "coder": ("coded", "coder_tokens", "free", "free_gains", "free_tokens"),
    "planner": ("planned", "planned_gains", "plan_tokens"),
}


class YieldLedger:
    """Each model's yields, job by job: ``{model: {job: {field: count}}}``, each field under the model of the
    role it measures (:data:`KEYS`). A job's entry is replaced when it is written again (a resumed job counts
    once). Jobs that share the file (a bench's parallel units) write under a lock. An unreadable file is an
    empty history, never an error: the ledger only decides where tokens go. ``models`` maps a role to its
    model; a role left out falls back to the coder's."""

    #: Jobs kept per model, the newest: the history follows the model as prompts and tasks change, and the
    #: file stays small (~150 bytes a job).
    KEEP = 200

    def __init__(self, path: Path, job: str, keep: int = KEEP) -> None:
        self.path, self.job, self.keep = path, job, keep

    def _read(self) -> dict[str, dict[str, dict[str, int]]]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _models(models: Mapping[str, str]) -> list[tuple[str, tuple[str, ...]]]:
        return [(models.get(role, models["coder"]), keys) for role, keys in KEYS.items()]

    def prior(self, models: Mapping[str, str]) -> Tally:
        """The models' history, this job's own entry left out."""
        data, out = self._read(), Tally()
        jobs: set[str] = set()
        for model, keys in self._models(models):
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

    def record(self, models: Mapping[str, str], job: Tally) -> None:
        """Write (or replace) this job's entry, newest last, dropping a model's oldest jobs beyond ``keep``.
        Best effort: a ledger that cannot be written is skipped."""
        counts = asdict(job)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.path.with_name(self.path.name + ".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                data = self._read()
                for model, keys in self._models(models):
                    if not isinstance(data.get(model), dict):
                        data[model] = {}
                    if not isinstance(data[model].get(self.job), dict):
                        data[model][self.job] = {}
                    data[model][self.job].update({k: counts[k] for k in keys})
                    data[model][self.job] = data[model].pop(self.job)  # the newest goes last
                    for old in list(data[model])[:-self.keep]:
                        del data[model][old]
                atomic_write(self.path, json.dumps(data, indent=1))
        except OSError:
            pass
