"""A langchain-core chat model over llama.cpp in-process (llama-cpp-python), streaming token by token."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import PrivateAttr

from coach.errors import ModelError
from coach.prompts import defang_template_tokens

ROLES = {"human": "user", "ai": "assistant", "system": "system"}


class LocalChatModel(BaseChatModel):
    """One GGUF model loaded on first use; one generation at a time (llama.cpp state is not shared)."""

    model_path: str
    context_window: int = 4096
    max_tokens: int = 384
    temperature: float = 0.3
    threads: int | None = None
    seed: int = 0

    _llama: Any = PrivateAttr(default=None)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "llama-cpp"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": self.model_path, "context_window": self.context_window}

    def load(self) -> Any:
        """The llama.cpp model, loaded once; a missing or broken file raises ModelError."""
        if self._llama is not None:
            return self._llama
        path = Path(self.model_path)
        if not path.is_file():
            raise ModelError(f"Local model file not found: {path}. Set COACH_LOCAL_MODEL to a GGUF file.")
        try:
            from llama_cpp import Llama
        except ImportError as exc:
            raise ModelError("The local model needs llama-cpp-python: run `make run`.") from exc
        try:
            self._llama = Llama(
                model_path=str(path),
                n_ctx=self.context_window,
                n_threads=self.threads,
                seed=self.seed,
                verbose=False,
            )
        except Exception as exc:  # llama.cpp raises ValueError/RuntimeError for unreadable files
            raise ModelError(f"Could not load the local model {path.name}: {exc}. Is it a valid GGUF file?") from exc
        return self._llama

    def get_num_tokens(self, text: str) -> int:
        return len(self.load().tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Any = None) -> int:
        # The chat template adds a role header and an end marker around every message.
        return sum(self.get_num_tokens(str(m.content)) + 5 for m in messages)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(str(chunk.message.content) for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        llama = self.load()
        # Role tags typed by a user or quoted in history stay text: only the system prompt is ours verbatim.
        payload = [
            {
                "role": ROLES.get(m.type, "user"),
                "content": str(m.content) if m.type == "system" else defang_template_tokens(str(m.content)),
            }
            for m in messages
        ]
        with self._lock:
            parts = llama.create_chat_completion(
                messages=payload,
                stream=True,
                stop=stop,
                max_tokens=kwargs.get("max_tokens", self.max_tokens),
                temperature=kwargs.get("temperature", self.temperature),
                seed=self.seed,
                # A JSON schema here makes llama.cpp constrain sampling to it (structured output).
                response_format=kwargs.get("response_format"),
            )
            for part in parts:
                token = part["choices"][0]["delta"].get("content") or ""
                if not token:
                    continue
                if run_manager:
                    run_manager.on_llm_new_token(token)
                yield ChatGenerationChunk(message=AIMessageChunk(content=token))
