"""The Model protocol: one request in, one completion out. Providers are looked up by prefix in registry.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Request:
    """One chat request from one agent."""

    role: str
    """The agent asking: retriever, planner, coder, debugger."""
    index: int
    """How many requests this role made before this one in the run (lets scripted models replay by position)."""
    messages: list[dict[str, str]]
    temperature: float = 0.0
    max_tokens: int = 1536


@dataclass(frozen=True)
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    latency: float
    model: str
    cost: float | None = None
    """US dollars, where the provider's price is known."""
    extra: dict[str, object] = field(default_factory=dict)


class Model(Protocol):
    name: str

    def complete(self, request: Request) -> Completion: ...


def counted_prompt_tokens(model: Model, messages: list[dict[str, str]]) -> int | None:
    """The exact prompt tokens ``messages`` will take, for a model that can count them (an optional method,
    ``count_prompt_tokens(messages) -> int | None``: the local model renders its chat template and tokenises
    it); None for one that cannot, whose requests the token budget estimates instead."""
    count = getattr(model, "count_prompt_tokens", None)
    return count(messages) if callable(count) else None


def estimate_tokens(text: str) -> int:
    """Rough token count (4 characters a token) for providers that report none."""
    return max(1, len(text) // 4) if text else 0
