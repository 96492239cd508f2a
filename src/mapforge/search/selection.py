"""Significant selection: the reference is the first best, and a candidate takes the place of the best only
when it is significantly faster than it, timed head to head in one process by the harness.

A candidate's verdict says how it compares with the *reference*; two candidates' medians from different
runs do not say which of them is faster (a noisy 1.06x [0.95, 1.15] is not better than a steady 1.05x
[1.04, 1.06]). So a challenger must first be a significant win over the reference (``Verdict.improved``),
and then, when there already is a best candidate, win a *duel*: ``head_to_head(best, challenger)`` with its
interval above 1 and past the job's noise floor. Duels are only run when the challenger could plausibly
win (the top of its interval against the reference reaches past the best's median); the rest are recorded
as "not faster than the best" without spending harness time. Without a duel function (solve tasks, or
``search.head_to_head = false``) a challenger wins only when its whole interval lies above the best's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mapforge.evaluators.verdict import StageResult, Timing, Verdict
from mapforge.search.store import CandidateStore

Duel = Callable[[str, str], "Timing | StageResult"]
"""``duel(champion_source, challenger_source)``: a timing with speedup > 1 when the challenger is faster."""


@dataclass
class Entrant:
    """What selection needs of a candidate."""

    id: str
    source: str
    verdict: Verdict


@dataclass
class Standing:
    """One candidate's standing: against the reference (its verdict) and against the best it challenged."""

    id: str
    status: str
    speedup: float | None = None
    speedup_ci: tuple[float, float] | None = None
    vs_reference: str = "failed"
    """``faster`` | ``no measurable change`` | ``slower`` | ``failed`` (not correct) | ``passed`` (solve)."""
    challenged: str | None = None
    """The best it was compared with (``reference`` when there was no best candidate yet)."""
    head_to_head: dict[str, Any] | None = None
    """The duel's timing: ``{speedup, speedup_ci, significant, pairs}``, or ``{error}`` when it failed."""
    became_best: bool = False
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "status": self.status, "speedup": self.speedup,
                "speedup_ci": list(self.speedup_ci) if self.speedup_ci else None, "vs_reference": self.vs_reference,
                "challenged": self.challenged, "head_to_head": self.head_to_head, "became_best": self.became_best,
                "note": self.note}


def _vs_reference(v: Verdict) -> str:
    if v.pass_rate is not None and v.timing is None:
        return "passed" if v.correct else "failed"
    if not v.correct or v.timing is None:
        return "failed"
    if not v.timing.significant:
        return "no measurable change"
    return "faster" if v.timing.speedup > 1 else "slower"


@dataclass
class Selection:
    """Keeps the best candidate by significant wins. ``best is None`` means the reference is still best."""

    kind: str
    store: CandidateStore
    duel: Duel | None = None
    reference_ci: tuple[float, float] | None = None
    """The job's A/A interval: the reference's own standing (1.0x)."""
    best: Entrant | None = None
    standings: list[Standing] = field(default_factory=list)
    duels: int = 0
    """Head-to-head timings run (not replayed) in this job."""

    def offer(self, cand: Entrant) -> Standing:
        """Judge ``cand`` against the best; it becomes the best only on a significant win. Always recorded."""
        v = cand.verdict
        t = v.timing
        st = Standing(cand.id, v.status, v.speedup, t.speedup_ci if t else None, _vs_reference(v))
        self.standings.append(st)
        if self.kind == "solve":
            prev = (self.best.verdict.pass_rate or 0) if self.best else 0
            st.challenged = self.best.id if self.best else None
            if (v.pass_rate or 0) > prev:
                self._crown(cand, st)
            return st
        if not v.improved or t is None:
            st.note = "not significantly faster than the reference"
            return st
        if self.best is None:
            st.challenged = "reference"
            self._crown(cand, st)
            return st
        champ = self.best
        ct = champ.verdict.timing
        assert ct is not None
        st.challenged = champ.id
        if t.speedup_ci[1] <= ct.speedup:
            st.note = (f"not faster than the best {champ.id}: its interval against the reference tops out at "
                       f"{t.speedup_ci[1]:.3f}x, below the best's {ct.speedup:.3f}x")
            return st
        if self.duel is None:
            if t.speedup_ci[0] > ct.speedup_ci[1]:
                st.note = "its interval against the reference lies wholly above the best's"
                self._crown(cand, st)
            else:
                st.note = f"its interval against the reference overlaps the best's ({champ.id})"
            return st
        got = self._duel(champ, cand)
        if isinstance(got, StageResult):
            st.head_to_head = {"error": got.reason}
            st.note = f"the head-to-head with {champ.id} failed: {got.reason}"
            return st
        st.head_to_head = {"speedup": got.speedup, "speedup_ci": list(got.speedup_ci),
                           "significant": got.significant, "pairs": got.pairs, "processes": got.processes}
        if got.significant and got.speedup > 1.0:
            st.note = f"significantly faster than {champ.id} head to head: {got.describe()}"
            self._crown(cand, st)
        else:
            st.note = f"not significantly faster than {champ.id} head to head: {got.describe()}"
        return st

    def _duel(self, champ: Entrant, cand: Entrant) -> Timing | StageResult:
        cached = self.store.cached_duel(champ.id, cand.id)
        if cached is not None:
            return cached
        assert self.duel is not None
        self.duels += 1
        got = self.duel(champ.source, cand.source)
        if isinstance(got, StageResult):
            self.store.save_duel(champ.id, cand.id, None, got.reason)
        else:
            self.store.save_duel(champ.id, cand.id, got, got.describe())
        return got

    def _crown(self, cand: Entrant, st: Standing) -> None:
        st.became_best = True
        self.best = cand

    def report(self) -> dict[str, Any]:
        """``standings.json`` / the summary's ``standings``: the reference first, then every candidate."""
        ref = {"id": "reference", "status": "correct", "speedup": 1.0,
               "speedup_ci": list(self.reference_ci) if self.reference_ci else None,
               "vs_reference": "no measurable change", "became_best": True,
               "note": "the initial best (its interval is the job's A/A self-test)"}
        return {"best": self.best.id if self.best else "reference", "head_to_head_runs": self.duels,
                "standings": [ref, *(s.as_dict() for s in self.standings)]}
