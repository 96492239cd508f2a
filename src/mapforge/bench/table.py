"""The bench table: per arm, pass@1 with its 95% interval, tokens and wall time per solved task, format failures
per role; and for every two arms, the tasks only one of them solved, with the exact sign test on those."""

from __future__ import annotations

import statistics
from collections import defaultdict
from itertools import combinations
from typing import Any

from mapforge.evaluators.stats import sign_test, wilson_ci


def summarize(results: list[dict[str, Any]], info: dict[str, Any], n_tasks: int) -> dict[str, Any]:
    """Per arm, over the tasks that every arm has finished (so a partial run still compares like with like)."""
    by_task: dict[str, set[str]] = defaultdict(set)
    for r in results:
        by_task[r["task"]].add(r["arm"])
    complete = {t for t, arms_done in by_task.items() if set(info["arms"]) <= arms_done}
    results = [r for r in results if r["task"] in complete]
    arms: dict[str, dict[str, Any]] = {}
    for arm in info["arms"]:
        rows = [r for r in results if r["arm"] == arm]
        solved = sum(r["solved"] for r in rows)
        tokens = sum(r["tokens"]["total"] for r in rows)
        wall = sum(r["wall_seconds"] for r in rows)
        roles: dict[str, dict[str, int]] = defaultdict(lambda: {"asks": 0, "failures": 0, "repairs": 0})
        for r in rows:
            for role, u in r["per_role"].items():
                roles[role]["asks"] += u["requests"] - u["format_repairs"]
                roles[role]["failures"] += u["format_failures"]
                roles[role]["repairs"] += u["format_repairs"] + u.get("local_repairs", 0)
        arms[arm] = {
            "tasks": len(rows), "solved": solved,
            "pass_at_1": solved / len(rows) if rows else None,
            "pass_ci": list(wilson_ci(solved, len(rows))) if rows else None,
            "tokens": tokens, "tokens_per_task": tokens / len(rows) if rows else None,
            "tokens_per_solved": tokens / solved if solved else None,
            "wall_seconds": round(wall, 1), "wall_per_solved": wall / solved if solved else None,
            "wall_median": statistics.median(r["wall_seconds"] for r in rows) if rows else None,
            "capped": sum(r["stop"].startswith("budget") for r in rows),
            "no_code": sum(r["status"] == "no_code" for r in rows),
            "format": {role: {**v, "rate": v["failures"] / v["asks"] if v["asks"] else 0.0}
                       for role, v in sorted(roles.items())},
        }
    won = {arm: {r["task"] for r in results if r["arm"] == arm and r["solved"]} for arm in info["arms"]}
    paired = [paired_test(a, b, won[a], won[b]) for a, b in combinations(info["arms"], 2)]
    return {"schema_version": 1, "suite": info["suite"], "model": info["model"], "sample": info["sample"],
            "seed": info["seed"], "budget_tokens": info["budget_tokens"], "settings": info["settings"],
            "tasks_planned": n_tasks, "tasks_complete": len(complete), "arms": arms, "paired": paired}


def paired_test(a: str, b: str, won_a: set[str], won_b: set[str]) -> dict[str, Any]:
    """Two arms on the same tasks: the tasks only one of them won, and the exact sign test on those."""
    only_a, only_b = len(won_a - won_b), len(won_b - won_a)
    return {"arms": [a, b], "only_first": only_a, "only_second": only_b, "p": sign_test(only_a, only_b)}


def _f(x: float | None, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def render(s: dict[str, Any]) -> str:
    head = (f"suite {s['suite']}, model {s['model']}, {s['tasks_complete']}/{s['tasks_planned']} tasks done by every "
            f"arm, per-task cap {s['budget_tokens']} tokens (prompt + completion)")
    lines = [head, "",
             "| arm | tasks | solved | pass@1 | 95% CI | tokens/task | tokens/solved | wall s/solved | median wall s/task "
             "| capped | no code |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for arm, a in s["arms"].items():
        p = _f(a["pass_at_1"] * 100 if a["pass_at_1"] is not None else None, ".1f")
        ci = f"[{a['pass_ci'][0] * 100:.1f}, {a['pass_ci'][1] * 100:.1f}]" if a.get("pass_ci") else "-"
        lines.append(f"| {arm} | {a['tasks']} | {a['solved']} | {p}% | {ci} | {_f(a['tokens_per_task'], '.0f')} | "
                     f"{_f(a['tokens_per_solved'], '.0f')} | {_f(a['wall_per_solved'], '.1f')} | "
                     f"{_f(a['wall_median'], '.1f')} | {a['capped']} | "
                     f"{a['no_code']} |")
    lines += ["", "Format failures per role (unusable after one repair request / replies asked for; repaired):", "",
              "| arm | role | failures | rate | repaired |", "|---|---|---|---|---|"]
    for arm, a in s["arms"].items():
        for role, f in a["format"].items():
            lines.append(f"| {arm} | {role} | {f['failures']}/{f['asks']} | {f['rate'] * 100:.1f}% | {f['repairs']} |")
    paired = s.get("paired", [])
    if paired:
        lines += ["", "Paired, on the same tasks (solved by one arm only; exact two-sided sign test):", "",
                  "| arms | first only | second only | p |", "|---|---|---|---|"]
        lines += [f"| {a} vs {b} | {x['only_first']} | {x['only_second']} | {x['p']:.3f} |"
                  for x in paired for a, b in [x["arms"]]]
    parts = [f"{arm} {_f(a['pass_at_1'] * 100 if a['pass_at_1'] is not None else None, '.1f')}%"
             for arm, a in s["arms"].items()]
    lines += ["", f"summary: pass@1 {', '.join(parts)} on {s['tasks_complete']} tasks{best_clause(s)}"]
    return "\n".join(lines) + "\n"


def best_clause(s: dict[str, Any]) -> str:
    """The summary's "; best: ARM" clause, saying whether that arm is significantly ahead of every other arm."""
    if not s["arms"] or not s["tasks_complete"]:
        return ""
    best = max(s["arms"], key=lambda arm: s["arms"][arm]["pass_at_1"] or 0)
    against = []  # (p, other arm, tasks only the best won, tasks only the other won)
    for x in s.get("paired", []):
        (a, b), counts = x["arms"], (x["only_first"], x["only_second"])
        if best in (a, b):
            against.append((x["p"], b, *counts) if a == best else (x["p"], a, *reversed(counts)))
    if not against:
        return f"; best: {best}"
    p, other, ahead, behind = max(against)
    verdict = "significantly" if p < 0.05 else "not significantly"
    return f"; best: {best}, {verdict} (against {other}: +{ahead}/-{behind} tasks, p = {p:.2f})"
