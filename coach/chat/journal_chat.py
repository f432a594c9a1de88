"""The journal reached from the chat: log a meeting (ask for the notes, show what was found, save it once the user
confirms), list what is overdue, mark an item done.

The items the user confirms are the ones shown: they are read back from the summary message (written by code in a
fixed line format), never extracted a second time, so what is saved is exactly what was seen.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from coach.chat.answer import Exchange
from coach.chat.replies import Reply
from coach.chat.router import Intent
from coach.journal.debrief import ExtractedItem

if TYPE_CHECKING:
    from coach.journal.debrief import Debrief
    from coach.service import Coach

LOG_TITLE = "📓 Log a meeting"
SAVE_TITLE = "📓 Save this meeting?"
SAVE = "Save to my journal"
ITEMS_HEADING = "**Action items**"
_MENTOR_LINE = re.compile(r"^Mentor: (?P<name>.+)$", re.M)
_ITEM_LINE = re.compile(r"^- (?P<text>.+) \((?P<owner>me|mentor)(?:, due (?P<due>\d{4}-\d{2}-\d{2}))?\)$", re.M)
_CONFIRM = re.compile(r"^\s*(?:yes|yep|ok(?:ay)?|sure|please|save)\b", re.I)
_DECLINE = re.compile(r"^\s*(?:no|nope|don'?t save|do not save|cancel|discard)\b", re.I)
_SAVE_WITH = re.compile(r"\b(?:with|for)\s+(?P<name>[^\n.!?]{1,60}?)\s*[.!]?\s*$", re.I)


def journal_turn(coach: Coach, intent: Intent, message: str, details: dict[str, Any], user: str) -> list[Reply]:
    if intent is Intent.JOURNAL_OVERDUE:
        return [overdue(coach, user)]
    if intent is Intent.JOURNAL_DONE:
        return [mark_done(coach, user, str(details.get("item") or message))]
    mentor = f"Mentor: {details['mentor_name']}\n\n" if details.get("mentor_name") else ""
    return [
        Reply(
            f"{mentor}Paste your notes from the meeting as your next message: I'll pull out the action items, "
            "decisions and a follow-up note, and save them to your journal when you say so.",
            title=LOG_TITLE,
            open=True,
        )
    ]


def _shown(history: Sequence[Exchange], title: str, needs: str = "") -> tuple[int, str]:
    """The index and content of the last assistant message with this title (and containing `needs`)."""
    for n in range(len(history) - 1, -1, -1):
        e = history[n]
        if e.role == "assistant" and e.title == title and needs in e.content:
            return n, e.content
    return -1, ""


def debrief_turn(coach: Coach, notes: str, history: Sequence[Exchange]) -> list[Reply]:
    """What the notes say, shown for the user to confirm; nothing is stored yet."""
    from coach.journal.debrief import extract, follow_up_message

    mentor = _MENTOR_LINE.search(_shown(history, LOG_TITLE)[1])
    name = mentor["name"].strip() if mentor else ""
    found: Debrief = extract(notes, coach.answerer.model, mentor_name=name)
    lines = [f"Mentor: {name}", ""] if name else []
    lines += [ITEMS_HEADING, *(_item_line(i) for i in found.action_items)]
    lines += ["", "**Decisions**", *([f"- {d}" for d in found.decisions] or ["- none"])]
    lines += ["", "**Follow-up note**", "", follow_up_message(name or "your mentor", found), ""]
    ask = "" if name else " Who was it with? Say “save with NAME”."
    lines.append(f"Save the meeting and these action items to your journal?{ask} Nothing is stored until you do.")
    return [Reply("\n".join(lines), title=SAVE_TITLE, open=True, options=[(SAVE, SAVE)])]


def _item_line(item: ExtractedItem) -> str:
    return f"- {item.text} ({item.owner}{f', due {item.due.isoformat()}' if item.due else ''})"


def save_turn(
    coach: Coach, message: str, history: Sequence[Exchange], user: str, zone: tzinfo | None
) -> list[Reply] | None:
    """Save the meeting shown for confirmation to this user's journal; None when the message is not a yes or a no."""
    if _DECLINE.match(message):
        return [Reply("Not saved. Your notes stay in this conversation; the **Journal** tab can save them later.")]
    if not _CONFIRM.match(message):
        return None
    at, summary = _shown(history, SAVE_TITLE, ITEMS_HEADING)
    said = _SAVE_WITH.search(message)
    mentor = said or _MENTOR_LINE.search(summary)
    if not mentor:
        return [Reply("Who was the meeting with? Say “save with NAME”.", title=SAVE_TITLE, open=True)]
    notes = next((e.content for e in reversed(history[:at]) if e.role == "user"), "")
    items = [
        ExtractedItem(text=m["text"], owner=m["owner"], due=date.fromisoformat(m["due"]) if m["due"] else None)
        for m in _ITEM_LINE.finditer(summary.partition("**Decisions**")[0])
    ]
    name = mentor["name"].strip()
    journal = coach.journal
    with journal.atomic():
        known = next((m for m in journal.list_mentors(user) if m.name.casefold() == name.casefold()), None)
        mentor_id = (known or journal.add_mentor(user, name)).id
        meeting = journal.add_meeting(user, mentor_id, datetime.now().astimezone(zone), notes=notes)
        for item in items:
            journal.add_action_item(
                user, item.text, owner=item.owner, due=item.due, mentor_id=mentor_id, meeting_id=meeting.id
            )
    return [
        Reply(
            f"Saved to your journal: today's meeting with **{name}** and {len(items)} action item(s). "
            "The **Journal** tab shows them."
        )
    ]


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
