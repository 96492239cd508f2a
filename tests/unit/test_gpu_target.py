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
