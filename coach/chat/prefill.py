"""Fill what the user left out of a tool request from their journal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from coach.chat.router import Intent

if TYPE_CHECKING:
    from coach.service import Coach


def from_journal(coach: Coach, user: str, intent: Intent, details: dict[str, Any]) -> dict[str, Any]:
    """A known mentor's role, open items and last notes, where the user gave none."""
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
