"""Typed verdicts: what the harness concluded about a candidate, and why."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Status = Literal[
    "correct",          # passed every stage
    "rejected",         # static check: forbidden construct or symbol (cheating or out of scope)
    "compile_error",
    "wrong_answer",
    "runtime_error",    # crashed or non-zero exit
    "timeout",
    "memory",
    "output_limit",
    "cheat_suspected",  # behaved differently when timed, impossible timing, modified inputs, ...
    "harness_error",    # our fault, not the candidate's
]


class Timing(BaseModel):
    """Harness-side timing of a candidate against the baseline, measured interleaved in one process."""

    speedup: float
    """Median of per-pair ratios baseline_time / candidate_time."""
    speedup_ci: tuple[float, float]
    """95% confidence interval of that median (order statistics)."""
    seconds: float
    """Median candidate time per call."""
    baseline_seconds: float
    """Median baseline time per call, in the same run."""
    pairs: int
    """Number of interleaved (baseline, candidate) pairs."""
    processes: int = 1
    """Timing processes the pairs came from (the interval spans them: each has its own memory layout)."""
    min_effect: float = 0.01
    """Changes smaller than this fraction are below what the harness resolves (A/A runs show a few 0.1%)."""

    @property
    def significant(self) -> bool:
        """True when the interval excludes 1.0 and the median moved by more than ``min_effect``."""
        lo, hi = self.speedup_ci
        return not (lo <= 1.0 <= hi) and abs(self.speedup - 1.0) > self.min_effect

    def describe(self) -> str:
        lo, hi = self.speedup_ci
        verdict = "no measurable change" if not self.significant else ("faster" if lo > 1 else "slower")
        return f"{self.speedup:.3f}x [{lo:.3f}, {hi:.3f}] ({verdict}; {self.seconds * 1e3:.3f} ms vs {self.baseline_seconds * 1e3:.3f} ms, {self.pairs} pairs in {self.processes} processes)"


class Disassembly(BaseModel):
    """A native candidate's machine code, summarised."""

    instructions: int = 0
    vector: dict[str, int] = Field(default_factory=dict)
    """Instructions touching xmm (128-bit), ymm (256-bit) and zmm (512-bit) registers."""
    fma: int = 0
    loads_stores: int = 0
    """Instructions with a memory operand."""
    loops: int = 0
    """Backward branches: loops in the emitted code."""
    divisions: int = 0


class GpuCounters(BaseModel):
    """Nsight Compute's reading of the candidate's longest kernel in one call (``--clock-control none``)."""

    kernel: str
    duration_us: float | None = None
    memory_throughput_pct: float | None = None
    """``gpu__compute_memory_throughput``: the busiest memory unit, % of its peak."""
    dram_throughput_pct: float | None = None
    compute_throughput_pct: float | None = None
    """``sm__throughput``: the busiest SM unit, % of its peak."""
    occupancy_pct: float | None = None
    """Achieved occupancy: active warps over the SM's maximum."""
    limiter: str = "unknown"
    """``memory``, ``compute`` or ``latency`` (neither unit above 60% of its peak)."""

    def describe(self) -> str:
        def pct(x: float | None) -> str:
            return "?" if x is None else f"{x:.0f}%"

        dur = f" in {self.duration_us:.1f} us" if self.duration_us is not None else ""
        return (f"Nsight Compute, kernel {self.kernel[:60]}{dur}: memory throughput {pct(self.memory_throughput_pct)} "
                f"(DRAM {pct(self.dram_throughput_pct)}), compute throughput {pct(self.compute_throughput_pct)}, "
                f"achieved occupancy {pct(self.occupancy_pct)} -> limited by {self.limiter}")


#: What the report says of a loop gcc vectorised with a float reduction it may not reorder (no -ffast-math).
IN_ORDER = ("in-order reduction: the loads are vectorised but the additions still run one after another, in "
            "source order")


class LoopReport(BaseModel):
    """One loop of the compiler's vectorisation report, by the source line it starts on."""

    line: int
    code: str = ""
    """That line of the source (at most 80 characters), as the planner is asked to quote it."""
    width: int | None = None
    """Vectorised: the widest vectors used, in bytes; None when the compiler did not vectorise the loop."""
    in_order: bool = False
    """Vectorised with a float reduction kept in source order (a fold-left reduction): its additions are as
    serial as the source's."""
    versioned: str = ""
    """Vectorised behind a runtime check, e.g. "a runtime check for possible aliasing"."""
    missed: str = ""
    """Not vectorised: the compiler's most specific reason."""

    @property
    def where(self) -> str:
        return f"line {self.line} (`{self.code}`)" if self.code else f"line {self.line}"

    def describe(self) -> str:
        if self.width is None:
            return f"{self.where}: {self.missed}"
        notes = [f"vectorised using {self.width} byte vectors", *([IN_ORDER] if self.in_order else []),
                 *([self.versioned] if self.versioned else [])]
        return f"{self.where}: " + "; ".join(notes)


class Profile(BaseModel):
    """Typed measurements beside the timing, for the planner, the debugger and the report. Each target fills
    what it can measure; what it cannot is None, with the reason in ``notes``."""

    source: str = ""
    """What measured them: ``gpu-harness``, ``ncu``, ``gcc+callgrind``, ..."""
    loops: list[LoopReport] = Field(default_factory=list)
    """Native: the compiler's vectorisation report, one entry per loop it reported on."""
    disassembly: Disassembly | None = None
    instructions: int | None = None
    """Native: instructions executed by one run (callgrind), when measured."""
    counter_source: str = "none"
    """Where ``instructions``/``counters`` came from (``callgrind``, ``ncu``) or ``none``."""
    counters: dict[str, float] = Field(default_factory=dict)
    """Hardware counters by name (GPU: ncu metrics)."""
    gpu: GpuCounters | None = None
    """GPU: Nsight Compute's counters for the candidate's main kernel, where ncu can read them."""
    speedup_vs_compiled: float | None = None
    """GPU: median speedup over ``torch.compile`` of the reference, timed in the same runs."""
    speedup_vs_compiled_ci: tuple[float, float] | None = None
    roofline_fraction: float | None = None
    """Achieved bytes/s (or flop/s) over the machine's measured peak."""
    notes: list[str] = Field(default_factory=list)

    @property
    def vectorised(self) -> list[str]:
        """'line N (`code`): vectorised using 32 byte vectors; ...', one per vectorised loop."""
        return [lp.describe() for lp in self.loops if lp.width is not None]

    @property
    def missed(self) -> list[str]:
        """'line N (`code`): <the compiler's reason>', one per loop it did not vectorise."""
        return [lp.describe() for lp in self.loops if lp.width is None]

    def describe(self) -> str:
        """A few lines for a prompt."""
        out = []
        if self.loops:
            out.append(f"Compiler vectorisation report: {len(self.vectorised)} loop(s) vectorised"
                       + (f" ({'; '.join(self.vectorised[:3])})" if self.vectorised else "")
                       + (f"; not vectorised: {'; '.join(self.missed[:4])}" if self.missed else ""))
            if self.vectorised:  # what a small model's plans missed: it hand-vectorised loops gcc already had
                out.append("(This is the compiler's own output at the task's flags: a loop it vectorised already "
                           "runs on vector registers, and rewriting it with intrinsics or vector types redoes "
                           "that. Gains lie in what it did not vectorise, or in work and memory traffic the "
                           "code need not do.)")
            if any(lp.in_order for lp in self.loops):  # the exception: gcc kept the order
                out.append("(An in-order reduction is the exception: without -ffast-math the compiler may not "
                           "reorder floating-point additions, so each waits for the one before. Several "
                           "independent partial sums, combined after the loop, break that chain, where the "
                           "results stay within the task's tolerance.)")
        d = self.disassembly
        if d is not None:
            vec = ", ".join(f"{n} {k}" for k, n in sorted(d.vector.items())) or "no vector registers"
            out.append(f"Machine code of the function: {d.instructions} instructions ({vec}), {d.fma} FMA, "
                       f"{d.loads_stores} with memory operands, {d.divisions} divisions, {d.loops} loop(s)")
        if self.instructions is not None:
            out.append(f"Instructions executed (callgrind): {self.instructions:,}")
        if self.gpu is not None:
            out.append(self.gpu.describe())
        if self.speedup_vs_compiled is not None:
            out.append(f"Against torch.compile of the reference: {self.speedup_vs_compiled:.2f}x")
        for name, value in sorted(self.counters.items())[:6]:
            out.append(f"{name} = {value:g}")
        if self.roofline_fraction is not None:
            out.append(f"It reaches {self.roofline_fraction:.0%} of the roofline")
        return "\n".join(out)


class StageResult(BaseModel):
    """One stage's outcome. ``feedback`` may be shown to the model; ``artifacts`` are for the run record."""

    stage: str
    ok: bool
    status: Status | None = None
    reason: str = ""
    feedback: str = ""
    artifacts: dict[str, str] = Field(default_factory=dict)
    seconds: float = 0.0
    timing: Timing | None = None
    profile: Profile | None = None
    tests_passed: int | None = None
    tests_total: int | None = None


class Verdict(BaseModel):
    """The cascade's conclusion: the first failing stage, or success with timing / pass rate."""

    status: Status
    stage: str
    """The stage that decided (the last one run)."""
    reason: str
    """One line, safe to show to the model."""
    feedback: str = ""
    """Details for the debugger: compiler errors, first mismatching elements (visible cases only)."""
    stages: list[StageResult] = Field(default_factory=list)
    timing: Timing | None = None
    profile: Profile | None = None
    """Measurements beside the timing (GPU: speedup over torch.compile, roofline fraction, counters)."""
    pass_rate: float | None = None
    """solve tasks: passed / total over visible and hidden tests."""
    tests_passed: int | None = None
    tests_total: int | None = None
    judged_by: str | None = None
    """The cluster worker that judged this candidate (None: the job's own machine)."""

    @property
    def correct(self) -> bool:
        return self.status == "correct"

    @property
    def speedup(self) -> float | None:
        return self.timing.speedup if self.timing else None

    @property
    def improved(self) -> bool:
        """Correct, and faster with the whole interval above 1 (and above the noise floor)."""
        return self.correct and self.timing is not None and self.timing.significant and self.timing.speedup > 1.0

    def summary_line(self) -> str:
        if self.timing is not None and self.correct:
            return f"correct, {self.timing.describe()}"
        if self.pass_rate is not None:
            return f"{self.status}: {self.tests_passed}/{self.tests_total} tests passed"
        return f"{self.status} at {self.stage}: {self.reason}"
