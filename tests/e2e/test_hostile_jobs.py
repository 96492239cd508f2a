"""Hostile candidates inside whole jobs: the run's records stay intact, and nothing secret or hidden leaks
into what the model is shown. Solve programs may use any system call, so they are the hardest case."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import REPO, code_reply, plans_reply, read_events, read_summary, run_cli, write_script

HIDDEN = REPO / "tasks" / "word-frequency" / "hidden_tests.toml"
SECRET = "sk-test-do-not-leak-4242"

SNOOP = '''
import os, shutil, socket, sys
out = []
for path in [{hidden!r}, {run!r} + "/summary.json", {run!r} + "/events.jsonl"]:
    try:
        out.append("read:" + open(path).read()[:120].replace("\\n", " "))
    except Exception as e:
        out.append("blocked:" + type(e).__name__)
try:
    shutil.rmtree({run!r})
    out.append("deleted run dir")
except Exception as e:
    out.append("rm-blocked:" + type(e).__name__)
try:
    socket.create_connection(("127.0.0.1", 22), timeout=2)
    out.append("network:open")
except Exception as e:
    out.append("network-blocked:" + type(e).__name__)
out.append("key:" + os.environ.get("OPENAI_API_KEY", "absent"))
print("\\n".join(out))
'''


def test_hostile_solve_program_leaves_records_intact_and_learns_nothing(tmp_path: Path, backend: str) -> None:
    run = tmp_path / "run"
    src = SNOOP.format(hidden=str(HIDDEN), run=str(run))
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Snoop")],
        "coder": [code_reply(src, "python")],
        "debugger": [code_reply(src + "\nprint('again')", "python")],  # not the same code: it is judged again
    })
    run_cli("solve", "tasks/word-frequency", "--model", f"scripted/{script}", "--run-dir", str(run),
            "--max-iters", "1", "--sandbox", backend,
            env={"OPENAI_API_KEY": SECRET, "MAPFORGE_AGENTS__DEBUG_ROUNDS": "1"})
    # the records survived the attempt to delete them
    s = read_summary(run)
    assert s["status"] == "unsolved" and s["candidates"] == 2
    assert {"start", "candidate", "end"} <= {e["event"] for e in read_events(run)}
    assert len(list((run / "calls").glob("*.json"))) == 3
    # what the program saw (echoed back to the debugger as its output on a visible example)
    call = json.loads(next((run / "calls").glob("*-debugger.json")).read_text())
    prompt = call["request"]["messages"][-1]["content"]
    got = prompt.split("got:\n", 1)[1].split("```", 1)[0]  # the program's stdout, as fed back
    assert SECRET not in prompt
    prompt = got
    assert "blocked:" in prompt and "rm-blocked:" in prompt and "network-blocked:" in prompt
    assert "key:absent" in prompt and SECRET not in prompt
    assert "read:" not in prompt and "deleted run dir" not in prompt
    hidden_answer = HIDDEN.read_text().split("[[tests]]")[2]
    assert hidden_answer.strip()[:40] not in prompt
