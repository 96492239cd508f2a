"""Facts about the machine the planner can reason with, measured once per machine and cached.

- streaming bandwidth of one core (a scale loop, ``y[i] = a * x[i]``, over 64 MB: bytes read + written);
- peak single-precision flops of one core (independent FMA chains on the widest vectors gcc targets here);
- cache sizes (from sysfs).

The probes are mapforge's own small C programs compiled with the host gcc (never candidate code), cached in
``~/.cache/mapforge/machine.json`` (``MAPFORGE_MACHINE_FILE``) under the machine's id. Nothing here raises:
an unmeasurable fact is None, and the prompts say less.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from mapforge.agents.retriever import machine_id
from mapforge.files import atomic_write
from mapforge.tasks.expr import eval_expr
from mapforge.tasks.spec import OptimizeSpec

PROBE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
typedef float v8 __attribute__((vector_size(32)));
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
__attribute__((noinline)) static float fma_chains(long iters) {
    v8 m = {1.0000001f,1.0000001f,1.0000001f,1.0000001f,1.0000001f,1.0000001f,1.0000001f,1.0000001f};
    v8 a0 = m, a1 = m * 2, a2 = m * 3, a3 = m * 4, a4 = m * 5, a5 = m * 6, a6 = m * 7, a7 = m * 8, a8 = m * 9, a9 = m * 10;
    for (long i = 0; i < iters; i++) {
        a0 = a0 * m + m; a1 = a1 * m + m; a2 = a2 * m + m; a3 = a3 * m + m; a4 = a4 * m + m;
        a5 = a5 * m + m; a6 = a6 * m + m; a7 = a7 * m + m; a8 = a8 * m + m; a9 = a9 * m + m;
    }
    v8 t = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9;
    return t[0] + t[7];
}
int main(void) {
    size_t n = 8u << 20;                              /* 2 x 32 MB */
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) { x[i] = (float)i; y[i] = 0; }
    double best = 1e9;
    for (int r = 0; r < 7; r++) {
        double t0 = now();
        for (size_t i = 0; i < n; i++) y[i] = 3.0f * x[i];
        double t = now() - t0; if (t < best) best = t;
        __asm__ volatile("" : : "r"(y) : "memory");
    }
    printf("%.6g\n", 2.0 * n * sizeof(float) / best);
    long iters = 20000000; best = 1e9; float s = 0;
    for (int r = 0; r < 3; r++) {
        double t0 = now();
        s += fma_chains(iters);
        double t = now() - t0; if (t < best) best = t;
    }
    printf("%.6g\n%g\n", 2.0 * 8 * 10 * iters / best, s);
    return 0;
}
"""


class MachineFacts(BaseModel):
    machine: str
    stream_bytes_per_s: float | None = None
    """One core's streaming bandwidth (scale loop, bytes read + written per second)."""
    peak_flops: float | None = None
    """One core's single-precision FMA peak (flops per second) on 256-bit vectors."""
    caches: dict[str, int] = {}
    """Cache sizes in bytes per level (``L1d``, ``L2``, ``L3``)."""

    def describe(self) -> str:
        parts = []
        if self.stream_bytes_per_s:
            parts.append(f"one core streams ~{self.stream_bytes_per_s / 1e9:.0f} GB/s")
        if self.peak_flops:
            parts.append(f"peaks at ~{self.peak_flops / 1e9:.0f} GFLOP/s single precision (FMA, 8-wide)")
        if self.caches:
            parts.append("caches " + ", ".join(f"{k} {_size(v)}" for k, v in self.caches.items()))
        return ("Machine (measured): " + "; ".join(parts) + ".") if parts else ""


def _size(n: int) -> str:
    return f"{n >> 20} MB" if n >= 1 << 20 else f"{n >> 10} KB"


def facts_file() -> Path:
    return Path(os.environ.get("MAPFORGE_MACHINE_FILE", "~/.cache/mapforge/machine.json")).expanduser()


def cache_sizes() -> dict[str, int]:
    out: dict[str, int] = {}
    root = Path("/sys/devices/system/cpu/cpu0/cache")
    for idx in sorted(root.glob("index*")):
        try:
            level = (idx / "level").read_text().strip()
            kind = (idx / "type").read_text().strip()
            size = (idx / "size").read_text().strip()
        except OSError:
            continue
        if kind == "Instruction":
            continue
        mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(size[-1:], 1)
        name = f"L{level}" + ("d" if kind == "Data" else "")
        out[name] = int(size.rstrip("KMG")) * mult
    return out


def measure() -> MachineFacts:
    facts = MachineFacts(machine=machine_id(), caches=cache_sizes())
    with tempfile.TemporaryDirectory(prefix="mapforge-probe-") as d:
        src, exe = Path(d) / "probe.c", Path(d) / "probe"
        src.write_text(PROBE)
        try:
            subprocess.run(["gcc", "-O2", "-march=native", "-ffp-contract=fast", str(src), "-o", str(exe)],
                           check=True, capture_output=True, timeout=60)
            out = subprocess.run([str(exe)], check=True, capture_output=True, text=True, timeout=60).stdout.split()
            facts.stream_bytes_per_s, facts.peak_flops = float(out[0]), float(out[1])
        except (OSError, subprocess.SubprocessError, ValueError, IndexError):
            pass
    return facts


def machine_facts(refresh: bool = False) -> MachineFacts:
    """This machine's facts: from the cache when measured before, else measured now (a few seconds)."""
    path = facts_file()
    me = machine_id()
    cache: dict[str, object] = {}
    try:
        cache = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        pass
    if not refresh and isinstance(cache.get(me), dict):
        try:
            return MachineFacts.model_validate(cache[me])
        except ValueError:
            pass
    facts = measure()
    cache[me] = facts.model_dump()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, json.dumps(cache, indent=1))
    except OSError:
        pass
    return facts


def min_bytes(spec: OptimizeSpec) -> int:
    """Bytes every call must move at least on the timing shape: each buffer read or written once."""
    total = 0
    for a in spec.args:
        if a.is_pointer and a.size is not None:
            n = eval_expr(a.size, spec.shapes.timing) * np.dtype(a.dtype).itemsize
            total += 2 * n if a.effective_role == "inout" else n
    return total


def roofline_fraction(spec: OptimizeSpec, seconds: float, facts: MachineFacts) -> float | None:
    """The memory roofline's share reached: (min bytes / streaming bandwidth) / measured seconds."""
    if not facts.stream_bytes_per_s or seconds <= 0:
        return None
    return min_bytes(spec) / facts.stream_bytes_per_s / seconds
