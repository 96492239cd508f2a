"""The evaluator for native (C/C++) optimize tasks: static check -> build -> correctness -> timing.

Trust model (README, "How verdicts are made"): the candidate is hostile, so

- its source may not use inline assembly, quoted includes or load-time code (static check); its object may
  define no global symbol but the function, call nothing but libc memory functions and libm, execute no
  system-call/timer/CPU-id instructions, and hold no executable data or custom sections (object checks);
- it runs only in the *runner* process, which makes its own state read-only and installs a seccomp filter
  before the first candidate call (no threads, processes, files, sockets or exec): a call it should not
  make ends it with the call named;
- its outputs are judged by processes it never runs in: correctness against ground truth the baseline
  process produced, timed calls by the *checker*, which regenerates each call's inputs, runs the reference
  itself and compares every element of every timed output;
- times are taken around each call by the runner and on their way to the checker before the call starts;
  intervals span at least ``timing.min_processes`` processes (memory-layout luck is inside them);
- all verdicts come from files and pipes the harness reads, never from stdout.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from mapforge.config import SandboxConfig, TimingConfig
from mapforge.evaluators import native
from mapforge.evaluators.base import Baseline, HarnessError
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
from mapforge.evaluators.inputs import GeneratedInputs
from mapforge.evaluators.native_results import (
    EXIT_OVERRUN,
    parse_run,
    parse_time,
    runner_failure,
    wait_status,
)
from mapforge.evaluators.sampler import Batch, Sampler
from mapforge.evaluators.stats import median
from mapforge.evaluators.verdict import Profile, StageResult, Status, Timing, Verdict
from mapforge.sandbox import ExecResult, Limits, Sandbox
from mapforge.tasks.spec import OptimizeSpec, Task

__all__ = ["CorePins", "HarnessError", "NativeBaseline", "OptimizeEvaluator", "core_pins"]

#: Achieved write bandwidth above this (bytes/s) is physically implausible on a CPU core: flag it.
MAX_PLAUSIBLE_WRITE_BW = 400e9
#: The reference may run at most this much slower beside a candidate (in the runner) than alone (in the
#: checker) before the candidate is suspected of slowing it down.
MAX_REFERENCE_DRIFT = 1.5
#: Timing runs a candidate gets before a reference drift above the limit counts against it.
REFERENCE_DRIFT_RUNS = 2
#: Linker flags for the runner: a read-only GOT, no executable stack.
HARDEN = ("-Wl,-z,relro,-z,now,-z,noexecstack",)


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


@dataclass
class NativeBaseline(Baseline):
    """The reference's objects, its outputs per correctness case, and its A/A timing."""

    driver_o: bytes = b""
    ref_o: bytes = b""
    refcand_o: bytes = b""
    """The reference renamed as the candidate: linked into the checker, which must never hold candidate code."""
    outputs: dict[int, list[np.ndarray]] = field(default_factory=dict)
    reference_drift: float = 1.0
    """In the A/A run: the reference's median time in the runner over its median in the checker."""


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
        self.inputs = GeneratedInputs(task)
        """Inputs from the task's Python generator, if it has one (written into the sandbox before each run)."""
        self.baseline: NativeBaseline | None = None
        self.noise_floor: float = timing.min_effect
        """Changes smaller than this are 'no measurable change': the config's minimum, or the A/A spread."""
        self.timing_lock = threading.Lock()
        """Evaluations may run side by side (sandbox.parallel); timing runs never do."""
        self._pins = pins or CorePins()
        self._strict = "0" if sandbox.unsafe_no_isolation else "1"
        self.on_stage: Callable[[str], None] | None = None
        """Told each cascade stage's name as it starts (the job's live display)."""

    # -- limits ------------------------------------------------------------------------------
    @property
    def build_limits(self) -> Limits:
        return Limits(timeout=self.sandbox_cfg.build_timeout, memory_mb=max(self.sandbox_cfg.memory_mb, 1024))

    @property
    def run_limits(self) -> Limits:
        return Limits(timeout=self.spec.limits.timeout_seconds, memory_mb=self.spec.limits.memory_mb)

    @property
    def _arg_names(self) -> list[str]:
        return [a.name for a in self.spec.args]

    # -- shared steps --------------------------------------------------------------------------
    def _sh(self, sb: Sandbox, cmd: list[str], limits: Limits | None = None) -> ExecResult:
        return sb.exec([*self._pins.work, *cmd], limits=limits or self.build_limits)

    def _link(self, sb: Sandbox, out: str, cand: str, ref: str = "ref.o") -> ExecResult:
        cc = native.compiler(self.spec.language)
        # reference first: its COMDAT/weak definitions win over any the candidate brings
        return self._sh(sb, [cc, "-o", out, "driver.o", ref, cand, "-lm", *HARDEN])

    def _run_case(self, sb: Sandbox, which: int, case: Case) -> tuple[ExecResult, bytes]:
        self.inputs.stage(sb, case.shape, case.seed)
        r = sb.exec([*self._pins.work, "./runner", "run", str(which), str(case.seed), self._strict, "out.bin",
                     *case.values], limits=self.run_limits)
        return r, (sb.read_file("out.bin") if r.ok else b"")

    def _time(self, sb: Sandbox, est_pair: float) -> tuple[Timing | StageResult, list[float]]:
        """Adaptive timing of the runner's reference vs candidate, judged by the checker, over several
        processes. Returns the timing (or the failed stage) and the checker's own reference times."""
        tol = self.spec.tolerance
        check_times: list[float] = []

        def run_batch(reps: int) -> Batch | StageResult:
            seed = str(7 + 1000 * len(check_times))  # fresh inputs for every process
            self.inputs.stage(sb, self.spec.shapes.timing, int(seed), self.spec.generator_pool)
            r = sb.exec([*self._pins.timing, "./checker", "time", "./runner", seed, str(reps),
                         str(self.timing_cfg.warmup), repr(tol.rtol), repr(tol.atol), self._strict, "t.bin",
                         *self.timing_values], limits=self.run_limits)
            if not r.ok:
                return StageResult(stage="timing", ok=False, status=exec_failure(r),
                                   reason=f"the timing run {r.describe()}", feedback=tail(r.stderr),
                                   artifacts={"stderr": tail(r.stderr)})
            out = parse_time(sb.read_file("t.bin"))
            code, sig = wait_status(out.runner_status)
            failed = runner_failure("timing", code, sig, r.stderr, "during timing", tail(r.stderr), self._arg_names)
            if failed is not None:
                return failed
            if out.protocol:
                return StageResult(stage="timing", ok=False, status="cheat_suspected",
                                   reason="the candidate interfered with the harness: the timing channel broke "
                                          f"its protocol (code {out.protocol}) after {out.done} calls")
            if out.done < out.requested:
                return StageResult(stage="timing", ok=False, status="cheat_suspected",
                                   reason=f"the candidate interfered with the harness: the timing process stopped "
                                          f"after {out.done} of {out.requested} calls")
            if out.diverged:
                return StageResult(
                    stage="timing", ok=False, status="cheat_suspected",
                    reason=f"during timing, its output differed from the reference's on the same inputs in "
                           f"{out.diverged} of {out.done} calls (first at call {out.first_diverged}): it behaves "
                           "differently when called repeatedly or on other buffers")
            if out.modified:
                return StageResult(stage="timing", ok=False, status="cheat_suspected",
                                   reason=f"it modified a const input during timing ({out.modified} of {out.done} calls)")
            check_times.extend(out.t_check)
            return Batch(ref=out.t_ref, cand=out.t_cand, wall=r.duration)

        got = Sampler(self.timing_cfg, self.noise_floor).run(run_batch, est_pair)
        return got, check_times

    # -- baseline ------------------------------------------------------------------------------
    def prepare(self) -> NativeBaseline:
        """Build the reference, record its outputs on every case, and time it against itself (A/A)."""
        spec = self.spec
        src = f"reference{spec.source_suffix}"
        with self.new_sandbox() as sb:
            sb.write_file("mf_harness.h", harness_header())
            sb.write_file("driver.c", generate_driver(spec))
            sb.write_file(src, self.task.reference_source or "")
            steps = [
                ["gcc", "-std=gnu11", "-O2", "-Wall", "-c", "driver.c", "-o", "driver.o"],
                native.compile_cmd(spec.language, spec.cflags, src, "ref0.o"),
                ["objcopy", f"--redefine-sym={spec.function}=mf_ref", "ref0.o", "ref.o"],
                ["objcopy", f"--redefine-sym={spec.function}=mf_cand", "ref0.o", "refcand.o"],
            ]
            for cmd in steps:
                r = self._sh(sb, cmd)
                if not r.ok:
                    raise HarnessError(f"building the reference failed: {' '.join(cmd)}\n{tail(r.stderr)}")
            for out in ("runner", "checker"):
                r = self._link(sb, out, "refcand.o")
                if not r.ok:
                    raise HarnessError(f"linking the reference failed:\n{tail(r.stderr)}")
            outputs: dict[int, list[np.ndarray]] = {}
            for i, case in enumerate(self.cases):
                r, raw = self._run_case(sb, 0, case)
                if r.exit_code == 158:
                    raise HarnessError("this host refuses the seccomp filter the harness puts around candidate "
                                       "code; run with the docker sandbox, or pass --unsafe-no-isolation to run "
                                       "candidates without it")
                if r.exit_code == EXIT_OVERRUN:
                    bad = runner_failure("baseline", r.exit_code, r.signal, r.stderr, f"on {case.label()}", "",
                                         self._arg_names)
                    raise HarnessError(f"the reference is not memory-safe: {bad.reason if bad else r.describe()}")
                if not r.ok:
                    raise HarnessError(f"the reference {r.describe()} on {case.label()}:\n{tail(r.stderr)}")
                run = parse_run(raw, output_layout(spec, case.values))
                if run is None:
                    raise HarnessError(f"the reference's result on {case.label()} has {len(raw)} bytes, "
                                       "not the expected size")
                for arr in run.passes[0]:
                    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                        raise HarnessError(f"the reference produced NaN/Inf on {case.label()} (does it write "
                                           "every element of its outputs?)")
                outputs[i] = run.passes[0]
            got, check = self._time(sb, est_pair=0.0)
            if isinstance(got, StageResult):
                raise HarnessError(f"timing the reference against itself failed: {got.reason}")
            lo, hi = got.speedup_ci
            # What this machine cannot resolve right now: how far the reference strays from itself.
            self.noise_floor = max(self.timing_cfg.min_effect, abs(got.speedup - 1.0), hi - 1.0, 1.0 - lo)
            self.baseline = NativeBaseline(
                seconds=got.baseline_seconds, aa=got, noise_floor=self.noise_floor,
                driver_o=sb.read_file("driver.o"), ref_o=sb.read_file("ref.o"),
                refcand_o=sb.read_file("refcand.o"), outputs=outputs,
                reference_drift=got.baseline_seconds / max(median(check), 1e-12),
                profile=self._profile(sb, self.task.reference_source or "", got.baseline_seconds),
            )
            return self.baseline

    def adopt(self, baseline: NativeBaseline) -> None:
        """Use a baseline measured earlier (``mapforge eval``'s cache) instead of :meth:`prepare`."""
        self.baseline = baseline
        self.noise_floor = baseline.noise_floor

    # -- candidates ----------------------------------------------------------------------------
    def evaluate(self, source: str) -> Verdict:
        if self.baseline is None:
            self.prepare()
        with self.new_sandbox() as sb:
            stages: list[Stage] = [self._static, self._build, self._correctness, self._timing_stage]
            return run_cascade(stages, lambda st: st(sb, source), self.on_stage)

    def machine_code(self, source: str) -> str | None:
        """What the task's function in ``source`` compiles to (:func:`native.machine_code`): code that is new
        in its text only (braces, names, an unused helper around the reference's loop) compiles to what was
        judged before. None when it breaks a source rule or does not compile (its evaluation says why)."""
        spec = self.spec
        try:
            if native.source_problems(source, spec.function):
                return None
            src = f"mc{spec.source_suffix}"
            with self.new_sandbox() as sb:
                sb.write_file(src, source)
                if not self._sh(sb, native.compile_cmd(spec.language, spec.cflags, src, "mc.o")).ok:
                    return None
                r = self._sh(sb, ["objdump", "-dr", "-s", "--no-show-raw-insn", "mc.o"])
                return native.machine_code(r.stdout, spec.function) if r.ok else None
        except Exception:  # noqa: BLE001 - not knowing is an answer; the evaluation (behind its barrier) says why
            return None

    def _static(self, sb: Sandbox, source: str) -> StageResult:
        problems = native.source_problems(source, self.spec.function)
        if problems:
            return StageResult(stage="static", ok=False, status="rejected", reason=problems[0],
                               feedback="\n".join(f"- {p}" for p in problems))
        return StageResult(stage="static", ok=True)

    def _build(self, sb: Sandbox, source: str) -> StageResult:
        assert self.baseline is not None
        for name in ("driver.o", "ref.o", "refcand.o"):
            sb.write_file(name, getattr(self.baseline, name.replace(".", "_")))
        built = self._compile(sb, source, "candidate", "mf_cand")
        if not built.ok:
            return built
        return self._link_pair(sb, "candidate.o", built)

    def _compile(self, sb: Sandbox, source: str, name: str, symbol: str) -> StageResult:
        """Compile ``source`` to ``<name>.o`` with the task's function renamed to ``symbol``, after the
        preprocessed-source and object checks."""
        spec = self.spec
        src = f"{name}{spec.source_suffix}"
        sb.write_file(src, source)
        pp = native.compile_cmd(spec.language, spec.cflags, src, f"{name}.i")
        pp[pp.index("-c")] = "-E"
        r = self._sh(sb, pp)
        if r.ok:
            problems = native.preprocessed_problems(sb.read_file(f"{name}.i").decode(errors="replace"), src)
            if problems:
                return _rejected("build", problems)
        raw = f"{name}0.o"
        r = self._sh(sb, native.compile_cmd(spec.language, spec.cflags, src, raw))
        log = r.stdout + r.stderr
        if not r.ok:
            status: Status = "compile_error" if r.killed is None else exec_failure(r)
            return StageResult(stage="build", ok=False, status=status,
                               reason=f"compilation failed ({r.describe()})",
                               feedback=tail(log), artifacts={"build.log": log})
        defined = self._sh(sb, ["nm", "-P", "-g", "--defined-only", raw]).stdout
        undefined = self._sh(sb, ["nm", "-P", "--undefined-only", raw]).stdout
        sections = self._sh(sb, ["readelf", "-SW", raw]).stdout
        symbols = self._sh(sb, ["readelf", "-sW", raw]).stdout
        disassembly = self._sh(sb, ["objdump", "-d", "--no-show-raw-insn", raw]).stdout
        problems = native.section_problems(sections, symbols)
        problems += native.symbol_problems(defined, undefined, sections, spec.function, spec.allow_symbols)
        problems += native.instruction_problems(disassembly)
        if problems:
            cheat = any("executable" in p or "code section" in p for p in problems)
            return _rejected("build", problems, "cheat_suspected" if cheat else "rejected",
                             {"build.log": log, "symbols.txt": defined + undefined})
        r = self._sh(sb, ["objcopy", f"--redefine-sym={spec.function}={symbol}", raw, f"{name}.o"])
        if not r.ok:
            return StageResult(stage="build", ok=False, status="compile_error", reason="objcopy failed",
                               feedback=tail(r.stderr))
        return StageResult(stage="build", ok=True, artifacts={"build.log": log} if log.strip() else {})

    def _link_pair(self, sb: Sandbox, cand: str, built: StageResult, ref: str = "ref.o") -> StageResult:
        """Link the runner (``ref`` + ``cand``) and the checker (reference only); check the runner's segments."""
        r = self._link(sb, "runner", cand, ref)
        if r.ok:
            r = self._link(sb, "checker", "refcand.o")
        if not r.ok:
            return StageResult(stage="build", ok=False, status="compile_error", reason="linking failed",
                               feedback=tail(r.stderr),
                               artifacts={"build.log": built.artifacts.get("build.log", "") + r.stderr})
        problems = native.segment_problems(self._sh(sb, ["readelf", "-lW", "runner"]).stdout)
        if problems:
            return _rejected("build", problems, "cheat_suspected")
        return built

    def head_to_head(self, champion: str, challenger: str) -> Timing | StageResult:
        """Time ``challenger`` against ``champion`` (both already judged correct) by the same protocol as
        every timing: one runner with the champion on the reference's side and the challenger on the
        candidate's, interleaved, over several processes; the checker still compares every challenger output
        with the true reference. ``speedup > 1``: the challenger is faster. A StageResult when either fails."""
        if self.baseline is None:
            self.prepare()
        assert self.baseline is not None and self.baseline.seconds is not None
        with self.new_sandbox() as sb:
            for name in ("driver.o", "ref.o", "refcand.o"):
                sb.write_file(name, getattr(self.baseline, name.replace(".", "_")))
            champ = self._compile(sb, champion, "champion", "mf_ref")
            if not champ.ok:
                return champ
            chall = self._compile(sb, challenger, "challenger", "mf_cand")
            if not chall.ok:
                return chall
            linked = self._link_pair(sb, "challenger.o", chall, ref="champion.o")
            if not linked.ok:
                return linked
            with self.timing_lock:
                got, _ = self._time(sb, est_pair=3 * self.baseline.seconds)
            return got

    def _correctness(self, sb: Sandbox, source: str) -> StageResult:
        assert self.baseline is not None
        for i, case in enumerate(self.cases):
            r, raw = self._run_case(sb, 1, case)
            feedback = tail(r.stderr) if case.visible else ""
            if r.killed is not None:
                return StageResult(stage="correctness", ok=False, status=exec_failure(r),
                                   reason=f"the candidate {r.describe()} on {case.label()}", feedback=feedback)
            failed = runner_failure("correctness", r.exit_code, r.signal, r.stderr, f"on {case.label()}", feedback,
                                    self._arg_names)
            if failed is not None:
                return failed
            layout = output_layout(self.spec, case.values)
            run = parse_run(raw, layout)
            if run is None:
                return StageResult(stage="correctness", ok=False, status="cheat_suspected",
                                   reason=f"the candidate interfered with the harness: its result on {case.label()} "
                                          f"was malformed ({len(raw)} bytes)")
            if any(before != after for before, after in run.hashes):
                return StageResult(stage="correctness", ok=False, status="cheat_suspected",
                                   reason=f"it modified a const input buffer on {case.label()}")
            for run_i, arrays in enumerate(run.passes):
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
        assert self.baseline is not None and self.baseline.seconds is not None
        limit = MAX_REFERENCE_DRIFT * max(self.baseline.reference_drift, 1.0)
        drifts: list[float] = []
        # One timing run the machine disturbed is not evidence against a candidate: when the reference ran
        # slower beside it than alone, time it again, and suspect it only if that happens both times.
        for _attempt in range(REFERENCE_DRIFT_RUNS):
            with self.timing_lock:
                got, check = self._time(sb, est_pair=3 * self.baseline.seconds)
            if isinstance(got, StageResult):
                return got
            floor = output_bytes(self.spec, self.timing_values) / MAX_PLAUSIBLE_WRITE_BW
            if got.seconds < floor:
                return StageResult(stage="timing", ok=False, status="cheat_suspected",
                                   reason=f"median time {got.seconds * 1e9:.0f} ns is below the physical floor of "
                                          f"{floor * 1e9:.0f} ns to write its outputs")
            drifts.append(got.baseline_seconds / max(median(check), 1e-12))
            if drifts[-1] <= limit:
                return StageResult(stage="timing", ok=True, reason=got.describe(), timing=got,
                                   profile=self._profile(sb, source, got.seconds))
        runs = " and ".join(f"{d:.2f}x" for d in drifts)
        return StageResult(stage="timing", ok=False, status="cheat_suspected",
                           reason=f"the reference ran slower beside this candidate than on its own in each of "
                                  f"{len(drifts)} timing runs ({runs}; at most {limit:.2f}x is noise): the "
                                  "candidate slows the code it is compared with")

    def _profile(self, sb: Sandbox, source: str, seconds: float) -> Profile:
        """What gcc says about ``source``'s loops and what it emitted (the reference's, in ``prepare``)."""
        from mapforge.evaluators.profile import profile_candidate

        prof = profile_candidate(sb, self.spec, source, seconds=seconds, limits=self.build_limits)
        prof.source = "gcc"
        return prof


def _rejected(stage: str, problems: list[str], status: Status = "rejected",
              artifacts: dict[str, str] | None = None) -> StageResult:
    return StageResult(stage=stage, ok=False, status=status, reason=problems[0],
                       feedback="\n".join(f"- {p}" for p in problems), artifacts=artifacts or {})
