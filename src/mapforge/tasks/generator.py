"""A task's Python input generator: ``generate(shape, rng) -> {arg name: array}``.

It runs on the harness side, in a subprocess of its own (never where candidate code runs), with a fresh
``numpy.random.Generator`` seeded from (case seed, set number); the arrays it returns are checked against the
spec (names, element counts, types) and written to files that the runner and the checker load before any
candidate code runs. Correlated buffers (a CSR matrix's row pointers and column indices) come from one call,
so they match. A generator that raises names its file and line.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import numpy as np

from mapforge.errors import UserError
from mapforge.tasks.expr import eval_expr
from mapforge.tasks.spec import OptimizeSpec, Shape, Task

#: Wall-clock limit for one generator run (all the sets of one case).
TIMEOUT_SECONDS = 120.0

_RUN = r"""
import json, runpy, sys, traceback
import numpy as np
path, shape, seed, sets, out = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def fail(kind, msg, line=None):
    sys.stderr.write("\nMFGEN " + json.dumps({"kind": kind, "msg": msg, "line": line}) + "\n")
    sys.exit(3)
try:
    ns = runpy.run_path(path, run_name="mapforge_generator")
    fn = ns.get("generate")
    if not callable(fn):
        fail("api", "defines no function generate(shape, rng)")
    arrays = {}
    for k in range(sets):
        got = fn(dict(shape), np.random.default_rng([seed, k]))
        if not isinstance(got, dict):
            fail("api", "generate() must return a dict {argument name: array}, not " + type(got).__name__)
        for name, value in got.items():
            arrays.setdefault(str(name), []).append(np.ascontiguousarray(np.asarray(value)).reshape(-1))
except SystemExit:
    raise
except BaseException as e:
    tb = traceback.extract_tb(e.__traceback__)
    line = next((f.lineno for f in reversed(tb) if f.filename == path), None)
    fail("raised", f"{type(e).__name__}: {e}", line)
np.savez(out, **{f"{name}__{k}": a for name, sets_ in arrays.items() for k, a in enumerate(sets_)})
"""


class Generator:
    """Runs one task's generator and turns its output into the bytes of the harness's input files."""

    def __init__(self, task: Task):
        spec = task.spec
        assert isinstance(spec, OptimizeSpec) and spec.generator is not None
        self.spec: OptimizeSpec = spec
        self.path = (task.root / spec.generator).resolve()
        if not self.path.is_file():
            raise UserError(f"{task.root / 'task.toml'}: generator = {spec.generator!r}: no such file in {task.root}")
        self.args = [a for a in spec.args if a.init == "generator"]
        self._cache: dict[tuple[tuple[tuple[str, int], ...], int, int], dict[str, bytes]] = {}
        self._lock = threading.Lock()
        self._checked = False

    def files(self, shape: Shape, seed: int, sets: int) -> dict[str, bytes]:
        """{argument name: its ``sets`` input sets, concatenated} for ``shape`` and ``seed``."""
        key = (tuple(sorted(shape.items())), seed, sets)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        got = self._run(shape, seed, sets)
        if not self._checked:  # once per job: the same seed must give the same arrays
            if self._run(shape, seed, sets) != got:
                raise UserError(f"{self.path}: generate() is not deterministic: two runs with the same seed "
                                "returned different arrays; draw every random number from the rng it is given")
            self._checked = True
        with self._lock:
            if sets == 1:  # correctness cases recur for every candidate; timing pools are per process
                self._cache[key] = got
        return got

    def _run(self, shape: Shape, seed: int, sets: int) -> dict[str, bytes]:
        with tempfile.TemporaryDirectory(prefix="mapforge-gen-") as tmp:
            out = Path(tmp) / "out.npz"
            env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONHASHSEED": "0", "HOME": tmp}
            try:
                r = subprocess.run(
                    [sys.executable, "-I", "-c", _RUN, str(self.path), json.dumps(shape), str(seed), str(sets),
                     str(out)], cwd=self.path.parent, env=env, capture_output=True, text=True,
                    timeout=TIMEOUT_SECONDS,
                )
            except subprocess.TimeoutExpired:
                raise UserError(f"{self.path}: generate() ran longer than {TIMEOUT_SECONDS:.0f} s "
                                f"({sets} input sets for shape {shape})") from None
            if r.returncode != 0:
                raise UserError(self._failure(r.stderr, shape))
            with np.load(out) as z:
                raw = {k: z[k] for k in z.files}
        return {a.name: self._bytes(a.name, a.dtype, a.size or "", raw, shape, sets) for a in self.args}

    def _failure(self, stderr: str, shape: Shape) -> str:
        marker = [ln for ln in stderr.splitlines() if ln.startswith("MFGEN ")]
        if not marker:
            return f"{self.path}: the generator failed on shape {shape}:\n{stderr.strip()[-2000:]}"
        info = json.loads(marker[-1][6:])
        where = f"{self.path}:{info['line']}" if info.get("line") else str(self.path)
        return f"{where}: generate() failed on shape {shape}: {info['msg']}"

    def _bytes(self, name: str, dtype: str, size: str, raw: dict[str, np.ndarray], shape: Shape,
               sets: int) -> bytes:
        want = np.dtype(dtype)
        count = eval_expr(size, shape)
        parts = []
        for k in range(sets):
            arr = raw.get(f"{name}__{k}")
            if arr is None:
                raise UserError(f"{self.path}: generate() returned no array for argument {name!r} "
                                f"(it returned: {', '.join(sorted({n.rsplit('__', 1)[0] for n in raw})) or 'nothing'})")
            if arr.size != count:
                raise UserError(f"{self.path}: generate() returned {arr.size} elements for {name!r} on shape "
                                f"{shape}; its size = {size!r} is {count}")
            if arr.dtype.kind not in "biuf":
                raise UserError(f"{self.path}: {name!r} must be numbers, not {arr.dtype}")
            if want.kind in "iu" and arr.dtype.kind == "f":
                raise UserError(f"{self.path}: {name!r} is {dtype} but generate() returned floats")
            if arr.dtype.kind == "f" and not np.isfinite(arr).all():
                raise UserError(f"{self.path}: {name!r} holds NaN or Inf")
            conv = arr.astype(want)
            if want.kind in "iu" and not np.array_equal(conv.astype(np.int64), arr.astype(np.int64)):
                raise UserError(f"{self.path}: {name!r} holds values that do not fit {dtype}")
            parts.append(conv.tobytes())
        return b"".join(parts)
