"""End to end: a real scripted job writes report.html; runs show/compare/list read run directories."""

from __future__ import annotations

import re
from pathlib import Path

from tests.helpers import FIXTURES, code_reply, plans_reply, read_summary, run_cli, write_script

FAST = (FIXTURES / "fast" / "matmul.c").read_text()


def test_a_job_writes_an_html_report_and_runs_compare_reads_it(tmp_path: Path) -> None:
    broken = FAST.replace("void matmul(", "void matmul(int oops ", 1)
    script = write_script(tmp_path / "s.json", {
        "planner": [plans_reply("Register blocking")],
        "coder": [code_reply(broken)],
        "debugger": [code_reply(FAST)],
    })
    run = tmp_path / "run"
    run_cli("optimize", "tasks/matmul", "--model", f"scripted/{script}", "--run-dir", str(run), "--max-iters", "1",
            "--sandbox", "local")
    assert read_summary(run)["status"] == "improved"
    page = (run / "report.html").read_text()
    assert (run / "report.md").exists()
    # the chart: the repaired candidate plotted with its interval, the A/A band in the legend
    points = re.search(r'<g id="speedup-points"[^>]*>(.*?)</g>', page, re.S)
    assert points and "<use" in points.group(1)
    assert "A/A self-test interval" in page and "<script" not in page
    # lineage, verdicts, roles, and the diff against the task's reference
    assert re.search(r"<code>c0001</code>.*?compile error.*?<ul><li><span class=\"node\"><code>c0002</code>", page, re.S)
    assert "repair round 1" in page and "debugger" in page and "coder" in page
    assert '<span class="ln file">--- reference</span>' in page and '<span class="ln add">+' in page

    shown = run_cli("runs", "show", str(run), "--html").stdout.strip()
    assert shown == str(run / "report.html")
    out_html = tmp_path / "compare.html"
    proc = run_cli("runs", "compare", str(run), str(run), "--html", str(out_html))
    line = proc.stdout.splitlines()[2].split()
    assert line[:4] == ["run", "matmul", "improved", f"{read_summary(run)['best']['speedup']:.3f}x"], proc.stdout
    assert 'id="compare-best-0"' in out_html.read_text()


def test_runs_list_without_a_runs_folder(tmp_path: Path) -> None:
    proc = run_cli("runs", "list", "--root", str(tmp_path / "runs"))
    assert proc.returncode == 0 and "no runs yet" in proc.stderr and "Traceback" not in proc.stderr
    bad = run_cli("runs", "compare", str(tmp_path), check=False)
    assert bad.returncode == 2 and "not a mapforge run directory" in bad.stderr and "Traceback" not in bad.stderr
