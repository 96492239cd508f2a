"""``report.html``: one self-contained page per run (inline CSS and SVG, no script, no network).

Built only from the run directory (see ``rundata.py``), so ``mapforge runs show DIR --html`` draws it again
for any run, old or interrupted. Sections: the headline numbers, speedup (or pass rate) of every candidate
over time with its interval, verdicts by status, tokens and time per role, the lineage tree, every
candidate, the best candidate's diff against the reference, and the A/A self-test.
"""

from __future__ import annotations

import difflib
import html
import time
from collections.abc import Iterable
from pathlib import Path

from mapforge.runs import charts
from mapforge.runs.rundata import CandidateRow, RunData, load_run

CSS = """
:root { --ink:#0f172a; --muted:#64748b; --line:#e2e8f0; --bg:#f8fafc; --card:#fff; --accent:#0f766e; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink); line-height:1.45;
       font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif; }
main { max-width:1180px; margin:0 auto; padding:28px 28px 48px; }
header h1 { font-size:26px; margin:0 0 4px; display:flex; gap:12px; align-items:center; flex-wrap:wrap; }
header .sub { color:var(--muted); font-size:13px; }
header .sub code { color:var(--ink); }
h2 { font-size:16px; margin:0 0 10px; }
section { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:18px 20px;
          margin-top:18px; box-shadow:0 1px 2px rgba(15,23,42,.04); }
.grid { display:grid; grid-template-columns:minmax(0,2fr) minmax(0,3fr); gap:18px; }
.grid > section { margin-top:0; }
.wrap { margin-top:18px; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(160px,1fr)); gap:12px; margin-top:18px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:10px; padding:12px 14px; }
.card .k { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .v { font-size:22px; font-weight:650; margin-top:2px; }
.card .n { color:var(--muted); font-size:12px; }
.chart svg { max-width:100%; height:auto; display:block; margin:0 auto; }
.badge { display:inline-block; color:#fff; border-radius:999px; padding:1px 9px; font-size:12px;
         font-weight:600; white-space:nowrap; vertical-align:middle; }
.badge.big { font-size:14px; padding:3px 12px; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; padding:6px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
td.reason { color:var(--muted); max-width:420px; overflow-wrap:anywhere; }
tr.best td { background:#fffbeb; }
.tree, .tree ul { list-style:none; margin:0; padding-left:22px; }
.tree { padding-left:0; }
.tree li { position:relative; padding:3px 0 3px 14px; }
.tree ul li::before { content:""; position:absolute; left:0; top:0; bottom:50%; width:10px;
                      border-left:1.5px solid #cbd5e1; border-bottom:1.5px solid #cbd5e1; }
.tree .plan { font-weight:600; }
.tree .plan .meta { font-weight:400; color:var(--muted); font-size:12px; }
.tree .node code { font-weight:600; }
.tree .node .why { color:var(--muted); font-size:12px; }
pre { background:#0f172a; color:#e2e8f0; border-radius:8px; padding:12px 14px; overflow:auto; font-size:12px;
      line-height:1.5; max-height:640px; margin:0; }
pre .ln { display:block; min-height:1.5em; white-space:pre; }
pre .add { color:#86efac; background:rgba(34,197,94,.12); }
pre .del { color:#fca5a5; background:rgba(239,68,68,.12); }
pre .hunk { color:#93c5fd; margin-top:4px; }
pre .file { color:#cbd5e1; font-weight:700; }
table.compact { width:auto; min-width:55%; }
table.compact td, table.compact th { padding-right:28px; }
.note { color:var(--muted); font-size:13px; margin:6px 0 0; }
footer { color:var(--muted); font-size:12px; margin-top:22px; text-align:center; }
@media (max-width: 900px) { .grid { grid-template-columns:1fr; } .grid > section { margin-top:18px; } }
"""

e = html.escape
MAIN_NOTE = ("Each point is a correct candidate's median speedup over the reference, measured interleaved with "
             "it, with its 95% interval; the strip below places every candidate's verdict in time.",
             "Each point is a candidate's share of visible and hidden tests passed, coloured by its verdict; the "
             "strip below places every candidate's verdict in time.")


def page(title: str, body: str) -> str:
    """A whole HTML document around ``body``: inline CSS, nothing loaded from anywhere."""
    return (f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{e(title)}</title><style>{CSS}</style></head>\n<body><main>\n{body}\n</main></body></html>\n")


def badge(status: str, big: bool = False) -> str:
    cls = "badge big" if big else "badge"
    color = {"improved": "#16a34a", "solved": "#16a34a", "no_improvement": "#64748b", "unsolved": "#64748b",
             "failed": "#dc2626"}.get(status) or charts.status_color(status)
    return f'<span class="{cls}" style="background:{color}">{e(status.replace("_", " "))}</span>'


def fmt_speedup(s: float | None, ci: Iterable[float] | None) -> str:
    if s is None:
        return "–"
    if ci is None:
        return f"{s:.3f}x"
    lo, hi = ci
    return f"{s:.3f}x [{lo:.3f}, {hi:.3f}]"


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "–"
    if s >= 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 60:.1f} min" if s >= 120 else f"{s:.1f} s"


def _candidate_metric(c: CandidateRow) -> str:
    if c.speedup is not None:
        return fmt_speedup(c.speedup, c.speedup_ci)
    if c.pass_rate is not None:
        tests = f" ({c.tests_passed}/{c.tests_total})" if c.tests_total else ""
        return f"{c.pass_rate:.0%}{tests}"
    return "–"


def _card(key: str, value: str, note: str = "") -> str:
    return f'<div class="card"><div class="k">{e(key)}</div><div class="v">{value}</div><div class="n">{note}</div></div>'


def header(run: RunData) -> str:
    s = run.summary or {}
    starts = [ev["ts"] for ev in run.events if ev.get("event") == "start" and isinstance(ev.get("ts"), (int, float))]
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(min(starts))) if starts else "unknown time"
    model = s.get("model") or (run.config.get("model") or {}).get("default") or "?"
    stop = s.get("stop_reason") or "no summary: the job is running, or was killed"
    return (f"<header><h1>{e(run.task_name)} {badge(run.status, big=True)}</h1>"
            f'<div class="sub">{e(run.kind)} run <code>{e(str(run.root))}</code> · started {e(when)} · '
            f"model <code>{e(str(model))}</code> · sandbox {e(str(s.get('sandbox') or '?'))} · "
            f"stopped: {e(str(stop))}</div></header>")


def cards(run: RunData) -> str:
    s = run.summary or {}
    b = run.best or {}
    out = []
    if run.kind == "solve":
        pr = b.get("pass_rate")
        out.append(_card("best pass rate", f"{pr:.0%}" if pr is not None else "–", e(b.get("candidate_id") or "none")))
    else:
        sp, ci = b.get("speedup"), b.get("speedup_ci")
        note = f"{e(b.get('candidate_id', ''))} · CI {ci[0]:.2f} – {ci[1]:.2f}" if ci else "no correct candidate"
        out.append(_card("best speedup", f"{sp:.2f}x" if sp is not None else "–", note))
        base = s.get("baseline_seconds") or (run.baseline or {}).get("seconds")
        out.append(_card("reference", f"{base * 1e3:.3f} ms" if base else "–", "per call, timing shape"))
        aa = run.aa
        out.append(_card("A/A self-test", f"{aa[0]:.3f}x" if aa else "–",
                         f"95% CI {aa[1][0]:.3f} – {aa[1][1]:.3f}" if aa else "not measured"))
    n_ok = sum(c.status == "correct" for c in run.candidates)
    out.append(_card("candidates", str(len(run.candidates)), f"{n_ok} correct"))
    tok = s.get("tokens") or {}
    out.append(_card("tokens", f"{run.tokens:,}",
                     f"{tok.get('prompt', 0):,} in · {tok.get('completion', 0):,} out" if tok else ""))
    cost = s.get("cost_usd")
    out.append(_card("wall time", fmt_seconds(run.wall_seconds), f"cost ${cost:.4f}" if cost else ""))
    return f'<div class="cards">{"".join(out)}</div>'


def _plans(run: RunData) -> dict[str, dict[str, object]]:
    """Plan title -> the planner's plan (bottleneck, confidence), from the ``plans`` events."""
    out: dict[str, dict[str, object]] = {}
    for ev in run.events:
        if ev.get("event") == "plans":
            for p in ev.get("plans") or []:
                if isinstance(p, dict) and p.get("title"):
                    out.setdefault(str(p["title"]), p)
    return out


def _node(c: CandidateRow, children: dict[str | None, list[CandidateRow]], best_id: str | None) -> str:
    star = " ★ best" if c.id == best_id else ""
    step = f"repair round {c.round}" if c.round else "first attempt"
    kids = "".join(_node(k, children, best_id) for k in children.get(c.id, []))
    metric = _candidate_metric(c)
    return (f'<li><span class="node"><code>{e(c.id)}</code> {badge(c.status)} {e(metric if metric != "–" else "")}'
            f'<b>{e(star)}</b> <span class="why">· {step} · {e(c.stage)}: {e(c.reason[:140])}</span></span>'
            + (f"<ul>{kids}</ul>" if kids else "") + "</li>")


def lineage(run: RunData) -> str:
    """Plans, each with its first candidate and the debugger's repairs below the candidate they mend."""
    if not run.candidates:
        return '<p class="note">No candidates yet.</p>'
    ids = {c.id for c in run.candidates}
    children: dict[str | None, list[CandidateRow]] = {}
    for c in run.candidates:
        children.setdefault(c.parent if c.parent in ids else None, []).append(c)
    plans = _plans(run)
    groups: dict[tuple[object, str], list[CandidateRow]] = {}
    for root in children.get(None, []):
        groups.setdefault((root.iteration, root.plan), []).append(root)
    items = []
    for (it, title), roots in groups.items():
        p = plans.get(title, {})
        meta = [f"iteration {it}" if it is not None else ""]
        if p.get("bottleneck"):
            meta.append(f"bottleneck: {p['bottleneck']}")
        if isinstance(p.get("confidence"), (int, float)):
            meta.append(f"confidence {float(p['confidence']):.2f}")  # type: ignore[arg-type]
        nodes = "".join(_node(r, children, run.best_id) for r in roots)
        items.append(f'<li><span class="plan">{e(title or "(no plan)")} <span class="meta">'
                     f'{e(" · ".join(m for m in meta if m))}</span></span><ul>{nodes}</ul></li>')
    return f'<ul class="tree">{"".join(items)}</ul>'


def candidates_table(run: RunData) -> str:
    rows = []
    for c in run.candidates:
        cls = ' class="best"' if c.id == run.best_id else ""
        rows.append(f"<tr{cls}><td><code>{e(c.id)}</code></td><td>{e(c.plan)}</td><td>{e(c.parent or '–')}</td>"
                    f'<td class="num">{c.round}</td><td>{badge(c.status)}</td><td>{e(c.stage)}</td>'
                    f'<td class="num">{e(_candidate_metric(c))}</td><td class="num">{fmt_seconds(c.eval_seconds)}</td>'
                    f'<td class="reason">{e(c.reason[:300])}</td></tr>')
    metric = "pass rate" if run.kind == "solve" else "speedup [95% CI]"
    return ("<table><thead><tr><th>id</th><th>plan</th><th>parent</th><th class=num>round</th><th>status</th>"
            f"<th>stage</th><th class=num>{metric}</th><th class=num>judged in</th><th>reason</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def roles_table(run: RunData) -> str:
    rows = []
    for r in run.roles:
        model = r.role != "evaluator"
        rows.append(f'<tr><td>{e(r.role)}</td><td class="num">{r.requests if model else "–"}</td>'
                    f'<td class="num">{r.requests if not model else "–"}</td>'
                    f'<td class="num">{f"{r.prompt_tokens:,}" if model else "–"}</td>'
                    f'<td class="num">{f"{r.completion_tokens:,}" if model else "–"}</td>'
                    f'<td class="num">{fmt_seconds(r.seconds)}</td></tr>')
    return ('<table class="compact"><thead><tr><th>role</th><th class=num>requests</th><th class=num>candidates</th>'
            "<th class=num>prompt tokens</th><th class=num>completion tokens</th><th class=num>time</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def diff_block(run: RunData, max_lines: int = 1500) -> str:
    """The best candidate against the reference, as an escaped, coloured unified diff."""
    if run.best_source is None:
        return '<p class="note">No best candidate: nothing to compare with the reference.</p>'
    if run.reference_source is None:
        note = f'<p class="note">Showing the best candidate\'s source: {e(run.reference_note)}.</p>'
        return note + f"<pre>{e(run.best_source)}</pre>"
    lines = list(difflib.unified_diff(run.reference_source.splitlines(), run.best_source.splitlines(),
                                      "reference", f"best ({run.best_id})", lineterm="", n=3))
    if not lines:
        return '<p class="note">The best candidate is identical to the reference.</p>'
    out = []
    for line in lines[:max_lines]:
        cls = ("file" if line.startswith(("---", "+++")) else "hunk" if line.startswith("@@")
               else "add" if line.startswith("+") else "del" if line.startswith("-") else "")
        out.append(f'<span class="ln {cls}">{e(line)}</span>')
    if len(lines) > max_lines:
        out.append(f'<span class="ln hunk">… {len(lines) - max_lines} more lines</span>')
    return f"<pre>{''.join(out)}</pre>"


def aa_block(run: RunData) -> str:
    aa = run.aa
    if aa is None:
        return '<p class="note">No A/A self-test was recorded for this run.</p>'
    s, (lo, hi) = aa
    pairs = (run.baseline or {}).get("aa_pairs")
    holds = lo <= 1.0 <= hi
    verdict = ("its interval contains 1.0, as it should: the harness sees no difference between identical code"
               if holds else "its interval excludes 1.0: timing on this machine is biased or noisy; read speedups "
               "near 1.0 with care")
    return (f"<p>The reference timed against itself{f' over {pairs} interleaved pairs' if pairs else ''}: "
            f"<b>{s:.4f}x</b> [95% {lo:.4f}, {hi:.4f}] — {e(verdict)}. The job's noise floor is at least 1% and "
            "at least this interval's spread; a candidate counts as an improvement only when its whole "
            "interval lies above 1.0 and its median clears that floor. The grey band in the speedup chart "
            "is this interval.</p>")


def render_run(run: RunData) -> str:
    main_chart = charts.pass_rate_chart(run) if run.kind == "solve" else charts.speedup_chart(run)
    title = "Pass rate over time" if run.kind == "solve" else "Speedup over time"
    diff_title = "Best candidate" if run.reference_source is None else "Best candidate against the reference"
    body = [
        header(run), cards(run),
        f'<section><h2>{title}</h2><div class="chart" id="main-chart">{main_chart}</div>'
        f'<p class="note">{MAIN_NOTE[run.kind == "solve"]}</p></section>',
        '<div class="grid wrap">',
        f'<section><h2>Verdicts</h2><div class="chart" id="status-chart">{charts.status_chart(run.candidates)}'
        "</div></section>",
        f"<section><h2>Lineage</h2>{lineage(run)}</section>",
        "</div>",
        f'<section><h2>Tokens and time per role</h2><div class="chart" id="roles-chart">'
        f"{charts.roles_chart(run.roles)}</div>{roles_table(run)}<p class=\"note\">A role's time is the latency "
        "of its model requests; the evaluator's is the harness's time judging candidates.</p></section>",
        f"<section><h2>Candidates</h2>{candidates_table(run)}</section>",
        f"<section><h2>{diff_title}</h2>{diff_block(run)}</section>",
    ]
    if run.kind != "solve":
        body.append(f"<section><h2>A/A self-test</h2>{aa_block(run)}</section>")
    body.append(f"<footer>mapforge report, drawn from the files in <code>{e(str(run.root))}</code> "
                f"({e(time.strftime('%Y-%m-%d %H:%M'))})</footer>")
    return page(f"mapforge · {run.task_name} · {run.name}", "\n".join(body))


def write_html_report(run_dir: Path) -> Path:
    """Draw ``report.html`` from what is in ``run_dir``; returns its path."""
    path = run_dir / "report.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_run(load_run(run_dir)))
    tmp.replace(path)
    return path
