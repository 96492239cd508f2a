"""The gpu-torch target without a GPU: KernelBench-style files load as they are, the static checks catch the
cheats they can and pass every honest candidate, the registry routes tasks by target, prompts render."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapforge.errors import UserError
from mapforge.targets import get_target, target_of, targets
from mapforge.targets.gpu_torch import static
from mapforge.tasks.loader import find_tasks, load_task
from mapforge.tasks.spec import GpuSpec
from tests.gpu_cases import KERNELBENCH, load_cases

STATIC_CHEATS = {"downcast", "timer_patch", "torch_patch", "exec_eval", "file_read", "try_fallback",
                 "calls_torch", "l2_persist", "side_stream"}


@pytest.mark.parametrize("path", sorted(KERNELBENCH.glob("*.py")), ids=lambda p: p.stem)
def test_kernelbench_files_load_unchanged(path: Path) -> None:
    task = load_task(path)
    assert isinstance(task.spec, GpuSpec) and task.spec.target == "gpu-torch" and task.kind == "optimize"
    assert task.reference_source == path.read_text()
    assert target_of(task).name == "gpu-torch"
    assert task.spec.forbidden, "every bundled GPU task names the PyTorch ops a candidate may not call"


def test_task_list_finds_gpu_tasks() -> None:
    found = find_tasks(KERNELBENCH.parent)
    assert KERNELBENCH / "softmax.py" in found and KERNELBENCH / "softmax.toml" not in found


def test_malformed_gpu_tasks_say_what_to_fix(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import torch\nclass Model: pass\n")
    with pytest.raises(UserError, match="get_inputs"):
        load_task(bad)
    good = tmp_path / "ok.py"
    good.write_text((KERNELBENCH / "relu.py").read_text())
    good.with_suffix(".toml").write_text('forbiden = ["torch.relu"]\n')
    with pytest.raises(UserError, match="forbiden"):
        load_task(good)
    good.with_suffix(".toml").write_text('bytes = "N * unknown_name"\n')
    with pytest.raises(UserError, match="bytes"):
        load_task(good)


def test_registry_names_targets_and_suggests() -> None:
    assert {t.name for t in targets()} >= {"cpu-native", "solve", "gpu-torch"}
    with pytest.raises(UserError, match="gpu-torch"):
        get_target("gpu-trch")


@pytest.mark.parametrize("case", load_cases(), ids=lambda c: c.name)
def test_static_checks_on_gpu_candidates(case) -> None:  # type: ignore[no-untyped-def]
    task = load_task(case.problem)
    found = static.problems(case.file.read_text(), task.spec.forbidden, task.reference_source or "",
                            task.spec.allow_torch_only)
    cls = case.file.stem.removeprefix("cheat_")
    if case.honest:
        assert found == [], found
        if case.kind in ("cuda", "triton"):
            assert static.own_kernels(case.file.read_text()), "its kernel must be found for the launch check"
    elif cls in STATIC_CHEATS:
        assert found, f"{case.file.name} should be caught before it runs"


def test_prompt_sections_render_for_gpu_tasks() -> None:
    from mapforge.agents import prompts

    task = load_task(KERNELBENCH / "softmax.py")
    block = prompts.task_block(task, 0.0021)
    assert "ModelNew" not in block and "2.100 ms" in block and "class Model" in block
    rules = prompts.output_rules(task)
    assert "ModelNew" in rules and "torch.softmax" in rules and "load_inline" in rules


# -- Nsight Compute parsing (ncu --csv --page raw --print-units base) --------------------------------------
NCU_RAW = '''==PROF== Connected to process 4242 (/usr/bin/python3.12)
==PROF== Profiling "relu_kernel": 0%....50%....100% - 1 pass
"ID","Process ID","Process Name","Host Name","Kernel Name","Context","Stream","Block Size","Grid Size","Device","CC","dram__throughput.avg.pct_of_peak_sustained_elapsed","gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed","gpu__time_duration.sum","sm__throughput.avg.pct_of_peak_sustained_elapsed","sm__warps_active.avg.pct_of_peak_sustained_active"
"","","","","","","","","","","","%","%","nsecond","%","%"
"0","4242","python3.12","127.0.0.1","vectorized_elementwise_kernel","1","7","(128, 1, 1)","(1024, 1, 1)","0","9.0","80.1","80.3","9,000","20.5","70.2"
"1","4242","python3.12","127.0.0.1","relu_kernel","1","7","(256, 1, 1)","(24576, 1, 1)","0","9.0","91.5","92.0","190,500","15.2","83.4"
"2","4242","python3.12","127.0.0.1","relu_kernel","1","7","(256, 1, 1)","(24576, 1, 1)","0","9.0","90.0","90.1","180,000","15.0","83.0"
==PROF== Disconnected from process 4242
'''


def test_ncu_counters_of_the_candidates_longest_own_kernel() -> None:
    from mapforge.targets.gpu_torch.ncu import parse

    got = parse(NCU_RAW, ["relu_kernel"])
    assert not isinstance(got, str)
    assert got.kernel == "relu_kernel" and got.duration_us == pytest.approx(190.5)
    assert got.memory_throughput_pct == pytest.approx(92.0) and got.compute_throughput_pct == pytest.approx(15.2)
    assert got.occupancy_pct == pytest.approx(83.4) and got.limiter == "memory"
    assert "limited by memory" in got.describe()


def test_ncu_latency_bound_and_failures_are_reasons() -> None:
    from mapforge.targets.gpu_torch.ncu import parse

    slow = NCU_RAW.replace('"92.0","190,500","15.2"', '"12.0","190,500","5.2"')
    got = parse(slow, ["relu_kernel"])
    assert not isinstance(got, str) and got.limiter == "latency"
    assert "none of the candidate's own kernels" in str(parse(NCU_RAW, ["softmax_kernel"]))
    err = "==ERROR== ERR_NVGPUCTRPERM - The user does not have permission to access NVIDIA GPU Performance Counters"
    assert "ERR_NVGPUCTRPERM" in str(parse(err, ["relu_kernel"]))
    from mapforge.targets.gpu_torch.ncu import machine_problem

    assert machine_problem(str(parse(err, ["relu_kernel"])))  # no candidate gets counters: stop asking
    assert not machine_problem(str(parse(NCU_RAW, ["softmax_kernel"])))  # this candidate's kernels only
