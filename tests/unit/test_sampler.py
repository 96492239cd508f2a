"""The timing sampler plans its batches from what it has seen; the processes it owes get a whole batch."""

from __future__ import annotations

import time

from mapforge.config import TimingConfig
from mapforge.evaluators.sampler import Batch, Sampler


def test_owed_processes_get_a_whole_batch_when_start_up_eats_the_budget() -> None:
    """A process that spends longer starting than the whole time budget (a GPU process importing torch) must
    still time ``batch_seconds`` of calls: before, the later owed processes were cut to three pairs each."""
    cfg = TimingConfig(min_pairs=6, max_pairs=400, max_seconds=0.2, batch_seconds=0.05, min_processes=3,
                       target_rel_ci=0.01)
    call = 0.001  # seconds each side's call "takes"
    asked: list[int] = []

    def run_batch(reps: int) -> Batch:
        asked.append(reps)
        time.sleep(0.25)  # start-up: longer than the whole max_seconds
        return Batch(ref=[call] * reps, cand=[call * 1.01] * reps, wall=0.25 + reps * 2 * call)

    got = Sampler(cfg, 0.01).run(run_batch, est_pair_seconds=2 * call)
    assert len(asked) == 3 and got.processes == 3  # the budget is spent: no process past the owed ones
    assert all(r >= 8 for r in asked), asked  # each a batch of ~0.05 s of pairs (at most 3x the calls each)
    assert got.pairs == sum(asked)


def test_past_the_owed_processes_the_budget_decides() -> None:
    cfg = TimingConfig(min_pairs=6, max_pairs=400, max_seconds=0.3, batch_seconds=0.05, min_processes=2,
                       target_rel_ci=1e-9)  # never tight enough: only the budget stops it
    n = 0

    def run_batch(reps: int) -> Batch:
        nonlocal n
        n += 1
        time.sleep(0.02 + reps * 0.002)  # start-up, then the pairs
        jitter = 1 + 0.01 * (n % 3)
        return Batch(ref=[0.001 * jitter] * reps, cand=[0.001] * reps, wall=0.02 + reps * 0.002)

    got = Sampler(cfg, 0.01).run(run_batch, est_pair_seconds=0.002)
    assert 2 < got.processes <= 6  # past the owed two, batches go on only while the 0.3 s budget lasts
