"""``scripted/FILE``: replay recorded replies, for deterministic tests.

FILE is JSON: ``{"replies": {"planner": ["...", ...], "coder": [...], "debugger": [...]}}``; the n-th
request of a role gets that role's n-th reply (a ``"default"`` list serves roles without their own).
A reply may also be ``{"file": "path"}`` (relative to FILE) whose contents are the reply, or
``{"text": "...", "delay": seconds, "cost": dollars, "finish_reason": "repetition"}`` (why the model
stopped, default ``stop``). Running out of replies is a :class:`ModelError`. A reply longer than the request's
``max_tokens`` is cut there, as a real model's would be, with finish reason ``length``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from mapforge.errors import ModelError, UserError
from mapforge.models.base import Completion, Request, estimate_tokens


class ScriptedModel:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise UserError(f"scripted model: {self.path} not found (use scripted/<path to a JSON file>)")
        try:
            data = json.loads(self.path.read_text())
        except json.JSONDecodeError as e:
            raise UserError(f"scripted model {self.path}: not valid JSON: {e}") from None
        replies = data.get("replies") if isinstance(data, dict) else None
        if not isinstance(replies, dict):
            raise UserError(f'scripted model {self.path}: expected {{"replies": {{"<role>": [...]}}}}')
        self.replies: dict[str, list[Any]] = replies
        self.name = f"scripted/{self.path.name}"

    def _reply(self, item: Any) -> tuple[str, float, float, str]:
        if isinstance(item, str):
            return item, 0.0, 0.0, "stop"
        if isinstance(item, dict):
            delay, cost = float(item.get("delay", 0)), float(item.get("cost", 0))
            finish = str(item.get("finish_reason", "stop"))
            if "file" in item:
                return (self.path.parent / item["file"]).read_text(), delay, cost, finish
            return str(item.get("text", "")), delay, cost, finish
        raise UserError(f"scripted model {self.path}: a reply must be a string or an object with text/file")

    def complete(self, request: Request) -> Completion:
        pool = self.replies.get(request.role, self.replies.get("default", []))
        if request.index >= len(pool):
            raise ModelError(
                f"scripted model {self.path.name} has no reply #{request.index + 1} for role {request.role!r}"
            )
        t0 = time.monotonic()
        text, delay, cost, finish = self._reply(pool[request.index])
        if request.max_tokens and estimate_tokens(text) > request.max_tokens:  # a real model stops there too
            text, finish = text[:request.max_tokens * 4], "length"
        if delay:
            time.sleep(delay)
        prompt = sum(estimate_tokens(m.get("content", "")) for m in request.messages)
        return Completion(text=text, prompt_tokens=prompt, completion_tokens=estimate_tokens(text),
                          latency=time.monotonic() - t0, model=self.name, cost=cost,
                          extra={"finish_reason": finish})
