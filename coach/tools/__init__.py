"""The coaching tools. Each tool module: a pydantic request, code for everything that must be right,
the model only for wording, its prompts in prompts/, and a `ToolOutput` the page, chat and CLI all show."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from langchain_core.messages import HumanMessage, SystemMessage

from coach.llm.prompts import fence_passages, new_fence_id, render

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from coach.guidance.retrieval import Hit, Retriever

log = logging.getLogger(__name__)


@dataclass
class ToolOutput:
    """What every tool returns: Markdown to show, JSON-able data, the guidance used, files to download."""

    markdown: str
    data: dict[str, Any]
    hits: list[Hit] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)  # file name -> text content

    def as_json(self) -> dict[str, Any]:
        sources = [{"source": h.source, "section": h.section} for h in self.hits]
        return {**self.data, "sources": sources}


def guidance(retriever: Retriever, query: str, k: int = 3) -> list[Hit]:
    """The passages a tool rests on (deduplicated by section, best first)."""
    seen: set[str] = set()
    hits = []
    for hit in retriever.search(query, k=k + 2):
        if hit.label not in seen:
            seen.add(hit.label)
            hits.append(hit)
    return hits[:k]


def wording_or_empty(model: BaseChatModel, prompt_name: str, hits: list[Hit], **values: Any) -> str:
    """write_with_model, or "" when the model fails: for tools whose template stands in for the wording."""
    try:
        return write_with_model(model, prompt_name, hits, **values)
    except Exception as exc:
        log.warning("%s: the model failed (%s); using the template", prompt_name, type(exc).__name__)
        return ""


def write_with_model(model: BaseChatModel, prompt_name: str, hits: list[Hit], **values: Any) -> str:
    """Render prompts/<prompt_name>.md as the system prompt (with fenced guidance) and return the model's text.

    The prompt file must use {fence_id} and {reference}; `values` fill its other variables. The
    user turn is prompts/<prompt_name>_user.md when it exists, else a short instruction.
    """
    fence_id = new_fence_id()
    system = render(prompt_name, fence_id=fence_id, reference=fence_passages(hits, fence_id), **values)
    try:
        user = render(f"{prompt_name}_user", **values)
    except FileNotFoundError:
        user = "Write it now."
    reply = model.invoke([SystemMessage(system), HumanMessage(user)])
    return str(reply.content).strip()
