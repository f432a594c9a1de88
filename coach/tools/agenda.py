"""A time-boxed agenda for a mentoring meeting: slot lengths, clock times, checklist and calendar file are
computed by code; the model only words the follow-up note, and a template stands in when it fails."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coach.tools import ToolOutput, guidance, wording_or_empty
from coach.tools.agenda_files import agenda_markdown, meeting_ics

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from coach.guidance.retrieval import Hit, Retriever

MIN_MINUTES, MAX_MINUTES = 15, 240
MAX_ITEMS = 30
SLOT_KEYS = ("check_in", "progress", "main", "questions", "next_steps")
TITLES = {
    "check_in": "Check-in",
    "progress": "Progress on action items",
    "main": "Main topic",
    "questions": "Questions",
    "next_steps": "Next steps & new action items",
}
QUERY = "mentoring meeting agenda structure, prep checklist before a session, follow-up note after the meeting"


class AgendaRequest(BaseModel):
    """The meeting to plan and what the mentee brings to it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    minutes: int = Field(description=f"Meeting length in minutes ({MIN_MINUTES}–{MAX_MINUTES}).")
    start: datetime = Field(description="When the meeting starts; a past date is allowed but flagged.")
    mentor_name: str = Field(max_length=80, description="Who you are meeting, e.g. 'Priya Raman'.")
    goals: str = Field("", max_length=600, description="What the mentoring relationship is for, in a sentence.")
    progress: str = Field("", max_length=1200, description="What you did since last time and what happened.")
    action_items: list[str] = Field(default_factory=list, description="Action items still open from last time.")
    questions: list[str] = Field(default_factory=list, description="Smaller questions, most important first.")
    topics: list[str] = Field(default_factory=list, description="Main topic(s); one is best for short meetings.")

    @field_validator("minutes")
    @classmethod
    def _length(cls, value: int) -> int:
        if not MIN_MINUTES <= value <= MAX_MINUTES:
            advice = "even a quick check-in needs 15" if value < MIN_MINUTES else "split it into two meetings"
            raise ValueError(
                f"Meeting length must be between {MIN_MINUTES} and {MAX_MINUTES} minutes (got {value}): {advice}."
            )
        return value

    @field_validator("mentor_name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value:
            raise ValueError("mentor name is required: who are you meeting?")
        return value

    @field_validator("action_items", "questions", "topics")
    @classmethod
    def _items(cls, values: list[str]) -> list[str]:
        items = [v.strip() for v in values if v and v.strip()]
        if len(items) > MAX_ITEMS:
            raise ValueError(f"{len(items)} items is more than one meeting can cover; list at most {MAX_ITEMS}.")
        if any(len(v) > 300 for v in items):
            raise ValueError("Keep each item under 300 characters: one line you can read out in the meeting.")
        return items


@dataclass(frozen=True)
class Slot:
    key: str
    title: str
    minutes: int
    start: datetime
    end: datetime
    items: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "minutes": self.minutes, "items": list(self.items),
                "start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M")}  # fmt: skip


# ---- slot lengths --------------------------------------------------------------------------------------------


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Whole minutes in proportion to `weights`, summing exactly to `total` (largest-remainder rounding); a slot
    rounded down to 0 takes a minute from the largest, so every slot gets at least 1."""
    if not weights or total < len(weights) or min(weights) <= 0:
        raise ValueError("allocate needs positive weights and at least one minute per slot")
    quotas = [total * w / sum(weights) for w in weights]
    shares = [int(q) for q in quotas]
    by_remainder = sorted(range(len(quotas)), key=lambda i: (shares[i] - quotas[i], i))
    for i in by_remainder[: total - sum(shares)]:
        shares[i] += 1
    for i, share in enumerate(shares):
        if share == 0:
            largest = max(range(len(shares)), key=shares.__getitem__)
            shares[largest], shares[i] = shares[largest] - 1, 1
    return shares


def slot_minutes(
    minutes: int, *, action_items: int = 0, questions: int = 0, progress: bool = False
) -> list[tuple[str, int]]:
    """(slot, minutes) for a meeting: empty slots dropped, many items share their slot, the sum is exact.

    The shape follows the guidance (check-in 5, progress 10, main 20–30, questions 5–10, next steps 5 for an
    hour): check-in and next steps ~10% each within bounds; progress and questions grow with their item counts
    up to 30% of the rest each (and about 5 minutes an item), and the main topic keeps the remainder.
    """
    check_in, next_steps = min(5.0, max(2.0, 0.1 * minutes)), min(10.0, max(2.0, 0.09 * minutes))
    rest = minutes - check_in - next_steps
    wanted = {"check_in": check_in, "next_steps": next_steps}
    if action_items or progress:
        wanted["progress"] = min(rest * min(0.3, 0.12 + 0.04 * max(action_items, 1)), 5 + 5 * action_items)
    if questions:
        wanted["questions"] = min(rest * min(0.3, 0.12 + 0.04 * questions), 2 + 5 * questions)
    wanted["main"] = rest - wanted.get("progress", 0) - wanted.get("questions", 0)
    keys = [k for k in SLOT_KEYS if k in wanted]
    return list(zip(keys, allocate(minutes, [wanted[k] for k in keys]), strict=True))


def _items(request: AgendaRequest, key: str) -> tuple[str, ...]:
    first = request.mentor_name.split()[0]
    if key == "check_in":
        return ("Quick catch-up: how things are going generally",)
    if key == "progress":
        update = [f"Update: {request.progress}"] if request.progress else []
        return (*update, *request.action_items)
    if key == "main":
        return tuple(request.topics) or ("Your one main question (choose it before the meeting)",)
    if key == "questions":
        return tuple(request.questions)
    return ("Summarise the main advice in one or two sentences", "Agree new action items and by when",
            "Confirm the date of the next meeting", f"Thank {first} for their time")  # fmt: skip


def plan_slots(request: AgendaRequest) -> list[Slot]:
    """The agenda's slots with contiguous clock times, from request.start to start + minutes."""
    planned = slot_minutes(
        request.minutes,
        action_items=len(request.action_items),
        questions=len(request.questions),
        progress=bool(request.progress),
    )
    slots, at = [], request.start
    for key, length in planned:
        title = "Main topics" if key == "main" and len(request.topics) > 1 else TITLES[key]
        end = at + timedelta(minutes=length)
        slots.append(Slot(key, title, length, at, end, _items(request, key)))
        at = end
    return slots


# ---- checks, preparation and the follow-up note --------------------------------------------------------------


def warnings_for(request: AgendaRequest, slots: list[Slot], now: datetime) -> list[str]:
    """Things worth a second look; none of them stops the agenda being made."""
    notes = []
    if request.start.tzinfo is None and now.tzinfo is not None:
        now = now.astimezone().replace(tzinfo=None)  # a naive start is local time
    elif request.start.tzinfo is not None and now.tzinfo is None:
        now = now.astimezone()
    if request.start < now:
        notes.append(f"This meeting starts in the past ({request.start:%d %b %Y, %H:%M}): check the date.")
    if len(request.topics) > 1 and request.minutes <= 30:
        notes.append(
            f"A {request.minutes}-minute meeting has room for one main topic; you listed {len(request.topics)}."
        )
    for slot in slots:
        if slot.key in ("progress", "questions") and len(slot.items) > slot.minutes:
            notes.append(
                f"{len(slot.items)} items share {slot.minutes} minutes in '{slot.title}': order them by importance "
                "and expect to cover the first few (or send the rest by email)."
            )
    return notes


def preparation(request: AgendaRequest) -> list[str]:
    """The prep checklist from the guidance, made specific with what the mentee entered."""
    first, n_items, n_questions = request.mentor_name.split()[0], len(request.action_items), len(request.questions)
    items = ["Reread your notes from last time and your open action item." if n_items == 1
             else f"Reread your notes from last time and your {n_items} open action items."
             if n_items else "Reread your notes from the last session."]  # fmt: skip
    items.append(
        "Turn your progress notes into a two- or three-line update."
        if request.progress
        else "Write down what you did since last time and the results, including what did not work."
    )
    items.append(
        f"Frame the main topic as a specific question: “{request.topics[0]}”"
        if request.topics
        else "Choose one main topic and frame it as a specific question."
    )
    items.append(
        f"Put your {n_questions} questions in priority order."
        if n_questions > 1
        else "Decide what you most need to hear about your question, in case time runs short."
        if n_questions
        else "List two or three smaller questions in priority order."
    )
    items += [
        "Gather any material to share (a draft, a plan) and send it ahead.",
        f"Email {first} this agenda a day or two before, and confirm the time ({request.start:%a %d %b, %H:%M}) "
        "and the link or location.",
        "Think of something you could offer in return, such as an article or an update they would enjoy.",
    ]
    return items


def template_note(request: AgendaRequest) -> str:
    """The follow-up note without a model: every fact filled in, blanks in brackets for after the meeting."""
    first = request.mentor_name.split()[0]
    about = f" Talking through “{_joined(request.topics)}” really helped." if request.topics else ""
    return (
        f"Hi {first},\n\nThank you for your time on {request.start:%A %d %B}.{about} "
        "My main takeaway was [one or two sentences on the advice you found most useful].\n\n"
        "My next steps:\n- [action] by [date]\n- [action] by [date]\n\n"
        "I'll let you know how it goes when we next talk on [date of the next meeting].\n\nThanks again,\n[Your name]"
    )


def _joined(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def usable_note(text: str, request: AgendaRequest) -> bool:
    """A model's note is kept only when it greets this mentor, thanks them, invents no numbers (dates) and does
    not repeat itself; the bundled 135M model often loops on one sentence or echoes the guidance markers."""
    greeting = re.split(r"[,\n!:]", text.strip(), maxsplit=1)[0]
    sentences = [x.strip().lower() for x in re.split(r"(?<=[.!?])\s+", text) if x.strip()]
    facts = f"{request.start:%A %d %B %Y %H:%M} {request.model_dump_json()}"
    return (
        40 <= len(text) <= 1500
        and len(re.findall(r"[A-Za-z]{2,}", text)) >= 12
        and "thank" in text.lower()
        and request.mentor_name.split()[0].lower() in greeting.lower()
        and not set(re.findall(r"\d+", text)) - set(re.findall(r"\d+", facts))
        and len(set(sentences)) >= 0.8 * len(sentences)
        and "<<<" not in text
        and "REFERENCE" not in text
    )


def follow_up_note(request: AgendaRequest, model: BaseChatModel, hits: list[Hit]) -> tuple[str, str]:
    """(note, written_by): the model's wording when usable, else the template."""
    reply = wording_or_empty(
        model,
        "agenda_note",
        hits,
        mentor_name=request.mentor_name,
        meeting_date=f"{request.start:%A %d %B}",
        topics=_joined(request.topics) if request.topics else "(none listed)",
        action_items="; ".join(request.action_items) or "(none)",
        goals=request.goals or "(not stated)",
    )
    reply = reply.strip().strip("`").strip()
    return (reply, "model") if usable_note(reply, request) else (template_note(request), "template")


def build_agenda(
    request: AgendaRequest, model: BaseChatModel, retriever: Retriever, *, now: datetime | None = None
) -> ToolOutput:
    """The agenda, preparation checklist, follow-up note, agenda.md and meeting.ics for one meeting."""
    now = now or datetime.now(request.start.tzinfo)
    hits = guidance(retriever, QUERY)
    slots = plan_slots(request)
    note, written_by = follow_up_note(request, model, hits)
    data = {
        "mentor_name": request.mentor_name,
        "start": request.start.isoformat(),
        "end": (request.start + timedelta(minutes=request.minutes)).isoformat(),
        "minutes": request.minutes,
        "slots": [s.as_dict() for s in slots],
        "warnings": warnings_for(request, slots, now),
        "preparation": preparation(request),
        "note": note,
        "note_written_by": written_by,
    }
    markdown = agenda_markdown(request, data, hits)
    files = {"agenda.md": markdown, "meeting.ics": meeting_ics(request, slots, now)}
    return ToolOutput(markdown=markdown, data=data, hits=hits, files=files)
