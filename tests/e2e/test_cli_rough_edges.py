"""Rough edges through the CLI: a spec error prints alone, before any display; `task validate` warns when the
timing shape is outside 5-50 ms and suggests one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.helpers import REPO, run_cli


def test_spec_error_prints_before_any_display(tmp_path: Path) -> None:
    task = tmp_path / "bad"
    shutil.copytree(REPO / "tasks" / "spmv", task)
    toml = task / "task.toml"
    toml.write_text(toml.read_text().replace('init = "csr_colidx(rowptr, m)"', 'init = "csr_colidx(rowptr, 3)"'))
    r = run_cli("optimize", str(task), "--model", "scripted/none.json", check=False)
    assert r.returncode == 2
    assert r.stderr.startswith(f"mapforge: error: {toml}"), r.stderr
    assert "cols must be at least" in r.stderr and "iteration" not in r.stderr and "step" not in r.stderr


def test_validate_warns_about_a_too_short_timing_shape() -> None:
    r = run_cli("task", "validate", "tests/fixtures/initcheck", "--sandbox", "local", "--json")
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["baseline_seconds"] < 0.005
    assert "below the 5-50 ms" in result["timing_warning"] and "try timing = {" in r.stderr
