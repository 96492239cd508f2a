"""Retries against a real HTTP server on 127.0.0.1 that answers a scripted list of statuses.

Driven through get_model (the litellm path, ``openai/<name>`` plus a base URL) and through the openai SDK,
with zero waits. Nothing here can reach a paid API: every request goes to 127.0.0.1.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mapforge.config import ModelConfig
from mapforge.errors import ModelError
from mapforge.models.base import Completion, Request
from mapforge.models.registry import get_model
from mapforge.models.retry import RetryingModel, RetryPolicy, classify

NO_WAIT = RetryPolicy(attempts=3, wait_initial=0)
REPLY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 0,
    "model": "fake",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "hello from 200"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
}
ERRORS = {
    400: ("invalid_request_error", "bad request"),
    401: ("invalid_request_error", "Incorrect API key provided"),
    404: ("invalid_request_error", "The model does not exist"),
    429: ("rate_limit_error", "Rate limit reached"),
    500: ("server_error", "internal error"),
    503: ("server_error", "overloaded"),
}


class FakeServer:
    """Answers POSTs with the next item of ``script`` (a status code, or "drop" to close the socket)."""

    def __init__(self) -> None:
        self.script: list[int | str] = []
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests.append(
                    {
                        "path": self.path,
                        "auth": self.headers.get("Authorization"),
                        "body": json.loads(body or b"{}"),
                    }
                )
                step = outer.script.pop(0) if outer.script else 200
                if step == "drop":
                    self.close_connection = True
                    self.connection.close()
                    return
                assert isinstance(step, int)
                if step == 200:
                    payload = REPLY
                else:
                    kind, msg = ERRORS[step]
                    payload = {"error": {"message": msg, "type": kind, "code": None}}
                data = json.dumps(payload).encode()
                self.send_response(step)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FakeServer]:
    s = FakeServer()
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def _request(text: str = "hi") -> Request:
    return Request(role="coder", index=0, messages=[{"role": "user", "content": text}])


def _litellm_model(server: FakeServer, policy: RetryPolicy = NO_WAIT) -> Any:
    return get_model(
        "openai/fake", ModelConfig(base_url=server.base_url, request_timeout=10), retry=policy, cache=False
    )


class SDKModel:
    """The openai SDK path: a minimal model on openai.OpenAI, its own retries off."""

    def __init__(self, base_url: str) -> None:
        import openai

        self.name = "sdk/fake"
        self.client = openai.OpenAI(base_url=base_url, api_key="test-key", max_retries=0, timeout=10)

    def complete(self, request: Request) -> Completion:
        r = self.client.chat.completions.create(model="fake", messages=request.messages)  # type: ignore[arg-type]
        assert r.usage is not None
        return Completion(
            text=r.choices[0].message.content or "",
            prompt_tokens=r.usage.prompt_tokens,
            completion_tokens=r.usage.completion_tokens,
            latency=0.0,
            model=self.name,
        )


def test_429_then_200_is_retried_and_succeeds(server: FakeServer) -> None:
    server.script = [429, 429, 200]
    c = _litellm_model(server).complete(_request())
    assert c.text == "hello from 200"
    assert (c.prompt_tokens, c.completion_tokens) == (7, 3)
    assert len(server.requests) == 3
    assert server.requests[0]["path"].endswith("/chat/completions")


def test_401_is_not_retried_and_says_so(server: FakeServer) -> None:
    server.script = [401, 200]
    with pytest.raises(ModelError) as e:
        _litellm_model(server).complete(_request())
    assert len(server.requests) == 1
    msg = str(e.value)
    assert "openai/fake" in msg and "HTTP 401" in msg and "refused the credentials" in msg
    assert "not retried" in msg and "OPENAI_API_KEY" in msg


@pytest.mark.parametrize("status", [400, 404])
def test_never_retried_statuses(server: FakeServer, status: int) -> None:
    server.script = [status, 200]
    with pytest.raises(ModelError, match="not retried"):
        _litellm_model(server).complete(_request())
    assert len(server.requests) == 1


def test_5xx_and_dropped_connections_are_retried(server: FakeServer) -> None:
    server.script = [503, "drop", 500, 200]
    c = _litellm_model(server, RetryPolicy(attempts=4, wait_initial=0)).complete(_request())
    assert c.text == "hello from 200"
    assert len(server.requests) == 4


def test_attempts_are_bounded(server: FakeServer) -> None:
    server.script = [500] * 10
    with pytest.raises(ModelError, match="gave up after 3 attempts"):
        _litellm_model(server).complete(_request())
    assert len(server.requests) == 3


def test_openai_sdk_path_classified_by_type(server: FakeServer) -> None:
    server.script = [429, 200, 401]
    model = RetryingModel(SDKModel(server.base_url), NO_WAIT)
    assert model.complete(_request()).text == "hello from 200"
    assert len(server.requests) == 2
    with pytest.raises(ModelError, match="HTTP 401"):
        model.complete(_request())
    assert len(server.requests) == 3


def test_classify_by_exception_type() -> None:
    import httpx
    import openai

    from mapforge.models.litellm_model import import_litellm

    litellm = import_litellm()
    req = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")

    def status(cls: Any, code: int) -> Any:
        return cls(
            "message mentioning 429 and timeout", response=httpx.Response(code, request=req), body=None
        )

    assert classify(status(openai.RateLimitError, 429)) == "retry"
    assert classify(status(openai.InternalServerError, 500)) == "retry"
    assert classify(openai.APITimeoutError(request=req)) == "retry"
    assert classify(openai.APIConnectionError(request=req)) == "retry"
    assert classify(httpx.ReadTimeout("x")) == "retry"
    assert classify(httpx.ConnectError("x")) == "retry"
    assert classify(ConnectionResetError()) == "retry"
    # the message says 429/timeout, the type says never retry: the type wins
    assert classify(status(openai.AuthenticationError, 401)) == "fatal"
    assert classify(status(openai.BadRequestError, 400)) == "fatal"
    assert classify(status(openai.NotFoundError, 404)) == "fatal"
    assert (
        classify(litellm.ContextWindowExceededError("too long", model="m", llm_provider="openai")) == "fatal"
    )
    assert classify(litellm.RateLimitError("slow down", llm_provider="openai", model="m")) == "retry"
    assert classify(litellm.ServiceUnavailableError("busy", llm_provider="openai", model="m")) == "retry"
    assert classify(ValueError("429 Too Many Requests")) == "unknown"


class _Slow:
    name = "slow"

    def __init__(self) -> None:
        self.active = 0
        self.peak = 0
        self.lock = threading.Lock()

    def complete(self, request: Request) -> Completion:
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        time.sleep(0.05)
        with self.lock:
            self.active -= 1
        return Completion(text="ok", prompt_tokens=1, completion_tokens=1, latency=0.05, model=self.name)


def test_concurrent_requests_are_limited() -> None:
    inner = _Slow()
    model = RetryingModel(inner, RetryPolicy(max_concurrent=2, wait_initial=0))
    threads = [threading.Thread(target=model.complete, args=(_request(),)) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert inner.peak == 2


def test_unknown_errors_pass_through_untouched() -> None:
    class Broken:
        name = "broken"
        calls = 0

        def complete(self, request: Request) -> Completion:
            Broken.calls += 1
            raise KeyError("a bug, not a provider failure")

    with pytest.raises(KeyError):
        RetryingModel(Broken(), NO_WAIT).complete(_request())
    assert Broken.calls == 1


def test_identical_request_is_answered_from_the_cache(server: FakeServer, tmp_path: Any) -> None:
    model = get_model(
        "openai/fake", ModelConfig(base_url=server.base_url), retry=NO_WAIT, cache_dir=tmp_path / "c"
    )
    first = model.complete(_request("same"))
    second = model.complete(_request("same"))
    assert len(server.requests) == 1
    assert second.text == first.text and second.extra.get("cached") is True and second.cost == 0.0
    model.complete(_request("different"))
    assert len(server.requests) == 2
