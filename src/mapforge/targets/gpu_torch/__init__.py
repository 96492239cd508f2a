"""The ``gpu-torch`` target: KernelBench-style PyTorch modules, optimised with CUDA or Triton candidates."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mapforge.targets import Target, register

if TYPE_CHECKING:
    from mapforge.config import Config
    from mapforge.evaluators.base import Evaluator
    from mapforge.sandbox import SandboxFactory
    from mapforge.tasks.spec import Task


def _evaluator(task: Task, config: Config, sandboxes: SandboxFactory) -> Evaluator:
    from mapforge.targets.gpu_torch.evaluator import GpuTorchEvaluator

    return GpuTorchEvaluator(task, sandboxes, config.timing, config.sandbox)


def _load(path: Any) -> Task:
    from mapforge.targets.gpu_torch.loader import load_kernelbench

    return load_kernelbench(path)


def _task_block(task: Task, baseline: float | None) -> str:
    from mapforge.agents.prompts import render
    from mapforge.targets.gpu_torch.evaluator import cache_root

    spec = task.spec
    tol = ", ".join(f"{k} {t.rtol:g}/{t.atol:g}" for k, t in spec.tolerance.items())  # type: ignore[union-attr]
    roof = ""
    for field in ("bytes", "flops"):
        expr = getattr(spec, field, None)
        if expr:
            roof += f" It must move/compute at least {field} = {expr} (in the module's constants)."
    device = "the GPU"
    peaks = cache_root() / "device.txt"
    if peaks.is_file():
        device = peaks.read_text().strip()
    base = f"{baseline * 1e3:.3f} ms" if baseline else "an unmeasured time"
    return render("gpu_task", name=spec.name, description=spec.description.strip(), tolerance=tol,
                  reference=(task.reference_source or "").strip(), baseline=base, device=device, roofline=roof)


def _rules(task: Task) -> str:
    from mapforge.agents.prompts import render

    forbidden = getattr(task.spec, "forbidden", [])
    return render("gpu_rules", forbidden=f"; do not call {', '.join(forbidden)}" if forbidden else "")


def _static(task: Task, source: str) -> list[str]:
    from mapforge.targets.gpu_torch.static import problems

    spec = task.spec
    return problems(source, getattr(spec, "forbidden", []), task.reference_source or "",
                    bool(getattr(spec, "allow_torch_only", False)))


def _sandbox_options(task: Task, config: Config) -> dict[str, Any]:
    """CUDA needs the machine's Python (and its torch) and more processes and memory than a C kernel."""
    from mapforge.targets.gpu_torch.evaluator import GPU_DISK_MB
    from mapforge.targets.gpu_torch.ncu import find_ncu, install_dirs

    options: dict[str, Any] = {"python": True, "limits": {"disk_mb": GPU_DISK_MB, "file_size_mb": 16384}}
    exe = find_ncu() if config.sandbox.gpu_counters else None
    if exe:  # Nsight Compute lives outside /usr (/opt/nvidia/...): show its install read-only
        options["expose"] = [str(d) for d in install_dirs(exe)]
    return options


register(Target(
    name="gpu-torch", summary="a KernelBench-style PyTorch module; candidates write CUDA (load_inline) or Triton",
    make_evaluator=_evaluator, task_block=_task_block, output_rules=_rules, static_problems=_static,
    sandbox_options=_sandbox_options, load=_load, suffix=".py", uses_gpu=True,
))
