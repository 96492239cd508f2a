"""Probe: where recorded runs spent their tokens, and what each role's calls gave. For every run folder
(``calls/NNNN-<role>.json`` and ``candidates/*/verdict.json``), tokens and calls per role, then the judged
candidates by who wrote them (the coder: no parent; the debugger: a repair) and by status ("faster": correct and
significantly faster, as the job judged it). Prints a table per role and a one-line summary.

    python bench/probes/where_tokens_go.py [--arm loop] bench-runs/search-tsvc-v9a [more run folders or outputs]
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from mapforge.evaluators.verdict import Verdict


def run_dirs(paths: list[Path]) -> list[Path]:
    """Run folders (holding ``calls/``) among the paths or directly under them (a bench output)."""
    out: list[Path] = []
    for p in paths:
        out.extend([p] if (p / "calls").is_dir() else sorted(d for d in p.iterdir() if (d / "calls").is_dir()))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("paths", nargs="+", type=Path)
    ap.add_argument("--arm", help="only a bench output's runs of this arm (their folders start with it)")
    args = ap.parse_args()
    tokens: Counter[str] = Counter()
    calls: Counter[str] = Counter()
    judged: Counter[tuple[str, str]] = Counter()
    runs = [r for r in run_dirs(args.paths) if not args.arm or r.name.startswith(args.arm + "-")]
    for run in runs:
        for f in (run / "calls").glob("*.json"):
            role = f.stem.split("-", 1)[1]
            done = json.loads(f.read_text()).get("completion") or {}
            tokens[role] += int(done.get("prompt_tokens") or 0) + int(done.get("completion_tokens") or 0)
            calls[role] += 1
        for v in (run / "candidates").glob("*/verdict.json"):
            rec = json.loads(v.read_text())
            who = "debugger" if rec.get("parent") else "coder"
            status = rec["verdict"]["status"]
            faster = Verdict.model_validate(rec["verdict"]).improved  # as the job judged it
            judged[(who, "faster" if faster else status)] += 1
    total = sum(tokens.values()) or 1
    print("| role | calls | tokens | share | judged | correct | faster | other verdicts |")
    print("|---|---|---|---|---|---|---|---|")
    for role in sorted(calls, key=lambda r: -tokens[r]):
        mine = {s: n for (who, s), n in judged.items() if who == role}
        correct = mine.get("correct", 0) + mine.get("faster", 0)
        other = ", ".join(f"{s} {n}" for s, n in sorted(mine.items()) if s not in ("correct", "faster"))
        print(f"| {role} | {calls[role]} | {tokens[role]} | {tokens[role] / total:.0%} | {sum(mine.values())} | "
              f"{correct} | {mine.get('faster', 0)} | {other or '-'} |")
    n = sum(judged.values())
    ok = sum(c for (_, s), c in judged.items() if s in ("correct", "faster"))
    print(f"summary: {len(runs)} runs, {sum(tokens.values())} tokens in {sum(calls.values())} calls, {n} candidates "
          f"judged, {ok} correct, {sum(c for (_, s), c in judged.items() if s == 'faster')} significantly faster")


if __name__ == "__main__":
    main()
