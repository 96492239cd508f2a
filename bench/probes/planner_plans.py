"""Probe: what does the planner propose for a task before any candidate, with the reference's profile as
its evidence? Prints each plan's title and bottleneck per task and draw, then a one-line summary: how many
plans quote a line of the reference (the planner prompt asks for that) and how many distinct titles came
back (a planner that copies one list for every task gives few).

    python bench/probes/planner_plans.py tsvc-s293,stencil2d --draws 2 [--model local/qwen2.5-coder-1.5b-instruct]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from mapforge.agents.context import AgentContext
from mapforge.agents.planner import Planner
from mapforge.config import load_config
from mapforge.evaluators.profile import profile_candidate
from mapforge.runs.job import Events, make_llm
from mapforge.runs.record import RunRecord
from mapforge.sandbox import Limits, make_sandbox_factory
from mapforge.search.machine import machine_facts
from mapforge.tasks.loader import load_task
from mapforge.tasks.spec import OptimizeSpec

TASKS = Path(__file__).resolve().parents[2] / "tasks"


def quotes_a_line(text: str, reference: str) -> bool:
    """Does ``text`` quote a line of ``reference`` (a code span that occurs in it, or one of its lines)?"""
    lines = {ln.strip().rstrip("{;").strip() for ln in reference.splitlines() if len(ln.strip()) > 6}
    spans = [s.strip().rstrip("{;").strip() for s in re.findall(r"`([^`]{4,})`", text)]
    return any(s and s in reference for s in spans) or any(ln in text for ln in lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tasks")
    ap.add_argument("--draws", type=int, default=2)
    ap.add_argument("--model", default="local/qwen2.5-coder-1.5b-instruct")
    ap.add_argument("--temperature", type=float, default=0.7)
    args = ap.parse_args()
    config = load_config(flags={"model": {"default": args.model, "temperatures": {"planner": args.temperature},
                                          "cache": False}})
    machine = machine_facts().describe()
    titles: set[str] = set()
    total = quoting = 0
    print("| task | draw | title | bottleneck |\n|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        record = RunRecord(Path(tmp) / "run")
        record.open(config.model_dump(mode="json"), {"name": "probe"})
        planner = Planner(make_llm(config, record, Events(record, [])), config.agents.plans, 1)
        factory = make_sandbox_factory("local", Limits(), "planner-probe", 0)
        try:
            for name in args.tasks.split(","):
                task = load_task(TASKS / name)
                assert isinstance(task.spec, OptimizeSpec), f"{name} is not an optimize task"
                with factory() as sb:
                    evidence = profile_candidate(sb, task.spec, task.reference_source or "").describe()
                ctx = AgentContext(task=task, machine=machine, reference_evidence=evidence)
                for draw in range(args.draws):
                    for p in planner.run(ctx):
                        total += 1
                        quoting += quotes_a_line(p.bottleneck, task.reference_source or "")
                        titles.add(p.title.strip().lower())
                        print(f"| {name} | {draw} | {p.title} | {p.bottleneck.replace('|', '/')[:160]} |", flush=True)
        finally:
            factory.close()
            record.close()
    print(f"{total} plans: {quoting} quote a line of the reference; {len(titles)} distinct titles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
