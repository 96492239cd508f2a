"""``local/<name>``: the embedded model, run in-process with llama-cpp-python (imported lazily).

The GGUF file is loaded once per process and shared by every ``LocalModel`` of the same file (loading
takes seconds and maps ~1 GB); requests to one loaded model are serialised, as llama.cpp's context is not
thread-safe. Chat prompts use the chat template stored in the GGUF file.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mapforge.errors import ModelError, UserError
from mapforge.models import weights
from mapforge.models.base import Completion, Request, estimate_tokens

INSTALL_HINT = "pip install -e '.[local]' (or scripts/install-local-model.sh, which also pulls the weights)"


def cores() -> int:
    """CPU cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as e:
        raise UserError(f"the embedded local model needs llama-cpp-python ({e}): {INSTALL_HINT}") from None
    return llama_cpp


def resolve_path(name: str) -> Path:
    """The GGUF file behind ``local/<name>``: a known model's installed file, or a path ending in .gguf."""
    if name.endswith(".gguf"):
        path = Path(name).expanduser()
        if not path.is_file():
            raise UserError(f"local model file {path} not found")
        return path
    installed = weights.installed_path(weights.lookup(name))
    if installed is None:
        raise UserError(
            f"local model {name} is not installed in {weights.models_dir()}: run `mapforge models pull {name}` "
            "(about a minute; or scripts/install-local-model.sh, which also installs the runtime)"
        )
    return installed


@dataclass
class _Loaded:
    llama: Any
    lock: threading.Lock
    load_seconds: float
    formatter: Any = None
    """The weights' chat template, made into a formatter the first time a prompt is counted."""


def amx_build(llama_cpp: Any) -> bool:
    """Whether this llama-cpp-python was compiled with llama.cpp's AMX kernels (a compile-time flag)."""
    return b"AMX_INT8 = 1" in llama_cpp.llama_print_system_info()


def _new_llama(
    llama_cpp: Any, path: str, n_ctx: int, n_threads: int, progress: Callable[[str], None] | None
) -> Any:
    kwargs = dict(model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads, verbose=False)
    if not amx_build(llama_cpp):
        return llama_cpp.Llama(**kwargs)
    # llama.cpp's AMX kernels segfault at the first decode of Q4_K models on some Sapphire Rapids machines
    # (llama.cpp issue #20824), killing the process. Llama() has no parameter for it, so turn off the extra
    # buffer types (AMX and repacking) in the default model parameters while this one model loads.
    if progress:
        progress(
            "this llama-cpp-python has AMX kernels, which crash on some CPUs: loading without them "
            "(slower); scripts/install-local-model.sh builds one without AMX"
        )
    low = llama_cpp.llama_cpp
    original = low.llama_model_default_params

    def without_extra_buffers() -> Any:
        params = original()
        params.use_extra_bufts = False
        return params

    low.llama_model_default_params = without_extra_buffers
    try:
        return llama_cpp.Llama(**kwargs)
    finally:
        low.llama_model_default_params = original


# One loaded model per (file, context, threads) for the whole process: loading takes seconds and ~1 GB.
_LOADED: dict[tuple[str, int, int], _Loaded] = {}
_LOAD_LOCK = threading.Lock()


def repeats_at_end(text: str, min_repeats: int = 3, min_chars: int = 400, max_block: int = 12) -> bool:
    """Whether the text ends in one block of lines said over and over: at least ``min_repeats`` times in a row,
    together at least ``min_chars`` characters (blank lines and indentation ignored, the unfinished last line
    left out). Greedy decoding on a small model falls into such loops and writes them to the reply's cap; code
    repeats short lines (closing braces, an unrolled statement) but not a 400-character block three times."""
    lines = [ln.strip() for ln in text.rsplit("\n", 1)[0].splitlines() if ln.strip()]
    for k in range(1, max_block + 1):
        if len(lines) < k * min_repeats:
            break
        block = lines[-k:]
        times = 1
        while len(lines) >= (times + 1) * k and lines[len(lines) - (times + 1) * k : len(lines) - times * k] == block:
            times += 1
        if times >= min_repeats and times * sum(map(len, block)) >= min_chars:
            return True
    return False


#: A function defined at the start of a line (C-like, with its brace on the line or the next, or Python's ``def``),
#: not a control statement.
_DEFINITION = re.compile(r"^(?!(?:if|for|while|switch|return|else|do)\b)(?:def\s+\w+\s*\(|[A-Za-z_][\w\s\*]*?\b\w+\s*"
                         r"\([^;]*\)\s*(?:\{|$))", re.M)


def floods(text: str, most: int = 12) -> bool:
    """Whether the reply has defined more than ``most`` functions: the 1.5B's other loop, a helper after helper
    whose names grow each time, which :func:`repeats_at_end` cannot see (no two are alike). Of its replies cut at
    the cap in the held-out runs (bench/RESULTS.md, seventeenth session) most defined 14 to 70 functions; an
    answer to a kernel task is one function and a few helpers."""
    return len(_DEFINITION.findall(text)) > most


class LoopGuard:
    """A llama.cpp logits processor that ends a reply once it has fallen into a loop (:func:`repeats_at_end`,
    :func:`floods`), by leaving end-of-text the only possible next token. A reply that does not loop is
    untouched."""

    def __init__(self, llama: Any, every: int = 16) -> None:
        self.llama, self.every = llama, every
        self.start: int | None = None
        self.cut = False

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self.start is None:
            self.start = len(input_ids)  # the first call sees the prompt alone
        made = len(input_ids) - self.start
        if not self.cut and made and made % self.every == 0:
            text = self.llama.detokenize(list(input_ids[self.start :])).decode("utf-8", errors="ignore")
            self.cut = repeats_at_end(text) or floods(text)
        if self.cut:
            scores[:] = -float("inf")
            scores[self.llama.token_eos()] = 0.0
        return scores


def _stderr(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class LocalModel:
    def __init__(
        self,
        name: str,
        *,
        n_ctx: int = 8192,
        n_threads: int | None = None,
        progress: Callable[[str], None] | None = _stderr,
    ) -> None:
        self.path = resolve_path(name)
        self.name = f"local/{name}"
        self.n_ctx = n_ctx
        self.n_threads = n_threads or cores()
        self.progress = progress

    def loaded(self) -> _Loaded:
        """The loaded llama.cpp model (loading it the first time in this process)."""
        key = (str(self.path), self.n_ctx, self.n_threads)
        with _LOAD_LOCK:
            if key not in _LOADED:
                llama_cpp = import_llama_cpp()
                if self.progress:
                    self.progress(
                        f"loading {self.name} ({self.path.stat().st_size / 1e9:.1f} GB, "
                        f"{self.n_threads} threads) from {self.path}"
                    )
                t0 = time.monotonic()
                llm = _new_llama(llama_cpp, key[0], self.n_ctx, self.n_threads, self.progress)
                _LOADED[key] = _Loaded(llm, threading.Lock(), time.monotonic() - t0)
                if self.progress:
                    self.progress(f"loaded {self.name} in {_LOADED[key].load_seconds:.1f} s")
            return _LOADED[key]

    def llama(self) -> Any:
        return self.loaded().llama

    def count_prompt_tokens(self, messages: list[dict[str, str]]) -> int | None:
        """The prompt tokens ``messages`` take: the model's own chat template (the one
        ``create_chat_completion`` applies) rendered and tokenised, so the token budget sizes a reply by what
        the prompt really takes. A debugger's prompt of code and compiler errors counted 1.46 tokens per 4
        characters and overran an estimate with a 25% margin. None (the budget estimates instead) if this
        llama-cpp-python cannot render the template as 0.3 does."""
        loaded = self.loaded()
        try:
            return self._count(loaded, messages)
        except Exception:  # noqa: BLE001 - an estimate is the fallback, never a failed job
            return None

    @staticmethod
    def _count(loaded: _Loaded, messages: list[dict[str, str]]) -> int:
        llama = loaded.llama
        with loaded.lock:  # the formatter is made once; the tokenizer is the one generation uses
            if loaded.formatter is None:
                template = llama.metadata.get("tokenizer.chat_template")
                if template is None:  # no template in the weights: contents plus a generous allowance per message
                    return sum(len(llama.tokenize(m["content"].encode(), add_bos=False)) + 16 for m in messages) + 16
                from llama_cpp.llama_chat_format import Jinja2ChatFormatter

                def text(token: int) -> str:  # as llama-cpp-python's own formatter is given them
                    return "" if token == -1 else llama._model.token_get_text(token)

                loaded.formatter = Jinja2ChatFormatter(
                    template=template, eos_token=text(llama.token_eos()), bos_token=text(llama.token_bos())
                )
            prompt = loaded.formatter(messages=messages).prompt
            return len(llama.tokenize(prompt.encode(), add_bos=False, special=True))

    def complete(self, request: Request) -> Completion:
        loaded = self.loaded()
        t0 = time.monotonic()
        guard = LoopGuard(loaded.llama)
        try:
            with loaded.lock:
                resp = loaded.llama.create_chat_completion(
                    messages=request.messages, temperature=request.temperature, max_tokens=request.max_tokens,
                    logits_processor=[guard],
                )
        except ValueError as e:  # llama.cpp: "Requested tokens (N) exceed context window of M"
            raise ModelError(f"{self.name}: {e}") from e
        latency = time.monotonic() - t0
        text = resp["choices"][0]["message"].get("content") or ""
        usage = resp.get("usage") or {}
        prompt = int(usage.get("prompt_tokens") or 0) or sum(
            estimate_tokens(m["content"]) for m in request.messages
        )
        completion = int(usage.get("completion_tokens") or 0) or estimate_tokens(text)
        return Completion(
            text=text,
            prompt_tokens=prompt,
            completion_tokens=completion,
            latency=latency,
            model=self.name,
            cost=0.0,
            extra={"finish_reason": "repetition" if guard.cut else resp["choices"][0].get("finish_reason")},
        )
