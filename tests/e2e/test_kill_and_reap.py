"""kill -9 of a job, end to end (scripted model, real docker sandbox): it leaves a summary that says it did not
finish and everything resume needs; its containers are reaped by the next job, never a live job's; `runs list`
says which runs were killed; the resumed job's --json ``best`` event carries the interval the display shows."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from tests.helpers import (
    FAST_TIMING_ENV,
    FIXTURES,
    NO_ANALYST_ENV,
    REPO,
    code_reply,
    plans_reply,
    read_events,
    read_summary,
    require_docker,
    run_cli,
    write_script,
)

FAST = (FIXTURES / "fast" / "matmul.c").read_text()
# a second candidate, as fast and as correct, that compiles to other machine code than FAST (row1 not inlined)
OTHER = FAST.replace("static void row1", "static __attribute__((noinline)) void row1")


def _containers(label: str) -> list[str]:
    out = subprocess.run(["docker", "ps", "-a", "--filter", f"label={label}", "-q", "--no-trunc"],
                         capture_output=True, text=True, check=True).stdout
    return out.split()


def test_kill_9_leaves_a_resumable_run_and_its_containers_are_reaped_not_a_live_jobs(tmp_path: Path) -> None:
    require_docker()
    from mapforge.sandbox import Limits
    from mapforge.sandbox.docker import create_container, docker_client, remove_container, require_image

    client = docker_client()
    live = create_container(client, require_image(client, None), Limits(), f"live-{uuid.uuid4().hex[:8]}")
    try:
        replies: dict[str, list[object]] = {
            "planner": [plans_reply("Loop interchange", "Register blocking")],
            "coder": [code_reply(FAST), {"text": code_reply(OTHER), "delay": 120}],
        }
        script = write_script(tmp_path / "s.json", replies)
        run = tmp_path / f"run-{uuid.uuid4().hex[:6]}"
        env = {**os.environ, **FAST_TIMING_ENV, **NO_ANALYST_ENV}
        args = [sys.executable, "-m", "mapforge", "optimize", "tasks/matmul", "--model", f"scripted/{script}",
                "--run-dir", str(run), "--max-iters", "2", "--sandbox", "docker"]
        proc = subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:  # the first candidate is judged; the second coder request hangs
            if (run / "events.jsonl").exists() and any(e["event"] == "candidate" for e in read_events(run)) \
                    and sum(1 for e in read_events(run) if e["event"] == "step" and e.get("agent") == "coder") >= 2:
                break
            time.sleep(0.2)
        else:
            proc.kill()
            raise AssertionError("the job never judged its first candidate: " + (proc.stderr.read() if proc.stderr else ""))
        orphans = _containers(f"mapforge.run={run.name}")
        assert orphans, "the job's warm pool should hold a container"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)

        s = read_summary(run)  # what the kill left: a summary that says so, with the candidate judged so far
        assert s["interrupted"] is True and s["candidates"] == 1 and "did not finish" in s["stop_reason"]
        assert s["status"] in ("improved", "no_improvement")
        listed = [json.loads(line) for line in run_cli("runs", "list", "--root", str(tmp_path), "--json").stdout.splitlines()]
        assert [r["state"] for r in listed] == ["killed (resume: run the same command)"]
        assert set(orphans) <= set(_containers(f"mapforge.run={run.name}"))  # still there: nobody reaped yet

        replies["coder"][1] = code_reply(OTHER)
        write_script(script, replies)
        done = run_cli("optimize", "tasks/matmul", "--model", f"scripted/{script}", "--run-dir", str(run),
                       "--max-iters", "2", "--sandbox", "docker", "--json")
        s = read_summary(run)
        assert s["interrupted"] is False and s["candidates"] == 2 and s["status"] == "improved"
        assert not set(orphans) & set(_containers("mapforge.sandbox")), "the next job must reap the orphans"
        assert live.id in _containers("mapforge.sandbox"), "a live job's container must never be reaped"
        best = [json.loads(line) for line in done.stdout.splitlines() if '"event": "best"' in line]
        assert best and best[-1]["speedup_ci"] and best[-1]["speedup_ci"][0] > 1.0

        cleanup = run_cli("sandbox", "cleanup")  # other live jobs on this machine may hold containers too
        assert live.id in _containers("mapforge.sandbox")
        assert "container(s) of running job(s)" in cleanup.stderr and str(os.getpid()) in cleanup.stderr
    finally:
        remove_container(live)
