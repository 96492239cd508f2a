"""Fixtures shared by every test: no paid APIs, no writes to the user's caches."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _no_paid_apis(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests must never reach a hosted model by accident, nor write to the user's caches."""
    for key in list(os.environ):
        if key.endswith("_API_KEY") or key.startswith("MAPFORGE_") and not key.startswith("MAPFORGE_REQUIRE_"):
            if key not in ("MAPFORGE_MODELS_DIR",):
                monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MAPFORGE_MEMORY_FILE", str(tmp_path / "memory.jsonl"))
    monkeypatch.setenv("MAPFORGE_YIELDS_FILE", str(tmp_path / "yields.json"))
    monkeypatch.setenv("MAPFORGE_CACHE_DIR", str(tmp_path / "response-cache"))
    monkeypatch.setenv("MAPFORGE_BASELINES_DIR", str(tmp_path / "baselines"))

