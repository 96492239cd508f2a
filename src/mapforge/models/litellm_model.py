"""Hosted models (and OpenAI-compatible servers) through litellm, imported lazily."""

from __future__ import annotations

import os
import time
from typing import Any

from mapforge.models.base import Completion, Request, estimate_tokens


def import_litellm() -> Any:
    # Without internet, litellm retries downloading its price map at import; use the bundled copy.
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    return litellm


class LiteLLMModel:
    def __init__(self, name: str, base_url: str | None = None, timeout: float = 600.0) -> None:
        self.name = name
        self.base_url = base_url
        self.timeout = timeout

    def complete(self, request: Request) -> Completion:
        litellm = import_litellm()
        kwargs: dict[str, Any] = {}
        if self.base_url:
            kwargs["api_base"] = self.base_url
            if self.name.startswith("openai/") and not os.environ.get("OPENAI_API_KEY"):
                kwargs["api_key"] = "not-needed"  # self-hosted OpenAI-compatible servers ignore it
        t0 = time.monotonic()
        # retries are mapforge's (retry.py): neither litellm nor the openai client it wraps may add their own
        resp = litellm.completion(
            model=self.name, messages=request.messages, temperature=request.temperature,
            max_tokens=request.max_tokens, timeout=self.timeout, num_retries=0, max_retries=0, **kwargs,
        )
        latency = time.monotonic() - t0
        text = resp.choices[0].message.content or ""
        usage = getattr(resp, "usage", None)
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0) or sum(
            estimate_tokens(m["content"]) for m in request.messages)
        completion = int(getattr(usage, "completion_tokens", 0) or 0) or estimate_tokens(text)
        cost: float | None
        try:
            cost = float(litellm.completion_cost(completion_response=resp))
        except Exception:  # price unknown for this model
            cost = None
        return Completion(text=text, prompt_tokens=prompt, completion_tokens=completion, latency=latency,
                          model=self.name, cost=cost,
                          extra={"finish_reason": getattr(resp.choices[0], "finish_reason", None)})
