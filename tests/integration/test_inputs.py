"""Inputs that say what they mean, on the real local sandbox: every built-in initialiser holds its invariants
in the harness's C (checked by a reference that inspects what it was given), a task's Python generator is
loaded by runner and checker alike (timing rotates through its pool), spmv's honest candidate is correct
while one replaying its first answer is caught, and a broken generator is reported with its file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from mapforge.config import Config, TimingConfig
from mapforge.errors import UserError
from mapforge.evaluators.optimize import OptimizeEvaluator
from mapforge.sandbox import open_sandbox
from mapforge.tasks.loader import load_task

pytestmark = pytest.mark.skipif(
    not all(shutil.which(t) for t in ("gcc", "nm", "readelf", "objcopy")), reason="needs gcc and binutils"
)

REPO = Path(__file__).resolve().parents[2]
INITCHECK = REPO / "tests" / "fixtures" / "initcheck"
SPMV = REPO / "tasks" / "spmv"
TIMING = TimingConfig(min_pairs=6, max_pairs=30, max_seconds=3)
FLAGS = ["sorted", "sorted floats", "permutation", "arange", "randint(0, n-1)", "csr_rowptr", "csr_colidx",
         "edges", "generator sorted", "generator correlated", "double literal", "float n/3"]

REPLAY = """#include <stdlib.h>
#include <string.h>
void spmv(const int *rowptr, const int *colidx, const float *vals, const float *x, float *y, int n, float alpha) {
    static float *saved;
    static int saved_n = -1;
    if (saved && saved_n == n) { memcpy(y, saved, (size_t)n * sizeof *y); return; }
    for (int i = 0; i < n; i++) {
        float s = 0.0f;
        for (int j = rowptr[i]; j < rowptr[i + 1]; j++) s += vals[j] * x[colidx[j]];
        y[i] = alpha * s;
    }
    free(saved);
    saved = malloc((size_t)n * sizeof *y + 4);
    if (saved) { memcpy(saved, y, (size_t)n * sizeof *y); saved_n = n; }
}
"""


def evaluator(path: Path) -> OptimizeEvaluator:
    return OptimizeEvaluator(load_task(path), lambda: open_sandbox("local"), TIMING, Config().sandbox)


def test_every_initialiser_holds_its_invariants() -> None:
    ev = evaluator(INITCHECK)
    baseline = ev.prepare()  # correctness cases, then A/A timing: the checker compares every timed call
    assert baseline.aa is not None and baseline.aa.pairs > 0
    assert len(baseline.outputs) == len(ev.cases) == 6
    for i, case in enumerate(ev.cases):
        (flags,) = baseline.outputs[i]
        broken = [FLAGS[j] for j in np.flatnonzero(flags != 1)]
        assert not broken, f"{case.label()}: {broken}"


def test_spmv_honest_candidate_is_correct() -> None:
    ev = evaluator(SPMV)
    verdict = ev.evaluate((REPO / "tests" / "fixtures" / "fast" / "spmv.c").read_text())
    assert verdict.status == "correct", verdict.summary_line()
    assert verdict.timing is not None and verdict.timing.speedup > 0.8
    replay = ev.evaluate(REPLAY)  # right on every correctness case; timed calls get a fresh matrix each time
    assert replay.status == "cheat_suspected", replay.summary_line()


def _task_copy(tmp_path: Path, gen: str) -> Path:
    dest = tmp_path / "t"
    shutil.copytree(INITCHECK, dest)
    (dest / "gen.py").write_text(gen)
    return dest


def test_failing_generator_names_file_and_line(tmp_path: Path) -> None:
    task = _task_copy(tmp_path, "import numpy as np\n\n\ndef generate(shape, rng):\n    return {'g1': 1 / 0}\n")
    with pytest.raises(UserError, match=r"gen\.py:5: generate\(\) failed on shape .*ZeroDivisionError"):
        evaluator(task).prepare()


def test_generator_output_is_checked_against_the_spec(tmp_path: Path) -> None:
    wrong_size = "def generate(shape, rng):\n    return {'g1': rng.integers(0, 9, 3), 'g2': rng.random(shape['n'])}\n"
    with pytest.raises(UserError, match=r"returned 3 elements for 'g1'.*size = 'n' is 50"):
        evaluator(_task_copy(tmp_path, wrong_size)).prepare()


def test_nondeterministic_generator_is_refused(tmp_path: Path) -> None:
    gen = ("import numpy as np\n\ndef generate(shape, rng):\n    g = np.random.default_rng().integers(0, 9, shape['n'])\n"
           "    return {'g1': g, 'g2': g * 0.5}\n")
    with pytest.raises(UserError, match="not deterministic"):
        evaluator(_task_copy(tmp_path, gen)).prepare()
