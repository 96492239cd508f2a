"""Harness overhead per candidate and A/A timing fidelity, over the optimize tasks of the library.

For each task: build and time the baseline once, then submit the reference itself as a candidate
``--repeats`` times. Each evaluation's wall time is split by stage; the overhead is the wall time minus the
candidate's own compute (its timed calls and warm-ups; the correctness calls are counted as overhead, so
the figure is an upper bound); a second column also leaves out the baseline calls interleaved with them. The A/A columns say how often the reference timed against itself came out
as "no measurable change" and whether its interval contained 1.0.

    python bench/harness.py [--tasks matmul,softmax] [--repeats 5] [--sandbox local]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from mapforge.config import Config, SandboxConfig
from mapforge.runs.job import make_evaluator, make_sandboxes
from mapforge.tasks.loader import find_tasks, load_task

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", help="comma-separated task names (default: every optimize task)")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sandbox", default="local")
    args = ap.parse_args()
    config = Config(sandbox=SandboxConfig(backend=args.sandbox))
    wanted = set(args.tasks.split(",")) if args.tasks else None
    rows = []
    for folder in find_tasks(REPO / "tasks"):
        task = load_task(folder)
        if task.kind != "optimize" or (wanted and task.name not in wanted):
            continue
        sandboxes, why = make_sandboxes(task, config, f"bench-{task.name}")
        print(why, file=sys.stderr)
        ev = make_evaluator(task, config, sandboxes)
        t0 = time.monotonic()
        baseline = ev.prepare()
        prep = time.monotonic() - t0
        overheads: list[float] = []
        pure: list[float] = []
        ratios: list[float] = []
        stage_t: dict[str, list[float]] = {"static": [], "build": [], "correctness": [], "timing": []}
        contains = quiet = 0
        for _ in range(args.repeats):
            t0 = time.monotonic()
            v = ev.evaluate(task.reference_source or "")
            wall = time.monotonic() - t0
            if not v.correct or v.timing is None:
                print(f"{task.name}: reference as candidate was {v.status}: {v.reason}", file=sys.stderr)
                break
            for s in v.stages:
                stage_t[s.stage].append(s.seconds)
            calls = v.timing.pairs + config.timing.warmup
            overheads.append(wall - calls * v.timing.seconds)
            pure.append(wall - calls * (v.timing.seconds + v.timing.baseline_seconds))
            ratios.append(v.timing.speedup)
            lo, hi = v.timing.speedup_ci
            contains += lo <= 1.0 <= hi
            quiet += not v.timing.significant
        sandboxes.close()
        if not ratios:
            continue
        n = len(ratios)
        rows.append({
            "task": task.name, "ref_ms": baseline.seconds * 1e3, "prepare_s": prep,
            "build_s": statistics.median(stage_t["build"]), "correct_s": statistics.median(stage_t["correctness"]),
            "timing_s": statistics.median(stage_t["timing"]), "overhead_s": statistics.median(overheads),
            "pure_s": statistics.median(pure),
            "aa_median": statistics.median(ratios), "aa_min": min(ratios), "aa_max": max(ratios),
            "ci_has_1": f"{contains}/{n}", "no_change": f"{quiet}/{n}",
        })
    header = ["task", "ref ms", "prepare s", "build s", "correct s", "timing s", "overhead s", "excl. baseline calls s", "A/A median",
              "A/A range", "CI has 1.0", "no measurable change"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print(f"| {r['task']} | {r['ref_ms']:.2f} | {r['prepare_s']:.2f} | {r['build_s']:.2f} | {r['correct_s']:.2f} | "
              f"{r['timing_s']:.2f} | {r['overhead_s']:.2f} | {r['pure_s']:.2f} | {r['aa_median']:.3f} | "
              f"{r['aa_min']:.3f}-{r['aa_max']:.3f} | {r['ci_has_1']} | {r['no_change']} |")
    if not rows:
        print("summary: no tasks measured")
        return 1
    over = statistics.median(r["overhead_s"] for r in rows)
    pure_med = statistics.median(r["pure_s"] for r in rows)
    aa = [r["aa_median"] for r in rows]
    quiet_total = sum(int(r["no_change"].split("/")[0]) for r in rows)
    total = sum(int(r["no_change"].split("/")[1]) for r in rows)
    print(f"summary: {len(rows)} tasks, median harness overhead {over:.2f} s per candidate ({pure_med:.2f} s excluding the interleaved baseline calls), A/A medians "
          f"{min(aa):.3f}-{max(aa):.3f}, 'no measurable change' in {quiet_total}/{total} A/A runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
