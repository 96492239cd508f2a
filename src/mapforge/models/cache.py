"""On-disk response cache: an identical request (model, messages, parameters) is answered from disk.

On by default for deterministic requests only (temperature 0), so a resumed or repeated job does not pay
twice while sampled requests stay samples. Entries are small JSON files, one per request, written
atomically; a corrupt or unreadable entry is a miss, never an error. A hit keeps the original token counts
(what the reply cost to produce) and is marked ``extra["cached"] = True`` with ``cost = 0.0``.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from mapforge.models.base import Completion, Model, Request, counted_prompt_tokens

SCHEMA_VERSION = 1


def default_cache_dir() -> Path:
    """``MAPFORGE_CACHE_DIR``, else ``~/.cache/mapforge/responses``."""
    env = os.environ.get("MAPFORGE_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "mapforge" / "responses"


def request_key(model: str, request: Request, salt: str = "") -> str:
    """Hash of what determines a reply: the model (and ``salt``, e.g. its server), messages and parameters.

    The requesting role and its index are left out: the same request from two agents is the same request.
    """
    payload = {
        "v": SCHEMA_VERSION,
        "model": model,
        "salt": salt,
        "messages": request.messages,
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


class CachingModel:
    """Wraps ``inner``; with ``only_deterministic`` (the default) requests at temperature > 0 bypass the cache."""

    def __init__(
        self, inner: Model, directory: Path | None = None, *, only_deterministic: bool = True, salt: str = ""
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.directory = directory or default_cache_dir()
        self.only_deterministic = only_deterministic
        self.salt = salt
        self.hits = 0
        self.misses = 0

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def _load(self, path: Path) -> Completion | None:
        try:
            data = json.loads(path.read_text())
            if data.get("schema_version") != SCHEMA_VERSION:
                return None
            c = data["completion"]
            extra = dict(c.get("extra") or {})
            extra.update(cached=True, original_latency=c["latency"], original_cost=c.get("cost"))
            return Completion(
                text=c["text"],
                prompt_tokens=int(c["prompt_tokens"]),
                completion_tokens=int(c["completion_tokens"]),
                latency=0.0,
                model=c["model"],
                cost=0.0,
                extra=extra,
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _store(self, path: Path, completion: Completion) -> None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            record = {
                "schema_version": SCHEMA_VERSION,
                "stored_at": time.time(),
                "completion": asdict(completion),
            }
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
            with os.fdopen(fd, "w") as f:
                json.dump(record, f, default=str)
            os.replace(tmp, path)
        except OSError:
            pass  # a cache that cannot be written only costs a repeat request later

    def count_prompt_tokens(self, messages: list[dict[str, str]]) -> int | None:
        return counted_prompt_tokens(self.inner, messages)

    def complete(self, request: Request) -> Completion:
        if self.only_deterministic and request.temperature > 0:
            return self.inner.complete(request)
        path = self._path(request_key(self.name, request, self.salt))
        hit = self._load(path)
        if hit is not None:
            self.hits += 1
            return hit
        self.misses += 1
        completion = self.inner.complete(request)
        self._store(path, completion)
        return completion
