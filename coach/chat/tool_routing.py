"""Routing by tool calls, for models that make them (OpenAI-compatible): the tools' own pydantic requests are bound
with langchain-core's `bind_tools`, and the model picks one, or none for a question. Any failure returns None, so
the caller falls back to the classifier."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from coach.chat.router import Intent
from coach.llm.capabilities import capabilities_of
from coach.tools.agenda import AgendaRequest
from coach.tools.ask_request import AskRequest
from coach.tools.conversation import ConversationRequest

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

log = logging.getLogger(__name__)


class RehearseRequest(BaseModel):
    """Practise a conversation: the coach plays the mentor, then scores the user's words."""

    persona: str = Field("busy_executive", description="busy_executive, sceptical_senior, warm_but_vague, …")


class LogMeetingRequest(BaseModel):
    """Record a mentoring meeting that happened, from the user's notes."""

    mentor_name: str = Field("", description="Who the meeting was with.")


class OverdueRequest(BaseModel):
    """List the user's action items that are past their due date."""


class MarkDoneRequest(BaseModel):
    """Mark one of the user's action items as done."""

    item: str = Field(description="The item's words, as the user said them.")


TOOLS: dict[Intent, type[BaseModel]] = {
    Intent.DRAFT_ASK: AskRequest,
    Intent.AGENDA: AgendaRequest,
    Intent.CONVERSATION: ConversationRequest,
    Intent.REHEARSE: RehearseRequest,
    Intent.JOURNAL_LOG: LogMeetingRequest,
    Intent.JOURNAL_OVERDUE: OverdueRequest,
    Intent.JOURNAL_DONE: MarkDoneRequest,
}
SYSTEM = (
    "You route a mentee's message in a mentoring coach. Call the one tool the message asks for, with only the "
    "details the message gives. A question about mentoring (how, why, what should I do) is not a tool request: "
    "answer it with no tool call."
)


def tool_schemas() -> list[dict[str, Any]]:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    tools = []
    for intent, request in TOOLS.items():
        tool = convert_to_openai_tool(request)
        tool["function"]["name"] = intent.value
        tools.append(tool)
    return tools


def route_by_tool_call(model: BaseChatModel, message: str) -> tuple[Intent, dict[str, Any]] | None:
    """(intent, details from the call's arguments), (ASK, {}) for no call, or None when the model cannot call tools
    or the call failed."""
    if not capabilities_of(model).tool_calls:
        return None
    try:
        reply = model.bind_tools(tool_schemas()).invoke([SystemMessage(SYSTEM), HumanMessage(message)])
    except Exception as exc:
        log.warning("routing by tool call failed (%s); using the classifier", type(exc).__name__)
        return None
    calls = getattr(reply, "tool_calls", None) or []
    if not calls:
        return Intent.ASK, {}
    try:
        intent = Intent(calls[0]["name"])
    except ValueError:
        return None
    args = {k: v for k, v in (calls[0].get("args") or {}).items() if v not in (None, "", [])}
    return intent, args
