"""The journal reached from the chat: log a meeting (ask for the notes), list what is overdue, mark an item done."""

from __future__ import annotations

import difflib
from datetime import date
from typing import TYPE_CHECKING, Any

from coach.chat.replies import Reply
from coach.chat.router import Intent

if TYPE_CHECKING:
    from coach.service import Coach

LOG_TITLE = "📓 Log a meeting"


def journal_turn(coach: Coach, intent: Intent, message: str, details: dict[str, Any], user: str) -> list[Reply]:
    if intent is Intent.JOURNAL_OVERDUE:
        return [overdue(coach, user)]
    if intent is Intent.JOURNAL_DONE:
        return [mark_done(coach, user, str(details.get("item") or message))]
    who = f" with {details['mentor_name']}" if details.get("mentor_name") else ""
    return [
        Reply(
            f"Paste your notes from the meeting{who} as your next message: I'll pull out the action items, "
            "decisions and a follow-up note. (The **Journal** tab saves them against the mentor.)",
            title=LOG_TITLE,
            open=True,
        )
    ]


def debrief_turn(coach: Coach, notes: str) -> list[Reply]:
    from coach.journal.debrief import extract, follow_up_message

    found = extract(notes, coach.answerer.model)
    lines = [
        "**Action items**",
        *(f"- {i.text} ({i.owner}{f', due {i.due}' if i.due else ''})" for i in found.action_items),
    ]
    lines += ["", "**Decisions**", *([f"- {d}" for d in found.decisions] or ["- none"])]
    lines += ["", "**Follow-up note**", "", follow_up_message("your mentor", found)]
    return [Reply("\n".join(lines))]


def overdue(coach: Coach, user: str, today: date | None = None) -> Reply:
    items = coach.journal.overdue_action_items(user, today or date.today())
    if not items:
        return Reply("Nothing is overdue. 🎉")
    return Reply("**Overdue**\n" + "\n".join(f"- {i.text} (due {i.due:%a %-d %b})" for i in items))


def mark_done(coach: Coach, user: str, said: str) -> Reply:
    """Mark the open item whose words best match what the user said, and say which."""
    items = coach.journal.open_action_items(user)
    if not items:
        return Reply("You have no open action items to mark done.")
    scored = [(difflib.SequenceMatcher(None, said.lower(), i.text.lower()).ratio(), i) for i in items]
    scored += [(1.0, i) for i in items if i.text.lower() in said.lower()]
    score, best = max(scored, key=lambda s: s[0])
    if score < 0.35:
        listed = "\n".join(f"- {i.text}" for i in items)
        return Reply(f"I couldn't tell which item you mean. Your open items:\n{listed}")
    coach.journal.mark_done(user, best.id)
    return Reply(f"Marked done: **{best.text}** ✅")
