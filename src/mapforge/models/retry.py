"""Retries (tenacity) and a limit on concurrent requests, around any :class:`Model`.

Errors are classified by exception type, never by message text:

- retried: rate limits (429), timeouts, 5xx answers, dropped or refused connections;
- never retried: authentication and permission, not found, context window exceeded, bad request
  (litellm's exceptions subclass openai's, so both libraries' classes are covered by the openai ones).

Anything else (a bug, an error the wrapped model already explained) passes through untouched. A failure
that ends the request becomes a :class:`ModelError` with one clear sentence and the original as its cause.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import tenacity

from mapforge.errors import ModelError
from mapforge.models.base import Completion, Model, Request, counted_prompt_tokens

Verdict = Literal["retry", "fatal", "unknown"]


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    """Requests at most, the first included."""
    wait_initial: float = 1.0
    """Seconds before the first retry; doubles each time (0 in tests)."""
    wait_max: float = 30.0
    """Upper bound on one wait."""
    max_concurrent: int = 4
    """Requests in flight at once through one wrapper (or one shared semaphore)."""


def _status(exc: BaseException) -> int | None:
    code = getattr(exc, "status_code", None)
    return code if isinstance(code, int) else None


def classify(exc: BaseException) -> Verdict:
    """``retry`` for transient failures, ``fatal`` for the never-retry list, ``unknown`` otherwise."""
    try:
        import openai
    except ImportError:  # pragma: no cover - openai comes with litellm
        openai = None  # type: ignore[assignment]
    if openai is not None:
        if isinstance(
            exc,
            (
                openai.AuthenticationError,
                openai.PermissionDeniedError,
                openai.NotFoundError,
                openai.BadRequestError,
                openai.UnprocessableEntityError,
            ),
        ):
            return "fatal"  # litellm's ContextWindowExceededError is a BadRequestError
        if isinstance(
            exc,
            (
                openai.RateLimitError,
                openai.APITimeoutError,
                openai.APIConnectionError,
                openai.InternalServerError,
                openai.ConflictError,
            ),
        ):
            return "retry"
        if isinstance(exc, openai.APIError):  # litellm's ServiceUnavailable/BadGateway/APIError carry a code
            code = _status(exc)
            if code is not None and (code >= 500 or code in (408, 409, 429)):
                return "retry"
            return "fatal" if code is not None and 400 <= code < 500 else "unknown"
    try:
        import httpx
    except ImportError:  # pragma: no cover
        httpx = None  # type: ignore[assignment]
    if httpx is not None:
        if isinstance(exc, (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)):
            return "retry"
        if isinstance(exc, httpx.HTTPStatusError):
            code = exc.response.status_code
            return "retry" if code >= 500 or code in (408, 429) else "fatal"
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return "retry"
    return "unknown"


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


class RetryingModel:
    """Retries transient failures of ``inner`` with exponential backoff; at most ``attempts`` requests."""

    def __init__(
        self,
        inner: Model,
        policy: RetryPolicy | None = None,
        *,
        slots: threading.Semaphore | None = None,
        auth_hint: str = "",
        not_found_hint: Callable[[], str] | None = None,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        self.inner = inner
        self.name = inner.name
        self.policy = policy or RetryPolicy()
        if self.policy.attempts < 1 or self.policy.max_concurrent < 1:
            raise ValueError("attempts and max_concurrent must be at least 1")
        self.slots = slots or threading.BoundedSemaphore(self.policy.max_concurrent)
        self.auth_hint = auth_hint
        self.not_found_hint = not_found_hint
        self.on_retry = on_retry

    def _before_sleep(self, state: tenacity.RetryCallState) -> None:
        if self.on_retry is None or state.outcome is None:
            return
        exc = state.outcome.exception()
        wait = state.next_action.sleep if state.next_action else 0.0
        self.on_retry(
            f"{self.name}: attempt {state.attempt_number} failed ({type(exc).__name__}); "
            f"retrying in {wait:.1f} s"
        )

    def count_prompt_tokens(self, messages: list[dict[str, str]]) -> int | None:
        return counted_prompt_tokens(self.inner, messages)

    def complete(self, request: Request) -> Completion:
        p = self.policy
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(p.attempts),
            wait=tenacity.wait_exponential(multiplier=p.wait_initial, max=p.wait_max)
            if p.wait_initial > 0
            else tenacity.wait_none(),
            retry=tenacity.retry_if_exception(lambda e: classify(e) == "retry"),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        attempts = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempts += 1
                    with self.slots:  # held during the request only, not during the backoff
                        return self.inner.complete(request)
        except Exception as e:
            verdict = classify(e)
            if verdict == "unknown":
                raise
            raise ModelError(self._explain(e, verdict, attempts)) from e
        raise AssertionError("unreachable: tenacity either returns or raises")  # pragma: no cover

    def _explain(self, exc: BaseException, verdict: Verdict, attempts: int) -> str:
        kind = type(exc).__name__
        code = _status(exc)
        http = f"HTTP {code}, " if code else ""
        if verdict == "retry":
            return f"{self.name}: gave up after {attempts} attempts ({http}{kind}): {_short(exc)}"
        try:
            import openai
        except ImportError:  # pragma: no cover
            return f"{self.name}: {kind}: {_short(exc)} (not retried)"
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)) or code in (401, 403):
            hint = f" {self.auth_hint}" if self.auth_hint else ""
            return f"{self.name}: the provider refused the credentials ({http}{kind}, not retried).{hint}"
        if isinstance(exc, openai.NotFoundError) or code == 404:
            hint = self.not_found_hint() if self.not_found_hint else ""
            return (
                f"{self.name}: model or endpoint not found ({http}{kind}, not retried).{hint and ' ' + hint}"
            )
        litellm = sys.modules.get("litellm")  # only litellm raises this one; never import it just to check
        if litellm is not None and isinstance(exc, litellm.ContextWindowExceededError):
            return (
                f"{self.name}: the request does not fit the model's context window ({kind}, not retried): "
                f"{_short(exc)}"
            )
        return f"{self.name}: the provider rejected the request ({http}{kind}, not retried): {_short(exc)}"
