"""Settings and the model factory: defaults, provider choice, and keys that never leak."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from coach.errors import ModelAuthError
from coach.llm.capabilities import capabilities_of
from coach.llm.models import build_chat_model, bundled_model_path, describe_model
from coach.settings import Settings

KEY = "sk-test-SECRET-1234567890"


def make(**values) -> Settings:
    return Settings(_env_file=None, **values)


def test_local_model_is_the_default_and_ships_inside_a_package():
    settings = make()
    assert settings.resolved_provider() == "local"
    model = build_chat_model(settings)
    path = bundled_model_path()
    assert path.is_file() and path.suffix == ".gguf" and "site-packages" in str(path)
    assert model.server.model_path == path, "the supervised local server loads the bundled file"
    caps = capabilities_of(model)
    assert caps.json_schema and caps.small and caps.exact_tokens and caps.context_window == settings.context_window


def test_a_key_or_base_url_switches_to_openai():
    assert make(openai_api_key=KEY).resolved_provider() == "openai"
    assert make(openai_base_url="http://127.0.0.1:11434/v1").resolved_provider() == "openai"
    assert make(openai_api_key=KEY, provider="local").resolved_provider() == "local"


def test_openai_without_key_or_url_names_the_variable_to_set():
    with pytest.raises(ModelAuthError, match="OPENAI_API_KEY"):
        build_chat_model(make(provider="openai"))


def test_the_key_never_appears_in_repr_summary_or_model_label():
    settings = make(openai_api_key=KEY, openai_base_url="http://127.0.0.1:9/v1")
    for text in (repr(settings), str(settings.public_summary()), describe_model(settings)):
        assert KEY not in text


def test_environment_variables_are_read(monkeypatch):
    monkeypatch.setenv("COACH_TOP_K", "7")
    monkeypatch.setenv("OPENAI_MODEL", "llama3.2")
    settings = make()
    assert settings.top_k == 7 and settings.openai_model == "llama3.2"


def test_unknown_settings_are_rejected():
    with pytest.raises(ValidationError):
        make(not_a_setting=1)


def test_custom_gguf_path_is_used(tmp_path):
    settings = make(local_model=tmp_path / "other.gguf")
    assert build_chat_model(settings).server.model_path == tmp_path / "other.gguf"
    assert "other.gguf" in describe_model(settings)
