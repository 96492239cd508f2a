"""The human-readable reports next to summary.json: ``report.md`` (text) and ``report.html`` (charts)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mapforge.runs.html_report import write_html_report


def _fmt_speedup(c: Any) -> str:
    t = c.verdict.timing
    if t is None:
        return ""
    return f"{t.speedup:.3f}x [{t.speedup_ci[0]:.3f}, {t.speedup_ci[1]:.3f}]"


def write_report(run_dir: Path, summary: dict[str, Any], outcome: Any) -> None:
    lines = [f"# mapforge run: {summary['task']}", "",
             f"- status: **{summary['status']}** ({summary['stop_reason']})"]
    if summary.get("baseline_seconds"):
        lines.append(f"- baseline: {summary['baseline_seconds'] * 1e3:.3f} ms per call")
    aa = summary.get("aa_self_test")
    if aa:
        lines.append(f"- A/A self-test (reference vs itself): {aa['speedup']:.3f}x "
                     f"[{aa['speedup_ci'][0]:.3f}, {aa['speedup_ci'][1]:.3f}]")
    best = summary.get("best")
    if best:
        if best.get("speedup") is not None:
            lines.append(f"- best: {best['candidate_id']} {best['speedup']:.3f}x "
                         f"[{best['speedup_ci'][0]:.3f}, {best['speedup_ci'][1]:.3f}]")
        elif best.get("pass_rate") is not None:
            lines.append(f"- best: {best['candidate_id']} pass rate {best['pass_rate']:.0%}")
    lines.append(f"- candidates: {summary['candidates']}, tokens: {summary['tokens']['prompt']} prompt + "
                 f"{summary['tokens']['completion']} completion, wall: {summary['wall_seconds']:.1f}s")
    lines += ["", "| id | plan | parent | status | stage | speedup [95% CI] | reason |", "|---|---|---|---|---|---|---|"]
    for c in outcome.candidates:
        reason = c.verdict.reason.replace("|", "/").replace("\n", " ")[:100]
        lines.append(f"| {c.id} | {c.plan[:40]} | {c.parent or '-'} | {c.verdict.status} | {c.verdict.stage} | "
                     f"{_fmt_speedup(c)} | {reason} |")
    (run_dir / "report.md").write_text("\n".join(lines) + "\n")
    write_html_report(run_dir)
