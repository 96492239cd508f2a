"""The agents' way to a model: per-role models, usage accounting, budgets, recording and replay.

Every request is recorded through a :class:`CallStore` (the run directory). When a job resumes, requests
already answered are served from the record, so a resumed job neither pays twice nor diverges.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Protocol

from mapforge.config import Config
from mapforge.errors import BudgetExhausted
from mapforge.models.base import Completion, Model, Request, counted_prompt_tokens, estimate_tokens


class CallStore(Protocol):
    def lookup_call(self, key: str) -> Completion | None: ...

    def record_call(self, key: str, request: Request, completion: Completion) -> None: ...


@dataclass
class RoleUsage:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0
    cost_known: bool = True
    format_failures: int = 0
    """Replies that could not be parsed even after the repair requests."""
    format_repairs: int = 0
    """Repair requests sent after an unparseable reply."""
    local_repairs: int = 0
    """Replies used after a local repair of their shape (no request sent; see ``agents.parsing``)."""
    cached_requests: int = 0
    """Requests answered from the response cache: their tokens are below, not in the spent counts above."""
    cached_prompt_tokens: int = 0
    cached_completion_tokens: int = 0

    @property
    def cached_tokens(self) -> int:
        return self.cached_prompt_tokens + self.cached_completion_tokens


@dataclass
class Usage:
    roles: dict[str, RoleUsage] = field(default_factory=lambda: defaultdict(RoleUsage))

    @property
    def prompt_tokens(self) -> int:
        return sum(r.prompt_tokens for r in self.roles.values())

    @property
    def completion_tokens(self) -> int:
        return sum(r.completion_tokens for r in self.roles.values())

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def cached_tokens(self) -> int:
        return sum(r.cached_tokens for r in self.roles.values())

    @property
    def cost(self) -> float | None:
        if not all(r.cost_known for r in self.roles.values()):
            return None
        return sum(r.cost for r in self.roles.values())

    @property
    def cached(self) -> dict[str, int]:
        """Replies served by the response cache (tokens not spent in this job)."""
        return {"requests": sum(r.cached_requests for r in self.roles.values()),
                "prompt": sum(r.cached_prompt_tokens for r in self.roles.values()),
                "completion": sum(r.cached_completion_tokens for r in self.roles.values())}

    def as_dict(self) -> dict[str, object]:
        return {
            "prompt": self.prompt_tokens,
            "completion": self.completion_tokens,
            "cached": self.cached,
            "cost_usd": self.cost,
            "per_role": {k: asdict(v) for k, v in sorted(self.roles.items())},
        }


def request_key(model: str, request: Request) -> str:
    blob = json.dumps(
        [model, request.role, request.index, request.messages, request.temperature, request.max_tokens],
        sort_keys=True,
    )
    return hashlib.sha256(blob.encode()).hexdigest()[:24]


MIN_REPLY = 64
"""A request is sent only when at least this many reply tokens fit under the token budget."""


class LLM:
    """Sends agents' requests to their role's model. Raises BudgetExhausted before a request over budget."""

    def __init__(
        self,
        config: Config,
        store: CallStore,
        get_model: Callable[[str], Model],
        on_call: Callable[[Request, Completion, bool], None] | None = None,
    ) -> None:
        self.config = config
        self.store = store
        self._get_model = get_model
        self._models: dict[str, Model] = {}
        self._counts: dict[str, int] = defaultdict(int)
        self.usage = Usage()
        self.on_call = on_call
        self.reserved = 0
        """Tokens of the budget the requests sent now must leave for later ones (see :meth:`keeping`)."""
        self.prompt_scale = 1.0
        """The largest ratio of a reply's counted prompt tokens to their character estimate seen so far (chat
        templates and code tokenise denser than 4 characters a token: a 0.5B debugger prompt estimated at
        ~1.1k counted 1.5k, and the request overran its task's cap): later estimates are scaled by it."""

    def model_name(self, role: str) -> str:
        return self.config.model.for_role(role)

    def _model(self, role: str) -> Model:
        name = self.model_name(role)
        if name not in self._models:
            self._models[name] = self._get_model(name)
        return self._models[name]

    def resolve(self, roles: tuple[str, ...] = ("planner", "coder", "debugger")) -> None:
        """Resolve every role's model now, so a bad model string fails before any work is done."""
        for role in roles:
            self._model(role)

    @property
    def budget_used(self) -> int:
        """The tokens counted against ``budget.max_tokens``: those spent, and with ``budget.count_cached`` those
        of cached replies too."""
        u = self.usage
        return u.total_tokens + (u.cached_tokens if self.config.budget.count_cached else 0)

    def check_budget(self) -> None:
        limit = self.config.budget.max_tokens
        if limit is not None and self.budget_used >= limit:
            raise BudgetExhausted(f"token budget of {limit} reached ({self.budget_used} used)")
        cost_limit = self.config.budget.max_cost
        spent = sum(r.cost for r in self.usage.roles.values())
        if cost_limit is not None and spent >= cost_limit:
            raise BudgetExhausted(f"cost limit of ${cost_limit:.2f} reached (${spent:.4f} spent)")

    @staticmethod
    def _chars_estimate(messages: list[dict[str, str]]) -> int:
        return sum(estimate_tokens(m.get("content", "")) + 8 for m in messages)

    def prompt_estimate(self, messages: list[dict[str, str]]) -> int:
        """The prompt tokens of a request, estimated with a margin (the budget's view of it), and scaled by the
        densest tokenisation the model's replies have reported (:attr:`prompt_scale`)."""
        return int(self._chars_estimate(messages) * 5 / 4 * self.prompt_scale + 0.999)

    def prompt_tokens(self, role: str, messages: list[dict[str, str]]) -> int:
        """The prompt tokens of ``role``'s request: counted exactly where its model can count them (the local
        model), else :meth:`prompt_estimate`."""
        counted = counted_prompt_tokens(self._model(role), messages)
        return self.prompt_estimate(messages) if counted is None else counted

    @contextmanager
    def keeping(self, tokens: int) -> Iterator[None]:
        """Requests sent inside leave ``tokens`` of the token budget unspent (their replies are cut to fit, and
        one that would not fit raises BudgetExhausted): what a later phase, such as coding, is kept."""
        before, self.reserved = self.reserved, self.reserved + tokens
        try:
            yield
        finally:
            self.reserved = before

    def reply_tokens(self, role: str, messages: list[dict[str, str]]) -> int:
        """The reply cap of ``role``'s next request: ``model.max_reply_tokens``, lowered to what the token budget
        (``budget.max_tokens``) leaves after the request's prompt (:meth:`prompt_tokens`) and the tokens kept for later
        (:meth:`keeping`), so a job never spends more than its budget. A request that would leave less than
        MIN_REPLY tokens for its reply is not sent."""
        limit, cap = self.config.model.max_reply_tokens, self.config.budget.max_tokens
        if cap is None:
            return limit
        prompt = self.prompt_tokens(role, messages)
        left = cap - self.reserved - self.budget_used - prompt
        if left < MIN_REPLY:
            kept = f", {self.reserved} kept for later" if self.reserved else ""
            raise BudgetExhausted(f"token budget of {cap} reached ({self.budget_used} used{kept}, the next "
                                  f"request needs ~{prompt + MIN_REPLY})")
        return min(limit, left)

    def ask(self, role: str, messages: list[dict[str, str]], temperature: float | None = None) -> Completion:
        """One request at the role's temperature (or ``temperature``). Replies from the response cache are
        counted apart from spent tokens (``Usage.cached``); replies replayed from the run record as spent."""
        self.check_budget()
        mc = self.config.model
        temp = mc.temperature_for(role) if temperature is None else temperature
        request = Request(role=role, index=self._counts[role], messages=messages, temperature=temp,
                          max_tokens=self.reply_tokens(role, messages))
        self._counts[role] += 1
        name = self.model_name(role)
        key = request_key(name, request)
        completion = self.store.lookup_call(key)
        replayed = completion is not None
        if completion is None:
            completion = self._model(role).complete(request)
            self.store.record_call(key, request, completion)
        if completion.prompt_tokens > 0:  # replayed replies too: a resumed run calibrates as the first did
            self.prompt_scale = max(self.prompt_scale,
                                    completion.prompt_tokens / max(self._chars_estimate(messages) * 5 / 4, 1))
        u = self.usage.roles[role]
        u.requests += 1
        if completion.extra.get("cached"):
            u.cached_requests += 1
            u.cached_prompt_tokens += completion.prompt_tokens
            u.cached_completion_tokens += completion.completion_tokens
        else:
            u.prompt_tokens += completion.prompt_tokens
            u.completion_tokens += completion.completion_tokens
        if completion.cost is None:
            u.cost_known = False
        else:
            u.cost += completion.cost
        if self.on_call:
            self.on_call(request, completion, replayed)
        return completion
