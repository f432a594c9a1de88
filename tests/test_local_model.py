"""The real bundled SmolLM2 model through llama.cpp in-process (no network, no key)."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage

from coach.errors import ModelError
from coach.llm.models import build_chat_model
from coach.settings import Settings


@pytest.fixture(scope="module")
def local_model():
    return build_chat_model(Settings(provider="local", max_answer_tokens=24, temperature=0.0, _env_file=None))


def test_local_model_streams_tokens_for_a_short_prompt(local_model):
    chunks = [c.content for c in local_model.stream([HumanMessage("Say hello to a new mentor in one sentence.")])]
    assert len(chunks) >= 3
    assert "".join(chunks).strip()


def test_local_model_counts_tokens_with_its_own_tokenizer(local_model):
    assert local_model.get_num_tokens("mentor") >= 1
    assert local_model.get_num_tokens("mentor " * 50) > local_model.get_num_tokens("mentor " * 5)


def test_missing_or_corrupt_gguf_gets_a_clear_error(tmp_path):
    missing = build_chat_model(Settings(provider="local", local_model=tmp_path / "nope.gguf", _env_file=None))
    with pytest.raises(ModelError, match="not found"):
        missing.invoke("hi")
    corrupt = tmp_path / "corrupt.gguf"
    corrupt.write_bytes(b"GGUF" + b"\x00garbage" * 100)
    broken = build_chat_model(Settings(provider="local", local_model=corrupt, _env_file=None))
    with pytest.raises(ModelError, match="valid GGUF"):
        broken.invoke("hi")
