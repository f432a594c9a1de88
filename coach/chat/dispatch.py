"""Run a coaching tool from chat details: a form for what is missing, else the tool's result."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from coach.chat.forms import FORMS, asked, choices_of, form_text, missing
from coach.chat.prefill import from_journal
from coach.chat.replies import Reply, tool_replies, validation_message
from coach.chat.router import Intent
from coach.errors import InputError
from coach.tools import ToolOutput
from coach.tools.agenda import AgendaRequest, build_agenda
from coach.tools.ask_request import AskRequest
from coach.tools.conversation import ConversationRequest, plan_conversation
from coach.tools.draft_ask import draft_ask
from coach.tools.when import DATE_WORDS, parse_start, read_when

if TYPE_CHECKING:
    from coach.service import Coach

DONE = " ✓"  # a form's title plus this marks the tool's result, which a follow-up may edit


def result_title(intent: Intent) -> str:
    return FORMS[intent].title + DONE


def run_tool(coach: Coach, intent: Intent, details: dict[str, Any], zone: tzinfo | None = None) -> ToolOutput:
    """Run one tool; raises InputError (from pydantic's messages) on bad values."""
    model, retriever = coach.answerer.model, coach.retriever
    details = dict(details)  # the form shown after an error keeps every value the user gave
    try:
        if intent is Intent.DRAFT_ASK:
            return draft_ask(AskRequest(**details), model, retriever)
        if intent is Intent.AGENDA:
            start = parse_start(details.pop("start"), zone)
            details.pop("day", None)
            return build_agenda(AgendaRequest(start=start, **details), model, retriever)
        if intent is Intent.CONVERSATION:
            return plan_conversation(ConversationRequest(**details), model, retriever)
    except ValidationError as exc:
        raise InputError(validation_message(exc)) from exc
    raise InputError(f"No tool for {intent}.")


REQUESTS: dict[Intent, type[BaseModel]] = {
    Intent.DRAFT_ASK: AskRequest,
    Intent.AGENDA: AgendaRequest,
    Intent.CONVERSATION: ConversationRequest,
}


def check_given(intent: Intent, details: dict[str, Any]) -> None:
    """Each value given so far, checked on its own by the tool's request model, so a bad one ('Minutes: 1000') is
    explained at once rather than after everything else has been asked. Raises InputError."""
    request = REQUESTS[intent]
    for key, value in details.items():
        if key not in request.model_fields or key == "start":  # the start is read (and asked for) by settle_start
            continue
        try:
            request.__pydantic_validator__.validate_assignment(request.model_construct(), key, value)
        except ValidationError as exc:
            raise InputError(validation_message(exc)) from exc


def form_reply(intent: Intent, details: dict[str, Any], note: str = "") -> Reply:
    form = FORMS[intent]
    return Reply(form_text(form, details, note), title=form.title, open=True, options=choices_of(form, details))


def settle_start(details: dict[str, Any], zone: tzinfo | None) -> tuple[dict[str, Any], str]:
    """The start as a datetime; a day without an hour is kept as `day` and the hour asked for (never invented)."""
    start, day = details.get("start"), details.get("day")
    if not start or isinstance(start, datetime):
        return details, ""
    text = str(start)
    if day and not DATE_WORDS.search(text):
        text = f"{day} {text}"
    try:
        return {**details, "start": parse_start(text, zone)}, ""
    except InputError as exc:
        when = read_when(text, zone)
        if when.day is None:
            raise
        rest = {k: v for k, v in details.items() if k != "start"}
        return {**rest, "day": when.day.isoformat()}, str(exc)


def tool_turn(coach: Coach, intent: Intent, details: dict[str, Any], user: str, zone: tzinfo | None) -> list[Reply]:
    details = from_journal(coach, user, intent, details)
    note = ""
    try:
        if intent is Intent.AGENDA:
            details, note = settle_start(details, zone)
        check_given(intent, details)
        if missing(FORMS[intent], details):
            return [form_reply(intent, details, note)]
        return tool_replies(run_tool(coach, intent, details, zone), title=result_title(intent))
    except InputError as exc:
        return [form_reply(intent, details, note=str(exc))]


def pending_fields(intent: Intent, details: dict[str, Any]) -> list:
    return asked(FORMS[intent], details)
