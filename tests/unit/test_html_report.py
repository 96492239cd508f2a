"""report.html, runs compare and runs list, from synthetic run directories written through RunRecord."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from mapforge.cli.main import main
from mapforge.runs.html_report import write_html_report
from mapforge.runs.rundata import load_run
from tests.fake_runs import write_optimize_run, write_solve_run

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//|@import|<script|<link""",
                      re.I)


def _svg_group(page: str, gid: str) -> str:
    """The markup of the SVG group matplotlib wrote for the artist with this gid."""
    m = re.search(rf'<g id="{gid}"[^>]*>(.*?)</g>', page, re.S)
    assert m, f"no SVG group {gid!r} in the page"
    return m.group(1)


def test_optimize_report_shows_every_section(tmp_path: Path) -> None:
    run = write_optimize_run(tmp_path / "run", tmp_path / "task")
    page = write_html_report(run).read_text()
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    # the speedup chart: a plotted point (and error bar) per correct candidate, the best starred
    points = _svg_group(page, "speedup-points")
    assert points.count("<use") >= 2 and "<path" in points
    for gid in ("best-point", "best-so-far", "status-bars", "role-bars", "role-seconds"):
        assert "<path" in _svg_group(page, gid) or "<use" in _svg_group(page, gid), gid
    assert "A/A self-test interval [0.996, 1.006]" in page
    # lineage: the repair sits under the candidate it mends, with its round; plans carry their bottleneck
    tree = page[page.index('<ul class="tree">'):]
    assert re.search(r"<code>c0001</code>.*?<ul><li><span class=\"node\"><code>c0002</code>", tree, re.S)
    assert "repair round 1" in tree and "bottleneck: loop overhead" in tree
    # verdicts by status, tokens per role, time per role (latency from events, harness time for the evaluator)
    for text in ("compile error", "wrong answer", "planner", "debugger", "evaluator", "2,300", "12.5 s"):
        assert text in page, text
    # the best candidate's diff against the reference, escaped
    assert '<span class="ln add">+void add(const float *restrict x' in page
    assert "/* &lt;tail&gt; &amp; &quot;rest&quot; */" in page and "<tail>" not in page
    assert "got 2 &lt;want&gt; 1" in page
    assert "1.82x" in page and "[1.750, 1.900]" in page


def test_report_of_a_solve_run_shows_pass_rates(tmp_path: Path) -> None:
    page = write_html_report(write_solve_run(tmp_path / "run")).read_text()
    assert "<use" in _svg_group(page, "passrate-points")
    assert "Pass rate over time" in page and "100%" in page and "3/5" in page
    assert "A/A self-test</h2>" not in page and "no reference implementation" in page


def test_report_of_a_killed_run_draws_what_is_there(tmp_path: Path) -> None:
    run = write_optimize_run(tmp_path / "run", tmp_path / "task", summary=False)
    with (run / "events.jsonl").open("a") as f:
        f.write('{"ts": 1700000100.0, "event": "cand')  # torn by kill -9
    (run / "candidates" / "c0009").mkdir()
    (run / "candidates" / "c0009" / "verdict.json").write_text("{not json")
    page = write_html_report(run).read_text()
    assert "running or interrupted" in page and "speedup-points" in page
    assert "6,030" in page  # tokens summed from the model_call events when no summary says


def test_report_when_the_reference_moved(tmp_path: Path) -> None:
    run = write_optimize_run(tmp_path / "run", tmp_path / "task")
    (tmp_path / "task" / "reference.c").unlink()
    data = load_run(run)
    assert data.reference_source is None and "no longer on disk" in data.reference_note
    assert "restrict" in write_html_report(run).read_text()


def test_runs_show_html_redraws_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_optimize_run(tmp_path / "run", tmp_path / "task")
    assert main(["runs", "show", str(run), "--html"]) == 0
    assert capsys.readouterr().out.strip() == str(run / "report.html")
    assert "speedup-points" in (run / "report.html").read_text()


def test_runs_compare_prints_a_table_and_writes_a_page(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_optimize_run(tmp_path / "a", tmp_path / "task")
    b = write_solve_run(tmp_path / "b")
    out_html = tmp_path / "out" / "compare.html"
    assert main(["runs", "compare", str(a), str(b), "--html", str(out_html)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["run", "task", "status", "best", "candidates", "tokens", "wall"]
    assert lines[2].split()[:4] == ["a", "add-one", "improved", "1.820x"] and "[1.750, 1.900]" in lines[2]
    assert lines[3].split()[:5] == ["b", "two-sum", "solved", "100%", "passed"]
    assert "6,030" in lines[2] and "42.0 s" in lines[2]
    page = out_html.read_text()
    assert not EXTERNAL.search(page)
    assert "<path" in _svg_group(page, "compare-best-0") and "compare-trace-0" in page and "compare-best-1" in page
    assert main(["runs", "compare", str(a), "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["speedup"] == 1.82 and rec["candidates"] == 4 and rec["correct"] == 2


def test_runs_compare_refuses_a_folder_that_is_no_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["runs", "compare", str(tmp_path)]) == 2
    assert "not a mapforge run directory" in capsys.readouterr().err


def test_runs_list_without_a_runs_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["runs", "list"]) == 0
    err = capsys.readouterr().err
    assert "no runs yet" in err and "Traceback" not in err


def test_report_of_a_run_that_died_before_any_candidate(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "events.jsonl").write_text('{"ts": 1700000000.0, "event": "start", "task": "x", "kind": "optimize"}\n')
    page = write_html_report(run).read_text()
    assert "No candidates yet." in page and "no correct candidate was timed" in page
    assert "no model calls recorded" in page and "No best candidate" in page
