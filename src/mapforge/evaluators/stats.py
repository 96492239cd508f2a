"""Distribution-free statistics for timings: the median and its order-statistic confidence interval."""

from __future__ import annotations

import math
from collections.abc import Sequence


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
