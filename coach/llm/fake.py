"""The one fake chat model: the `fake` provider (no model at all) and every test that needs a model.

Like simonw/llm's MockModel: queue replies with `enqueue`, read back every call in `history`, streamed or not.
With nothing queued it answers `default` (or echoes the last user message when `echo` is set); `error` makes it
fail after streaming `partial`, as a server that goes away mid-answer.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

from coach.llm.capabilities import DEFAULT, Capabilities

FAKE_REPLY = "Here is what the guidance suggests: keep it short, specific and easy to say yes to."


@dataclass(frozen=True)
class Call:
    """One request the model received: the messages, the per-call options, and whether it was streamed."""

    messages: list[BaseMessage]
    options: dict[str, Any]
    streamed: bool


class MockChatModel(BaseChatModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    default: str = FAKE_REPLY
    echo: bool = False  # answer "echo:" + the last user message
    pieces: int = 4  # chunks per streamed reply
    delay: float = 0.0  # seconds before each chunk
    error: Exception | None = None
    partial: str = ""  # streamed before `error` is raised
    capabilities: Capabilities = DEFAULT
    gate: threading.Event | None = None  # when set up and cleared, every reply waits for it (a minute at most)
    history: list[Call] = Field(default_factory=list)

    _queue: deque = PrivateAttr(default_factory=deque)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "mock"

    def enqueue(self, *replies: str) -> MockChatModel:
        """Replies to give, in order, before falling back to `default`."""
        self._queue.extend(replies)
        return self

    def reset(self) -> None:
        """Forget queued replies and open the gate."""
        self._queue.clear()
        if self.gate is not None:
            self.gate.set()

    @property
    def sent(self) -> list[list[BaseMessage]]:
        """The messages of every call, in order."""
        return [call.messages for call in self.history]

    def _reply(self, messages: list[BaseMessage], options: dict[str, Any], streamed: bool) -> str:
        if self.gate is not None:
            self.gate.wait(60)
        with self._lock:  # the page answers several sessions at once
            self.history.append(Call(list(messages), dict(options), streamed))
            if self._queue:
                return self._queue.popleft()
        if self.echo:
            last = next((m for m in reversed(messages) if m.type == "human"), None)
            return "echo:" + (str(last.content) if last else "")
        return self.default

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.error is not None:
            self.history.append(Call(list(messages), dict(kwargs), False))
            raise self.error
        text = self._reply(messages, kwargs, streamed=False)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if self.error is not None:
            self.history.append(Call(list(messages), dict(kwargs), True))
            for word in self.partial.split():
                yield ChatGenerationChunk(message=AIMessageChunk(content=word + " "))
            raise self.error
        text = self._reply(messages, kwargs, streamed=True)
        size = max(1, -(-len(text) // max(1, self.pieces)))
        for start in range(0, len(text), size):
            if self.delay:
                time.sleep(self.delay)
            piece = text[start : start + size]
            if run_manager:
                run_manager.on_llm_new_token(piece)
            yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
