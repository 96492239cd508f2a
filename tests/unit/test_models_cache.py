"""The on-disk response cache around a counting model."""

from __future__ import annotations

from pathlib import Path

import pytest

from mapforge.models.base import Completion, Request
from mapforge.models.cache import CachingModel, request_key


class Counting:
    name = "test/counting"

    def __init__(self) -> None:
        self.calls = 0

    def complete(self, request: Request) -> Completion:
        self.calls += 1
        return Completion(
            text=f"reply {self.calls}",
            prompt_tokens=11,
            completion_tokens=5,
            latency=0.2,
            model=self.name,
            cost=0.01,
        )


def req(
    text: str = "write a kernel", temperature: float = 0.0, role: str = "coder", index: int = 0
) -> Request:
    return Request(
        role=role, index=index, messages=[{"role": "user", "content": text}], temperature=temperature
    )


def test_identical_request_hits(tmp_path: Path) -> None:
    inner = Counting()
    model = CachingModel(inner, tmp_path)
    first = model.complete(req())
    second = model.complete(req(role="debugger", index=3))  # who asks does not matter
    assert inner.calls == 1
    assert second.text == first.text == "reply 1"
    assert (second.prompt_tokens, second.completion_tokens) == (11, 5)
    assert second.extra["cached"] is True and second.cost == 0.0 and second.extra["original_cost"] == 0.01
    # a new process (a resumed job) reads the same directory
    assert CachingModel(Counting(), tmp_path).complete(req()).text == "reply 1"


@pytest.mark.parametrize(
    "other",
    [
        req("another prompt"),
        req("write a kernel "),
        Request(
            role="coder", index=0, messages=[{"role": "user", "content": "write a kernel"}], max_tokens=99
        ),
    ],
)
def test_any_difference_misses(tmp_path: Path, other: Request) -> None:
    inner = Counting()
    model = CachingModel(inner, tmp_path)
    model.complete(req())
    model.complete(other)
    assert request_key(inner.name, other) != request_key(inner.name, req())
    assert inner.calls == 2


def test_salt_separates_servers(tmp_path: Path) -> None:
    inner = Counting()
    CachingModel(inner, tmp_path, salt="http://a").complete(req())
    CachingModel(inner, tmp_path, salt="http://b").complete(req())
    assert inner.calls == 2


def test_sampled_requests_bypass_by_default(tmp_path: Path) -> None:
    inner = Counting()
    model = CachingModel(inner, tmp_path)
    model.complete(req(temperature=0.7))
    model.complete(req(temperature=0.7))
    assert inner.calls == 2
    always = CachingModel(inner, tmp_path / "all", only_deterministic=False)
    always.complete(req(temperature=0.7))
    always.complete(req(temperature=0.7))
    assert inner.calls == 3


def test_corrupt_entry_is_a_miss(tmp_path: Path) -> None:
    inner = Counting()
    model = CachingModel(inner, tmp_path)
    model.complete(req())
    for f in tmp_path.rglob("*.json"):
        f.write_text("{not json")
    assert model.complete(req()).text == "reply 2"
    assert model.complete(req()).text == "reply 2"  # rewritten
    assert inner.calls == 2
