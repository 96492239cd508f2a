"""Real jobs with a real model: ``mapforge optimize`` on a few tasks, one table row per task.

Runs the CLI itself (as a user would), each job in its own run directory under ``--out`` (where the
retriever's memory of earlier wins is kept too, so later tasks may recall earlier ones), then reads each
``summary.json``: candidates, compile / correct / format-failure rates, best speedup with its interval,
tokens and wall time.

    python bench/model_jobs.py [--model local/qwen2.5-coder-1.5b-instruct] [--tasks matmul,stencil2d,transpose]
                               [--max-iters 3] [--out bench-runs]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def rate(x: object) -> str:
    return f"{x:.0%}" if isinstance(x, (int, float)) else "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="local/qwen2.5-coder-1.5b-instruct")
    ap.add_argument("--tasks", default="matmul,stencil2d,transpose")
    ap.add_argument("--max-iters", type=int, default=3)
    ap.add_argument("--out", type=Path, default=REPO / "bench-runs")
    args = ap.parse_args()
    rows = []
    for name in args.tasks.split(","):
        run_dir = args.out / f"{name}-{args.model.replace('/', '_')}"
        cmd = [sys.executable, "-m", "mapforge", "optimize", str(REPO / "tasks" / name), "--model", args.model,
               "--max-iters", str(args.max_iters), "--run-dir", str(run_dir)]
        print("running:", " ".join(cmd), file=sys.stderr, flush=True)
        # the retriever's memory of earlier wins lives in the output folder, not the user's cache
        env = {**os.environ, "MAPFORGE_MEMORY_FILE": str(args.out / "memory.jsonl")}
        proc = subprocess.run(cmd, cwd=REPO, env=env)
        try:
            s = json.loads((run_dir / "summary.json").read_text())
        except (OSError, json.JSONDecodeError):
            print(f"{name}: no summary (exit {proc.returncode})", file=sys.stderr)
            continue
        calls = sum(r["requests"] for r in s["usage"]["per_role"].values()) or 1
        fails = sum(r["format_failures"] for r in s["usage"]["per_role"].values())
        best = s.get("best") or {}
        sp = (f"{best['speedup']:.2f}x [{best['speedup_ci'][0]:.2f}, {best['speedup_ci'][1]:.2f}]"
              if best.get("speedup") else "-")
        rows.append([name, s["status"], str(s["candidates"]), rate(s["rates"]["compile"]), rate(s["rates"]["correct"]),
                     f"{fails}/{calls}", sp, f"{s['tokens']['prompt']}+{s['tokens']['completion']}",
                     f"{s['wall_seconds']:.0f}"])
    header = ["task", "status", "candidates", "compile", "correct", "format failures", "best speedup [95% CI]",
              "tokens (prompt+completion)", "wall s"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for r in rows:
        print("| " + " | ".join(r) + " |")
    improved = sum(r[1] == "improved" for r in rows)
    print(f"summary: {args.model}, {len(rows)} tasks, {improved} improved, "
          f"{sum(int(r[2]) for r in rows)} candidates, wall {sum(float(r[8]) for r in rows):.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
