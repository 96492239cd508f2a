"""``get_model("provider/name")``: the one way agents get a model.

- ``scripted/FILE``: recorded replies (tests); returned bare: no retries, no cache.
- ``local/NAME``: the embedded llama.cpp model in-process (:mod:`mapforge.models.local`).
- anything else: a litellm model string (``openai/gpt-4o``, ``anthropic/...``, ``ollama_chat/...``, or
  ``openai/<name>`` with ``cfg.base_url`` for any OpenAI-compatible server). The provider must be one litellm
  knows; API keys come from the environment or a ``.env`` file in the current directory, never from flags.

Every non-scripted model is wrapped as ``CachingModel(RetryingModel(inner))``: a cache hit costs nothing and
skips the concurrency limit; a miss goes through retries (see :mod:`mapforge.models.retry`).
"""

from __future__ import annotations

import difflib
import os
import threading
from pathlib import Path

from mapforge.config import ModelConfig
from mapforge.errors import UserError
from mapforge.models.base import Model
from mapforge.models.cache import CachingModel
from mapforge.models.retry import RetryingModel, RetryPolicy

SPECIAL = ("scripted", "local")
EXAMPLES = (
    "openai/gpt-4o, anthropic/claude-3-5-sonnet-latest, ollama_chat/qwen2.5-coder:7b, "
    "local/qwen2.5-coder-1.5b-instruct or scripted/replies.json"
)
COMMON_PROVIDERS = (
    "openai",
    "anthropic",
    "gemini",
    "deepseek",
    "mistral",
    "groq",
    "openrouter",
    "together_ai",
    "ollama",
    "ollama_chat",
    "hosted_vllm",
)
LOCAL_SERVERS = frozenset({"ollama", "ollama_chat", "lm_studio", "hosted_vllm", "vllm", "llamafile"})
"""Providers that are servers on the user's machine: they need no key (and have a default address)."""


def load_dotenv(path: Path = Path(".env")) -> list[str]:
    """Set variables from a ``.env`` file (``KEY=VALUE`` lines) that the environment does not already set.

    The environment wins over the file. Returns the names set. A missing file is not an error.
    """
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    loaded = []
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        key, value = key.strip(), value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        if key and key not in os.environ:
            os.environ[key] = value
            loaded.append(key)
    return loaded


def _parse(spec: str) -> tuple[str, str]:
    provider, _, name = spec.partition("/")
    if not provider or not name:
        raise UserError(f"model {spec!r}: expected provider/name, e.g. {EXAMPLES}")
    return provider, name


def _check_provider(provider: str, spec: str) -> None:
    from mapforge.models.litellm_model import import_litellm

    litellm = import_litellm()
    known = sorted({getattr(p, "value", str(p)) for p in litellm.provider_list} | set(SPECIAL))
    if provider in known:
        return
    close = difflib.get_close_matches(provider, known, n=4, cutoff=0.6)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    raise UserError(
        f"model {spec!r}: unknown provider {provider!r}.{hint} Common providers: "
        f"{', '.join(('local', 'scripted', *COMMON_PROVIDERS))} (litellm knows {len(known) - 2}; "
        "https://docs.litellm.ai/docs/providers)"
    )


def _check_keys(spec: str, provider: str, base_url: str | None) -> None:
    if provider in LOCAL_SERVERS or (base_url and provider == "openai"):
        return
    from mapforge.models.litellm_model import import_litellm

    report = import_litellm().validate_environment(model=spec, api_base=base_url)
    missing = [k for k in report.get("missing_keys") or [] if k]
    if missing:
        names = (
            " or ".join(missing)
            if len(missing) == 2 and all(k.endswith("_API_KEY") for k in missing)
            else ", ".join(missing)
        )
        raise UserError(
            f"model {spec!r} needs {names} set: export it in the environment or put it in a .env file in the "
            "current directory (keys are never taken from command-line flags)"
        )


def _auth_hint(spec: str, provider: str, base_url: str | None) -> str:
    if base_url:
        return (
            f"The server at {base_url} rejected the key: set OPENAI_API_KEY to the key it expects "
            "(environment or .env)."
        )
    return f"Check the API key for {provider} in the environment or .env (the variable litellm reads for it)."


def _not_found_hint(provider: str, name: str) -> str:
    from mapforge.models.litellm_model import import_litellm

    catalogue = import_litellm().models_by_provider.get(provider) or []
    names = sorted({m.split("/", 1)[1] if m.startswith(provider + "/") else m for m in catalogue})
    close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
    return f"Did you mean {', '.join(f'{provider}/{c}' for c in close)}?" if close else ""


def get_model(
    spec: str,
    cfg: ModelConfig | None = None,
    *,
    retry: RetryPolicy | None = None,
    slots: threading.Semaphore | None = None,
    cache: bool = True,
    cache_dir: Path | None = None,
    env_file: Path | None = Path(".env"),
) -> Model:
    """Resolve ``spec``; every validation failure is a :class:`UserError` that says what to do.

    ``retry``: attempts, waits and concurrency (default :class:`RetryPolicy`); ``slots``: a semaphore to
    share one concurrency limit between several models; ``cache``: the response cache for temperature-0
    requests, in ``cache_dir`` (default ``MAPFORGE_CACHE_DIR`` or ``~/.cache/mapforge/responses``);
    ``env_file``: where API keys may also come from (None: the environment only).
    """
    cfg = cfg or ModelConfig()
    provider, name = _parse(spec)
    inner: Model
    auth_hint = ""
    not_found = None
    if provider == "scripted":
        from mapforge.models.scripted import ScriptedModel

        return ScriptedModel(name)
    if provider == "local":
        from mapforge.models.local import LocalModel

        inner = LocalModel(name)
    else:
        _check_provider(provider, spec)
        if env_file is not None:
            load_dotenv(env_file)
        _check_keys(spec, provider, cfg.base_url)
        from mapforge.models.litellm_model import LiteLLMModel

        inner = LiteLLMModel(spec, base_url=cfg.base_url, timeout=cfg.request_timeout)
        auth_hint = _auth_hint(spec, provider, cfg.base_url)
        not_found = None if cfg.base_url else (lambda: _not_found_hint(provider, name))
    model: Model = RetryingModel(inner, retry, slots=slots, auth_hint=auth_hint, not_found_hint=not_found)
    if cache:
        model = CachingModel(model, cache_dir, salt=cfg.base_url or "")
    return model
