"""Nsight Compute counters for a candidate's own kernel: a few metrics, typed, for the planner and debugger.

``ncu`` replays each profiled kernel to read its counters, so it runs once per candidate that passed timing,
on one call (``gpu_harness.py once``), never inside the timed loop. Clocks are left alone
(``--clock-control none``). Where ncu is missing or cannot read the counters (no permission, a runtime
without profiler support), the verdict carries the reason and the job goes on.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from pathlib import Path

from mapforge.evaluators.verdict import GpuCounters

METRICS = {
    "gpu__time_duration.sum": "duration",
    "gpu__compute_memory_throughput.avg.pct_of_peak_sustained_elapsed": "memory",
    "dram__throughput.avg.pct_of_peak_sustained_elapsed": "dram",
    "sm__throughput.avg.pct_of_peak_sustained_elapsed": "compute",
    "sm__warps_active.avg.pct_of_peak_sustained_active": "occupancy",
}
#: Below this share of its peak on both units, a kernel is latency-bound (too little work in flight).
BUSY_PCT = 60.0


def find_ncu() -> str | None:
    """The ncu executable, from ``MAPFORGE_NCU``, the PATH, or CUDA's usual places."""
    for cand in (os.environ.get("MAPFORGE_NCU"), shutil.which("ncu"), "/usr/local/cuda/bin/ncu"):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    return None


def install_dirs(ncu: str) -> list[Path]:
    """What a sandbox must see for ncu to run: CUDA's ``bin/ncu`` is a launcher that looks for the real
    install beside it or under ``/opt/nvidia``."""
    real = Path(ncu).resolve()
    out = [real.parent.parent if real.parent.name in ("bin", "host") else real.parent]
    if Path("/opt/nvidia").is_dir():
        out.append(Path("/opt/nvidia"))
    return [p for p in out if not p.is_relative_to("/usr")]  # /usr is always shown


def command(ncu: str, python: str, kernels: list[str]) -> list[str]:
    cmd = [ncu, "--clock-control", "none", "--csv", "--page", "raw", "--print-units", "base", "--metrics", ",".join(METRICS),
           "--target-processes", "all"]
    names = [re.escape(k) for k in kernels if k]
    if names:
        cmd += ["--kernel-name", "regex:" + "|".join(names), "--launch-count", "4"]
    else:
        cmd += ["--launch-count", "16"]
    return cmd + [python, "-I", "harness.py", "once", "reference.py", "candidate.py"]


#: What ncu prints when this machine or sandbox cannot give counters to any candidate.
_NEVER = ("ERR_NVGPUCTRPERM", "not supported on this", "Profiling is not supported")


def machine_problem(why: str) -> bool:
    """Whether a reason from :func:`parse` (or a failed ncu run) holds for every candidate of this machine and
    sandbox (no permission to the counters, no profiler support), so the job stops asking ncu."""
    return any(marker in why for marker in _NEVER)


def parse(stdout: str, kernels: list[str]) -> GpuCounters | str:
    """The longest profiled kernel's counters from ``ncu --csv --page raw``, or why there are none."""
    lines = [ln for ln in stdout.splitlines() if ln.startswith('"')]
    if not lines:
        err = next((ln for ln in stdout.splitlines() if "ERR" in ln or "rror" in ln), "")
        return f"ncu profiled no kernel{': ' + err.strip()[:200] if err else ''}"
    rows = list(csv.reader(io.StringIO("\n".join(lines))))
    header = rows[0]
    try:
        name_col = header.index("Kernel Name")
    except ValueError:
        return "ncu wrote no 'Kernel Name' column"
    cols = {METRICS[m]: header.index(m) for m in METRICS if m in header}
    best: tuple[float, GpuCounters] | None = None
    for row in rows[1:]:
        if len(row) != len(header) or not row[name_col] or row[name_col] == "Kernel Name":
            continue
        vals: dict[str, float | None] = {}
        for key, i in cols.items():
            try:
                vals[key] = float(row[i].replace(",", ""))
            except ValueError:
                vals[key] = None
        name = row[name_col]
        if kernels and not any(k in name for k in kernels):
            continue
        dur = vals.get("duration")
        mem, comp = vals.get("memory"), vals.get("compute")
        if mem is not None and comp is not None and max(mem, comp) < BUSY_PCT:
            limiter = "latency"
        elif mem is not None and comp is not None:
            limiter = "memory" if mem >= comp else "compute"
        else:
            limiter = "unknown"
        got = GpuCounters(kernel=name, duration_us=None if dur is None else dur / 1e3, memory_throughput_pct=mem,
                          dram_throughput_pct=vals.get("dram"), compute_throughput_pct=comp,
                          occupancy_pct=vals.get("occupancy"), limiter=limiter)
        if best is None or (dur or 0.0) > best[0]:
            best = (dur or 0.0, got)
    if best is None:
        return "ncu profiled none of the candidate's own kernels"
    return best[1]
