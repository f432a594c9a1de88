"""One chat turn: a rehearsal turn, an answer to a pending form, a follow-up edit of the last result, a journal
request, a coaching tool, or a grounded answer with tools offered under it when the intent is unsure.

State lives in the conversation itself (message titles), so any app process can answer any turn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING

from coach.chat.answer import Exchange
from coach.chat.dispatch import DONE, tool_turn
from coach.chat.followup import apply, changes_in, last_request
from coach.chat.forms import FORMS, asked_in, read_form
from coach.chat.guided import CutOff, answers, grounded
from coach.chat.journal_chat import LOG_TITLE, SAVE_TITLE, debrief_turn, journal_turn, save_turn
from coach.chat.rehearsal_state import REHEARSAL, persona_of, rehearsal_turn, start_rehearsal
from coach.chat.replies import PROBLEM, SOURCES, STARTING, Reply, sources_reply, validation_message
from coach.chat.router import Intent
from coach.chat.understand import SUGGESTIONS, Understood, understand
from coach.errors import describe_failure
from coach.journal.journal import LOCAL_USER
from coach.tools.rehearsal import Persona

if TYPE_CHECKING:
    from coach.service import Coach

__all__ = ["PROBLEM", "SOURCES", "STARTING", "Reply", "reply", "sources_reply", "validation_message"]
JOURNAL = (Intent.JOURNAL_LOG, Intent.JOURNAL_OVERDUE, Intent.JOURNAL_DONE)


def _last_title(history: Sequence[Exchange]) -> str:
    """The title of the last assistant message that carries state (a problem or start-up notice does not)."""
    for exchange in reversed(history):
        if exchange.role == "assistant" and exchange.title not in (PROBLEM, STARTING):
            if (exchange.title or "").startswith(SOURCES):
                continue
            return exchange.title or ""
    return ""


def reply(
    coach: Coach,
    message: str,
    history: Sequence[Exchange],
    user: str = LOCAL_USER,
    zone: tzinfo | None = None,
    understood: Understood | None = None,
) -> Iterator[list[Reply]]:
    """The replies to one chat message, streamed; every failure becomes a kept, visible message. `understood` is
    what the caller already made of a new message (so it is not routed twice)."""
    try:
        yield from _reply(coach, message, history, user, zone, understood)
    except Exception as exc:
        yield [Reply(f"⚠️ {describe_failure(exc)}", title=PROBLEM)]


def continued(coach: Coach, message: str, history: Sequence[Exchange], user: str, zone: tzinfo | None) -> list | None:
    """The turn when the message continues what the last message started; None when it starts something new."""
    last = _last_title(history)
    if last.startswith(REHEARSAL):
        persona = persona_of(last)
        wanted = changes_in_persona(message)
        if wanted and wanted is not persona:
            return start_rehearsal(coach, wanted)
        return rehearsal_turn(coach, message, history, persona)
    if last == LOG_TITLE and len(message) > 20:
        return debrief_turn(coach, message, history)
    if last == SAVE_TITLE and (saved := save_turn(coach, message, history, user, zone)) is not None:
        return saved
    for intent, form in FORMS.items():
        if last == form.title:
            before = last_request(history, intent)
            shown = next(e.content for e in reversed(history) if e.role == "assistant" and e.title == last)
            answered = read_form(form, message, asked_in(form, shown))
            if answered:
                return tool_turn(coach, intent, {**before, **answered}, user, zone)
        if last == form.title + DONE and (changes := changes_in(message, intent)):
            return tool_turn(coach, intent, apply(last_request(history, intent), changes), user, zone)
    return None


def changes_in_persona(message: str) -> Persona | None:
    from coach.chat.router import PERSONA_WORDS, _first

    if len(message) > 80 or not re.search(r"\b(persona|instead|switch|use|play)\b", message, re.I):
        return None
    found = _first(PERSONA_WORDS, message)
    return Persona(found) if found else None


def _reply(
    coach: Coach, message: str, history: Sequence[Exchange], user: str, zone: tzinfo | None, found: Understood | None
) -> Iterator[list[Reply]]:
    if (replies := continued(coach, message, history, user, zone)) is not None:
        yield replies
        return
    found = found or understand(coach, message)
    if found.by == "suggestion":
        found.details = _asked_before(history, found.intent)
    yield from _act(coach, message, history, user, zone, found)


def _asked_before(history: Sequence[Exchange], intent: Intent) -> dict:
    """The details in the question a suggestion was offered under."""
    from coach.chat.router import details_in

    said = next((e.content for e in reversed(history) if e.role == "user"), "")
    return details_in(said, intent)


def _act(
    coach: Coach, message: str, history: Sequence[Exchange], user: str, zone: tzinfo | None, found: Understood
) -> Iterator[list[Reply]]:
    if found.intent is Intent.REHEARSE:
        yield start_rehearsal(coach, Persona(found.details.get("persona") or Persona.busy_executive))
    elif found.intent in JOURNAL:
        yield journal_turn(coach, found.intent, message, found.details, user)
    elif found.intent in FORMS:
        yield tool_turn(coach, found.intent, found.details, user, zone)
    else:
        offers = [(SUGGESTIONS[i], SUGGESTIONS[i]) for i in found.offers]
        yield from _answer(coach, message, history, user, offers)


def _answer(
    coach: Coach, message: str, history: Sequence[Exchange], user: str, offers: list[tuple[str, str]]
) -> Iterator[list[Reply]]:
    """Code's answer from the guidance at once; a stronger model's checked answer replaces it (chat/guided.py). The
    final answer carries the tools `offers` names, and its sources; a question the guidance does not cover gets
    neither."""
    plain = [e for e in history if not e.title]
    prompt = grounded(coach, message, plain, owner=user)
    sources, offers = ([], []) if prompt.out_of_scope else ([sources_reply(prompt.hits)], offers)
    text = ""
    try:
        for text in answers(coach, prompt):
            yield [Reply(text), *sources]
        if offers:
            yield [Reply(text, options=offers), *sources]
    except Exception as exc:
        cut_off = isinstance(exc, CutOff) and exc.__cause__ is not None
        problem = Reply(f"⚠️ {describe_failure(exc.__cause__ if cut_off else exc, cut_off=cut_off)}", title=PROBLEM)
        yield [Reply(text), *sources, problem] if text else [problem]
