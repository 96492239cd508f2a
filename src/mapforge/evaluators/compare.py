"""Element-wise comparison of a candidate's outputs with the reference's."""

from __future__ import annotations

import numpy as np

from mapforge.tasks.spec import Arg, Tolerance

MAX_SHOWN = 5


def compare_outputs(
    layout: list[tuple[Arg, np.dtype, int]],
    got: list[np.ndarray],
    want: list[np.ndarray],
    tol: Tolerance,
    show_values: bool = True,
) -> str | None:
    """None when every output matches; else a description of the first mismatching buffer.

    Floats: ``|got - want| <= atol + rtol * |want|``, and NaN/Inf never match. Integers: exact.
    ``show_values=False`` (hidden cases) reports only counts, never values.
    """
    for (arg, _, count), g, w in zip(layout, got, want):
        if g.dtype.kind == "f":
            with np.errstate(invalid="ignore", over="ignore"):
                bad = ~np.isfinite(g) | ~(np.abs(g.astype(np.float64) - w) <= tol.atol + tol.rtol * np.abs(w))
        else:
            bad = g != w
        n_bad = int(bad.sum())
        if not n_bad:
            continue
        head = f"output {arg.name} differs at {n_bad} of {count} elements"
        if not np.isfinite(g).all() if g.dtype.kind == "f" else False:
            head += " (it contains NaN or Inf: unwritten or uninitialised elements?)"
        if not show_values:
            return head
        idx = np.flatnonzero(bad)[:MAX_SHOWN]
        shown = "; ".join(f"{arg.name}[{i}] = {g[i]!r} (expected {w[i]!r})" for i in idx)
        return f"{head}\nfirst mismatches: {shown}"
    return None
