"""The reports' charts, drawn by matplotlib (imported lazily) as SVG text to inline in a page.

Each function takes report data and returns one ``<svg>`` element; nothing here touches pyplot's global
figure state, so charts can be drawn from any thread. Plotted artists carry ids (``gid``) such as
``speedup-points`` so tests (and curious readers of the page source) can find them.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, cast

from mapforge.errors import UserError
from mapforge.runs.rundata import CandidateRow, RoleRow, RunData

STATUS_COLORS = {
    "correct": "#16a34a", "wrong_answer": "#dc2626", "compile_error": "#f59e0b", "runtime_error": "#ea580c",
    "timeout": "#9333ea", "memory": "#7c3aed", "output_limit": "#c026d3", "rejected": "#64748b",
    "cheat_suspected": "#be123c", "harness_error": "#0f172a",
}
POINT = "#2563eb"  # correct candidates' speedups; the page's own CSS never uses this blue
BEST = "#f59e0b"
TRACE = "#0d9488"
REFERENCE = "#475569"
WIDE = 11.2  # inches: the page's content width at 96 px per inch, so chart text stays at its point size
STYLE: dict[str, Any] = {
    "font.size": 9, "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "axes.spines.top": False, "axes.spines.right": False, "axes.edgecolor": "#94a3b8",
    "axes.grid": True, "grid.color": "#e2e8f0", "grid.linewidth": 0.8, "axes.axisbelow": True,
    "axes.titlesize": 10, "axes.titleweight": "bold", "axes.titlelocation": "left",
    "xtick.color": "#334155", "ytick.color": "#334155", "axes.labelcolor": "#334155",
    "legend.frameon": False, "legend.fontsize": 8, "svg.fonttype": "none", "svg.hashsalt": "mapforge",
}


def status_color(status: str) -> str:
    return STATUS_COLORS.get(status, "#94a3b8")


@contextmanager
def _figure(width: float, height: float, **subplots: Any) -> Iterator[tuple[Any, Any]]:
    """A pyplot-free figure and its axes, styled; yields (figure, axes)."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError as e:  # a dependency, but a broken install should say how to mend it
        raise UserError("drawing the report needs matplotlib: `pip install matplotlib` (or reinstall mapforge)") from e
    with matplotlib.rc_context(cast(Any, STYLE)):  # matplotlib types its keys as one long Literal
        fig = Figure(figsize=(width, height), layout="constrained")
        yield fig, fig.subplots(**subplots)


def to_svg(fig: Any) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog, no metadata, scalable by CSS)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # matplotlib numbers its groups per figure (figure_1, line2d_3, ...): drop those ids, which would repeat
    # across the charts of one page; ours (gid) and the hashed ids of clip paths and markers stay
    return re.sub(r'(<g) id="[A-Za-z0-9.]+_\d+"', r"\1", svg)


def _times(cands: Sequence[CandidateRow]) -> tuple[list[float], str]:
    """Each candidate's x position: minutes or seconds since the job started, else its order."""
    if cands and all(c.elapsed is not None for c in cands):
        xs = [float(c.elapsed or 0.0) for c in cands]
        if max(xs) > 180:
            return [x / 60 for x in xs], "minutes since the job started"
        return xs, "seconds since the job started"
    return [float(i + 1) for i in range(len(cands))], "candidate, in the order judged"


def _empty(ax: Any, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="#64748b")


def _status_strip(ax: Any, cands: Sequence[CandidateRow], xs: list[float], xlabel: str) -> None:
    """Every candidate's verdict on a strip under the main plot, one row per status."""
    statuses = sorted({c.status for c in cands}, key=lambda s: (s != "correct", s))
    for row, status in enumerate(statuses):
        pts = [x for x, c in zip(xs, cands) if c.status == status]
        ax.scatter(pts, [row] * len(pts), s=22, marker="s" if status == "correct" else "X",
                   color=status_color(status), gid=f"status-strip-{status}", zorder=3)
    ax.set_yticks(range(len(statuses)), [s.replace("_", " ") for s in statuses])
    ax.set_ylim(-0.7, max(len(statuses), 1) - 0.3)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(xlabel)


def _best_so_far(ax: Any, run: RunData, xs: list[float]) -> None:
    """A step line through each improvement of the best correct speedup (or pass rate) so far."""
    tx: list[float] = []
    ty: list[float] = []
    for x, c in zip(xs, run.candidates):
        value = c.pass_rate if run.kind == "solve" else (c.speedup if c.status == "correct" else None)
        if value is not None and (not ty or value > ty[-1]):
            tx.append(x)
            ty.append(value)
    if ty:
        ax.step(tx + [max(xs)], ty + [ty[-1]], where="post", color=TRACE, linewidth=1.4, alpha=0.8,
                label="best so far", gid="best-so-far")


def _speedup_axis(ax: Any, low: float, high: float) -> None:
    """Linear around 1x; logarithmic (ticks still read 2x, 5x, ...) when speedups span more than 8x."""
    if low > 0 and high / low > 8:
        from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}x"))
        ax.yaxis.set_minor_locator(NullLocator())
        ax.set_ylim(low / 1.3, high * 1.3)
    else:
        pad = 0.12 * (high - low or 1.0)
        ax.set_ylim(max(0.0, low - pad), high + pad)


def speedup_chart(run: RunData) -> str:
    """Speedup of every correct candidate over time with its 95% interval, the A/A band and the best."""
    cands = run.candidates
    xs, xlabel = _times(cands)
    height = 3.6 + 0.22 * len({c.status for c in cands})
    with _figure(WIDE, height, nrows=2, sharex=True, gridspec_kw={"height_ratios": [4, 1]}) as (fig, (ax, strip)):
        ax.axhline(1.0, color=REFERENCE, linestyle="--", linewidth=1, label="reference (1.0x)")
        aa = run.aa
        if aa is not None:
            ax.axhspan(aa[1][0], aa[1][1], color="#94a3b8", alpha=0.25, linewidth=0,
                       label=f"A/A self-test interval [{aa[1][0]:.3f}, {aa[1][1]:.3f}]")
        timed = [(x, c) for x, c in zip(xs, cands) if c.status == "correct" and c.speedup is not None]
        if timed:
            px = [x for x, _ in timed]
            py = [float(c.speedup or 0.0) for _, c in timed]
            lo = [max(0.0, y - (c.speedup_ci or (y, y))[0]) for y, (_, c) in zip(py, timed)]
            hi = [max(0.0, (c.speedup_ci or (y, y))[1] - y) for y, (_, c) in zip(py, timed)]
            points, caps, bars = ax.errorbar(px, py, yerr=[lo, hi], fmt="o", color=POINT, ecolor=POINT,
                                             elinewidth=1.2, capsize=3, markersize=5, label="correct candidate",
                                             zorder=3)
            points.set_gid("speedup-points")
            bars[0].set_gid("speedup-intervals")
            if len(timed) <= 30:
                for x, y, (_, c) in zip(px, py, timed):
                    ax.annotate(c.id, (x, y), xytext=(5, 4), textcoords="offset points", fontsize=7,
                                color="#475569")
            _best_so_far(ax, run, xs)
            best = [(x, c) for x, c in timed if c.id == run.best_id]
            if best:
                ax.scatter([best[0][0]], [best[0][1].speedup], marker="*", s=260, color=BEST, edgecolor="#92400e",
                           linewidth=0.8, zorder=2, alpha=0.9, label=f"best ({best[0][1].id})", gid="best-point")
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.02), ncols=5, borderaxespad=0)
            _speedup_axis(ax, min(1.0, *(y - d for y, d in zip(py, lo))), max(1.0, *(y + d for y, d in zip(py, hi))))
        else:
            _empty(ax, "no correct candidate was timed")
        ax.set_ylabel("speedup (x)")
        if cands:
            _status_strip(strip, cands, xs, xlabel)
        else:
            _empty(strip, "no candidates")
        return to_svg(fig)


def pass_rate_chart(run: RunData) -> str:
    """Solve runs: every candidate's pass rate over time, coloured by its verdict, and the best so far."""
    cands = run.candidates
    xs, xlabel = _times(cands)
    height = 3.6 + 0.22 * len({c.status for c in cands})
    with _figure(WIDE, height, nrows=2, sharex=True, gridspec_kw={"height_ratios": [4, 1]}) as (fig, (ax, strip)):
        rated = [(x, c) for x, c in zip(xs, cands) if c.pass_rate is not None]
        if rated:
            ax.scatter([x for x, _ in rated], [c.pass_rate for _, c in rated], s=36,
                       color=[status_color(c.status) for _, c in rated], gid="passrate-points", zorder=3,
                       label="candidate (coloured by verdict)")
            _best_so_far(ax, run, xs)
            ax.legend(loc="lower left", bbox_to_anchor=(0, 1.02), ncols=3, borderaxespad=0)
        else:
            _empty(ax, "no candidate reached the tests")
        ax.set_ylim(-0.05, 1.08)
        ax.yaxis.set_major_formatter("{x:.0%}")
        ax.set_ylabel("tests passed")
        if cands:
            _status_strip(strip, cands, xs, xlabel)
        else:
            _empty(strip, "no candidates")
        return to_svg(fig)


def status_chart(cands: Sequence[CandidateRow]) -> str:
    """How many candidates ended in each verdict status."""
    counts = Counter(c.status for c in cands)
    order = sorted(counts, key=lambda s: (-counts[s], s))
    with _figure(4.2, 0.5 + 0.34 * max(len(order), 2)) as (fig, ax):
        if order:
            ys = list(range(len(order)))[::-1]
            ax.barh(ys, [counts[s] for s in order], color=[status_color(s) for s in order], height=0.6,
                    gid="status-bars")
            ax.set_yticks(ys, [s.replace("_", " ") for s in order])
            for y, s in zip(ys, order):
                ax.annotate(str(counts[s]), (counts[s], y), xytext=(3, 0), textcoords="offset points",
                            va="center", fontsize=8)
            ax.set_xlim(0, max(counts.values()) * 1.15)
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.grid(axis="y", visible=False)
        else:
            _empty(ax, "no candidates")
        return to_svg(fig)


def roles_chart(roles: Sequence[RoleRow]) -> str:
    """Tokens (prompt + completion) and seconds spent per role; the evaluator's time is the harness's."""
    with _figure(WIDE, 0.8 + 0.34 * max(len(roles), 2), ncols=2) as (fig, (tok, sec)):
        tok.set_title("Tokens")
        sec.set_title("Seconds")
        if roles:
            ys = list(range(len(roles)))[::-1]
            names = [r.role for r in roles]
            prompt = [r.prompt_tokens for r in roles]
            tok.barh(ys, prompt, color="#6366f1", height=0.6, label="prompt", gid="role-bars")
            tok.barh(ys, [r.completion_tokens for r in roles], left=prompt, color="#a5b4fc", height=0.6,
                     label="completion")
            tok.set_yticks(ys, names)
            tok.legend(loc="lower right")
            sec.barh(ys, [r.seconds for r in roles], color="#14b8a6", height=0.6, gid="role-seconds")
            sec.set_yticks(ys, names)
            for ax in (tok, sec):
                ax.grid(axis="y", visible=False)
        else:
            _empty(tok, "no model calls recorded")
        return to_svg(fig)


def compare_chart(runs: Sequence[RunData]) -> str:
    """Several runs side by side: each one's best (interval or pass rate) and its best-so-far over time."""
    kinds = [k for k in ("optimize", "solve") if any(r.kind == k for r in runs)] or ["optimize"]
    with _figure(WIDE, sum(1.2 + 0.4 * sum(r.kind == k for r in runs) for k in kinds) + 0.6,
                 nrows=len(kinds), ncols=2, squeeze=False) as (fig, axes):
        for (best_ax, trace_ax), kind in zip(axes, kinds):
            group = [r for r in runs if r.kind == kind]
            ys = list(range(len(group)))[::-1]
            labels = [f"{r.name}\n({r.task_name})" for r in group]
            for y, r in zip(ys, group):
                i = list(runs).index(r)  # ids and colours follow the run's place on the command line
                color = f"C{i % 10}"
                b = r.best or {}
                if kind == "optimize" and b.get("speedup") is not None:
                    s, (lo, hi) = float(b["speedup"]), b["speedup_ci"]
                    line = best_ax.errorbar([s], [y], xerr=[[s - lo], [hi - s]], fmt="o", color=color, capsize=4)
                    line[0].set_gid(f"compare-best-{i}")
                elif kind == "solve" and b.get("pass_rate") is not None:
                    best_ax.barh([y], [b["pass_rate"]], color=color, height=0.45, gid=f"compare-best-{i}")
                if kind == "optimize" and r.aa is not None:
                    best_ax.plot(r.aa[1], [y] * 2, color="#94a3b8", linewidth=9, alpha=0.6, solid_capstyle="butt")
                trace = r.best_so_far()
                if trace:
                    right = max(float(r.wall_seconds or 0.0), trace[-1][0])
                    trace_ax.step([t for t, _ in trace] + [right], [v for _, v in trace] + [trace[-1][1]],
                                  where="post", color=color, label=r.name, gid=f"compare-trace-{i}")
            best_ax.set_yticks(ys, labels)
            best_ax.set_ylim(-0.6, len(group) - 0.4)
            best_ax.grid(axis="y", visible=False)
            if kind == "optimize":
                best_ax.axvline(1.0, color=REFERENCE, linestyle="--", linewidth=1)
                best_ax.set_title("Best speedup (95% interval; grey: A/A self-test)")
                trace_ax.set_title("Best speedup so far")
            else:
                best_ax.set_xlim(0, 1.05)
                best_ax.xaxis.set_major_formatter("{x:.0%}")
                best_ax.set_title("Best pass rate")
                trace_ax.set_title("Best pass rate so far")
                trace_ax.yaxis.set_major_formatter("{x:.0%}")
            trace_ax.set_xlabel("seconds since the job started")
            if trace_ax.get_legend_handles_labels()[0]:
                trace_ax.legend(loc="lower right")
            else:
                _empty(trace_ax, "no correct candidates")
        return to_svg(fig)
