"""The red-team suite as a benchmark: every case of ``tests/redteam/cases.toml`` through the harness.

For each case: the candidate's verdict, whether it is one the case expects, and the seconds one evaluation
took (the baseline of each task is built and timed once, outside those seconds). The last line sums it
up: the flag rate over the cheats (share judged not ``correct`` and with an expected status; must be
100%), the false-positive rate over the honest candidates (share not judged correct and measurably
faster; must be 0%), and the mean seconds per evaluation. A harness exception counts as a miss and is
shown as ``raised:<Exception>``.

    python bench/redteam.py [--sandbox local|docker] [--tasks matmul,softmax] [--cases b_,c1_] [--full-timing]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from mapforge.config import load_config
from mapforge.runs.job import make_evaluator, make_sandboxes
from mapforge.tasks.loader import load_task

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent
REDTEAM = REPO / "tests" / "redteam"
#: tests/helpers.py's FAST_TIMING_ENV, as config flags (what the integration test uses)
SHORT_TIMING = {"min_pairs": 8, "max_pairs": 60, "max_seconds": 3, "target_rel_ci": 0.03}


def load_cases() -> list[dict[str, Any]]:
    cases = tomllib.loads((REDTEAM / "cases.toml").read_text())["case"]
    return sorted(cases, key=lambda c: (c["task"], not c["honest"], c["file"]))


def judge(case: dict[str, Any], v: Any) -> bool:
    """True when the verdict is what the case wants (the same rule as tests/integration/test_redteam.py)."""
    if case["honest"]:
        return bool(v.correct and (v.improved or not case.get("faster")))
    if v.status == "correct":
        return bool(case.get("honest_fallback") or (case.get("neutralised_if_correct") and not v.improved))
    if v.status not in case["expect"]:
        return False
    want = case.get("reason_contains")
    return not want or want in v.reason.lower()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sandbox", default="local", choices=["local", "docker", "auto"])
    ap.add_argument("--tasks", help="comma-separated task names (default: every task in the manifest)")
    ap.add_argument("--cases", help="comma-separated prefixes of case files to run (default: all)")
    ap.add_argument("--full-timing", action="store_true",
                    help="use the configured timing settings instead of the test suite's short ones")
    args = ap.parse_args()
    flags: dict[str, Any] = {"sandbox": {"backend": args.sandbox}}
    if not args.full_timing:
        flags["timing"] = SHORT_TIMING
    config = load_config(None, flags)
    tasks = set(args.tasks.split(",")) if args.tasks else None
    prefixes = tuple(args.cases.split(",")) if args.cases else None
    cases = [c for c in load_cases()
             if (tasks is None or c["task"] in tasks) and (prefixes is None or c["file"].startswith(prefixes))]
    rows = []
    by_task: dict[str, list[dict[str, Any]]] = {}
    for c in cases:
        by_task.setdefault(c["task"], []).append(c)
    for task_name, group in by_task.items():
        task = load_task(REPO / "tasks" / task_name)
        sandboxes, why = make_sandboxes(task, config, f"bench-redteam-{task_name}-{uuid.uuid4().hex[:6]}")
        print(f"{task_name}: {why}", file=sys.stderr)
        try:
            ev = make_evaluator(task, config, sandboxes)
            t0 = time.monotonic()
            ev.prepare()
            print(f"{task_name}: baseline in {time.monotonic() - t0:.1f} s", file=sys.stderr)
            for c in group:
                source = (REDTEAM / c["file"]).read_text()
                t0 = time.monotonic()
                got: str
                try:
                    v = ev.evaluate(source)
                    got, ok, speed = v.status, judge(c, v), (f"{v.timing.speedup:.2f}x" if v.timing else "")
                    reason = v.reason
                except Exception as e:  # the harness should never raise on a candidate: count it as a miss
                    got, ok, speed, reason = f"raised:{type(e).__name__}", False, "", str(e)
                secs = time.monotonic() - t0
                rows.append({"case": c["file"], "task": task_name, "cls": c["cls"], "honest": c["honest"],
                             "expect": "/".join(c["expect"]), "got": got, "ok": ok, "speedup": speed,
                             "seconds": secs, "reason": reason.splitlines()[0][:90] if reason else ""})
                print(f"  {c['file']}: {got} {speed} ({secs:.1f} s) {'ok' if ok else 'MISS'}", file=sys.stderr)
        finally:
            sandboxes.close()
    header = ["case", "class", "expected", "got", "ok", "speedup", "s/eval", "reason"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print(f"| {r['case']} | {r['cls']} | {r['expect']} | {r['got']} | {'yes' if r['ok'] else 'NO'} | "
              f"{r['speedup']} | {r['seconds']:.1f} | {r['reason'].replace('|', '/')} |")
    if not rows:
        print("summary: no cases run")
        return 1
    cheats = [r for r in rows if not r["honest"]]
    honest = [r for r in rows if r["honest"]]
    flagged = sum(r["ok"] for r in cheats)
    false_pos = sum(not r["ok"] for r in honest)
    judged_correct = sum(r["got"] == "correct" for r in cheats)
    mean_s = statistics.mean(r["seconds"] for r in rows)
    flag_rate = f"{100 * flagged / len(cheats):.0f}% ({flagged}/{len(cheats)})" if cheats else "n/a"
    fp_rate = f"{100 * false_pos / len(honest):.0f}% ({false_pos}/{len(honest)})" if honest else "n/a"
    print(f"summary: {args.sandbox} backend, flag rate over cheats {flag_rate} ({judged_correct} judged correct), "
          f"honest false-positive rate {fp_rate}, mean {mean_s:.1f} s per evaluation over {len(rows)} cases")
    return 0 if flagged == len(cheats) and not false_pos else 1


if __name__ == "__main__":
    sys.exit(main())
