"""Journal helpers shared by the tabs: who is signed in, the mentors to pick from, the prefills from the journal,
and the reminders. The Journal tab itself is coach.ui.journal_tab."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import gradio as gr

from coach.errors import CoachError
from coach.journal.journal import LOCAL_USER, Journal
from coach.ui.journal_view import reminders

if TYPE_CHECKING:
    from coach.ui.startup import Startup

MENTOR_COLUMNS = ["id", "name", "role", "how met", "cadence", "channel", "notes"]
ITEM_COLUMNS = ["id", "action item", "owner", "due", "mentor", "status"]


def user_of(request: gr.Request | None) -> str:
    """The signed-in user's name, or the single local user when the app runs without log-in."""
    return (getattr(request, "username", None) or LOCAL_USER) if request else LOCAL_USER


def mentor_choices(journal: Journal, user: str) -> list[tuple[str, int]]:
    return [(f"{m.name} ({m.role})" if m.role else m.name, m.id) for m in journal.list_mentors(user)]


def mentors_table(journal: Journal, user: str) -> list[list[Any]]:
    return [[m.id, m.name, m.role, m.how_met, m.cadence, m.channel, m.notes] for m in journal.list_mentors(user)]


def items_table(journal: Journal, user: str) -> list[list[Any]]:
    names = {m.id: m.name for m in journal.list_mentors(user)}
    return [
        [i.id, i.text, i.owner, i.due.isoformat() if i.due else "", names.get(i.mentor_id, ""), i.status]
        for i in journal.list_action_items(user)
    ]


def reminder(journal: Journal, user: str, today: date | None = None) -> str:
    """What is overdue or due this week, shown when the page opens (empty when nothing is)."""
    return reminders(journal, user, today or date.today()).markdown()


def agenda_prefill(journal: Journal, user: str, mentor_id: int | None) -> tuple[str, str, str]:
    """Mentor name, last meeting's notes and open action items: where the next agenda starts from."""
    if not mentor_id:
        return gr.update(), gr.update(), gr.update()
    mentor = journal.get_mentor(user, mentor_id)
    last = journal.last_meeting(user, mentor_id)
    progress = f"Last meeting ({last.starts_at:%d %b}): {last.notes}" if last and last.notes else ""
    items = "\n".join(i.text for i in journal.open_action_items(user, mentor_id))
    return mentor.name, progress, items


def draft_prefill(journal: Journal, user: str, mentor_id: int | None) -> tuple[str, str]:
    if not mentor_id:
        return gr.update(), gr.update()
    mentor = journal.get_mentor(user, mentor_id)
    return mentor.name, mentor.role


def journal_picker(startup: Startup, app: gr.Blocks, targets: list[gr.Component], fill) -> None:
    """A 'from your journal' dropdown that fills `targets` with `fill(journal, user, mentor_id)`."""
    picker = gr.Dropdown(label="Start from a mentor in your journal (optional)", choices=[], value=None)

    def on_pick(mentor_id: int | None, request: gr.Request):
        return fill(startup.wait().journal, user_of(request), mentor_id)

    def on_load(request: gr.Request):
        try:
            journal = startup.wait().journal
        except CoachError:  # the status line says why the coach could not start
            return gr.skip()
        return gr.update(choices=mentor_choices(journal, user_of(request)))

    picker.change(on_pick, picker, targets, api_name=False)
    app.load(on_load, None, picker, api_name=False)
