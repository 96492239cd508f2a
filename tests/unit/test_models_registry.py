"""get_model: resolution, wrapping, and the messages a user sees for a bad model string or a missing key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mapforge.config import ModelConfig
from mapforge.errors import UserError
from mapforge.models.cache import CachingModel
from mapforge.models.litellm_model import LiteLLMModel
from mapforge.models.registry import _not_found_hint, get_model, load_dotenv
from mapforge.models.retry import RetryingModel
from mapforge.models.scripted import ScriptedModel
from tests.helpers import NoCallStore


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "DEEPSEEK_API_KEY", "MAPFORGE_TEST_DOTENV"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MAPFORGE_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("MAPFORGE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def test_no_provider_is_a_user_error() -> None:
    with pytest.raises(UserError, match="expected provider/name"):
        get_model("gpt-4o")


def test_unknown_provider_suggests_close_ones() -> None:
    with pytest.raises(UserError) as e:
        get_model("opneai/gpt-4o")
    assert "unknown provider 'opneai'" in str(e.value) and "Did you mean openai" in str(e.value)


def test_unknown_local_model_lists_the_known_ones() -> None:
    with pytest.raises(UserError) as e:
        get_model("local/qwen2.5-coder-1.5b")
    msg = str(e.value)
    assert "Did you mean qwen2.5-coder-1.5b-instruct" in msg and "Known local models:" in msg


def test_local_model_not_installed_says_how_to_install() -> None:
    with pytest.raises(UserError, match="mapforge models pull qwen2.5-coder-1.5b-instruct"):
        get_model("local/qwen2.5-coder-1.5b-instruct")


def test_missing_key_names_the_variable() -> None:
    with pytest.raises(UserError) as e:
        get_model("anthropic/claude-3-5-sonnet-latest")
    assert "ANTHROPIC_API_KEY" in str(e.value) and ".env" in str(e.value)


def test_key_from_dotenv_in_cwd(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "# keys\nexport DEEPSEEK_API_KEY='sk-from-dotenv'\nMAPFORGE_TEST_DOTENV=1 # c\n"
    )
    model = get_model("deepseek/deepseek-coder")
    assert isinstance(model, CachingModel) and isinstance(model.inner, RetryingModel)
    assert isinstance(model.inner.inner, LiteLLMModel)
    import os

    assert os.environ["DEEPSEEK_API_KEY"] == "sk-from-dotenv" and os.environ["MAPFORGE_TEST_DOTENV"] == "1"


def test_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEEPSEEK_API_KEY", "from-env")
    (tmp_path / ".env").write_text("DEEPSEEK_API_KEY=from-file\n")
    assert load_dotenv(tmp_path / ".env") == []
    import os

    assert os.environ["DEEPSEEK_API_KEY"] == "from-env"


def test_openai_compatible_server_needs_no_key() -> None:
    model = get_model("openai/anything", ModelConfig(base_url="http://127.0.0.1:9/v1"), cache=False)
    assert isinstance(model, RetryingModel) and isinstance(model.inner, LiteLLMModel)
    assert model.inner.base_url == "http://127.0.0.1:9/v1"


def test_local_servers_need_no_key() -> None:
    assert get_model("ollama_chat/qwen2.5-coder:7b").name == "ollama_chat/qwen2.5-coder:7b"


def test_scripted_is_returned_bare(tmp_path: Path) -> None:
    f = tmp_path / "r.json"
    f.write_text(json.dumps({"replies": {"default": ["x"]}}))
    assert isinstance(get_model(f"scripted/{f}"), ScriptedModel)


def test_not_found_hint_suggests_catalogue_models() -> None:
    assert "openai/gpt-4o" in _not_found_hint("openai", "gpt-4oo")


def test_a_token_budget_is_never_overspent(tmp_path: Path) -> None:
    """budget.max_tokens is a hard cap: each reply is cut to what the budget leaves after its prompt, and a
    request that would leave too little is not sent (the loop used to overshoot by a whole request)."""

    from mapforge.agents.llm import LLM
    from mapforge.config import load_config
    from mapforge.errors import BudgetExhausted
    from mapforge.models.scripted import ScriptedModel

    script = tmp_path / "s.json"
    script.write_text(json.dumps({"replies": {"coder": ["x" * 8000] * 10}}))
    config = load_config(None, {"budget": {"max_tokens": 2500}})

    llm = LLM(config, NoCallStore(), lambda name: ScriptedModel(script))  # type: ignore[arg-type]
    sent = 0
    with pytest.raises(BudgetExhausted, match="token budget of 2500"):
        for _ in range(10):
            llm.ask("coder", [{"role": "user", "content": "write it " * 50}])
            sent += 1
    assert sent >= 2 and llm.usage.total_tokens <= 2500
    # tokens kept for a later phase: requests inside `keeping` leave them unspent, however long their replies
    llm = LLM(config, NoCallStore(), lambda name: ScriptedModel(script))  # type: ignore[arg-type]
    with llm.keeping(1500), pytest.raises(BudgetExhausted, match="1500 kept for later"):
        for _ in range(10):
            llm.ask("coder", [{"role": "user", "content": "plan it " * 50}])
    kept_after = 2500 - llm.usage.total_tokens
    assert kept_after >= 1500 and llm.reserved == 0
    llm.ask("coder", [{"role": "user", "content": "now code it"}])  # the kept tokens are there to spend


def test_cached_replies_count_against_the_budget_only_when_asked(tmp_path: Path) -> None:
    """A job's budget is what it spends (a cached reply is free); the bench's per-task cap is on the model's
    work (`budget.count_cached`), so a warm response cache cannot give one arm more tokens than another."""

    from mapforge.agents.llm import LLM
    from mapforge.config import load_config
    from mapforge.errors import BudgetExhausted

    script = tmp_path / "s.json"
    script.write_text(json.dumps({"replies": {"default": ["y" * 2000] * 20}}))

    def asks(count_cached: bool) -> tuple[int, LLM]:
        config = load_config(None, {"budget": {"max_tokens": 3000, "count_cached": count_cached}})
        llm = LLM(config, NoCallStore(), lambda name: CachingModel(ScriptedModel(script), tmp_path / "cache"))  # type: ignore[arg-type]
        sent = 0
        try:
            for i in range(6):
                llm.ask("coder", [{"role": "user", "content": f"request {i % 2} " * 40}])
                sent += 1
        except BudgetExhausted:
            pass
        return sent, llm

    spent, cold = asks(True)  # a cold cache: every reply is made, and the cap stops the requests
    assert 1 <= spent < 6 and cold.usage.cached_tokens > 0  # the second of each pair of requests is a hit
    capped, warm = asks(True)  # warm: every reply from the cache, still capped the same
    assert capped == spent and warm.usage.total_tokens == 0 and warm.budget_used <= 3000
    free, job = asks(False)  # a job: cached replies cost nothing, so every request is answered
    assert free == 6 and job.usage.total_tokens == 0 and job.budget_used == 0


def test_the_budget_learns_how_densely_the_model_counts_prompts(tmp_path: Path) -> None:
    """A prompt the model counts at twice the character estimate: after the first reply, the reply cap of the
    same request shrinks by what the prompt really takes, so the per-task cap holds (it overran by ~400
    tokens when the estimate stayed at 4 characters a token)."""
    from mapforge.agents.llm import LLM
    from mapforge.config import load_config
    from mapforge.models.base import Completion, Request

    class DenseModel:
        def complete(self, request: Request) -> Completion:
            chars = sum(len(m["content"]) for m in request.messages)
            return Completion(text="ok", prompt_tokens=chars // 2, completion_tokens=1, latency=0.0, model="dense")

    config = load_config(None, {"budget": {"max_tokens": 3000}, "model": {"max_reply_tokens": 4000}})
    llm = LLM(config, NoCallStore(), lambda name: DenseModel())  # type: ignore[arg-type]
    msgs = [{"role": "user", "content": "x = a[i] + b[i];\n" * 100}]  # 1700 characters: ~850 tokens counted
    first = llm.reply_tokens("coder", msgs)
    assert first == 3000 - llm.prompt_estimate(msgs) and llm.prompt_estimate(msgs) < 850
    llm.ask("coder", msgs)
    assert llm.prompt_scale > 1.3
    assert llm.prompt_estimate(msgs) >= 850  # now at least what the model counted
    used = llm.budget_used
    assert used + llm.prompt_estimate(msgs) + llm.reply_tokens("coder", msgs) <= 3000


def test_a_model_that_counts_its_prompt_tokens_sizes_the_reply_exactly(tmp_path: Path) -> None:
    """Where the model can count a prompt (the local model renders its chat template), the budget uses the
    count, not the estimate, and the wrappers get_model puts round a model pass the count through."""
    from mapforge.agents.llm import LLM
    from mapforge.config import load_config
    from mapforge.models.base import Completion, Request, counted_prompt_tokens

    class Counting:
        name = "counting"

        def count_prompt_tokens(self, messages: list[dict[str, str]]) -> int:
            return 7 * sum(len(m["content"]) for m in messages)

        def complete(self, request: Request) -> Completion:
            return Completion(text="ok", prompt_tokens=1, completion_tokens=1, latency=0.0, model=self.name)

    msgs = [{"role": "user", "content": "y[i] = a * x[i];"}]
    wrapped = RetryingModel(CachingModel(Counting(), tmp_path))
    assert counted_prompt_tokens(wrapped, msgs) == 7 * 16
    assert counted_prompt_tokens(CachingModel(_Plain(), tmp_path), msgs) is None

    config = load_config(None, {"budget": {"max_tokens": 1000}, "model": {"max_reply_tokens": 4000}})
    llm = LLM(config, NoCallStore(), lambda name: wrapped)  # type: ignore[arg-type]
    assert llm.prompt_tokens("coder", msgs) == 112 != llm.prompt_estimate(msgs)
    assert llm.reply_tokens("coder", msgs) == 1000 - 112


class _Plain:
    name = "plain"

    def complete(self, request: object) -> object:
        raise AssertionError("not asked")


def test_a_local_model_is_found_by_the_name_models_list_shows() -> None:
    from mapforge.models.weights import lookup

    assert lookup("local/qwen2.5-coder-0.5b-instruct") is lookup("qwen2.5-coder-0.5b-instruct")
    with pytest.raises(UserError, match="Did you mean qwen2.5-coder-0.5b-instruct"):
        lookup("local/qwen2.5-coder-0.5b")
