"""``mapforge bench`` over a Dask cluster (``--workers N`` / ``--cluster``): the same table and the same verdicts
as on one machine, each answer judged by a named worker, candidates checked on the workers against the
visible examples only. A scripted model, the local sandbox, a suite of three solve tasks copied from tasks/."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import FIXTURES, TASKS, run_cli, write_script

pytest.importorskip("distributed", reason="pip install 'mapforge[cluster]'")

from tests.e2e.test_cluster import Cluster  # noqa: E402 - after the skip: it needs distributed too

MERGE = (FIXTURES / "function" / "merge-intervals.py").read_text()
# right on two-sum-count's two visible examples, wrong on every other input (so wrong on the hidden tests)
EXAMPLES_ONLY = r"""
#include <stdio.h>
#include <string.h>
int main(void) {
    char buf[256] = {0};
    if (fread(buf, 1, sizeof buf - 1, stdin) == 0) return 1;
    if (strcmp(buf, "4 5\n1 4 2 3\n") == 0) puts("2");
    else if (strcmp(buf, "5 0\n0 0 0 1 -1\n") == 0) puts("4");
    else puts("-1");
    return 0;
}
"""
# one reply for every task: each picks its block (its function's, or the C one)
REPLY = (f"```python\n{MERGE}\n```\n\n```python\ndef is_balanced(text):\n    return True\n```\n\n"
         f"```c\n{EXAMPLES_ONLY}\n```\n")
EXPECTED = {"merge-intervals": ("correct", True), "balanced-brackets": ("wrong_answer", False),
            "two-sum-count": ("wrong_answer", False)}
RECALLED = ("### Problem\nMerge overlapping ranges of numbers given as pairs.\n### Solution\nSort, then sweep.\n"
            "### Problem\nCount pairs of numbers with a given sum.\n### Solution\nA hash map of counts.\n")
PLAN = "1. Read the input.\n2. Compute the answer.\n3. Print it."
TIMEOUT = 300


def suite(tmp_path: Path, *names: str) -> Path:
    root = tmp_path / "suite"
    for n in names:
        shutil.copytree(TASKS / n, root / n)
    return root


def bench(root: Path, script: Path, run: Path, *extra: str) -> tuple[str, str]:
    proc = run_cli("bench", str(root), "--model", f"scripted/{script}", "--run-dir", str(run), "--sandbox", "local",
                   *extra, timeout=TIMEOUT)
    return proc.stdout, proc.stderr


def results(run: Path) -> dict[tuple[str, str], dict[str, Any]]:
    rows = [json.loads(line) for line in (run / "results.jsonl").read_text().splitlines()]
    return {(r["task"], r["arm"]): r for r in rows}


def verdicts(run: Path) -> dict[tuple[str, str], tuple[Any, ...]]:
    return {k: (r["status"], r["solved"], r["tests"], r["visible_passed"], r["stop"], r["candidates"])
            for k, r in results(run).items()}


def without_walls(table: str) -> str:
    """The table with its wall-time columns blanked (the one thing two runs do not share)."""
    out, walls, width = [], [], 0
    for line in table.splitlines():
        cells = line.split(" | ")
        if line.startswith("| arm | tasks "):
            walls, width = [i for i, c in enumerate(cells) if "wall" in c], len(cells)
        elif line.startswith("| ") and len(cells) == width:
            for i in walls:
                cells[i] = "~"
        out.append(" | ".join(cells))
    assert walls, "the table has wall-time columns"
    return "\n".join(out)


def arms_without_walls(run: Path) -> dict[str, Any]:
    arms = json.loads((run / "summary.json").read_text())["arms"]
    return {arm: {k: v for k, v in a.items() if not k.startswith("wall")} for arm, a in arms.items()}


@pytest.mark.timeout(600)
def test_bench_on_local_workers_gives_the_single_machine_table(tmp_path: Path) -> None:
    # two workers, each on cores of its own; a machine that lends this test one core gets one worker
    n = min(2, len(os.sched_getaffinity(0)))
    root = suite(tmp_path, *EXPECTED)
    script = write_script(tmp_path / "s.json", {"direct": [REPLY]})
    one, dist = tmp_path / "one", tmp_path / "dist"
    out1, _ = bench(root, script, one, "--arm", "direct")
    out2, err2 = bench(root, script, dist, "--arm", "direct", "--workers", str(n))
    assert "cluster: candidates judged on the cluster at tcp://127.0.0.1:" in err2 and f"({n} worker(s))" in err2
    assert verdicts(dist) == verdicts(one)
    assert {t: (r["status"], r["solved"]) for (t, _), r in results(dist).items()} == EXPECTED
    assert results(dist)[("two-sum-count", "direct")]["tests"][0] == 2  # its examples pass, the hidden tests fail
    assert arms_without_walls(dist) == arms_without_walls(one)
    assert arms_without_walls(dist)["direct"]["solved"] == 1
    assert without_walls(out2) == without_walls(out1) and "| direct | 3 | 1 | 33.3% |" in out2
    assert (dist / "table.md").read_text() == out2
    assert {r["worker"] for r in results(dist).values()} <= {f"local-{i}" for i in range(n)}
    assert all("worker" not in r for r in results(one).values())
    assert "judged on local-" in err2


@pytest.mark.timeout(600)
def test_bench_mapcoder_on_a_running_cluster_checks_visible_examples_on_the_workers(
        tmp_path: Path) -> None:
    """mapcoder checks its candidates on the workers against the visible examples only: the two-sum-count
    answer passes them (no debugger call; the script has none) and is then judged wrong on the hidden tests."""
    c = Cluster(tmp_path / "cluster")
    try:
        for i in range(2):
            c.add_worker(f"w{i}")
        c.wait_for(2)
        root = suite(tmp_path, "merge-intervals", "two-sum-count")
        script = write_script(tmp_path / "s.json", {
            "retriever": [RECALLED], "planner": [PLAN, PLAN], "verifier": ["Confidence: 80", "Confidence: 70"],
            "coder": [REPLY]})
        one, dist = tmp_path / "one", tmp_path / "dist"
        bench(root, script, one, "--arm", "mapcoder")
        out, err = bench(root, script, dist, "--arm", "mapcoder", "--cluster", c.address)
    finally:
        c.close()
    assert f"the cluster at {c.address} (2 worker(s))" in err
    got = results(dist)
    ts = got[("two-sum-count", "mapcoder")]
    assert ts["visible_passed"] and ts["stop"] == "passed the visible examples" and ts["candidates"] == 1
    assert ts["status"] == "wrong_answer" and not ts["solved"] and ts["tests"][0] == 2
    assert got[("merge-intervals", "mapcoder")]["solved"]
    assert verdicts(dist) == verdicts(one)
    assert {r["worker"] for r in got.values()} <= {"w0", "w1"}
    assert "| mapcoder | 2 | 1 | 50.0% |" in out
