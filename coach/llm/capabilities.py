"""What a chat model can do, asked of the model instead of checking its class in every caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import BaseMessage


@dataclass(frozen=True)
class Capabilities:
    """json_schema: sampling can be constrained to a JSON schema (llama.cpp grammars); tool_calls: it returns
    OpenAI tool calls; small: a tiny model, so replies are kept short and code's wording is preferred;
    exact_tokens: `get_num_tokens_from_messages` counts with the model's own tokenizer, offline; context_window and
    answer_tokens: the limits the model was set up with, where known."""

    json_schema: bool = False
    tool_calls: bool = False
    small: bool = False
    exact_tokens: bool = False
    context_window: int | None = None
    answer_tokens: int | None = None  # the longest answer the model is set up for (local: read from the GGUF)


DEFAULT = Capabilities()


def capabilities_of(model: BaseChatModel) -> Capabilities:
    """The model's declared capabilities; a model that declares none (fakes, plain langchain models) has none."""
    declared = getattr(model, "capabilities", None)
    return declared if isinstance(declared, Capabilities) else DEFAULT


def count_tokens(model: BaseChatModel, messages: list[BaseMessage]) -> int:
    """Exact where the model can count offline; otherwise langchain's approximation (ChatOpenAI's own counter
    would fetch tiktoken files from the network)."""
    if capabilities_of(model).exact_tokens:
        return model.get_num_tokens_from_messages(messages)
    from langchain_core.messages.utils import count_tokens_approximately

    return count_tokens_approximately(messages)


def small_reply(model: BaseChatModel, max_tokens: int) -> BaseChatModel:
    """`model` bound to a short reply when it is a small model (it rambles and repeats otherwise)."""
    return model.bind(max_tokens=max_tokens) if capabilities_of(model).small else model
