"""The seam between the supervisor and the run directory: what the search reads and writes.

``mapforge.runs.record.RunRecord`` satisfies :class:`CandidateStore`; tests may pass any object that does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from mapforge.evaluators.verdict import Timing, Verdict


class CandidateStore(Protocol):
    def cached_verdict(self, cid: str, source: str) -> Verdict | None:
        """The verdict recorded for ``cid`` when its source is ``source`` (a resumed job), else None."""
        ...

    def save_candidate(self, cid: str, source: str, suffix: str, verdict: Verdict,
                       lineage: dict[str, Any]) -> Path: ...

    def save_best(self, cid: str, source: str, suffix: str, verdict: Verdict) -> Path: ...

    def load_baseline(self) -> dict[str, Any] | None:
        """The job's baseline: ``seconds``, ``aa_speedup``, ``aa_ci`` (None before it was measured)."""
        ...

    def cached_duel(self, champion: str, challenger: str) -> Timing | None:
        """A head-to-head timing recorded earlier (a resumed job does not time it again)."""
        ...

    def save_duel(self, champion: str, challenger: str, timing: Timing | None, reason: str) -> None: ...

    def save_standings(self, standings: dict[str, Any]) -> None:
        """Every candidate's standing against the reference and the best (``standings.json``)."""
        ...
