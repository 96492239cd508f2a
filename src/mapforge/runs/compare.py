"""``mapforge runs compare``: several runs side by side, as a terminal table and as a page with a plot."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mapforge.errors import UserError
from mapforge.runs import charts
from mapforge.runs.html_report import badge, e, fmt_seconds, fmt_speedup, page
from mapforge.runs.rundata import RunData, load_run

COLUMNS = ("run", "task", "status", "best", "candidates", "tokens", "wall")


def load_runs(dirs: Sequence[Path]) -> list[RunData]:
    runs = []
    for d in dirs:
        if not (d / "events.jsonl").exists():
            raise UserError(f"{d}: not a mapforge run directory (no events.jsonl); `mapforge runs list` shows runs")
        runs.append(load_run(d))
    return runs


def best_text(run: RunData) -> str:
    b = run.best or {}
    if b.get("speedup") is not None:
        return fmt_speedup(b["speedup"], b.get("speedup_ci"))
    if b.get("pass_rate") is not None:
        return f"{b['pass_rate']:.0%} passed"
    return "–"


def row(run: RunData) -> dict[str, Any]:
    """One run's line of the comparison, as data (what ``--json`` prints)."""
    b = run.best or {}
    return {"run": str(run.root), "task": run.task_name, "kind": run.kind, "status": run.status,
            "best_candidate": b.get("candidate_id"), "speedup": b.get("speedup"), "speedup_ci": b.get("speedup_ci"),
            "pass_rate": b.get("pass_rate"), "candidates": len(run.candidates),
            "correct": sum(c.status == "correct" for c in run.candidates), "tokens": run.tokens,
            "wall_seconds": run.wall_seconds}


def _cells(run: RunData) -> list[str]:
    return [run.name, run.task_name, run.status, best_text(run), str(len(run.candidates)), f"{run.tokens:,}",
            fmt_seconds(run.wall_seconds)]


def table(runs: Sequence[RunData]) -> str:
    """A plain aligned table for the terminal."""
    rows = [list(COLUMNS)] + [_cells(r) for r in runs]
    widths = [max(len(r[i]) for r in rows) for i in range(len(COLUMNS))]
    right = {"candidates", "tokens", "wall"}
    lines = []
    for r in rows:
        lines.append("  ".join(c.rjust(w) if COLUMNS[i] in right else c.ljust(w)
                               for i, (c, w) in enumerate(zip(r, widths))).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_compare(runs: Sequence[RunData]) -> str:
    head = "".join(f'<th{" class=num" if c in ("best", "candidates", "tokens", "wall") else ""}>{c}</th>' for c in COLUMNS)
    body = []
    for r in runs:
        c = _cells(r)
        body.append(f"<tr><td><code>{e(c[0])}</code></td><td>{e(c[1])}</td><td>{badge(r.status)}</td>"
                    f'<td class="num">{e(c[3])}</td><td class="num">{e(c[4])}</td><td class="num">{e(c[5])}</td>'
                    f'<td class="num">{e(c[6])}</td></tr>')
    html_table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    sources = ", ".join(f"<code>{e(str(r.root))}</code>" for r in runs)
    return page("mapforge · compare runs", "\n".join([
        f"<header><h1>Comparing {len(runs)} runs</h1><div class=\"sub\">{sources}</div></header>",
        f"<section><h2>Runs</h2>{html_table}</section>",
        f'<section><h2>Best and best so far</h2><div class="chart" id="compare-chart">{charts.compare_chart(runs)}'
        "</div></section>",
        "<footer>mapforge runs compare</footer>",
    ]))
