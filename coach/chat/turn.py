"""One chat turn: a grounded answer, a coaching tool reached from the chat, or a rehearsal turn.

State lives in the conversation itself (message titles), so any app process can answer any turn.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from coach.chat.answer import Exchange
from coach.chat.guided import CutOff, answers, grounded
from coach.chat.router import Intent, route
from coach.errors import InputError, describe_failure, validation_summary
from coach.journal.journal import LOCAL_USER
from coach.tools import ToolOutput
from coach.tools.agenda import AgendaRequest, build_agenda
from coach.tools.conversation import ConversationRequest, Scenario, plan_conversation
from coach.tools.draft_ask import AskRequest, draft_ask
from coach.tools.rehearsal import Persona, feedback, mentor_reply
from coach.tools.when import next_hour, parse_start

if TYPE_CHECKING:
    from coach.guidance.retrieval import Hit
    from coach.service import Coach

SOURCES = "📚 Sources"
PROBLEM = "⚠️ Problem"
STARTING = "⏳ Starting up"  # shown while the page waits for the coach to start, then replaced by the reply
REHEARSAL = "🎭 "
END_REHEARSAL = re.compile(r"^\s*(end|stop|finish|done|feedback|end rehearsal|give me feedback)\b[\s.!]*$", re.I)


@dataclass
class Reply:
    """A message for the chat; a titled one is shown folded under its title and is not sent to the model."""

    content: str
    title: str | None = None
    files: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class FormField:
    key: str
    label: str
    required: bool = True
    many: bool = False  # a list, written as items separated by ';'


@dataclass(frozen=True)
class ToolForm:
    title: str
    intro: str
    fields: tuple[FormField, ...]


FORMS: dict[Intent, ToolForm] = {
    Intent.DRAFT_ASK: ToolForm(
        "🧭 Draft an ask",
        "I can draft that message. Reply with these lines filled in (or use the **Draft an ask** tab):",
        (
            FormField("mentor_name", "Name"),
            FormField("mentor_role", "Role"),
            FormField("admiration", "What I admire"),
            FormField("goal", "What I want to learn"),
            FormField("channel", "Channel (email or linkedin)", required=False),
            FormField("minutes", "Minutes to ask for", required=False),
        ),
    ),
    Intent.AGENDA: ToolForm(
        "🧭 Meeting agenda",
        "I can build a time-boxed agenda. Reply with these lines filled in (or use the **Agenda** tab):",
        (
            FormField("mentor_name", "Mentor"),
            FormField("minutes", "Minutes"),
            FormField("start", "Start (date and time, e.g. 2026-12-03 14.30)", required=False),
            FormField("action_items", "Open action items", required=False, many=True),
            FormField("questions", "Questions", required=False, many=True),
            FormField("topics", "Main topic", required=False, many=True),
        ),
    ),
    Intent.CONVERSATION: ToolForm(
        "🧭 Difficult conversation",
        "I can plan that conversation. Reply with these lines filled in (or use the **Difficult conversation** tab). "
        "Scenario is one of: " + ", ".join(s.value for s in Scenario) + ".",
        (
            FormField("scenario", "Scenario"),
            FormField("mentor_name", "Mentor"),
            FormField("context", "Context", required=False),
        ),
    ),
}


def _form_text(form: ToolForm, details: dict[str, Any]) -> str:
    lines = [form.intro, ""]
    for f in form.fields:
        value = details.get(f.key, "")
        value = "; ".join(value) if isinstance(value, list) else value
        lines.append(f"{f.label}: {value}" + ("" if f.required else "  (optional)"))
    return "\n".join(lines)


def read_form(form: ToolForm, text: str) -> dict[str, Any]:
    """Values from 'Label: value' lines (labels matched loosely, case and extra words ignored)."""
    values: dict[str, Any] = {}
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        if not sep or not value.strip():
            continue
        wanted = label.strip().lower()
        for f in form.fields:
            if f.label.lower().startswith(wanted) or wanted.startswith(f.label.split(" (")[0].lower()):
                value = value.replace("(optional)", "").strip()
                if value:
                    values[f.key] = [v.strip() for v in value.split(";") if v.strip()] if f.many else value
                break
    return values


def _missing(form: ToolForm, details: dict[str, Any]) -> list[FormField]:
    return [f for f in form.fields if f.required and details.get(f.key) in (None, "", [])]  # 0 is a value


def read_start(value: object) -> datetime:
    """A meeting start typed in the chat; the next hour when none was given."""
    return parse_start(value) if value else next_hour()


def run_tool(coach: Coach, intent: Intent, details: dict[str, Any]) -> ToolOutput:
    """Run one tool from chat details; raises InputError (from pydantic's messages) on bad values."""
    model, retriever = coach.answerer.model, coach.retriever
    details = dict(details)  # the form shown after an error keeps every value the user gave
    try:
        if intent is Intent.DRAFT_ASK:
            return draft_ask(AskRequest(**details), model, retriever)
        if intent is Intent.AGENDA:
            start = read_start(details.pop("start", None))
            return build_agenda(AgendaRequest(start=start, **details), model, retriever)
        if intent is Intent.CONVERSATION:
            return plan_conversation(ConversationRequest(**details), model, retriever)
    except ValidationError as exc:
        raise InputError(validation_message(exc)) from exc
    raise InputError(f"No tool for {intent}.")


def validation_message(exc: ValidationError) -> str:
    """Pydantic's errors as one readable line per field."""
    return "Please fix: " + validation_summary(exc, limit=20, what="input")


def sources_reply(hits: Sequence[Hit]) -> Reply:
    lines = [
        f"{n}. **{h.label}** — {h.excerpt()}" + "".join(f"\n   - Source: {c}" for c in h.references.splitlines())
        for n, h in enumerate(hits, 1)
    ]
    body = "\n".join(lines) if lines else "No guidance passage matched this question."
    return Reply(body, title=f"{SOURCES} ({len(hits)})")


def _tool_replies(output: ToolOutput) -> list[Reply]:
    return [Reply(output.markdown, files=output.files), sources_reply(output.hits)]


def _last_title(history: Sequence[Exchange]) -> str:
    """The title of the last assistant message that carries state (a problem or start-up notice does not)."""
    for exchange in reversed(history):
        if exchange.role == "assistant" and exchange.title not in (PROBLEM, STARTING):
            return exchange.title or ""
    return ""


def _last_form_values(form: ToolForm, history: Sequence[Exchange]) -> dict[str, Any]:
    """What the pending form already held (prefilled details), so answering it keeps them."""
    for exchange in reversed(history):
        if exchange.role == "assistant" and exchange.title == form.title:
            return read_form(form, exchange.content)
    return {}


def _rehearsal_transcript(history: Sequence[Exchange]) -> list[dict[str, str]]:
    """The turns since the rehearsal began: mentor turns carry the 🎭 title."""
    start = max(
        (i for i, e in enumerate(history) if e.title and e.title.startswith(REHEARSAL + "Rehearsal")),
        default=len(history),
    )
    turns = []
    for exchange in history[start + 1 :]:
        if exchange.role == "user":
            turns.append({"role": "user", "content": exchange.content})
        elif exchange.title and exchange.title.startswith(REHEARSAL):
            turns.append({"role": "mentor", "content": exchange.content})
    return turns


def _persona_of(title: str) -> Persona:
    label = title.removeprefix(REHEARSAL).strip()
    return next((p for p in Persona if p.label == label), Persona.busy_executive)


def reply(coach: Coach, message: str, history: Sequence[Exchange], user: str = LOCAL_USER) -> Iterator[list[Reply]]:
    """The replies to one chat message, streamed; every failure becomes a kept, visible message."""
    try:
        yield from _reply(coach, message, history, user)
    except Exception as exc:
        yield [Reply(f"⚠️ {describe_failure(exc)}", title=PROBLEM)]


def _reply(coach: Coach, message: str, history: Sequence[Exchange], user: str) -> Iterator[list[Reply]]:
    last = _last_title(history)
    if last.startswith(REHEARSAL):
        yield _rehearsal_turn(coach, message, history, _persona_of(last))
        return
    pending = next((i for i, form in FORMS.items() if form.title == last), None)
    if pending is not None and ":" in message:
        form = FORMS[pending]
        yield _tool_turn(coach, pending, {**_last_form_values(form, history), **read_form(form, message)}, user)
        return
    found = route(message)
    if found.intent is Intent.REHEARSE:
        persona = Persona(found.details["persona"])
        intro = (
            f"Rehearsal started: I'll play a **{persona.label}**. Speak as you would to them. "
            "Type **end** when you want your feedback."
        )
        yield [
            Reply(intro, title=f"{REHEARSAL}Rehearsal"),
            Reply(mentor_reply(persona, [], coach.answerer.model), title=f"{REHEARSAL}{persona.label}"),
        ]
        return
    if found.intent in FORMS:
        yield _tool_turn(coach, found.intent, found.details, user)
        return
    yield from _answer(coach, message, history, user)


def from_journal(coach: Coach, user: str, intent: Intent, details: dict[str, Any]) -> dict[str, Any]:
    """Fill what the user left out from the journal: a known mentor's role, open items and last notes."""
    name = str(details.get("mentor_name") or "").strip().lower()
    if not name:
        return details
    mentor = next((m for m in coach.journal.list_mentors(user) if m.name.lower() == name), None)
    if mentor is None:
        return details
    filled = dict(details)
    if intent is Intent.DRAFT_ASK and mentor.role:
        filled.setdefault("mentor_role", mentor.role)
    if intent is Intent.AGENDA:
        if not filled.get("action_items"):
            filled["action_items"] = [i.text for i in coach.journal.open_action_items(user, mentor.id)]
        last = coach.journal.last_meeting(user, mentor.id)
        if last and last.notes and not filled.get("progress"):
            filled["progress"] = f"Last meeting: {last.notes}"[:1200]
    if intent is Intent.CONVERSATION and mentor.notes and not filled.get("context"):
        filled["context"] = mentor.notes[:1500]
    return filled


def _tool_turn(coach: Coach, intent: Intent, details: dict[str, Any], user: str) -> list[Reply]:
    form = FORMS[intent]
    details = from_journal(coach, user, intent, details)
    if _missing(form, details):
        return [Reply(_form_text(form, details), title=form.title)]
    try:
        return _tool_replies(run_tool(coach, intent, details))
    except InputError as exc:
        return [Reply(f"{exc}\n\n{_form_text(form, details)}", title=form.title)]


def _rehearsal_turn(coach: Coach, message: str, history: Sequence[Exchange], persona: Persona) -> list[Reply]:
    transcript = _rehearsal_transcript(history)
    if END_REHEARSAL.match(message):
        if not any(t["role"] == "user" for t in transcript):
            return [Reply("The rehearsal ended before you said anything, so there is nothing to score yet.")]
        return _tool_replies(feedback(transcript, persona, coach.answerer.model, coach.retriever))
    transcript.append({"role": "user", "content": message})
    return [Reply(mentor_reply(persona, transcript, coach.answerer.model), title=f"{REHEARSAL}{persona.label}")]


def _answer(coach: Coach, message: str, history: Sequence[Exchange], user: str) -> Iterator[list[Reply]]:
    """Code's answer from the guidance at once; a stronger model's checked answer replaces it (chat/guided.py)."""
    plain = [e for e in history if not e.title]
    prompt = grounded(coach, message, plain, owner=user)
    sources = sources_reply(prompt.hits)
    text = ""
    try:
        for text in answers(coach, prompt):
            yield [Reply(text), sources]
    except Exception as exc:
        cut_off = isinstance(exc, CutOff) and exc.__cause__ is not None
        problem = Reply(f"⚠️ {describe_failure(exc.__cause__ if cut_off else exc, cut_off=cut_off)}", title=PROBLEM)
        yield [Reply(text), sources, problem] if text else [problem]
