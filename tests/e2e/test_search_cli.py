"""The search through the CLI: the standings in summary.json's companion file, and runs export."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import FIXTURES, code_reply, plans_reply, run_cli, write_script

FAST = (FIXTURES / "fast" / "matmul.c").read_text()


def test_standings_and_export(tmp_path: Path) -> None:
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Register blocking")],
        "coder": [code_reply(FAST)],
    })
    run = tmp_path / "run"
    run_cli("optimize", "tasks/matmul", "--model", f"scripted/{script}", "--run-dir", str(run), "--max-iters", "1")
    standings = json.loads((run / "standings.json").read_text())
    assert standings["best"] == "c0001"
    ref, c1 = standings["standings"]
    assert ref["id"] == "reference" and ref["speedup"] == 1.0 and len(ref["speedup_ci"]) == 2
    assert c1["became_best"] and c1["challenged"] == "reference" and c1["vs_reference"] == "faster"
    out = run_cli("runs", "export", "--format", "openai-chat", str(run)).stdout.splitlines()
    recs = [json.loads(line) for line in out]
    assert [r["metadata"]["role"] for r in recs] == ["planner", "coder"]
    assert all(r["metadata"]["success"] for r in recs)
    assert recs[1]["messages"][-1]["role"] == "assistant"
    assert recs[1]["metadata"]["candidates"][0]["id"] == "c0001"
