"""The timing sampler: adaptive batches of interleaved (baseline, candidate) pairs, one process per batch.

It knows nothing about what is timed: a target hands it a ``run_batch(reps)`` that runs one fresh process
and returns that process's per-pair times (or a failed stage). The sampler plans batch sizes from what
it has seen, insists on at least ``min_processes`` processes so the interval spans memory-layout luck,
and stops when the 95% interval of the median per-pair ratio is tight or the budget is spent.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from mapforge.config import TimingConfig
from mapforge.evaluators.stats import balanced_median, median
from mapforge.evaluators.verdict import StageResult, Timing


@dataclass(frozen=True)
class Batch:
    """One process's interleaved pairs: ``ref[i]`` and ``cand[i]`` were timed side by side."""

    ref: list[float]
    cand: list[float]
    wall: float
    """Wall-clock seconds the whole process took (start-up and checking included), to plan the next."""
    stratum: int = 0
    """The arrangement this process ran (e.g. which instance it built first): each counts once in the estimate."""

    @property
    def ratios(self) -> list[float]:
        return [a / max(b, 1e-12) for a, b in zip(self.ref, self.cand)]


RunBatch = Callable[[int], "Batch | StageResult"]


class Sampler:
    def __init__(self, cfg: TimingConfig, min_effect: float) -> None:
        self.cfg = cfg
        self.min_effect = min_effect

    def _reps(self, batches: list[Batch], est_pair: float, started: float) -> int:
        cfg = self.cfg
        done = sum(len(b.ref) for b in batches)
        if batches:
            # wall time per pair, but never more than three times the pair's own calls: a process's start-up
            # (seconds, for torch) must not shrink every later batch to a handful of pairs
            calls = median([b.ref[i] + b.cand[i] for b in batches for i in range(len(b.ref))])
            est_pair = max(min(sum(b.wall for b in batches) / max(done, 1), 3 * calls), 1e-6)
        # keep room for the processes still owed, within the time budget and the pair cap; a process that is
        # owed (one of the first ``min_processes``) gets a whole batch of calls even when start-ups have spent
        # the budget (a GPU process spends seconds importing torch and building inputs: counting that against
        # the budget left each of them three pairs, and the interval as wide as three pairs make it)
        owed = max(cfg.min_processes - len(batches), 1)
        if len(batches) < cfg.min_processes:
            seconds = cfg.batch_seconds
        else:
            left = max(cfg.max_seconds - (time.monotonic() - started), cfg.batch_seconds / 4)
            seconds = min(cfg.batch_seconds, left / owed)
        reps = int(seconds / est_pair) if est_pair > 0 else 3
        cap = max((cfg.max_pairs - done) // owed, 1)
        return max(min(reps, cap, 2000), 3 if done < cfg.max_pairs else 1)

    def run(self, run_batch: RunBatch, est_pair_seconds: float) -> Timing | StageResult:
        """Sample until done; a failed batch's StageResult is returned as it is."""
        cfg = self.cfg
        started = time.monotonic()
        batches: list[Batch] = []
        while True:
            got = run_batch(self._reps(batches, est_pair_seconds, started))
            if isinstance(got, StageResult):
                return got
            batches.append(got)
            n = sum(len(b.ref) for b in batches)
            enough_processes = len(batches) >= cfg.min_processes
            if not enough_processes:
                continue
            if n >= cfg.max_pairs or time.monotonic() - started > cfg.max_seconds:
                break
            if n >= cfg.min_pairs:
                m, (lo, hi) = balanced_median([b.ratios for b in batches], [b.stratum for b in batches])
                if m > 0 and (hi - lo) / (2 * m) < cfg.target_rel_ci:
                    break
        ratios = [b.ratios for b in batches]
        speedup, ci = balanced_median(ratios, [b.stratum for b in batches])
        return Timing(
            speedup=speedup,
            speedup_ci=ci,
            seconds=median([t for b in batches for t in b.cand]),
            baseline_seconds=median([t for b in batches for t in b.ref]),
            pairs=sum(len(rs) for rs in ratios),
            processes=len(batches),
            min_effect=self.min_effect,
        )
