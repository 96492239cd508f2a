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


def test_one_arrangement_keeps_the_pooled_median_and_its_interval() -> None:
    from mapforge.evaluators.stats import balanced_median, median, process_median_ci

    groups = [[1.0, 1.02, 0.99, 1.01], [1.03, 1.0, 1.01], [0.98, 1.0, 1.02, 1.04, 1.0]]
    m, ci = balanced_median(groups)
    assert m == median([x for g in groups for x in g])
    assert ci == process_median_ci(groups)


def test_alternating_arrangements_count_once_each_whatever_their_pair_counts() -> None:
    """An A/A where the instance built second runs 1.5% faster: processes alternate the build order, so
    their ratios form two clusters. Pooled, the cluster with more pairs wins (the layernorm A/A read 0.989x);
    balanced, each order counts once and the estimate is the truth, 1.0."""
    from mapforge.evaluators.stats import balanced_median, median

    low = [0.985 + 0.0005 * (i % 3) for i in range(12)]   # ref built first: the candidate's instance is faster
    high = [1.0 / x for x in low]
    groups, strata = [low, high[:4], low[:9], high[:5]], [0, 1, 0, 1]
    pooled = median([x for g in groups for x in g])
    assert pooled < 0.99  # the bias the design was meant to cancel
    m, (lo, hi) = balanced_median(groups, strata)
    assert abs(m - 1.0) < 1e-3
    assert lo <= m <= hi and hi - lo < 0.01  # both orders seen in every resample: a tight interval


def test_the_sampler_weighs_each_stratum_once() -> None:
    cfg = TimingConfig(min_pairs=6, max_pairs=400, max_seconds=0.001, batch_seconds=0.01, min_processes=4,
                       target_rel_ci=1e-9)
    n = 0

    def run_batch(reps: int) -> Batch:
        nonlocal n
        order = n % 2
        n += 1
        r = 1.015 if order else 1 / 1.015
        k = 20 if order == 0 else 5  # the first order gets four times the pairs
        return Batch(ref=[0.001 * r] * k, cand=[0.001] * k, wall=0.01, stratum=order)

    got = Sampler(cfg, 0.01).run(run_batch, est_pair_seconds=0.002)
    assert got.processes == 4
    assert abs(got.speedup - 1.0) < 1e-9
