"""The GPU path end to end on a real GPU: every hand-written candidate of tests/gpu_candidates through the
gpu-torch evaluator, and (``--job``) one whole ``mapforge optimize`` job with the scripted model.

For each problem: the A/A self-test (the reference against itself), then each candidate's verdict, its
speedup against eager PyTorch and against ``torch.compile`` (medians with 95% intervals over processes),
the fraction of the device's measured peak, and the seconds its build took. Candidates of a problem are
judged side by side (``--parallel``: compiles overlap; timing runs never do). The last line sums up:
cheats caught, honest candidates flagged, and the A/A spread.

    python bench/gpu.py [--problems relu,softmax] [--parallel 8] [--job] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.gpu_cases import GpuCase, judge, load_cases  # noqa: E402

from mapforge.config import load_config  # noqa: E402
from mapforge.evaluators import evaluate_guarded  # noqa: E402
from mapforge.runs.job import make_evaluator, make_sandboxes  # noqa: E402
from mapforge.tasks.loader import load_task  # noqa: E402

TIMING = {"min_pairs": 10, "max_pairs": 80, "max_seconds": 4, "target_rel_ci": 0.01, "min_processes": 2,
          "batch_seconds": 0.5}


def run_problem(problem: Path, cases: list[GpuCase], parallel: int, unsafe: bool,
                timing: dict[str, Any]) -> list[dict[str, Any]]:
    task = load_task(problem)
    flags: dict[str, Any] = {"timing": timing, "sandbox": {"backend": "local", "parallel": parallel}}
    if unsafe:
        flags["sandbox"]["unsafe_no_isolation"] = True
    config = load_config(None, flags)
    sandboxes, why = make_sandboxes(task, config, f"bench-gpu-{task.name}")
    rows: list[dict[str, Any]] = []
    try:
        ev = make_evaluator(task, config, sandboxes)
        t0 = time.monotonic()
        base = ev.prepare()
        aa = base.aa
        print(f"{task.name}: {why}; eager {base.seconds * 1e3 if base.seconds else 0:.3f} ms, "
              f"A/A {aa.describe() if aa else '-'} ({time.monotonic() - t0:.0f} s)", flush=True)
        rows.append({"problem": task.name, "case": "A/A", "expected": "~1.0", "status": "aa",
                     "speedup": aa.speedup if aa else None, "ci": list(aa.speedup_ci) if aa else None,
                     "eager_ms": (base.seconds or 0) * 1e3, "ok": True})

        def one(case: GpuCase) -> dict[str, Any]:
            t = time.monotonic()
            v = evaluate_guarded(ev, case.file.read_text())
            build = next((s.seconds for s in v.stages if s.stage == "build"), None)
            prof = v.profile
            problem_text = judge(case, v)
            print(f"  {case.name}: {v.summary_line()[:160]} ({time.monotonic() - t:.0f} s) "
                  f"{'ok' if problem_text is None else 'MISS: ' + problem_text[:120]}", flush=True)
            if problem_text is not None and v.feedback:  # why an honest candidate failed, or a cheat passed
                print("    | " + "\n    | ".join(v.feedback.strip().splitlines()[-12:]), flush=True)
            for note in prof.notes if prof else []:
                print(f"    - {note[:300]}", flush=True)
            if prof and prof.gpu:
                print(f"    - {prof.gpu.describe()}", flush=True)
            return {"problem": task.name, "case": case.file.stem, "honest": case.honest, "kind": case.kind,
                    "expected": "/".join(case.expect) + (" faster" if case.faster else ""), "status": v.status,
                    "speedup": v.speedup, "ci": list(v.timing.speedup_ci) if v.timing else None,
                    "vs_compile": prof.speedup_vs_compiled if prof else None,
                    "vs_compile_ci": list(prof.speedup_vs_compiled_ci) if prof and prof.speedup_vs_compiled_ci else None,
                    "roofline": prof.roofline_fraction if prof else None, "build_s": build,
                    "limiter": prof.gpu.limiter if prof and prof.gpu else None,
                    "occupancy": prof.gpu.occupancy_pct if prof and prof.gpu else None,
                    "reason": v.reason, "ok": problem_text is None}

        with ThreadPoolExecutor(max_workers=parallel) as pool:
            rows += list(pool.map(one, cases))
    finally:
        sandboxes.close()
    return rows


def fmt(x: float | None, ci: list[float] | None = None) -> str:
    if x is None:
        return ""
    return f"{x:.3f}x" + (f" [{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "")


def pct(x: float | None) -> str:
    return "" if x is None else f"{x:.0%}"


def num(x: float | None) -> str:
    return "" if x is None else f"{x:.0f}"


def ncu_cell(r: dict[str, Any]) -> str:
    if not r.get("limiter"):
        return ""
    occ = r.get("occupancy")
    return f"{r['limiter']}" + (f", occ {occ:.0f}%" if occ is not None else "")


def scripted_job(out: Path) -> dict[str, Any]:
    """One whole optimize job on the GPU: the scripted model proposes one plan and writes a Triton softmax."""
    from mapforge.runs.job import run_job

    source = (REPO / "tests" / "gpu_candidates" / "softmax" / "triton_fast.py").read_text()
    plans = [{"title": "one-pass row softmax in Triton", "bottleneck": "memory bandwidth",
              "approach": "one program per row, online max and sum", "confidence": 0.8}]
    script = out / "script.json"
    script.write_text(json.dumps({"replies": {"planner": ["```json\n" + json.dumps(plans) + "\n```"],
                                              "coder": [f"```python\n{source}\n```"]}}))
    config = load_config(None, {"model": {"default": f"scripted/{script}"}, "budget": {"max_iters": 1},
                                "timing": TIMING, "sandbox": {"backend": "local"}})
    return run_job(REPO / "tasks" / "kernelbench" / "softmax.py", config, out / "job", [], expect_kind="optimize")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--problems", help="comma-separated problem names (default: all)")
    ap.add_argument("--parallel", type=int, default=min(8, os.cpu_count() or 1))
    ap.add_argument("--job", action="store_true", help="also run one whole scripted optimize job")
    ap.add_argument("--cases", help="comma-separated case names (file stems, e.g. triton_fast); 'none': only each "
                    "problem's A/A (default: all)")
    ap.add_argument("--timing", choices=("short", "default"), default="short",
                    help="short: 2 processes, 4 s per candidate (wide intervals); default: a real job's settings")
    ap.add_argument("--deadline", type=float, help="start no further problem after this many seconds")
    ap.add_argument("--unsafe-no-isolation", action="store_true")
    ap.add_argument("--out", type=Path, default=Path(os.environ.get("OUT", "bench-runs-gpu")))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    cases = load_cases()
    wanted = set(args.problems.split(",")) if args.problems else None
    problems = sorted({c.problem for c in cases if wanted is None or c.problem.stem in wanted})
    names = None if args.cases is None else set(args.cases.split(",")) - {"none"}
    timing = TIMING if args.timing == "short" else {}
    rows: list[dict[str, Any]] = []
    t0 = time.monotonic()
    for problem in problems:
        if args.deadline is not None and time.monotonic() - t0 > args.deadline:
            print(f"{problem.stem}: not run (past --deadline {args.deadline:.0f} s)", flush=True)
            continue
        chosen = [c for c in cases if c.problem == problem and (names is None or c.file.stem in names)]
        rows += run_problem(problem, chosen, args.parallel, args.unsafe_no_isolation, timing)
        (args.out / "gpu.json").write_text(json.dumps(rows, indent=1))
    print("\n| problem | case | expected | verdict | vs eager [95% CI] | vs torch.compile | peak | ncu | build s | ok |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        status = r["status"] + (f" (eager {r['eager_ms']:.3f} ms)" if r.get("eager_ms") else "")
        print(f"| {r['problem']} | {r['case']} | {r['expected']} | {status} | {fmt(r['speedup'], r['ci'])} | "
              f"{fmt(r.get('vs_compile'), r.get('vs_compile_ci'))} | "
              f"{pct(r.get('roofline'))} | {ncu_cell(r)} | {num(r.get('build_s'))} | {'yes' if r['ok'] else 'NO'} |")
    if args.job:
        s = scripted_job(args.out)
        best = s.get("best") or {}
        print(f"\nscripted job on {s['task']}: {s['status']}, best {fmt(best.get('speedup'), best.get('speedup_ci'))}")
    cheats = [r for r in rows if r.get("honest") is False]
    honest = [r for r in rows if r.get("honest")]
    aas = [r for r in rows if r["status"] == "aa" and r["speedup"] is not None]
    spread = max((abs(r["speedup"] - 1) for r in aas), default=0.0)
    width = max((max(r["speedup"] - r["ci"][0], r["ci"][1] - r["speedup"]) / r["speedup"] for r in aas if r["ci"]),
                default=0.0)
    print(f"summary: cheats caught {sum(r['ok'] for r in cheats)}/{len(cheats)}, honest as expected "
          f"{sum(r['ok'] for r in honest)}/{len(honest)}, A/A medians within ±{spread:.1%} and intervals within "
          f"±{width:.1%} over {len(aas)} problems ({args.timing} timing)")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
