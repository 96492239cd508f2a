"""A per-machine cache of native baselines, so repeated ``mapforge eval`` calls don't rebuild and re-time
the reference. Keyed by everything the baseline depends on: mapforge's version, the generated driver and
harness runtime, the task spec and reference source, the backend, the timing settings and the machine."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from pathlib import Path

from mapforge import __version__
from mapforge.agents.retriever import machine_id
from mapforge.evaluators.driver import generate_driver, harness_header
from mapforge.evaluators.optimize import NativeBaseline, OptimizeEvaluator
from mapforge.evaluators.verdict import Profile


def cache_dir() -> Path:
    return Path(os.environ.get("MAPFORGE_BASELINES_DIR", "~/.cache/mapforge/baselines")).expanduser()


def cache_key(ev: OptimizeEvaluator, backend: str) -> str:
    parts = {
        "version": __version__, "driver": generate_driver(ev.spec), "runtime": harness_header(),
        "spec": ev.spec.model_dump(mode="json"), "reference": ev.task.reference_source, "backend": backend,
        "timing": ev.timing_cfg.model_dump(mode="json"), "unsafe": ev.sandbox_cfg.unsafe_no_isolation,
        "machine": machine_id(),
        "generator": (ev.task.root / ev.spec.generator).read_text() if ev.spec.generator else None,
        # the pickled profile's shape: a cached baseline from before a field changed would unpickle broken
        "profile": sorted(Profile.model_fields),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def prepare_cached(ev: OptimizeEvaluator, backend: str, fresh: bool = False) -> tuple[NativeBaseline, bool]:
    """The evaluator's baseline, from the cache when present (and not ``fresh``); returns it and whether it
    came from the cache. The file is ours (under the user's cache dir), written atomically."""
    path = cache_dir() / f"{ev.spec.name}-{cache_key(ev, backend)}.pickle"
    if not fresh and path.is_file():
        try:
            baseline = pickle.loads(path.read_bytes())
        except Exception:  # noqa: BLE001 - a torn or stale file: measure again
            baseline = None
        if isinstance(baseline, NativeBaseline):
            ev.adopt(baseline)
            return baseline, True
    baseline = ev.prepare()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(baseline))
    tmp.replace(path)
    return baseline, False
