"""Shared fixtures: settings in a temp dir, a queue-able fake chat model, a small knowledge folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from pydantic import Field

from coach.embedding import LocalMiniLM
from coach.service import Coach, build_coach
from coach.settings import PROJECT_ROOT, Settings

# gradio_client looks up a hub host when created, and chromadb/gradio phone home unless told not to.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

KNOWLEDGE = PROJECT_ROOT / "knowledge"


class RecordingFakeModel(GenericFakeChatModel):
    """GenericFakeChatModel that also keeps every list of messages it was sent."""

    sent: list = Field(default_factory=list)

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        self.sent.append(list(messages))
        yield from super()._stream(messages, stop=stop, run_manager=run_manager, **kwargs)


@pytest.fixture
def fake_model():
    """Call with the replies to queue: `model = fake_model("first answer", "second answer")`."""

    def make(*replies: str) -> RecordingFakeModel:
        return RecordingFakeModel(messages=iter([AIMessage(content=r) for r in replies]), sent=[])

    return make


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, provider="fake", _env_file=None)


@pytest.fixture
def small_knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "busy.md").write_text(
        "# Busy mentor\n\n## When the mentor keeps cancelling\n"
        "Offer shorter check-ins of fifteen minutes, or send quick questions by email.\n\n"
        "## Checking the cadence\nAsk whether meeting monthly still suits both of you.\n",
        encoding="utf-8",
    )
    (folder / "sponsor.txt").write_text(
        "A sponsor advocates for you when you are not in the room.\n\n"
        "Alumni networks are a good place to look for mentors.\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="session")
def indexed_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Chroma folder with the real knowledge/ indexed once for the whole session (read-only use)."""
    data = tmp_path_factory.mktemp("indexed")
    settings = Settings(data_dir=data, knowledge_dir=KNOWLEDGE, provider="fake", _env_file=None)
    build_coach(settings).sync()
    return data


@pytest.fixture
def make_coach(indexed_store: Path):
    """A coach over the shared indexed store with the given chat model."""

    def make(model, **overrides) -> Coach:
        settings = Settings(
            data_dir=indexed_store, knowledge_dir=KNOWLEDGE, provider="fake", _env_file=None, **overrides
        )
        return build_coach(settings, model=model)

    return make


@pytest.fixture(scope="session")
def embedder():
    """One offline MiniLM for the session: loading the ONNX model once keeps the tests quick."""
    return LocalMiniLM()
