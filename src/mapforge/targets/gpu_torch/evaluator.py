"""The GPU evaluator: static checks -> build -> correctness -> timing, for KernelBench-style tasks.

Each stage runs ``gpu_harness.py`` in the sandbox with the machine's own Python and torch. Trust:

- the candidate is imported only by *runner* processes (build, run, time); correctness is decided by a
  *checker* process that never imports it, regenerating each seed's inputs and running the reference
  itself, on every correctness seed and on two more seeds after the timing loop;
- the timing loop compares every candidate output with the eager reference's on the same inputs, checks
  that no harness function was replaced, and that one of the candidate's own kernels launched;
- builds are cached per candidate source (``~/.cache/mapforge/gpu/<hash>``), so a candidate can never
  write into another's cache.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from mapforge.config import SandboxConfig, TimingConfig
from mapforge.evaluators.base import Baseline, HarnessError
from mapforge.evaluators.cascade import Stage, run_cascade
from mapforge.evaluators.common import NewSandbox, exec_failure, tail
from mapforge.evaluators.sampler import Batch, Sampler
from mapforge.evaluators.stats import balanced_median
from mapforge.evaluators.verdict import Profile, StageResult, Timing, Verdict
from mapforge.sandbox import ExecResult, Limits, Sandbox
from mapforge.targets.gpu_torch import ncu, static
from mapforge.targets.gpu_torch.loader import expression_value
from mapforge.tasks.spec import GpuSpec, Task

POST_SEEDS = (101, 102)
#: Where a candidate's build cache appears inside a private-root sandbox (the same path for every candidate).
CACHE_INSIDE = "/mf-cache"
#: The machine's own safety settings for GPU programs (NVLink multicast off on shared hosts): they reach every
#: candidate's environment, which otherwise starts empty.
MACHINE_POLICY = ("NCCL_NVLS_ENABLE", "TORCH_SYMM_MEM_DISABLE_MULTICAST", "NVSHMEM_DISABLE_NVLS")
#: The sandbox's work dir for a GPU task: outputs travel to the checker as files (a 400 MB tensor is common).
GPU_DISK_MB = 32768
#: Achieved bandwidth or flops this far above the device's measured peak cannot be real.
ROOFLINE_SLACK = 1.10
_CHEAT_WORDS = ("assigns to", "dunder", "exec", "eval", "getattr", "setattr", "__import__", "try/except",
                "persisting-L2", "precision policy", "globals", "vars", "stream", "timers")


def cache_root() -> Path:
    return Path(os.environ.get("MAPFORGE_GPU_CACHE", "~/.cache/mapforge/gpu")).expanduser()


class GpuTorchEvaluator:
    def __init__(self, task: Task, new_sandbox: NewSandbox, timing: TimingConfig, sandbox: SandboxConfig) -> None:
        if not isinstance(task.spec, GpuSpec):
            raise TypeError("GpuTorchEvaluator needs a gpu-torch task")
        self.task = task
        self.spec: GpuSpec = task.spec
        self.new_sandbox = new_sandbox
        self.timing_cfg = timing
        self.sandbox_cfg = sandbox
        self.baseline: Baseline | None = None
        self.noise_floor = timing.min_effect
        self.peaks: dict[str, Any] = {}
        self.timing_lock = threading.Lock()
        self._ref_key: str | None = None
        self._no_counters: str | None = None
        """Why no candidate of this job can get ncu counters here (found on the first try), else None."""
        self._tolerance = json.dumps({k: [t.rtol, t.atol] for k, t in self.spec.tolerance.items()})

    # -- plumbing ------------------------------------------------------------------------------------
    @property
    def limits(self) -> Limits:
        return Limits(timeout=self.spec.limits.timeout_seconds, memory_mb=self.spec.limits.memory_mb,
                      max_procs=4096, address_space=False, open_files=8192, file_size_mb=16384,
                      disk_mb=GPU_DISK_MB)

    def _open(self, key: str) -> tuple[Sandbox, dict[str, str]]:
        """A sandbox whose build cache is this source's own directory, and the environment for its commands."""
        cache = cache_root() / key
        if not cache.exists() and self._ref_key and (cache_root() / self._ref_key).is_dir():
            # start from a copy of the reference's compiler caches (torch.compile of the reference is the same
            # for every candidate); a copy, so nothing a candidate writes reaches another
            shutil.copytree(cache_root() / self._ref_key, cache, ignore=shutil.ignore_patterns("ext"))
            for d, _, files in os.walk(cache):  # the sandbox user must be able to extend the copy
                os.chmod(d, 0o777)
                for f in files:
                    os.chmod(os.path.join(d, f), 0o666)
        cache.mkdir(parents=True, exist_ok=True)
        os.chmod(cache, 0o777)  # the sandbox user (nobody) builds here
        try:  # shown at one path for every candidate: compiler caches copied from the reference's hold paths
            sb = self.new_sandbox(writable=[(cache, CACHE_INSIDE)])  # type: ignore[call-arg]
            where = getattr(sb, "mounts", {}).get(str(cache.resolve()), "/work/.cache")  # not shown: builds stay in
        except TypeError:  # a backend without host caches (docker): builds stay in the sandbox
            sb, where = self.new_sandbox(), "/work/.cache"
        bindir = os.path.dirname(getattr(sb, "python", sys.executable))
        env = {
            "PATH": f"{bindir}:/usr/local/cuda/bin:/usr/local/bin:/usr/bin:/bin",
            "CUDA_HOME": os.environ.get("CUDA_HOME", "/usr/local/cuda"),
            "TORCH_EXTENSIONS_DIR": f"{where}/ext", "TRITON_CACHE_DIR": f"{where}/triton",
            "TORCHINDUCTOR_CACHE_DIR": f"{where}/inductor", "MAX_JOBS": str(os.cpu_count() or 4),
            "PYTHONDONTWRITEBYTECODE": "1", "MF_TOLERANCE": self._tolerance,
        }
        for var in ("CUDA_VISIBLE_DEVICES", "NVIDIA_VISIBLE_DEVICES", "LD_LIBRARY_PATH", "TRITON_LIBCUDA_PATH",
                    "TRITON_PTXAS_PATH", *MACHINE_POLICY):
            if var in os.environ:
                env[var] = os.environ[var]
        sb.write_file("harness.py", resources.files("mapforge.targets.gpu_torch").joinpath("gpu_harness.py").read_text())
        sb.write_file("reference.py", self.task.reference_source or "")
        return sb, env

    def _py(self, sb: Sandbox, env: dict[str, str], *args: str) -> ExecResult:
        python = getattr(sb, "python", sys.executable)
        return sb.exec([python, "-I", "harness.py", *args], limits=self.limits, env=env)

    def _json(self, sb: Sandbox, path: str) -> Any:
        try:
            return json.loads(sb.read_file(path))
        except (FileNotFoundError, ValueError) as e:
            raise HarnessError(f"the GPU harness wrote no readable {path}: {e}") from None

    # -- baseline ------------------------------------------------------------------------------------
    def prepare(self) -> Baseline:
        aa_source = (self.task.reference_source or "") + "\n\nModelNew = Model\n"
        key = "ref-" + hashlib.sha256(aa_source.encode()).hexdigest()[:16]
        sb, env = self._open(key)
        self._ref_key = key
        with sb:
            sb.write_file("candidate.py", aa_source)
            r = self._py(sb, env, "peaks", "peaks.json")
            if r.ok:
                self.peaks = self._json(sb, "peaks.json")
                _remember_device(self.peaks)
            failed = self._correctness(sb, env)
            if not failed.ok:
                raise HarnessError(f"the reference does not run: {failed.reason}\n{failed.feedback}")
            got, _ = self._time(sb, env, kernels=[])
            if isinstance(got, StageResult):
                raise HarnessError(f"timing the reference against itself failed: {got.reason}\n{got.feedback}")
        timing, _ = got
        lo, hi = timing.speedup_ci
        self.noise_floor = max(self.timing_cfg.min_effect, abs(timing.speedup - 1.0), hi - 1.0, 1.0 - lo)
        self.baseline = Baseline(seconds=timing.baseline_seconds, aa=timing, noise_floor=self.noise_floor)
        return self.baseline

    # -- candidates ----------------------------------------------------------------------------------
    def evaluate(self, source: str) -> Verdict:
        if self.baseline is None:
            self.prepare()
        key = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        sb, env = self._open(key)
        with sb:
            stages: list[Stage] = [self._static, self._build, self._correctness_stage, self._timing_stage]
            return run_cascade(stages, lambda st: st(sb, env, source))

    def _static(self, sb: Sandbox, env: dict[str, str], source: str) -> StageResult:
        found = static.problems(source, self.spec.forbidden, self.task.reference_source or "",
                                self.spec.allow_torch_only)
        if not found:
            return StageResult(stage="static", ok=True)
        cheat = any(w in p for p in found for w in _CHEAT_WORDS)
        return StageResult(stage="static", ok=False, status="cheat_suspected" if cheat else "rejected",
                           reason=found[0], feedback="\n".join(f"- {p}" for p in found))

    def _build(self, sb: Sandbox, env: dict[str, str], source: str) -> StageResult:
        sb.write_file("candidate.py", source)
        r = self._py(sb, env, "build", "candidate.py")
        if r.killed is not None:
            return StageResult(stage="build", ok=False, status=exec_failure(r), reason=f"the build {r.describe()}",
                               feedback=tail(r.stderr))
        if not r.ok:
            return StageResult(stage="build", ok=False, status="compile_error",
                               reason="importing the candidate failed (compile or Python error)",
                               feedback=tail(r.stderr, 4000), artifacts={"build.log": r.stdout + r.stderr})
        return StageResult(stage="build", ok=True)

    def _correctness_stage(self, sb: Sandbox, env: dict[str, str], source: str) -> StageResult:
        return self._correctness(sb, env)

    def _correctness(self, sb: Sandbox, env: dict[str, str], seeds: tuple[int, ...] | None = None,
                     outdir: str = "out", weights_seed: int | None = None) -> StageResult:
        """Outputs on each seed's inputs against the reference's; the reference's weights are each seed's own
        unless ``weights_seed`` says which seed built the instance that wrote them (the post-timing check)."""
        seeds = seeds or tuple(range(1, self.spec.seeds + 1))
        arg = ",".join(str(s) for s in seeds)
        check_arg = arg if weights_seed is None else ",".join(f"{s}:{weights_seed}" for s in seeds)
        if outdir == "out":
            r = self._py(sb, env, "run", "reference.py", "candidate.py", arg, outdir)
            if not r.ok:
                status = exec_failure(r) if r.killed else "runtime_error"
                return StageResult(stage="correctness", ok=False, status=status,
                                   reason=f"the candidate {r.describe()}", feedback=tail(r.stderr))
            report = self._json(sb, f"{outdir}/run.json")
            if report.get("patched"):
                return _cheat("correctness", f"it replaced harness functions: {', '.join(report['patched'])}")
            for s in seeds:
                problem = report.get(str(s))
                if problem:
                    cheat = "modified input" in problem or "not a plain torch.Tensor" in problem
                    return StageResult(stage="correctness", ok=False,
                                       status="cheat_suspected" if cheat else "wrong_answer",
                                       reason=f"seed {s}: {problem}")
        # the checker: a process that never imports the candidate
        r = self._py(sb, env, "check", "reference.py", check_arg, outdir, f"{outdir}/check.json")
        if not r.ok:
            raise HarnessError(f"the checker {r.describe()}:\n{tail(r.stderr)}")
        verdicts = self._json(sb, f"{outdir}/check.json")
        for s in seeds:
            problem = verdicts.get(str(s))
            if problem:
                return StageResult(stage="correctness", ok=False, status="wrong_answer",
                                   reason=f"wrong output on seed {s}: {problem}", feedback=problem)
        return StageResult(stage="correctness", ok=True, reason=f"matched the reference on {len(seeds)} seeds")

    def _time(self, sb: Sandbox, env: dict[str, str], kernels: list[str]
              ) -> tuple[tuple[Timing, Profile] | StageResult, dict[str, Any]]:
        compiled: list[list[float]] = []
        last: dict[str, Any] = {}

        def run_batch(reps: int) -> Batch | StageResult:
            seed = 7 + 1000 * len(compiled)  # the harness builds the candidate first when (seed // 1000) is odd
            r = self._py(sb, env, "time", "reference.py", "candidate.py", str(reps), str(self.timing_cfg.warmup),
                         str(seed), ",".join(map(str, POST_SEEDS)), "post", "time.json", ",".join(kernels))
            if not r.ok:
                return StageResult(stage="timing", ok=False, status=exec_failure(r) if r.killed else "runtime_error",
                                   reason=f"the timing run {r.describe()}", feedback=tail(r.stderr))
            res = self._json(sb, "time.json")
            last.clear()
            last.update(res, seed=seed)
            if res.get("patched"):
                return _cheat("timing", f"it replaced harness functions: {', '.join(res['patched'])}")
            if res.get("diverged"):
                first = res.get("first_diverged") or {}
                return _cheat("timing", f"during timing its output differed from the reference's on the same "
                                        f"inputs in {res['diverged']} of {reps} calls (first: {first.get('problem')})")
            t = res["times"]
            compiled.append([a / max(b, 1e-12) for a, b in zip(t.get("compiled", []), t["cand"])])
            return Batch(ref=t["eager"], cand=t["cand"], wall=r.duration, stratum=(seed // 1000) % 2)

        # an even number of processes: they alternate which instance the harness builds first (its place in
        # memory can change its speed), so an odd count would leave one order the majority
        m = self.timing_cfg.min_processes
        cfg = self.timing_cfg.model_copy(update={"min_processes": m + m % 2})
        # a pair is at least the reference's call twice; before any batch, that sizes the first one
        est = 2 * self.baseline.seconds if self.baseline and self.baseline.seconds else 0.0
        got = Sampler(cfg, self.noise_floor).run(run_batch, est_pair_seconds=est)
        if isinstance(got, StageResult):
            return got, last
        prof = Profile(source="gpu-harness")
        if any(compiled):
            prof.speedup_vs_compiled, prof.speedup_vs_compiled_ci = balanced_median(
                compiled, [i % 2 for i in range(len(compiled))])
        elif last.get("compile_error"):
            prof.notes.append(f"torch.compile unavailable: {last['compile_error']}")
        return (got, prof), last

    def _timing_stage(self, sb: Sandbox, env: dict[str, str], source: str) -> StageResult:
        kernels = static.own_kernels(source)
        with self.timing_lock:
            got, last = self._time(sb, env, kernels)
        if isinstance(got, StageResult):
            return got
        timing, prof = got
        launched = last.get("launched") or {}
        if launched.get("checked") and not launched.get("own") and not self.spec.allow_torch_only:
            return _cheat("timing", "none of its own kernels ran during a call (a decoy: the work was done by "
                                    f"other kernels: {', '.join(launched.get('names', [])[:6])})")
        if not launched.get("checked"):
            prof.notes.append(f"launch check skipped: {launched.get('why', 'unknown')}")
        if last.get("post_problem"):
            return _cheat("timing", f"after the timing loop: {last['post_problem']}")
        post = self._correctness(sb, env, seeds=POST_SEEDS, outdir="post", weights_seed=last["seed"])
        if not post.ok:
            return _cheat("timing", f"its outputs after the timing loop were wrong: {post.reason}")
        problem = self._roofline(timing, prof)
        if problem:
            return _cheat("timing", problem)
        if self.sandbox_cfg.gpu_counters:
            with self.timing_lock:  # ncu replays kernels: never beside another candidate's timing
                self._counters(sb, env, kernels, prof)
        return StageResult(stage="timing", ok=True, reason=timing.describe() + _compiled_note(prof),
                           timing=timing, profile=prof)

    def _counters(self, sb: Sandbox, env: dict[str, str], kernels: list[str], prof: Profile) -> None:
        """Nsight Compute's reading of the candidate's main kernel onto ``prof.gpu``, or why not into the notes."""
        exe = ncu.find_ncu()
        if exe is None:
            prof.notes.append("no hardware counters: ncu is not installed here")
            return
        if self._no_counters is not None:
            prof.notes.append(f"no hardware counters: {self._no_counters} (not asked again in this job)")
            return
        python = getattr(sb, "python", sys.executable)
        r = sb.exec(ncu.command(exe, python, kernels), limits=self.limits, env={**env, "HOME": "/tmp"})
        got = ncu.parse(r.stdout, kernels) if r.ok else f"ncu {r.describe()}: {tail(r.stdout + r.stderr, 300)}"
        if isinstance(got, str):
            if ncu.machine_problem(got):  # no candidate would fare better: spare the rest a profiled run each
                self._no_counters = got
            prof.notes.append(f"no hardware counters: {got}")
        else:
            prof.gpu, prof.source = got, "gpu-harness+ncu"
            prof.counter_source = "ncu"

    def _roofline(self, timing: Timing, prof: Profile) -> str | None:
        src = self.task.reference_source or ""
        checks = (("bytes", "bandwidth", "B/s"), ("flops", "fp32_flops", "FLOP/s"))
        for field, peak_key, unit in checks:
            expr, peak = getattr(self.spec, field), self.peaks.get(peak_key)
            if not expr or not peak:
                continue
            achieved = expression_value(expr, src, field) / max(timing.seconds, 1e-12)
            frac = achieved / peak
            prof.roofline_fraction = max(prof.roofline_fraction or 0.0, frac)
            prof.notes.append(f"{field}: {achieved:.3g} {unit} = {frac:.0%} of the measured peak {peak:.3g} {unit}")
            if frac > ROOFLINE_SLACK:
                return f"it would move {achieved:.3g} {unit}, {frac:.2f}x the device's measured peak (impossible)"
        return None


def _remember_device(peaks: dict[str, Any]) -> None:
    """The device and its measured peaks, for the prompts (``gpu_torch._task_block``)."""
    if "bandwidth" not in peaks:
        return
    line = (f"{peaks.get('device', 'the GPU')} (measured here: {peaks['bandwidth'] / 1e12:.2f} TB/s copy bandwidth, "
            f"{peaks.get('fp32_flops', 0) / 1e12:.0f} TFLOP/s fp32 matmul without TF32)")
    root = cache_root()
    root.mkdir(parents=True, exist_ok=True)
    (root / "device.txt").write_text(line + "\n")


def _cheat(stage: str, reason: str) -> StageResult:
    return StageResult(stage=stage, ok=False, status="cheat_suspected", reason=reason)


def _compiled_note(prof: Profile) -> str:
    if prof.speedup_vs_compiled is None or prof.speedup_vs_compiled_ci is None:
        return ""
    lo, hi = prof.speedup_vs_compiled_ci
    return f"; vs torch.compile {prof.speedup_vs_compiled:.3f}x [{lo:.3f}, {hi:.3f}]"
