"""The agenda's files: its Markdown page, and a calendar event (.ics) whose description is the agenda as text."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

if TYPE_CHECKING:
    from coach.guidance.retrieval import Hit
    from coach.tools.agenda import AgendaRequest, Slot


def agenda_text(request: AgendaRequest, slots: list[Slot]) -> str:
    """The agenda as plain text, for the calendar event's description."""
    lines = [f"Mentoring meeting with {request.mentor_name} ({request.minutes} min)"]
    if request.goals:
        lines.append(f"Goals: {request.goals}")
    for slot in slots:
        lines.append(f"{slot.start:%H:%M}–{slot.end:%H:%M} {slot.title} ({slot.minutes} min)")
        lines += [f"  - {item}" for item in slot.items]
    return "\n".join(lines)


def meeting_ics(request: AgendaRequest, slots: list[Slot], now: datetime) -> str:
    """One VEVENT: a stable UID per mentor and start time, so re-exporting updates the same event."""
    calendar = Calendar()
    calendar.add("prodid", "-//Mentor Coach//Meeting agenda//EN")
    calendar.add("version", "2.0")
    event = Event()
    key = f"mentor-coach:{request.mentor_name}:{request.start.isoformat()}"
    event.add("uid", f"{uuid.uuid5(uuid.NAMESPACE_URL, key)}@mentor-coach")
    event.add("dtstamp", now.astimezone(UTC) if now.tzinfo else now.replace(tzinfo=UTC))
    start = request.start
    if start.tzinfo is not None and not isinstance(start.tzinfo, ZoneInfo):
        start = start.astimezone(UTC)  # a bare offset has no VTIMEZONE to name; UTC is exact everywhere
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=request.minutes))
    event.add("summary", f"Mentoring meeting with {request.mentor_name}")
    event.add("description", agenda_text(request, slots))
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")


def agenda_markdown(request: AgendaRequest, data: dict[str, Any], hits: list[Hit]) -> str:
    end = request.start + timedelta(minutes=request.minutes)
    lines = [f"# Mentoring meeting with {request.mentor_name}", "",
             f"{request.start:%A %d %B %Y}, {request.start:%H:%M}–{end:%H:%M} ({request.minutes} minutes)"]  # fmt: skip
    lines += [f"\n> ⚠️ {w}" for w in data["warnings"]]
    if request.goals:
        lines += ["", f"**Goals of the mentorship:** {request.goals}"]
    lines += ["", "## Agenda", "", "| Time | Minutes | Slot | Items |", "| --- | ---: | --- | --- |"]
    for s in data["slots"]:
        items = "<br>".join(i.replace("|", "\\|") for i in s["items"])
        lines.append(f"| {s['start']}–{s['end']} | {s['minutes']} | {s['title']} | {items} |")
    lines += ["", "## Preparation checklist", "", *[f"- [ ] {p}" for p in data["preparation"]]]
    lines += [
        "",
        "## Follow-up note (send within a day)",
        "",
        *[f"> {x}" if x else ">" for x in data["note"].split("\n")],
    ]
    if hits:
        lines += ["", "## Guidance used", "", *[f"- {h.label}" for h in hits]]
    return "\n".join(lines) + "\n"
