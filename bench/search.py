"""Does the search earn its tokens? Single-shot sampling against the full loop, at equal tokens, held out.

For each task, two arms with the same model and the same token budget:

- ``loop``: ``mapforge optimize`` (planner, per-plan retrieval, population, debugger, significant selection),
  with ``--max-tokens`` = the budget, the planner at temperature 0.7 and the coder at the single arm's 0.8;
- ``single``: k independent samples of one coder prompt (the task and a generic "make it faster" plan, at
  temperature 0.8, no exemplars), each judged by the same harness, the best kept by the same significant
  selection (head to head), until the budget is spent.

Every run gets a fresh response cache and a fresh memory; the loop runs with the cards and memories derived
from the task held out (``agents.held_out``: leave-one-out). The loop's ledger of yields
(``search/yields.py``) starts empty with the bench and is shared by its loop runs (``MAPFORGE_YIELDS_FILE``
names another): like a new user's, it learns whether the model's repairs and plans pay from the jobs before. Prints a
row per task and arm (status, best speedup with its interval, who wrote the best, tokens, wall time), then the totals per arm:
fast_1 (share of tasks whose best is significantly faster than the reference), geomean speedup (a task without
a win counts 1.0) and tokens per improved task.

    python bench/search.py [--model local/qwen2.5-coder-1.5b-instruct] [--tasks tsvc-s000,tsvc-s116]
                           [--budget 6000] [--out bench-runs/search] [--tasks-dir bench/user-tasks]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
#: Where task names are looked up (``--tasks-dir``): the library, or a suite kept apart (bench/user-tasks).
TASKS = REPO / "tasks"
#: The coder's temperature in both arms: they differ in what the coder is asked, not in how it samples.
SAMPLING = 0.8


def loop_arm(task: str, model: str, budget: int, out: Path) -> dict[str, Any]:
    run = out / f"loop-{task}"
    with tempfile.TemporaryDirectory(prefix="mf-bench-") as tmp:
        env = {**os.environ, "MAPFORGE_CACHE_DIR": f"{tmp}/cache", "MAPFORGE_MEMORY_FILE": f"{tmp}/memory.jsonl",
               "MAPFORGE_AGENTS__HELD_OUT": json.dumps([task]),
               "MAPFORGE_MODEL__TEMPERATURES": json.dumps({"planner": 0.7, "coder": SAMPLING}),
               # the bench's own ledger of yields (counts, no task knowledge), learnt over its loop runs
               "MAPFORGE_YIELDS_FILE": os.environ.get("MAPFORGE_YIELDS_FILE", str(out / "yields.json"))}
        cmd = [sys.executable, "-m", "mapforge", "optimize", str(TASKS / task), "--model", model,
               "--max-tokens", str(budget), "--max-iters", "100", "--run-dir", str(run), "--sandbox", "local"]
        subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL)
    s = json.loads((run / "summary.json").read_text())
    best = s.get("best")
    by = json.loads((run / "candidates" / best["candidate_id"] / "verdict.json").read_text()).get("author", "coder") \
        if best else None  # who wrote the best: the coder, the debugger or the analyst (no model call)
    return {"status": s["status"], "best": best, "tokens": s["tokens"]["prompt"] + s["tokens"]["completion"],
            "wall": s["wall_seconds"], "candidates": s["candidates"], "by": by}


def single_arm(task_name: str, model: str, budget: int, out: Path) -> dict[str, Any]:
    from mapforge.agents.coder import Coder
    from mapforge.agents.context import AgentContext
    from mapforge.agents.planner import FREE
    from mapforge.config import load_config
    from mapforge.errors import BudgetExhausted
    from mapforge.evaluators import evaluate_guarded
    from mapforge.runs.job import Events, make_evaluator, make_llm, make_sandboxes
    from mapforge.runs.record import RunRecord
    from mapforge.search.selection import Entrant, Selection
    from mapforge.tasks.loader import load_task

    task = load_task(TASKS / task_name)
    run = out / f"single-{task_name}"
    config = load_config(flags={"model": {"default": model, "temperature": SAMPLING},
                                "sandbox": {"backend": "local"}, "budget": {"max_tokens": budget}})
    record = RunRecord(run)
    record.open(config.model_dump(mode="json"), {"name": task.name})
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mf-bench-") as tmp:
        os.environ["MAPFORGE_CACHE_DIR"] = f"{tmp}/cache"
        llm = make_llm(config, record, Events(record, []))
        sandboxes, _ = make_sandboxes(task, config, run.name)
        try:
            ev = make_evaluator(task, config, sandboxes)
            base = ev.prepare()
            record.save_baseline({"seconds": base.seconds, "aa_ci": list(base.aa.speedup_ci) if base.aa else None})
            sel = Selection("optimize", record, getattr(ev, "head_to_head", None))
            coder, ctx, seen, n = Coder(llm, 1), AgentContext(task=task, baseline_seconds=base.seconds), set(), 0
            try:
                while True:
                    src = coder.run(ctx, FREE, ("", ""), [])
                    if src is None or src in seen:
                        continue
                    seen.add(src)
                    n += 1
                    cid = f"c{n:04d}"
                    v = evaluate_guarded(ev, src)
                    record.save_candidate(cid, src, ".c", v, {"plan": FREE.title})
                    sel.offer(Entrant(cid, src, v))
            except BudgetExhausted:
                pass
        finally:
            sandboxes.close()
            record.close()
    best = None
    if sel.best is not None and sel.best.verdict.timing is not None:
        t = sel.best.verdict.timing
        best = {"candidate_id": sel.best.id, "speedup": t.speedup, "speedup_ci": list(t.speedup_ci)}
    return {"status": "improved" if best else "no_improvement", "best": best, "candidates": n,
            "tokens": llm.usage.total_tokens, "wall": round(time.monotonic() - started, 1)}


def totals(rows: list[dict[str, Any]]) -> str:
    from mapforge.evaluators.stats import wilson_ci

    wins = [r for r in rows if r["status"] == "improved"]
    speedups = [r["best"]["speedup"] if r["status"] == "improved" else 1.0 for r in rows]
    geo = math.exp(sum(math.log(s) for s in speedups) / len(speedups)) if speedups else 1.0
    tokens = sum(r["tokens"] for r in rows)
    per = f"{tokens / len(wins):.0f}" if wins else "-"
    lo, hi = wilson_ci(len(wins), len(rows))
    return (f"fast_1 {len(wins)}/{len(rows)} ({len(wins) / max(len(rows), 1):.0%}, 95% CI [{lo:.0%}, {hi:.0%}]), "
            f"geomean {geo:.3f}x, tokens per improved task {per}")


def paired(results: dict[str, list[dict[str, Any]]]) -> str:
    """The tasks only one of two arms improved, and the exact sign test on them."""
    from mapforge.bench.table import paired_test

    a, b = results
    won = {arm: {r["task"] for r in rows if r["status"] == "improved"} for arm, rows in results.items()}
    x = paired_test(a, b, won[a], won[b])
    return f"paired: improved by {a} only {x['only_first']}, by {b} only {x['only_second']}; sign test p = {x['p']:.2f}"


def suite(spec: str) -> list[str]:
    names = sorted(p.name for p in TASKS.iterdir() if (p / "task.toml").exists())
    if spec == "tsvc":
        return [n for n in names if n.startswith("tsvc-")]
    if spec == "library":
        return [n for n in names if not n.startswith("tsvc-") and _kind(n) == "optimize"]
    return spec.split(",")


def _kind(name: str) -> str:
    import tomllib

    return str(tomllib.loads((TASKS / name / "task.toml").read_text()).get("kind", ""))


def main() -> int:
    global TASKS
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="local/qwen2.5-coder-1.5b-instruct")
    ap.add_argument("--tasks", default="tsvc-s000,tsvc-s116,tsvc-s2251",
                    help="comma-separated task names, or 'tsvc' / 'library' for a whole suite")
    ap.add_argument("--sample", type=int, help="a seeded sample of this many of the tasks")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--budget", type=int, default=6000, help="tokens per task and arm")
    ap.add_argument("--arms", default="single,loop")
    ap.add_argument("--out", type=Path, default=REPO / "bench-runs" / "search")
    ap.add_argument("--tasks-dir", type=Path, default=REPO / "tasks", help="the folder the task names are in")
    args = ap.parse_args()
    TASKS = args.tasks_dir.resolve()
    args.out = args.out.resolve()  # the loop's jobs run from the repository root, not from here
    args.out.mkdir(parents=True, exist_ok=True)
    results: dict[str, list[dict[str, Any]]] = {a: [] for a in args.arms.split(",")}
    tasks = suite(args.tasks)
    if args.sample:
        tasks = sorted(random.Random(args.seed).sample(tasks, min(args.sample, len(tasks))))
    done_file = args.out / "rows.jsonl"  # one row per finished (task, arm, model, budget): a rerun resumes
    done = [json.loads(line) for line in done_file.read_text().splitlines()] if done_file.exists() else []
    print(f"{len(tasks)} tasks: {', '.join(tasks)}", flush=True)
    print("| task | arm | status | best speedup [95% CI] | by | candidates | tokens | wall s |\n"
          "|---|---|---|---|---|---|---|---|", flush=True)
    for task in tasks:
        for arm in results:
            key = {"task": task, "arm": arm, "model": args.model, "budget": args.budget}
            r = next((d for d in done if all(d.get(k) == v for k, v in key.items())), None)
            if r is None:
                r = (loop_arm if arm == "loop" else single_arm)(task, args.model, args.budget, args.out)
                r.update(key, settings={k: v for k, v in os.environ.items()  # what the row measured
                                        if k.startswith(("MAPFORGE_AGENTS__", "MAPFORGE_SEARCH__"))})
                with done_file.open("a") as f:
                    f.write(json.dumps(r) + "\n")
            results[arm].append(r)
            b = r["best"] or {}
            sp = f"{b['speedup']:.2f}x [{b['speedup_ci'][0]:.2f}, {b['speedup_ci'][1]:.2f}]" if b.get("speedup") else "-"
            by = r.get("by") or ("coder" if b and arm == "single" else "-")
            print(f"| {task} | {arm} | {r['status']} | {sp} | {by} | {r['candidates']} | {r['tokens']} | {r['wall']:.0f} |",
                  flush=True)
    for arm, rows in results.items():
        print(f"{arm} ({args.model}, budget {args.budget} tokens/task): {totals(rows)}")
    if len(results) == 2:
        print(paired(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
