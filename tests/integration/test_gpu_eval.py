"""The gpu-torch evaluator end to end in a real local sandbox.

On CPU tensors (CI: torch's CPU build, no GPU): the CPU-runnable candidates of tests/gpu_candidates/cpu, one
problem's worth, must get the verdicts their manifest expects. On a GPU (MAPFORGE_REQUIRE_GPU=1 on the GPU
machine; skipped elsewhere with the reason): a Triton kernel, a decoy and a wrong CUDA kernel.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from functools import cache
from typing import Any

import pytest

from mapforge.config import load_config
from mapforge.evaluators import evaluate_guarded
from mapforge.runs.job import make_evaluator, make_sandboxes
from mapforge.tasks.loader import load_task
from tests.gpu_cases import GpuCase, judge, load_cases
from tests.helpers import require

TIMING = {"min_pairs": 6, "max_pairs": 30, "max_seconds": 3, "target_rel_ci": 0.05, "min_processes": 2}
# every case of one problem, and a problem with weights (the post-timing check must rebuild them per seed)
CPU_CASES = [c for c in load_cases(cpu=True) if c.problem.stem == "cpu_relu"
             or c.name in ("cpu_linear_gelu/honest", "cpu_linear_gelu/honest_prepacked",
                           "cpu_linear_gelu/cheat_first_n")]
GPU_NAMES = ("relu/triton_fast", "relu/cheat_decoy", "softmax/wrong")


def require_torch() -> None:
    missing = None if importlib.util.find_spec("torch") else "torch is not installed in this environment"
    require(missing, "pip install -e '.[dev]' (installs torch's CPU build)", "MAPFORGE_REQUIRE_TORCH")


@cache
def has_gpu() -> bool:
    r = subprocess.run([sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
                       capture_output=True, text=True)
    return r.stdout.strip() == "True"


class Evaluators:
    def __init__(self) -> None:
        self.open: dict[str, tuple[Any, Any]] = {}

    def get(self, case: GpuCase) -> Any:
        key = str(case.problem)
        if key not in self.open:
            task = load_task(case.problem)
            config = load_config(None, {"timing": TIMING, "sandbox": {"backend": "local"}})
            sandboxes, _ = make_sandboxes(task, config, f"pytest-gpu-{task.name}")
            ev = make_evaluator(task, config, sandboxes)
            ev.prepare()
            self.open[key] = (ev, sandboxes)
        return self.open[key][0]

    def close(self) -> None:
        for _, sandboxes in self.open.values():
            sandboxes.close()


@pytest.fixture(scope="module")
def evaluators() -> Any:
    ev = Evaluators()
    yield ev
    ev.close()


@pytest.mark.timeout(900)
@pytest.mark.parametrize("case", CPU_CASES, ids=lambda c: c.name)
def test_cpu_candidates(case: GpuCase, evaluators: Evaluators) -> None:
    require_torch()
    v = evaluate_guarded(evaluators.get(case), case.file.read_text())
    assert judge(case, v) is None, judge(case, v)


@pytest.mark.timeout(1800)
@pytest.mark.parametrize("name", GPU_NAMES)
def test_gpu_candidates(name: str, evaluators: Evaluators) -> None:
    require_torch()
    require(None if has_gpu() else "no CUDA GPU here", "run on the GPU machine", "MAPFORGE_REQUIRE_GPU")
    case = next(c for c in load_cases() if c.name == name)
    v = evaluate_guarded(evaluators.get(case), case.file.read_text())
    assert judge(case, v) is None, judge(case, v)
