"""The journal as cards and a checklist: one card per mentor (Open, Next agenda), the open mentor's timeline, and
action items you tick, reword and re-date in place. Re-drawn whenever the journal changes (`version`)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import gradio as gr

from coach.errors import CoachError, describe_failure
from coach.ui.journal import agenda_prefill, user_of
from coach.ui.journal_view import is_overdue, item_label, mentor_card, ordered_items, timeline

if TYPE_CHECKING:
    from coach.journal.journal import Journal
    from coach.journal.records import ActionItem


def changed() -> int:
    """A new value for the `version` state: everything drawn from the journal is drawn again."""
    return time.monotonic_ns()


def saving(action: Callable[..., str | None]) -> Callable[..., tuple[Any, Any]]:
    """Run a change; returns (notice, version): a failure is the notice and nothing is redrawn, and so is an
    action that changed nothing (returned None)."""

    @functools.wraps(action)
    def run(*args: Any) -> tuple[Any, Any]:
        try:
            said = action(*args)
            return (gr.skip(), gr.skip()) if said is None else (said, changed())
        except CoachError as exc:
            return f"⚠️ {exc}", gr.skip()
        except Exception as exc:  # shown in the notice
            return f"⚠️ {describe_failure(exc)}", gr.skip()

    return run


def due_date(value: Any) -> date | None:
    """The date picker's value (text, timestamp or empty) as a date."""
    if value in (None, ""):
        return None
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value).date()
    return date.fromisoformat(str(value).strip()[:10])


def mentor_cards(
    journal: Callable[[], Journal | None],
    version: gr.State,
    open_mentor: gr.State,
    agenda_targets: list[gr.Component],
) -> None:
    """A card per mentor; Next agenda fills the Agenda tab (`agenda_targets`: name, progress, items, tabs)."""

    @gr.render(inputs=[version], triggers=[version.change])
    def cards(_version: Any, request: gr.Request) -> None:
        current, user = journal(), user_of(request)
        if current is None:
            return
        mentors = current.list_mentors(user)
        if not mentors:
            gr.Markdown("_No mentors yet. Add the first one under **Add a mentor** below._", elem_id="no-mentors")
            return
        now = datetime.now(UTC)
        with gr.Row(elem_id="mentor-cards"):
            for mentor in mentors:
                meetings = current.list_meetings(user, mentor_id=mentor.id)
                open_count = len(current.open_action_items(user, mentor.id))
                with gr.Column(min_width=240, variant="panel", elem_classes=["mentor-card"]):
                    gr.Markdown(mentor_card(mentor, meetings, open_count, now))
                    with gr.Row():
                        show = gr.Button("Open", size="sm", variant="primary")
                        plan = gr.Button("Next agenda", size="sm")

                def open_this(mentor_id: int = mentor.id) -> int:
                    return mentor_id

                def plan_this(request: gr.Request, mentor_id: int = mentor.id):
                    return next_agenda(journal, mentor_id, request)

                show.click(open_this, None, open_mentor, api_name=False)
                if agenda_targets:
                    plan.click(plan_this, None, agenda_targets, api_name=False)


def next_agenda(journal: Callable[[], Journal | None], mentor_id: int, request: gr.Request):
    current = journal()
    if current is None:
        return gr.skip(), gr.skip(), gr.skip(), gr.skip()
    return (*agenda_prefill(current, user_of(request), mentor_id), gr.Tabs(selected="agenda"))


def mentor_detail(
    journal: Callable[[], Journal | None], version: gr.State, open_mentor: gr.State, notice: gr.Markdown
) -> None:
    """The open mentor's timeline and checklist, or everyone's checklist when no mentor is open."""

    @gr.render(inputs=[open_mentor, version], triggers=[open_mentor.change, version.change])
    def detail(mentor_id: int | None, _version: Any, request: gr.Request) -> None:
        current, user = journal(), user_of(request)
        if current is None:
            return
        items = current.list_action_items(user, mentor_id=mentor_id) if mentor_id else None
        if mentor_id:
            try:
                mentor = current.get_mentor(user, mentor_id)
            except CoachError:
                mentor_id, items = None, None
        if mentor_id:
            with gr.Row():
                gr.Markdown(f"## {mentor.name}", elem_id="open-mentor")
                gr.Button("Back to all mentors", size="sm", scale=0, min_width=180).click(
                    lambda: None, None, open_mentor, api_name=False
                )
            meetings = current.list_meetings(user, mentor_id=mentor_id)
            gr.Markdown("### Action items", elem_classes=["journal-heading"])
            checklist(current, user, items or [], version, notice)
            with gr.Accordion(f"Meetings ({len(meetings)})", open=True, elem_id="timeline"):
                gr.Markdown(timeline(meetings, items or []))
        else:
            gr.Markdown("### Action items", elem_classes=["journal-heading"])
            checklist(current, user, current.list_action_items(user), version, notice)


def checklist(journal: Journal, user: str, items: list[ActionItem], version: gr.State, notice: gr.Markdown) -> None:
    """One line per item: a box to tick, its words (edit in place), its due date (a date picker)."""
    if not items:
        gr.Markdown("_No action items yet._")
        return
    today = date.today()
    names = {m.id: m.name for m in journal.list_mentors(user)}
    for item in ordered_items(items, today):
        classes = ["action-item", "overdue" if is_overdue(item, today) else "", "done" if item.status == "done" else ""]
        with gr.Row(elem_classes=[c for c in classes if c], equal_height=True):
            label = item_label(item, today) + (f" · {names[item.mentor_id]}" if item.mentor_id in names else "")
            tick = gr.Checkbox(label=label, value=item.status == "done", scale=2, min_width=200)
            words = gr.Textbox(label="Action item", value=item.text, lines=1, max_lines=3, scale=4, min_width=200)
            due = gr.DateTime(
                label="Due",
                value=item.due.isoformat() if item.due else None,
                include_time=False,
                type="string",
                scale=2,
                min_width=180,
            )

        def set_status(done: bool, item_id: int = item.id) -> str:
            journal.update_action_item(user, item_id, status="done" if done else "open")
            return "Marked done." if done else "Opened again."

        def reword(text: str, item_id: int = item.id, before: str = item.text) -> str | None:
            if (text or "").strip() == before:
                return None
            journal.update_action_item(user, item_id, text=(text or "").strip())
            return "Saved the new wording."

        def redate(value: Any, item_id: int = item.id, before: date | None = item.due) -> str | None:
            if due_date(value) == before:  # the picker reports its value when drawn: not a change
                return None
            journal.update_action_item(user, item_id, due=due_date(value))
            return "Saved the due date."

        tick.input(saving(set_status), tick, [notice, version], api_name=False)
        words.submit(saving(reword), words, [notice, version], api_name=False)
        words.blur(saving(reword), words, [notice, version], api_name=False)
        due.change(saving(redate), due, [notice, version], api_name=False)
