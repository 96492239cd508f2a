"""Output comparison (what counts as a wrong answer) and the order-statistic timing statistics."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from mapforge.evaluators.compare import MAX_SHOWN, compare_outputs
from mapforge.evaluators.stats import median, median_ci, relative_halfwidth
from mapforge.tasks.spec import Arg, Tolerance


def layout_for(*arrays_and_types: tuple[str, str, int]) -> list[tuple[Arg, np.dtype, int]]:
    out = []
    for name, ctype, count in arrays_and_types:
        a = Arg(name=name, type=f"{ctype}*", size="n")
        out.append((a, np.dtype(a.dtype), count))
    return out


TOL = Tolerance(rtol=1e-5, atol=1e-6)


# -- compare_outputs --------------------------------------------------------------------------------------
def test_identical_float_outputs_match() -> None:
    w = np.random.default_rng(0).uniform(-1, 1, 1000).astype(np.float32)
    assert compare_outputs(layout_for(("C", "float", 1000)), [w.copy()], [w], TOL) is None


def test_single_wrong_element_in_large_float_array() -> None:
    n = 1_000_000
    w = np.random.default_rng(1).uniform(-1, 1, n).astype(np.float32)
    g = w.copy()
    g[777_777] += np.float32(1e-3)  # far above atol + rtol*|w| (<= 1.1e-5), tiny relative to the array
    msg = compare_outputs(layout_for(("C", "float", n)), [g], [w], TOL)
    assert msg is not None
    assert f"differs at 1 of {n} elements" in msg
    assert "C[777777]" in msg
    assert "NaN" not in msg


def test_single_wrong_int_element() -> None:
    w = np.arange(100_000, dtype=np.int32)
    g = w.copy()
    g[31_337] += 1
    msg = compare_outputs(layout_for(("hist", "int", 100_000)), [g], [w], TOL)
    assert msg is not None and "differs at 1 of 100000" in msg and "hist[31337]" in msg


def test_ints_are_compared_exactly_despite_tolerance() -> None:
    w = np.full(10, 1_000_000, dtype=np.int64)
    g = w.copy()
    g[3] += 1  # within rtol=1e-5 of 1e6 if it were a float
    assert compare_outputs(layout_for(("x", "int64_t", 10)), [g], [w], Tolerance(rtol=1e-5, atol=1.0)) is not None


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_never_match(bad: float) -> None:
    w = np.zeros(64, dtype=np.float32)
    g = w.copy()
    g[10] = bad
    msg = compare_outputs(layout_for(("out", "float", 64)), [g], [w], Tolerance(rtol=1.0, atol=1e30))
    assert msg is not None and "differs at 1 of 64" in msg and "NaN or Inf" in msg and "out[10]" in msg


def test_hidden_cases_show_no_values() -> None:
    w = np.linspace(0, 1, 500).astype(np.float64)
    g = w.copy()
    g[[3, 250]] = [123.456, -987.25]
    msg = compare_outputs(layout_for(("y", "double", 500)), [g], [w], TOL, show_values=False)
    assert msg is not None and "differs at 2 of 500" in msg
    for leak in ("123.456", "987.25", "y[", "expected", str(w[3])):
        assert leak not in msg


def test_at_most_max_shown_mismatches_listed() -> None:
    w = np.zeros(100, dtype=np.float32)
    g = np.ones(100, dtype=np.float32)
    msg = compare_outputs(layout_for(("z", "float", 100)), [g], [w], TOL)
    assert msg is not None and "differs at 100 of 100" in msg
    assert msg.count("expected") == MAX_SHOWN
    assert "z[0]" in msg and f"z[{MAX_SHOWN}]" not in msg


def test_first_mismatching_buffer_is_named() -> None:
    w1, w2 = np.ones(8, dtype=np.float32), np.arange(8, dtype=np.int32)
    g2 = w2.copy()
    g2[7] = -1
    lay = layout_for(("first", "float", 8), ("second", "int", 8))
    msg = compare_outputs(lay, [w1.copy(), g2], [w1, w2], TOL)
    assert msg is not None and msg.startswith("output second") and "second[7] = " in msg


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relative_tolerance_boundary(dtype: type) -> None:
    tol = Tolerance(rtol=0.25, atol=0.0)  # bound at |want| = 2: exactly 0.5, representable in both types
    lay = layout_for(("v", "float" if dtype is np.float32 else "double", 2))
    w = np.array([2.0, -2.0], dtype=dtype)
    assert compare_outputs(lay, [np.array([2.5, -2.5], dtype=dtype)], [w], tol) is None  # on the bound: passes
    assert compare_outputs(lay, [np.array([1.5, -1.5], dtype=dtype)], [w], tol) is None
    just_over = np.nextafter(dtype(2.5), dtype(3.0))
    msg = compare_outputs(lay, [np.array([just_over, -2.0], dtype=dtype)], [w], tol)
    assert msg is not None and "differs at 1 of 2" in msg and "v[0]" in msg


def test_absolute_tolerance_boundary_near_zero() -> None:
    tol = Tolerance(rtol=0.5, atol=0.125)  # at want=0 only atol counts
    lay = layout_for(("v", "float", 3))
    w = np.zeros(3, dtype=np.float32)
    assert compare_outputs(lay, [np.array([0.125, -0.125, 0.0], dtype=np.float32)], [w], tol) is None
    over = np.nextafter(np.float32(0.125), np.float32(1))
    assert compare_outputs(lay, [np.array([0.0, 0.0, over], dtype=np.float32)], [w], tol) is not None


def test_negative_zero_matches_zero() -> None:
    lay = layout_for(("v", "float", 2))
    assert compare_outputs(lay, [np.array([-0.0, 0.0], dtype=np.float32)],
                           [np.array([0.0, -0.0], dtype=np.float32)], Tolerance(rtol=0, atol=0)) is None


# -- stats ------------------------------------------------------------------------------------------------
def test_median() -> None:
    assert median([3.0]) == 3.0
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert median([1.0, 1.0, 100.0]) == 1.0  # robust to an outlier
    with pytest.raises(ValueError):
        median([])


@pytest.mark.parametrize("n", [1, 2, 3, 5, 6])
def test_tiny_samples_give_full_range(n: int) -> None:
    xs = [float(x) for x in random.Random(n).sample(range(100), n)]
    assert median_ci(xs) == (min(xs), max(xs))


def test_median_ci_empty_raises() -> None:
    with pytest.raises(ValueError):
        median_ci([])


def test_median_ci_textbook_ranks() -> None:
    # n = 100: the distribution-free 95% interval for the median is [x_(40), x_(61)]
    xs = [float(i) for i in range(1, 101)]
    random.Random(0).shuffle(xs)
    assert median_ci(xs) == (40.0, 61.0)


def test_median_ci_narrows_with_n_and_brackets_the_median() -> None:
    rng = random.Random(7)
    widths = []
    for n in (10, 40, 160, 400):
        xs = [rng.gauss(10.0, 1.0) for _ in range(n)]
        lo, hi = median_ci(xs)
        assert lo <= median(xs) <= hi
        widths.append(hi - lo)
    assert widths == sorted(widths, reverse=True)


def _exact_coverage(n: int) -> float:
    lo, hi = median_ci(list(range(n)))  # ranks as values: the interval is [x_(j), x_(n-j+1)]
    j = int(lo) + 1
    tail = sum(math.comb(n, i) for i in range(j)) / 2**n
    return 1 - 2 * tail


@pytest.mark.parametrize("n", [9, 30, 101])
def test_median_ci_coverage_is_nominal(n: int) -> None:
    """Simulated coverage of the true median (skewed distribution): at least ~95%, and as the binomial says."""
    rng = np.random.default_rng(20240601 + n)
    true_median = math.log(2.0)  # exponential(1)
    trials = 3000
    hits = 0
    for _ in range(trials):
        lo, hi = median_ci(rng.exponential(1.0, n).tolist())
        hits += lo <= true_median <= hi
    coverage = hits / trials
    exact = _exact_coverage(n)
    assert exact >= 0.95
    assert abs(coverage - exact) < 0.015, (coverage, exact)
    assert 0.935 <= coverage <= 0.995


def test_relative_halfwidth() -> None:
    assert relative_halfwidth([2.0] * 20) == 0.0
    xs = [float(i) for i in range(1, 101)]
    assert relative_halfwidth(xs) == pytest.approx((61 - 40) / (2 * 50.5))
    assert relative_halfwidth([0.0] * 10) == math.inf
