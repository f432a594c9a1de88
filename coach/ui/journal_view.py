"""The journal in words for the page: a mentor's card, their timeline, the reminders. Plain functions over the
journal's rows (no Gradio), so they are tested without a browser."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from coach.journal.records import ActionItem, Meeting, Mentor

if TYPE_CHECKING:
    from coach.journal.journal import Journal

CADENCE_DAYS = {"weekly": 7, "fortnightly": 14, "biweekly": 14, "monthly": 30, "quarterly": 91}


def local(moment: datetime) -> datetime:
    return moment.astimezone()


def next_meeting(mentor: Mentor, meetings: list[Meeting], now: datetime) -> str:
    """A planned meeting after now, or one cadence after the last one ("around …"), or nothing."""
    planned = [m for m in meetings if m.starts_at > now]
    if planned:
        return f"{local(planned[0].starts_at):%a %d %b, %H:%M}"
    past = [m for m in meetings if m.starts_at <= now]
    days = CADENCE_DAYS.get(mentor.cadence.strip().lower())
    if past and days:
        return f"around {local(past[-1].starts_at + timedelta(days=days)):%d %b}"
    return "not planned"


def mentor_card(mentor: Mentor, meetings: list[Meeting], open_items: int, now: datetime) -> str:
    """Name, role, cadence, last and next meeting, open items: the Markdown of one card."""
    past = [m for m in meetings if m.starts_at <= now]
    last = f"{local(past[-1].starts_at):%d %b %Y}" if past else "not yet"
    about = " · ".join(part for part in (mentor.role, mentor.cadence, mentor.channel) if part)
    lines = [f"### {mentor.name}", about or "_No role or cadence yet_"]
    lines.append(f"Last met: **{last}** · Next: **{next_meeting(mentor, meetings, now)}**")
    lines.append(f"{open_items} open action item{'' if open_items == 1 else 's'}")
    return "\n\n".join(lines)


def is_overdue(item: ActionItem, today: date) -> bool:
    return item.status == "open" and item.due is not None and item.due < today


def ordered_items(items: list[ActionItem], today: date) -> list[ActionItem]:
    """Open first (overdue, then soonest due, then undated), then done ones, most recently done first."""
    open_ = sorted((i for i in items if i.status == "open"), key=lambda i: (i.due is None, i.due or today, i.id))
    done = sorted((i for i in items if i.status == "done"), key=lambda i: i.done_at or i.created_at, reverse=True)
    return open_ + done


def item_label(item: ActionItem, today: date) -> str:
    """What a checklist line says beside its box: whose it is and when it is due."""
    whose = "Mentor's" if item.owner == "mentor" else "Mine"
    if item.status == "done":
        return f"{whose} · done {local(item.done_at):%d %b}" if item.done_at else f"{whose} · done"
    if item.due is None:
        return f"{whose} · no due date"
    if is_overdue(item, today):
        return f"{whose} · OVERDUE since {item.due:%d %b}"
    return f"{whose} · due {item.due:%d %b}"


def timeline(meetings: list[Meeting], items: list[ActionItem]) -> str:
    """The mentor's meetings, newest first, each with its notes and the action items it produced."""
    if not meetings:
        return "_No meetings logged yet. Use **Log a meeting** after you meet._"
    parts = []
    for meeting in reversed(meetings):
        came = [i for i in items if i.meeting_id == meeting.id]
        block = [f"#### {local(meeting.starts_at):%a %d %b %Y, %H:%M} · {meeting.minutes} min"]
        block.append(meeting.notes.strip().replace("\n", "  \n") or "_No notes._")  # the lines as written
        if came:
            block.append("Action items from this meeting:\n" + "\n".join(f"- {i.text}" for i in came))
        parts.append("\n\n".join(block))
    return "\n\n---\n\n".join(parts)


@dataclass(frozen=True)
class Reminders:
    overdue: list[ActionItem]
    this_week: list[ActionItem]

    def markdown(self) -> str:
        if not self.overdue and not self.this_week:
            return ""
        lines = ["**Reminders**"]
        if self.overdue:
            listed = "; ".join(f"{i.text} (due {i.due:%d %b})" for i in self.overdue[:5])
            lines.append(f"- Overdue ({len(self.overdue)}): {listed}")
        if self.this_week:
            listed = "; ".join(f"{i.text} (due {i.due:%a %d %b})" for i in self.this_week[:5])
            lines.append(f"- Due this week ({len(self.this_week)}): {listed}")
        return "\n".join(lines)


def reminders(journal: Journal, user: str, today: date) -> Reminders:
    """Open items of this user that are overdue, or due within the next seven days."""
    soon = [i for i in journal.open_action_items(user) if i.due is not None and today <= i.due < today + timedelta(7)]
    return Reminders(journal.overdue_action_items(user, today), soon)
