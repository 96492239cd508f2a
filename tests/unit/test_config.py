"""Configuration precedence: defaults < config file < MAPFORGE_* environment < flags; errors name the source."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mapforge.config import Config, load_config
from mapforge.errors import UserError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

DEFAULT_TOML = Path(__file__).resolve().parents[2] / "configs" / "default.toml"


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "mapforge.toml"
    p.write_text(text)
    return p


def test_defaults_without_sources() -> None:
    assert load_config(None, environ={}) == Config()


def test_environ_argument_replaces_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAPFORGE_BUDGET__MAX_ITERS", "5")
    assert load_config(None, environ={}).budget.max_iters == Config().budget.max_iters
    assert load_config(None).budget.max_iters == 5  # environ=None reads the process environment


def test_full_precedence_chain(tmp_path: Path) -> None:
    f = write(tmp_path, "[budget]\nmax_iters = 2\nmax_tokens = 1000\n[timing]\nmin_pairs = 10\nmax_pairs = 50\n")
    env = {"MAPFORGE_BUDGET__MAX_ITERS": "4", "MAPFORGE_TIMING__MIN_PAIRS": "12"}

    only_file = load_config(f, environ={})
    assert (only_file.budget.max_iters, only_file.budget.max_tokens, only_file.timing.min_pairs) == (2, 1000, 10)
    assert only_file.agents == Config().agents  # untouched sections keep defaults

    file_env = load_config(f, environ=env)
    assert (file_env.budget.max_iters, file_env.timing.min_pairs) == (4, 12)
    assert file_env.budget.max_tokens == 1000  # env overrides one key, not the whole section
    assert file_env.timing.max_pairs == 50

    all_layers = load_config(f, flags={"budget": {"max_iters": 9}}, environ=env)
    assert all_layers.budget.max_iters == 9
    assert all_layers.timing.min_pairs == 12  # flags override only what they name
    assert all_layers.budget.max_tokens == 1000


def test_env_over_defaults_without_file() -> None:
    cfg = load_config(None, environ={"MAPFORGE_BUDGET__MAX_ITERS": "4", "MAPFORGE_TIMING__TARGET_REL_CI": "0.05"})
    assert cfg.budget.max_iters == 4 and cfg.timing.target_rel_ci == 0.05


def test_env_values_are_json_decoded() -> None:
    cfg = load_config(None, environ={
        "MAPFORGE_MODEL__ROLES": '{"coder": "openai/gpt-4o"}',
        "MAPFORGE_MODEL__DEFAULT": "openai/gpt-4o-mini",
        "MAPFORGE_MEMORY_FILE": "/tmp/mem.jsonl",
    })
    assert cfg.model.for_role("coder") == "openai/gpt-4o"
    assert cfg.model.for_role("planner") == "openai/gpt-4o-mini"
    assert cfg.memory_file == "/tmp/mem.jsonl"


def test_config_file_from_env_var(tmp_path: Path) -> None:
    f = write(tmp_path, "[agents]\nplans = 5\n")
    assert load_config(None, environ={"MAPFORGE_CONFIG": str(f)}).agents.plans == 5


def test_explicit_file_beats_env_config_var(tmp_path: Path) -> None:
    a = write(tmp_path, "[agents]\nplans = 5\n")
    b = tmp_path / "other.toml"
    b.write_text("[agents]\nplans = 7\n")
    assert load_config(b, environ={"MAPFORGE_CONFIG": str(a)}).agents.plans == 7


def test_require_vars_are_not_settings() -> None:
    assert load_config(None, environ={"MAPFORGE_REQUIRE_DOCKER": "1"}) == Config()


def test_unknown_key_in_file_names_file_and_key(tmp_path: Path) -> None:
    f = write(tmp_path, "[budget]\nmax_itres = 3\n")
    with pytest.raises(UserError) as ei:
        load_config(f, environ={})
    msg = str(ei.value)
    assert str(f) in msg and "budget.max_itres" in msg and "not a known setting" in msg


def test_unknown_section_in_file(tmp_path: Path) -> None:
    f = write(tmp_path, "[budgte]\nmax_iters = 3\n")
    with pytest.raises(UserError) as ei:
        load_config(f, environ={})
    assert str(f) in str(ei.value) and "budgte" in str(ei.value)


def test_bad_value_in_file_names_file(tmp_path: Path) -> None:
    f = write(tmp_path, "[timing]\nmin_pairs = 2\n")
    with pytest.raises(UserError) as ei:
        load_config(f, environ={})
    assert str(f) in str(ei.value) and "timing.min_pairs" in str(ei.value)


def test_bad_env_var_names_environment() -> None:
    with pytest.raises(UserError) as ei:
        load_config(None, environ={"MAPFORGE_BUDGET__MAX_ITRS": "3"})
    assert "MAPFORGE_" in str(ei.value) and "budget.max_itrs" in str(ei.value)
    with pytest.raises(UserError, match="budget.max_iters"):
        load_config(None, environ={"MAPFORGE_BUDGET__MAX_ITERS": "0"})


def test_bad_flag_names_flags() -> None:
    with pytest.raises(UserError) as ei:
        load_config(None, flags={"agents": {"plans": 99}}, environ={})
    assert "command-line flags" in str(ei.value) and "agents.plans" in str(ei.value)


def test_missing_and_invalid_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="not found"):
        load_config(tmp_path / "absent.toml", environ={})
    f = write(tmp_path, "[budget\n")
    with pytest.raises(UserError) as ei:
        load_config(f, environ={})
    assert str(f) in str(ei.value) and "not valid TOML" in str(ei.value)


def test_config_objects_validate_assignment() -> None:
    cfg = Config()
    with pytest.raises(ValueError):
        cfg.budget.max_iters = 0


@pytest.mark.skipif(not DEFAULT_TOML.is_file(), reason="configs/default.toml does not exist")
def test_default_toml_mirrors_defaults() -> None:
    data = tomllib.loads(DEFAULT_TOML.read_text())
    assert Config.model_validate(data) == Config()
    assert load_config(DEFAULT_TOML, environ={}) == Config()
    # it mirrors the defaults: every setting with a non-None default is spelled out (TOML has no null)
    defaults = Config().model_dump()
    for section, fields in defaults.items():
        if not isinstance(fields, dict):
            continue
        for key, value in fields.items():
            if value is not None and value != {}:
                assert key in data.get(section, {}), f"configs/default.toml lacks [{section}] {key}"


def test_default_toml_is_up_to_date() -> None:
    """configs/default.toml is regenerated from config.py (scripts/gen_default_config.py) whenever a field changes."""
    import importlib.util

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("gen_default_config", root / "scripts" / "gen_default_config.py")
    assert spec is not None and spec.loader is not None
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    assert (root / "configs" / "default.toml").read_text() == gen.render(), "run scripts/gen_default_config.py"
