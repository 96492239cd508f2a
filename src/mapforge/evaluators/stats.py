"""Distribution-free statistics: for timings the median and its order-statistic confidence interval; for pass
rates a proportion's interval and the paired sign test."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any


def median(xs: Sequence[float]) -> float:
    s = sorted(xs)
    n = len(s)
    if n == 0:
        raise ValueError("median of no values")
    mid = n // 2
    return s[mid] if n % 2 else 0.5 * (s[mid - 1] + s[mid])


def _binom_cdf(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2)."""
    if k < 0:
        return 0.0
    total = 0.0
    log_half_n = n * math.log(0.5)
    for i in range(0, min(k, n) + 1):
        total += math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + log_half_n)
    return min(total, 1.0)


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test (McNemar's exact test on paired outcomes): the chance of a split of the
    discordant pairs at least this uneven if each were a coin toss. 1.0 when there are none."""
    n = wins + losses
    return min(1.0, 2 * _binom_cdf(min(wins, losses), n)) if n else 1.0


def wilson_ci(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of the proportion k/n (95% by default): sound at 0 and n, unlike k/n +- z*se."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return (max(0.0, centre - half), min(1.0, centre + half))


def median_ci(xs: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval for the median from order statistics (no distributional assumption).

    With fewer than 6 values no 95% interval exists; the full range is returned.
    """
    s = sorted(xs)
    n = len(s)
    if n == 0:
        raise ValueError("interval of no values")
    alpha = 1.0 - confidence
    # largest j with P(X <= j-1) <= alpha/2: interval [s[j-1], s[n-j]] (1-based ranks j and n-j+1)
    j = 0
    while j + 1 <= n and _binom_cdf(j, n) <= alpha / 2:
        j += 1
    if j == 0:
        return s[0], s[-1]
    return s[j - 1], s[n - j]


def relative_halfwidth(xs: Sequence[float]) -> float:
    lo, hi = median_ci(xs)
    m = median(xs)
    return (hi - lo) / (2 * m) if m > 0 else math.inf


def process_median_ci(batches: Sequence[Sequence[float]], confidence: float = 0.95, rounds: int = 2000,
                      seed: int = 0) -> tuple[float, float]:
    """Confidence interval for the median of values measured in several processes (one batch each).

    Values from one process share its memory layout, alignment and page placement, which alone move
    timings by more than 10%; pairs within a process are not independent draws of that luck. This is a
    two-level bootstrap: resample whole processes with replacement, then values within each chosen process,
    and take the percentile interval of the pooled median. With one process it is the order-statistic
    interval. Deterministic for a given ``seed``.
    """
    import numpy as np

    groups = [np.asarray(b, dtype=np.float64) for b in batches if len(b)]
    if not groups:
        raise ValueError("interval of no values")
    if len(groups) == 1:
        return median_ci(groups[0].tolist(), confidence)
    rng = np.random.default_rng(seed)
    meds = np.array([_resampled_median(rng, groups) for _ in range(rounds)])
    alpha = (1.0 - confidence) / 2
    lo, hi = np.quantile(meds, [alpha, 1.0 - alpha])
    return float(lo), float(hi)


def _resampled_median(rng: Any, groups: Sequence[Any]) -> float:
    """One bootstrap draw: processes chosen with replacement, then values within each; the pooled median."""
    import numpy as np

    chosen = rng.integers(0, len(groups), size=len(groups))
    return float(np.median(np.concatenate([groups[i][rng.integers(0, len(groups[i]), size=len(groups[i]))]
                                           for i in chosen])))


def balanced_median(batches: Sequence[Sequence[float]], strata: Sequence[int] | None = None,
                    confidence: float = 0.95, rounds: int = 2000, seed: int = 0
                    ) -> tuple[float, tuple[float, float]]:
    """The median ratio and its interval for processes that ran in different arrangements (``strata``).

    A design that alternates an arrangement between processes (which of two instances was built first, and
    so where each landed in memory) turns a fixed bias into two clusters of values. Pooling them puts the
    median in whichever cluster happened to get more pairs: an A/A of layernorm read 0.989x, one cluster at
    0.985 and one at 1.015. Here each arrangement counts once: the estimate is the geometric mean of each
    stratum's pooled median, and the interval a bootstrap that resamples processes within their stratum.
    With one stratum it is the pooled median and :func:`process_median_ci`, unchanged.
    """
    import numpy as np

    strata = list(strata) if strata is not None else [0] * len(batches)
    if len(strata) != len(batches):
        raise ValueError("one stratum per batch")
    by: dict[int, list[Any]] = {}
    for s, b in zip(strata, batches):
        if len(b):
            by.setdefault(s, []).append(np.asarray(b, dtype=np.float64))
    if not by:
        raise ValueError("interval of no values")
    if len(by) == 1:
        return median([x for b in batches for x in b]), process_median_ci(batches, confidence, rounds, seed)

    def combine(meds: list[float]) -> float:
        return float(np.exp(np.mean(np.log(np.maximum(meds, 1e-300)))))

    estimate = combine([float(np.median(np.concatenate(gs))) for gs in by.values()])
    rng = np.random.default_rng(seed)
    boot = np.array([combine([_resampled_median(rng, gs) for gs in by.values()]) for _ in range(rounds)])
    alpha = (1.0 - confidence) / 2
    lo, hi = np.quantile(boot, [alpha, 1.0 - alpha])
    return estimate, (float(lo), float(hi))
