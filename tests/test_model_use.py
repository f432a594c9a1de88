"""`coach model use` and `coach model`, and the pulled model answering through the real local server: the chat
template, the context window and the answer length come from the GGUF, and structured output works with it."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from hub_stub import FILE, REPO, HubStub, coach_cli, write_catalog
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel

from coach.errors import ModelError
from coach.llm.capabilities import capabilities_of
from coach.llm.choice import ModelChoice, read_choice, upgrade_hint, write_choice
from coach.llm.gguf_info import gguf_info
from coach.llm.models import build_chat_model, bundled_model_path, local_model_path, model_limits
from coach.llm.structured import structured
from coach.settings import Settings


@pytest.fixture(scope="module")
def pulled(tmp_path_factory) -> tuple[Path, Path]:
    """One pull from the loopback hub for the module: (data dir, catalog)."""
    root = tmp_path_factory.mktemp("pulled")
    stub = HubStub(REPO, FILE, bundled_model_path().read_bytes())
    try:
        catalog, data = write_catalog(root), root / "data"
        result = coach_cli(["pull", "tiny"], data, stub.url, catalog)
        assert result.returncode == 0, result.stderr
    finally:
        stub.stop()
    return data, catalog


def tiny_gguf(path: Path, template: str | None) -> Path:
    """A header-only GGUF (no tensors): enough for the metadata reader and `use`'s checks."""

    def text(value: str) -> bytes:
        return struct.pack("<Q", len(value.encode())) + value.encode()

    pairs = [("general.architecture", 8, text("llama")), ("llama.context_length", 4, struct.pack("<I", 2048))]
    if template:
        pairs.append(("tokenizer.chat_template", 8, text(template)))
    body = b"".join(text(key) + struct.pack("<I", kind) + value for key, kind, value in pairs)
    path.write_bytes(b"GGUF" + struct.pack("<IQQ", 3, 0, len(pairs)) + body)
    return path


def test_use_makes_the_pulled_model_the_one_the_app_loads(pulled):
    data, catalog = pulled
    result = coach_cli(["use", "tiny"], data, "http://127.0.0.1:9", catalog)
    assert result.returncode == 0, result.stderr
    assert read_choice(data) == ModelChoice(path=(data / "models" / FILE).resolve(), name="tiny")
    shown = coach_cli([], data, "http://127.0.0.1:9", catalog)
    assert "Local model: tiny (`coach model use`)" in shown.stdout
    assert "trained context 8192, used 4096" in shown.stdout and "chat template: from the GGUF" in shown.stdout
    listed = coach_cli(["list"], data, "http://127.0.0.1:9", catalog)
    assert "✓◀" in listed.stdout.splitlines()[1]  # pulled and in use


@pytest.mark.slow
def test_the_pulled_model_answers_through_the_real_local_server(pulled):
    data, catalog = pulled
    write_choice(data, ModelChoice(path=(data / "models" / FILE).resolve(), name="tiny"))
    settings = Settings(
        data_dir=data, provider="local", model_catalog=catalog, max_answer_tokens=16, temperature=0.0, _env_file=None
    )
    model = build_chat_model(settings)
    try:
        assert model.server.model_path == data / "models" / FILE
        caps = capabilities_of(model)
        assert (caps.context_window, caps.answer_tokens) == (4096, 16)
        reply = model.invoke([HumanMessage("Say hello to a new mentor in one short sentence.")])
        assert str(reply.content).strip()

        class Step(BaseModel):
            action: str
            minutes: int

        step = structured(
            model,
            [SystemMessage("Reply with JSON only."), HumanMessage("One preparation step for a mentor meeting.")],
            Step,
            max_tokens=60,
        )
        assert step.action.strip() and isinstance(step.minutes, int)
    finally:
        model.server.close()


def test_the_local_server_leaves_the_chat_template_to_the_gguf():
    """llama-cpp-python uses the GGUF's tokenizer.chat_template only when no chat_format is forced."""
    import inspect

    from llama_cpp.server.settings import ModelSettings

    from coach.llm import local_server

    assert ModelSettings(model="any.gguf").chat_format is None
    assert "chat_format" not in inspect.getsource(local_server.main).replace("No chat_format", "")


def test_the_context_window_and_answer_length_come_from_the_gguf(tmp_path):
    bundled = bundled_model_path()
    assert gguf_info(bundled).context_length == 8192
    wide = Settings(data_dir=tmp_path, context_window=32768, max_answer_tokens=4000, _env_file=None)
    assert model_limits(wide, bundled) == (8192, 2048)  # capped by the model, the answer by a quarter of it
    short = tiny_gguf(tmp_path / "short.gguf", "{{ messages }}")
    assert model_limits(Settings(data_dir=tmp_path, _env_file=None), short) == (2048, 384)


def test_a_damaged_gguf_header_is_refused_without_reading_past_the_file(tmp_path):
    damaged = tmp_path / "damaged.gguf"
    damaged.write_bytes(b"GGUF" + b"\x00garbage" * 100)  # lengths of ~10^17 bytes, read as they come
    with pytest.raises(ModelError, match="not a complete GGUF file"):
        gguf_info(damaged)


def test_use_refuses_what_it_cannot_load(pulled, tmp_path):
    data, catalog = pulled
    before = read_choice(data)
    for target, message in [
        ("nope", "neither a model name"),
        (str(tiny_gguf(tmp_path / "bare.gguf", None)), "no chat template"),
        (str(tmp_path / "catalog.json"), "not a GGUF"),
    ]:
        (tmp_path / "catalog.json").write_text("{}", encoding="utf-8")
        result = coach_cli(["use", target], data, "http://127.0.0.1:9", catalog)
        assert result.returncode == 2 and message in result.stderr, (target, result.stderr)
    assert read_choice(data) == before


def test_use_of_a_model_not_yet_pulled_says_to_pull_it(tmp_path):
    result = coach_cli(["use", "tiny"], tmp_path / "data", "http://127.0.0.1:9", write_catalog(tmp_path))
    assert result.returncode == 2 and "coach model pull tiny" in result.stderr


def test_use_builtin_goes_back_and_coach_local_model_still_wins(tmp_path):
    data = tmp_path / "data"
    own = tiny_gguf(tmp_path / "own.gguf", "{{ messages }}")
    result = coach_cli(["use", str(own)], data, "http://127.0.0.1:9", write_catalog(tmp_path))
    assert result.returncode == 0, result.stderr
    assert local_model_path(Settings(data_dir=data, _env_file=None)) == own.resolve()
    other = tmp_path / "env.gguf"
    assert local_model_path(Settings(data_dir=data, local_model=other, _env_file=None)) == other
    result = coach_cli(["use", "builtin"], data, "http://127.0.0.1:9", write_catalog(tmp_path))
    assert result.returncode == 0 and read_choice(data) is None
    assert local_model_path(Settings(data_dir=data, _env_file=None)) == bundled_model_path()


def test_a_damaged_choice_file_is_named_with_how_to_reset_it(tmp_path):
    (tmp_path / "model.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ModelError, match="coach model use builtin"):
        local_model_path(Settings(data_dir=tmp_path, _env_file=None))


def test_the_page_hint_names_the_commands_and_the_model_in_use(tmp_path):
    catalog = write_catalog(tmp_path)
    hint = upgrade_hint(Settings(data_dir=tmp_path, model_catalog=catalog, _env_file=None))
    assert "Model in use: `builtin`" in hint
    assert "`coach model pull tiny` then `coach model use tiny`" in hint
    assert "OPENAI_API_KEY" in hint
    write_choice(tmp_path, ModelChoice(path=tmp_path / "x.gguf", name="tiny"))
    assert "Model in use: `tiny`" in upgrade_hint(Settings(data_dir=tmp_path, model_catalog=catalog, _env_file=None))
    assert json.loads((tmp_path / "model.json").read_text())["name"] == "tiny"
