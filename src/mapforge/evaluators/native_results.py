"""Reading what the native driver wrote, and turning a runner's failures into verdicts.

Every file parsed here was written by harness code (the runner's own set-up and result writing, or the
checker, which never runs candidate code); still, a candidate that scribbles over the runner can make its
result malformed, so sizes are checked and a malformed result is the candidate's verdict, not an
exception. Candidate stdout is never read.
"""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from mapforge.evaluators.base import HarnessError
from mapforge.evaluators.driver import TIME_HEADER, TIME_MAGIC
from mapforge.evaluators.verdict import StageResult

EXIT_NOFILTER = 158
EXIT_SYSCALL = 159
EXIT_OVERRUN = 160
_OVERRUN = re.compile(r"overrun arg=(\d+) byte=(\d+)")
_SYSCALL_LINE = re.compile(r"mapforge harness: forbidden system call (?:([a-z0-9_]+) )?\(#(\d+)\)")


@dataclass(frozen=True)
class RunOutput:
    """Both calls of a ``runner run``: outputs per call, and the const-input hash before and after each."""

    passes: list[list[np.ndarray]]
    hashes: list[tuple[int, int]]


def parse_run(raw: bytes, layout: Sequence[tuple[Any, np.dtype, int]]) -> RunOutput | None:
    """None when the file does not have the exact expected size (the harness was interfered with)."""
    per_pass = sum(dt.itemsize * count for _, dt, count in layout)
    if len(raw) != 2 * (per_pass + 16):
        return None
    passes, hashes = [], []
    off = 0
    for _ in range(2):
        before = int(np.frombuffer(raw, np.uint64, 1, off)[0])
        off += 8
        arrays = []
        for _, dt, count in layout:
            arrays.append(np.frombuffer(raw, dtype=dt, count=count, offset=off).copy())
            off += dt.itemsize * count
        after = int(np.frombuffer(raw, np.uint64, 1, off)[0])
        off += 8
        passes.append(arrays)
        hashes.append((before, after))
    return RunOutput(passes, hashes)


@dataclass(frozen=True)
class TimeOutput:
    """The checker's account of one timing process."""

    requested: int
    done: int
    diverged: int
    first_diverged: int | None
    modified: int
    protocol: int
    """0, or why the runner's channel broke its protocol (1 bad marker, 2 bad records, 3 missing outputs,
    4 extra data)."""
    runner_status: int
    """The runner's raw wait status."""
    t_ref: list[float]
    t_cand: list[float]
    t_check: list[float]
    """The reference timed in the checker (a process the candidate never ran in), on the same inputs."""


def parse_time(raw: bytes) -> TimeOutput:
    """The checker never runs candidate code, so a malformed file is our bug: :class:`HarnessError`."""
    if len(raw) < TIME_HEADER:
        raise HarnessError(f"the checker's result has {len(raw)} bytes, fewer than its header")
    head = [int(x) for x in np.frombuffer(raw, np.uint64, 8)]
    magic, done, diverged, first, modified, protocol, status, requested = head
    if magic != TIME_MAGIC or len(raw) != TIME_HEADER + 24 * done or done > requested:
        raise HarnessError(f"the checker's result is malformed ({len(raw)} bytes for {done} calls)")
    t = np.frombuffer(raw, np.float64, 3 * done, TIME_HEADER)
    return TimeOutput(
        requested=requested, done=done, diverged=diverged, first_diverged=None if first == 2**64 - 1 else first,
        modified=modified, protocol=protocol, runner_status=int(np.int64(np.uint64(status))),
        t_ref=t[:done].tolist(), t_cand=t[done:2 * done].tolist(), t_check=t[2 * done:].tolist(),
    )


def syscall_named(stderr: str) -> str:
    found = _SYSCALL_LINE.findall(stderr)
    if not found:
        return "a forbidden system call"
    name, nr = found[-1]
    return f"the system call {name} (#{nr})" if name else f"system call #{nr}"


def runner_failure(stage: str, exit_code: int | None, sig: int | None, stderr: str, where: str,
                   feedback: str, args: Sequence[str] = ()) -> StageResult | None:
    """The verdict for a runner that ended badly (None if it exited 0). ``where`` says when, for the reason;
    ``args`` are the function's argument names, in order, to name a buffer written past its end."""
    if exit_code == 0 and sig is None:
        return None
    if exit_code == EXIT_OVERRUN:
        found = _OVERRUN.findall(stderr)
        i, byte = (int(found[-1][0]), int(found[-1][1])) if found else (-1, 0)
        name = f"`{args[i]}`" if 0 <= i < len(args) else "a buffer"
        return StageResult(
            stage=stage, ok=False, status="runtime_error",
            reason=f"it wrote past the end of {name} (byte {byte} after its last element) {where}: a buffer "
                   "holds exactly the elements the task gives it",
            feedback=feedback)
    if exit_code == EXIT_SYSCALL or sig == signal.SIGSYS:
        what = syscall_named(stderr) if exit_code == EXIT_SYSCALL else "a forbidden system call (killed by SIGSYS)"
        hint = (" (glibc reports heap corruption with writev before it aborts: an out-of-bounds write or a bad "
                "free is the likely cause)") if " writev " in what else ""
        return StageResult(
            stage=stage, ok=False, status="cheat_suspected",
            reason=f"forbidden system call: it made {what} {where}; a kernel may not create threads or "
                   f"processes, open files or sockets, or read clocks{hint}",
            feedback=feedback)
    if exit_code == EXIT_NOFILTER:
        return StageResult(stage=stage, ok=False, status="harness_error",
                           reason="the seccomp filter could not be installed on this host")
    if sig is not None:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return StageResult(stage=stage, ok=False, status="runtime_error",
                           reason=f"the candidate crashed with signal {name} {where}", feedback=feedback)
    return StageResult(stage=stage, ok=False, status="runtime_error",
                       reason=f"the candidate made the program exit with status {exit_code} {where}",
                       feedback=feedback)


def wait_status(status: int) -> tuple[int | None, int | None]:
    """(exit code, signal) of a raw wait status."""
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status), None
    return None, None
