"""The evaluator for native (C/C++) optimize tasks: static check -> build -> correctness -> timing.

Trust model: the candidate is linked into a driver process with the reference, so

- its source may not use inline assembly, quoted includes or load-time code (static check), and its
  object may define no global symbol but the function and call nothing but libc memory functions and libm
  (symbol check): it cannot call the reference, the timer, files or the network, nor interpose on them;
- ground truth comes from a separate process that never saw the candidate (the baseline sandbox);
- every timed call runs on freshly written inputs, and its output is compared with the reference's on the
  same inputs, so a candidate that behaves differently when timed is caught;
- all verdicts come from files the driver writes and the harness parses, never from stdout.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass

import numpy as np

from mapforge.config import SandboxConfig, TimingConfig
from mapforge.evaluators import native
from mapforge.evaluators.cascade import Stage, run_cascade
from mapforge.evaluators.common import NewSandbox, exec_failure, tail
from mapforge.evaluators.compare import compare_outputs
from mapforge.evaluators.driver import (
    Case,
    case_values,
    correctness_cases,
    generate_driver,
    harness_header,
    output_bytes,
    output_layout,
)
from mapforge.evaluators.stats import median, median_ci, relative_halfwidth
from mapforge.evaluators.verdict import StageResult, Status, Timing, Verdict
from mapforge.sandbox import ExecResult, Limits, Sandbox
from mapforge.tasks.spec import OptimizeSpec, Task

#: Achieved write bandwidth above this (bytes/s) is physically implausible on a CPU core: flag it.
MAX_PLAUSIBLE_WRITE_BW = 400e9


@dataclass(frozen=True)
class CorePins:
    """argv prefixes that keep timing runs on a core of their own while other work runs beside them."""

    timing: tuple[str, ...] = ()
    work: tuple[str, ...] = ()


def core_pins(parallel: int) -> CorePins:
    """With several evaluations at once, timing gets the last core and everything else the others."""
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if parallel <= 1 or len(cores) < 2 or shutil.which("taskset") is None:
        return CorePins()
    rest = ",".join(str(c) for c in cores[:-1])
    return CorePins(timing=("taskset", "-c", str(cores[-1])), work=("taskset", "-c", rest))


class HarnessError(RuntimeError):
    """The baseline itself failed: the task or the machine is broken, not a candidate."""


@dataclass
class Baseline:
    """Everything measured about the reference once per job."""

    seconds: float
    aa: Timing
    """The reference timed against itself: should be ~1.0 with 1.0 inside the interval."""
    driver_o: bytes
    ref_o: bytes
    outputs: dict[int, list[np.ndarray]]
    """Reference outputs per correctness case (by index)."""


class OptimizeEvaluator:
    """Evaluates candidate sources for one optimize task. Call :meth:`prepare` once, then :meth:`evaluate`."""

    def __init__(self, task: Task, new_sandbox: NewSandbox, timing: TimingConfig, sandbox: SandboxConfig,
                 pins: CorePins | None = None):
        if not isinstance(task.spec, OptimizeSpec):
            raise TypeError("OptimizeEvaluator needs an optimize task")
        self.task = task
        self.spec: OptimizeSpec = task.spec
        self.new_sandbox = new_sandbox
        self.timing_cfg = timing
        self.sandbox_cfg = sandbox
        self.cases: list[Case] = correctness_cases(self.spec)
        self.timing_values = case_values(self.spec, self.spec.shapes.timing)
        self.baseline: Baseline | None = None
        self.noise_floor: float = timing.min_effect
        """Changes smaller than this are 'no measurable change': the config's minimum, or the A/A spread."""
        self._timing_lock = threading.Lock()
        """Evaluations may run side by side (sandbox.parallel); timing runs never do."""
        self._pins = pins or CorePins()

    # -- limits ------------------------------------------------------------------------------
    @property
    def build_limits(self) -> Limits:
        return Limits(timeout=self.sandbox_cfg.build_timeout, memory_mb=max(self.sandbox_cfg.memory_mb, 1024))

    @property
    def run_limits(self) -> Limits:
        return Limits(timeout=self.spec.limits.timeout_seconds, memory_mb=self.spec.limits.memory_mb)

    # -- shared steps --------------------------------------------------------------------------
    def _sh(self, sb: Sandbox, cmd: list[str], limits: Limits | None = None) -> ExecResult:
        return sb.exec([*self._pins.work, *cmd], limits=limits or self.build_limits)

    def _link(self, sb: Sandbox) -> ExecResult:
        cc = native.compiler(self.spec.language)
        # reference first: its COMDAT/weak definitions win over any the candidate brings
        return self._sh(sb, [cc, "-o", "driver", "driver.o", "ref.o", "cand.o", "-lm"])

    def _run_case(self, sb: Sandbox, which: int, case: Case) -> tuple[ExecResult, list[list[np.ndarray]], bytes]:
        r = sb.exec([*self._pins.work, "./driver", "run", str(which), str(case.seed), "out.bin", *case.values],
                    limits=self.run_limits)
        if not r.ok:
            return r, [], b""
        raw = sb.read_file("out.bin")
        layout = output_layout(self.spec, case.values)
        per_pass = output_bytes(self.spec, case.values)
        if len(raw) != 2 * per_pass + 2:
            raise HarnessError(f"driver wrote {len(raw)} bytes, expected {2 * per_pass + 2}")
        passes = []
        off = 0
        for _ in range(2):
            arrays = []
            for _, dt, count in layout:
                arrays.append(np.frombuffer(raw, dtype=dt, count=count, offset=off).copy())
                off += dt.itemsize * count
            passes.append(arrays)
        return r, passes, raw[off:]

    def _time(self, sb: Sandbox, expect_ratio: float = 1.0) -> tuple[Timing | None, StageResult | None]:
        """Adaptive interleaved timing of mf_ref vs mf_cand in ./driver (already built in ``sb``)."""
        cfg = self.timing_cfg
        tol = self.spec.tolerance
        t_ref: list[float] = []
        t_cand: list[float] = []
        started = time.monotonic()
        est = self.baseline.seconds if self.baseline else 0.0
        while True:
            per_pair = max(est * (1 + 1 / max(expect_ratio, 0.05)), 1e-6)
            reps = 3 if est == 0.0 else int(min(max(cfg.batch_seconds / per_pair, 3), 2000))
            reps = min(reps, max(cfg.max_pairs - len(t_ref), 1))
            r = sb.exec(
                [*self._pins.timing, "./driver", "time", "7", str(reps), str(cfg.warmup), repr(tol.rtol), repr(tol.atol), "t.bin",
                 *self.timing_values],
                limits=self.run_limits,
            )
            if not r.ok:
                return None, StageResult(stage="timing", ok=False, status=exec_failure(r),
                                         reason=f"the timing run {r.describe()}",
                                         feedback=tail(r.stderr), artifacts={"stderr": tail(r.stderr)})
            raw = sb.read_file("t.bin")
            if len(raw) != 16 * reps + 16:
                raise HarnessError(f"timing file has {len(raw)} bytes, expected {16 * reps + 16}")
            times = np.frombuffer(raw, dtype=np.float64, count=2 * reps)
            diverged = int(np.frombuffer(raw, dtype=np.uint64, count=1, offset=16 * reps)[0])
            if diverged:
                return None, StageResult(
                    stage="timing", ok=False, status="cheat_suspected",
                    reason=f"during timing, its output differed from the reference's on the same inputs in "
                           f"{diverged} of {reps} calls (it behaves differently when called repeatedly)",
                )
            t_ref += times[:reps].tolist()
            t_cand += times[reps:].tolist()
            est = median(t_ref)
            expect_ratio = est / max(median(t_cand), 1e-12)
            n = len(t_ref)
            if n >= cfg.max_pairs or time.monotonic() - started > cfg.max_seconds:
                break
            if n >= cfg.min_pairs and relative_halfwidth([a / b for a, b in zip(t_ref, t_cand)]) < cfg.target_rel_ci:
                break
        ratios = [a / max(b, 1e-12) for a, b in zip(t_ref, t_cand)]
        timing = Timing(
            speedup=median(ratios), speedup_ci=median_ci(ratios), seconds=median(t_cand),
            baseline_seconds=median(t_ref), pairs=len(ratios), min_effect=self.noise_floor,
        )
        floor = output_bytes(self.spec, self.timing_values) / MAX_PLAUSIBLE_WRITE_BW
        if timing.seconds < floor:
            return None, StageResult(
                stage="timing", ok=False, status="cheat_suspected",
                reason=f"median time {timing.seconds * 1e9:.0f} ns is below the physical floor of "
                       f"{floor * 1e9:.0f} ns to write its outputs",
            )
        return timing, None

    # -- baseline ------------------------------------------------------------------------------
    def prepare(self) -> Baseline:
        """Build the reference, record its outputs on every case, and time it against itself (A/A)."""
        spec = self.spec
        src = f"reference{spec.source_suffix}"
        with self.new_sandbox() as sb:
            sb.write_file("mf_harness.h", harness_header())
            sb.write_file("driver.c", generate_driver(spec))
            sb.write_file(src, self.task.reference_source or "")
            steps = [
                ["gcc", "-std=gnu11", "-O2", "-c", "driver.c", "-o", "driver.o"],
                native.compile_cmd(spec.language, spec.cflags, src, "ref0.o"),
                ["objcopy", f"--redefine-sym={spec.function}=mf_ref", "ref0.o", "ref.o"],
                ["objcopy", f"--redefine-sym={spec.function}=mf_cand", "ref0.o", "cand.o"],
            ]
            for cmd in steps:
                r = self._sh(sb, cmd)
                if not r.ok:
                    raise HarnessError(f"building the reference failed: {' '.join(cmd)}\n{tail(r.stderr)}")
            r = self._link(sb)
            if not r.ok:
                raise HarnessError(f"linking the reference failed:\n{tail(r.stderr)}")
            outputs: dict[int, list[np.ndarray]] = {}
            for i, case in enumerate(self.cases):
                r, passes, flags = self._run_case(sb, 0, case)
                if not r.ok:
                    raise HarnessError(f"the reference {r.describe()} on {case.label()}:\n{tail(r.stderr)}")
                for arr in passes[0]:
                    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                        raise HarnessError(f"the reference produced NaN/Inf on {case.label()}")
                outputs[i] = passes[0]
            timing, failed = self._time(sb)
            if timing is None:
                assert failed is not None
                raise HarnessError(f"timing the reference against itself failed: {failed.reason}")
            self.baseline = Baseline(
                seconds=timing.baseline_seconds, aa=timing, driver_o=sb.read_file("driver.o"),
                ref_o=sb.read_file("ref.o"), outputs=outputs,
            )
            # What this machine cannot resolve right now: how far the reference strays from itself.
            lo, hi = timing.speedup_ci
            self.noise_floor = max(self.timing_cfg.min_effect, abs(timing.speedup - 1.0), hi - 1.0, 1.0 - lo)
            return self.baseline

    # -- candidates ----------------------------------------------------------------------------
    def evaluate(self, source: str) -> Verdict:
        if self.baseline is None:
            self.prepare()
        with self.new_sandbox() as sb:
            stages: list[Stage] = [self._static, self._build, self._correctness, self._timing_stage]
            return run_cascade(stages, lambda st: st(sb, source))

    def _static(self, sb: Sandbox, source: str) -> StageResult:
        problems = native.source_problems(source, self.spec.function)
        if problems:
            return StageResult(stage="static", ok=False, status="rejected", reason=problems[0],
                               feedback="\n".join(f"- {p}" for p in problems))
        return StageResult(stage="static", ok=True)

    def _build(self, sb: Sandbox, source: str) -> StageResult:
        spec = self.spec
        assert self.baseline is not None
        src = f"candidate{spec.source_suffix}"
        sb.write_file(src, source)
        sb.write_file("driver.o", self.baseline.driver_o)
        sb.write_file("ref.o", self.baseline.ref_o)
        pp = native.compile_cmd(spec.language, spec.cflags, src, "candidate.i")
        pp[pp.index("-c")] = "-E"
        r = self._sh(sb, pp)
        if r.ok:
            problems = native.preprocessed_problems(sb.read_file("candidate.i").decode(errors="replace"), src)
            if problems:
                return StageResult(stage="build", ok=False, status="rejected", reason=problems[0],
                                   feedback="\n".join(f"- {p}" for p in problems))
        r = self._sh(sb, native.compile_cmd(spec.language, spec.cflags, src, "cand0.o"))
        log = r.stdout + r.stderr
        if not r.ok:
            status: Status = "compile_error" if r.killed is None else exec_failure(r)
            return StageResult(stage="build", ok=False, status=status,
                               reason=f"compilation failed ({r.describe()})",
                               feedback=tail(log), artifacts={"build.log": log})
        defined = self._sh(sb, ["nm", "-P", "-g", "--defined-only", "cand0.o"]).stdout
        undefined = self._sh(sb, ["nm", "-P", "--undefined-only", "cand0.o"]).stdout
        sections = self._sh(sb, ["readelf", "-SW", "cand0.o"]).stdout
        disassembly = self._sh(sb, ["objdump", "-d", "--no-show-raw-insn", "cand0.o"]).stdout
        problems = native.symbol_problems(defined, undefined, sections, spec.function, spec.allow_symbols)
        problems += native.instruction_problems(disassembly)
        if problems:
            return StageResult(stage="build", ok=False, status="rejected", reason=problems[0],
                               feedback="\n".join(f"- {p}" for p in problems),
                               artifacts={"build.log": log, "symbols.txt": defined + undefined})
        r = self._sh(sb, ["objcopy", f"--redefine-sym={spec.function}=mf_cand", "cand0.o", "cand.o"])
        if r.ok:
            r = self._link(sb)
        if not r.ok:
            return StageResult(stage="build", ok=False, status="compile_error", reason="linking failed",
                               feedback=tail(r.stderr), artifacts={"build.log": log + r.stderr})
        return StageResult(stage="build", ok=True, artifacts={"build.log": log} if log.strip() else {})

    def _correctness(self, sb: Sandbox, source: str) -> StageResult:
        assert self.baseline is not None
        for i, case in enumerate(self.cases):
            r, passes, flags = self._run_case(sb, 1, case)
            if not r.ok:
                return StageResult(
                    stage="correctness", ok=False, status=exec_failure(r),
                    reason=f"the candidate {r.describe()} on {case.label()}",
                    feedback=tail(r.stderr) if case.visible else "",
                )
            if any(flags):
                return StageResult(stage="correctness", ok=False, status="cheat_suspected",
                                   reason="it modified a const input buffer")
            layout = output_layout(self.spec, case.values)
            for run_i, arrays in enumerate(passes):
                problem = compare_outputs(layout, arrays, self.baseline.outputs[i], self.spec.tolerance,
                                          show_values=case.visible)
                if problem:
                    when = "" if run_i == 0 else " when called a second time on fresh buffers"
                    return StageResult(stage="correctness", ok=False, status="wrong_answer",
                                       reason=f"wrong output on {case.label()}{when}: {problem.splitlines()[0]}",
                                       feedback=problem)
        return StageResult(stage="correctness", ok=True,
                           reason=f"matched the reference on {len(self.cases)} cases")

    def _timing_stage(self, sb: Sandbox, source: str) -> StageResult:
        with self._timing_lock:
            timing, failed = self._time(sb)
        if failed is not None:
            return failed
        assert timing is not None
        return StageResult(stage="timing", ok=True, reason=timing.describe(), timing=timing)
