"""The embedded model for real: in-process through get_model("local/..."), and behind llama-cpp-python's
OpenAI-compatible server on 127.0.0.1 driven through the litellm path and the openai SDK.

Needs the runtime and the weights (``scripts/install-local-model.sh``). Without them these tests skip with that
command, or FAIL when ``MAPFORGE_REQUIRE_LOCAL_MODEL=1`` (CI sets it: the embedded default must work there).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from mapforge.config import ModelConfig
from mapforge.models import weights
from mapforge.models.base import Request
from mapforge.models.registry import get_model
from mapforge.models.retry import RetryPolicy
from tests.helpers import NoCallStore, require

pytestmark = pytest.mark.local_model

INSTALL = "scripts/install-local-model.sh"
NAME = weights.DEFAULT_LOCAL
PONG = [
    {"role": "system", "content": "You answer with one word."},
    {"role": "user", "content": "Reply with the single word: pong"},
]


def _missing() -> str | None:
    try:
        import llama_cpp
        import llama_cpp.server.app  # noqa: F401
    except ImportError as e:
        return f"llama-cpp-python[server] is not installed ({e})"
    from mapforge.models.local import amx_build

    if amx_build(llama_cpp):
        return "the installed llama-cpp-python has AMX kernels, which segfault on this CPU (llama.cpp #20824)"
    if weights.installed_path(weights.KNOWN[NAME]) is None:
        return f"the weights of {NAME} are not installed in {weights.models_dir()}"
    return None


@pytest.fixture(scope="session")
def gguf() -> Path:
    require(_missing(), INSTALL, "MAPFORGE_REQUIRE_LOCAL_MODEL")
    path = weights.installed_path(weights.KNOWN[NAME])
    assert path is not None
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def server(gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``python -m llama_cpp.server`` with the embedded model; yields its base URL (``.../v1``)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    from mapforge.models.local import cores

    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(gguf),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        str(cores()),
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not answer within 180 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _request(messages: list[dict[str, str]] = PONG, max_tokens: int = 8) -> Request:
    return Request(role="coder", index=0, messages=messages, max_tokens=max_tokens)


def test_litellm_path_against_the_server(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    model = get_model(
        "openai/qwen-local",
        ModelConfig(base_url=server, request_timeout=120),
        retry=RetryPolicy(wait_initial=0),
        cache=False,
    )
    c = model.complete(_request())
    assert "pong" in c.text.lower()
    assert c.prompt_tokens > 10 and 0 < c.completion_tokens <= 8
    assert c.model == "openai/qwen-local"
    assert c.extra["finish_reason"] in ("stop", "length")  # read by agents.parsing (a reply cut short)


def test_openai_sdk_path_against_the_server(server: str) -> None:
    import openai

    client = openai.OpenAI(base_url=server, api_key="not-needed", max_retries=0, timeout=120)
    r = client.chat.completions.create(model="qwen-local", messages=PONG, max_tokens=8, temperature=0)  # type: ignore[arg-type]
    assert "pong" in (r.choices[0].message.content or "").lower()
    assert r.usage is not None and r.usage.completion_tokens > 0


def test_embedded_model_in_process(gguf: Path, tmp_path: Path) -> None:
    model = get_model(f"local/{NAME}", cache_dir=tmp_path / "cache")
    prompt = [
        {"role": "system", "content": "You are an expert C programmer. Reply with code only."},
        {
            "role": "user",
            "content": "Write a C function `float sum(const float *x, int n)` that returns the sum.",
        },
    ]
    first = model.complete(_request(prompt, max_tokens=64))
    assert "sum" in first.text and first.completion_tokens > 0 and first.prompt_tokens > 20
    assert first.model == f"local/{NAME}" and first.extra.get("cached") is None
    # an identical request is answered from the on-disk cache
    second = model.complete(_request(prompt, max_tokens=64))
    assert second.text == first.text and second.extra.get("cached") is True and second.latency == 0.0
    # loaded once per process: another LocalModel shares the loaded llama.cpp model
    from mapforge.models.local import LocalModel

    assert LocalModel(NAME, progress=None).llama() is LocalModel(NAME, progress=None).llama()


def test_a_reply_that_loops_is_ended_and_one_that_does_not_is_untouched(gguf: Path) -> None:
    """Greedy decoding on the small model falls into loops (the quickstart's first coder reply in a clean
    container: one helper function, written again and again up to the 1536-token cap, ten minutes on one
    core). The loop guard ends such a reply after a few repeats; a reply that does not loop is the same
    with the guard as without it."""
    from mapforge.models.local import LocalModel

    model = LocalModel(NAME, progress=None)
    line = "int cache_lines_needed(int size) { return (size + 63) / 64; }  /* helper */"
    looping = model.complete(_request([{"role": "user", "content": (
        f"Print this C line 60 times in a ```c block (60 identical lines):\n```c\n{line}\n```")}], max_tokens=1024))
    assert looping.extra["finish_reason"] == "repetition", looping.text
    assert looping.completion_tokens < 300 and looping.text.count("cache_lines_needed") >= 3
    prompt = [{"role": "user", "content": "Write a C function `int max3(int a, int b, int c)`. Code only."}]
    guarded = model.complete(_request(prompt, max_tokens=96))
    plain = model.llama().create_chat_completion(messages=prompt, temperature=0.0, max_tokens=96)
    assert guarded.extra["finish_reason"] != "repetition"
    assert guarded.text == plain["choices"][0]["message"]["content"]


def test_the_budget_counts_a_prompt_as_the_model_does(gguf: Path, tmp_path: Path) -> None:
    """A prompt of code and compiler errors tokenises denser than the budget's character estimate allows (a
    debugger request counted 2481 tokens against an estimate of 2130, and a job overran its 8000-token cap
    by 352): the local model counts a prompt exactly, through the wrappers get_model puts round it, and the
    reply is cut to what the cap leaves."""
    from mapforge.agents.llm import LLM
    from mapforge.config import load_config
    from mapforge.models.base import counted_prompt_tokens

    errors = "".join(f"k.c:{i}:{i % 7 + 3}: error: expected ';' before '}}' token\n  {i} | }}\n    |  ^\n"
                     for i in range(12, 40))
    dense = [
        {"role": "system", "content": "You repair C code. Reply with the corrected code in a ```c block."},
        {"role": "user", "content": "```c\nvoid k(float*restrict y,const float*restrict x,int n){for(int i=0;"
                                    "i<n;i++){y[i]=x[i]*2.f+y[i]}}\n```\n" + errors},
    ]
    model = get_model(f"local/{NAME}", cache_dir=tmp_path / "cache")
    counted = counted_prompt_tokens(model, dense)
    reply = model.complete(_request(dense, max_tokens=1))
    assert counted == reply.prompt_tokens
    config = load_config(None, {"budget": {"max_tokens": 3000}, "model": {"max_reply_tokens": 4000}})
    llm = LLM(config, NoCallStore(), lambda name: model)
    assert llm.prompt_estimate(dense) < counted  # the estimate alone would have let the reply overrun the cap
    assert llm.reply_tokens("debugger", dense) == 3000 - counted


def test_models_list_shows_the_installed_default(gguf: Path) -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    out = subprocess.run(
        [sys.executable, "-m", "mapforge.cli.cmd_models", "list"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith(f"local/{NAME}"))
    assert "installed" in line and "not installed" not in line and str(gguf) in line
