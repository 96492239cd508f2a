"""LocalModel's plumbing with a stand-in llama_cpp module (the real one is in tests/integration)."""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import Any

import pytest

from mapforge.errors import ModelError, UserError
from mapforge.models import local
from mapforge.models.base import Request


class FakeParams:
    use_extra_bufts = True


def fake_llama_cpp(amx: bool) -> Any:
    low = types.SimpleNamespace(llama_model_default_params=FakeParams)
    mod = types.SimpleNamespace(llama_cpp=low, loads=[])

    class Llama:
        def __init__(self, **kwargs: Any) -> None:
            mod.loads.append({**kwargs, "extra_bufts": low.llama_model_default_params().use_extra_bufts})

        def create_chat_completion(self, messages: list[dict[str, str]], **kw: Any) -> dict[str, Any]:
            if messages[-1]["content"] == "too long":
                raise ValueError("Requested tokens (9000) exceed context window of 8192")
            return {
                "choices": [{"message": {"content": "int x;"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 12, "completion_tokens": 3},
            }

    mod.Llama = Llama
    mod.llama_print_system_info = lambda: b"CPU : AVX2 = 1 | " + (b"AMX_INT8 = 1 | " if amx else b"")
    return mod


@pytest.fixture
def gguf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(local, "_LOADED", {})
    path = tmp_path / "tiny.gguf"
    path.write_bytes(b"GGUF")
    return path


def req(text: str = "hi") -> Request:
    return Request(role="coder", index=0, messages=[{"role": "user", "content": text}])


def test_loads_once_per_process_and_completes(gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_llama_cpp(amx=False)
    monkeypatch.setitem(sys.modules, "llama_cpp", fake)
    said: list[str] = []
    a = local.LocalModel(str(gguf), progress=said.append)
    b = local.LocalModel(str(gguf), progress=said.append)
    c = a.complete(req())
    assert (c.text, c.prompt_tokens, c.completion_tokens, c.cost) == ("int x;", 12, 3, 0.0)
    assert b.llama() is a.llama() and len(fake.loads) == 1
    assert fake.loads[0]["n_threads"] == local.cores() and fake.loads[0]["extra_bufts"] is True
    assert said[0].startswith("loading local/") and said[1].startswith("loaded local/")


def test_amx_build_loads_without_extra_buffers(gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = fake_llama_cpp(amx=True)
    monkeypatch.setitem(sys.modules, "llama_cpp", fake)
    said: list[str] = []
    local.LocalModel(str(gguf), progress=said.append).llama()
    assert fake.loads[0]["extra_bufts"] is False
    assert fake.llama_cpp.llama_model_default_params is FakeParams  # restored
    assert any("AMX" in s for s in said)


def test_context_overflow_is_a_model_error(gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", fake_llama_cpp(amx=False))
    with pytest.raises(ModelError, match="exceed context window"):
        local.LocalModel(str(gguf), progress=None).complete(req("too long"))


def test_missing_runtime_gives_the_install_hint(gguf: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # import fails
    with pytest.raises(UserError, match=r"pip install -e '\.\[local\]'"):
        local.LocalModel(str(gguf), progress=None).complete(req())


def test_missing_gguf_path() -> None:
    with pytest.raises(UserError, match="not found"):
        local.LocalModel("/nonexistent/model.gguf")


def test_repeats_at_end_finds_loops_not_repetitive_code() -> None:
    helper = ("// Helper function to calculate the number of cache lines needed for a memory block\n"
              "int cache_lines_needed(int size) {\n    return (size + cache_line_size() - 1) / cache_line_size();\n}\n\n")
    assert local.repeats_at_end("```c\n#include <stdio.h>\n\n" + helper * 3 + "// Help")
    assert not local.repeats_at_end("```c\n" + helper * 2)  # twice is not yet a loop
    assert local.repeats_at_end("Confidence: 90\n" + "The plan is correct because it sorts the list first.\n" * 9)
    # closing braces, a hand-unrolled statement: short repeated lines are code, not a loop
    assert not local.repeats_at_end("void f(void) {\n" + "    acc += x[i++];\n" * 16 + "}\n" * 30)
    unrolled = "".join(f"    s{i % 4} += a[i + {i}] * b[i + {i}];\n" for i in range(32))
    assert not local.repeats_at_end("float dot(const float *a, const float *b) {\n" + unrolled + "}\n")


def test_a_flood_of_helper_functions_is_a_loop_and_a_kernel_with_helpers_is_not() -> None:
    flood = "```c\n#include <math.h>\n\n" + "".join(
        f"static inline float scale_{'by_' * k}two(float x)\n{{\n    return x * 2.0f;\n}}\n\n" for k in range(13))
    assert local.floods(flood) and not local.repeats_at_end(flood)  # no two alike: only the count shows it
    assert not local.floods(flood.split("static inline", 13)[0] + "static inline")  # 12: not yet
    unrolled = "".join(f"    s{i % 4} += a[i + {i}] * b[i + {i}];\n" for i in range(32))
    kernel = ("```c\n#include <immintrin.h>\nstatic float hsum(__m256 v) { return 0; }\n"
              "static void tail(float *s, int n)\n{\n    for (int i = 0; i < n; i++) {\n        if (s[i] > 0)\n"
              "            s[i] = 0;\n    }\n}\nvoid f(float *a, const float *b, int n) {\n" + unrolled
              + "    while (n > 0) { n--; }\n}\n```")
    assert not local.floods(kernel)
    assert local.floods("```python\n" + "".join(f"def helper_{k}(x):\n    return x\n\n" for k in range(13)))


def test_the_loop_guard_leaves_end_of_text_the_only_next_token_once_a_reply_loops() -> None:
    import numpy as np

    class Tokens:  # one character per token
        def detokenize(self, ids: list[int]) -> bytes:
            return bytes(ids)

        def token_eos(self) -> int:
            return 0

    guard = local.LoopGuard(Tokens(), every=1)
    prompt = list(b"PROMPT")
    scores = np.zeros(256, dtype=np.float32)
    assert (guard(prompt, scores.copy()) == 0).all() and guard.start == len(prompt)
    text = list(b"int f(void);\n" + b"int cache_lines_needed(int size) { return (size + 63) / 64; }\n" * 7)
    out = guard(prompt + text, scores.copy())
    assert guard.cut and out[0] == 0 and np.isneginf(out[1:]).all()
    fresh = local.LoopGuard(Tokens(), every=1)
    fresh(prompt, scores.copy())
    assert (fresh(prompt + list(b"int f(void) { return 1; }\n"), scores.copy()) == 0).all() and not fresh.cut


def test_a_prompt_the_runtime_cannot_count_falls_back_to_the_estimate(gguf: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake runtime has no chat template API (``metadata``): the count is None, so the budget estimates,
    and the job goes on; with weights that carry no template, the contents are counted with an allowance."""
    from mapforge.models.base import counted_prompt_tokens

    fake = fake_llama_cpp(amx=False)
    monkeypatch.setitem(sys.modules, "llama_cpp", fake)
    model = local.LocalModel(str(gguf), progress=None)
    msgs = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "add two ints"}]
    assert counted_prompt_tokens(model, msgs) is None
    llama = model.llama()
    llama.metadata = {}  # weights without a chat template
    llama.tokenize = lambda data, add_bos=False: list(data.split())
    assert counted_prompt_tokens(model, msgs) == (2 + 16) + (3 + 16) + 16
