"""The Journal tab: mentors, action items, goals, meeting debriefs, export and import — per signed-in user."""

from __future__ import annotations

import functools
import json
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import gradio as gr

from coach.errors import CoachError, describe_failure
from coach.journal.debrief import as_rows, extract, follow_up_message, from_rows
from coach.journal.journal import LOCAL_USER, Journal
from coach.tools.when import parse_start
from coach.ui.tools import save_files

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
    """A line about overdue action items, shown when a session starts."""
    overdue = journal.overdue_action_items(user, today or date.today())
    if not overdue:
        return ""
    listed = "; ".join(f"{i.text} (due {i.due:%d %b})" for i in overdue[:5])
    return f"⏰ **{len(overdue)} overdue action item{'s' if len(overdue) > 1 else ''}:** {listed}"


def journal_panel(startup: Startup, app: gr.Blocks, banner: gr.Markdown) -> None:
    def journal() -> Journal:
        """The coach's journal, once the coach has started (every action waits for it)."""
        return startup.wait().journal

    notice = gr.Markdown(elem_id="journal-notice")
    with gr.Accordion("Mentors", open=True):
        mentors = gr.Dataframe(headers=MENTOR_COLUMNS, interactive=False, label="Your mentors")
        with gr.Row():
            name = gr.Textbox(label="Name")
            role = gr.Textbox(label="Role")
            how_met = gr.Textbox(label="How you met")
        with gr.Row():
            cadence = gr.Textbox(label="Cadence", placeholder="monthly")
            channel = gr.Textbox(label="Channel", placeholder="video call")
            notes = gr.Textbox(label="Notes")
        add_mentor = gr.Button("Add mentor")
    with gr.Accordion("Action items", open=True):
        items = gr.Dataframe(headers=ITEM_COLUMNS, interactive=False, label="Action items")
        with gr.Row():
            item_text = gr.Textbox(label="New action item")
            item_mentor = gr.Dropdown(label="Mentor (optional)", choices=[], value=None)
            item_due = gr.Textbox(label="Due (YYYY-MM-DD, optional)")
            add_item = gr.Button("Add item")
        with gr.Row():
            done_id = gr.Number(label="Item id to mark done", precision=0)
            mark_done = gr.Button("Mark done")
    with gr.Accordion("Debrief a meeting", open=False):
        with gr.Row():
            debrief_mentor = gr.Dropdown(label="Mentor", choices=[], value=None)
            debrief_start = gr.Textbox(label="Met at (YYYY-MM-DD HH:MM)", value=f"{datetime.now():%Y-%m-%d %H:00}")
            debrief_minutes = gr.Number(label="Minutes", value=45, precision=0)
        meeting_notes = gr.Textbox(label="Your notes from the meeting", lines=8)
        run_extract = gr.Button("Find action items and decisions")
        found = gr.Dataframe(
            headers=["action item", "owner", "due"],
            interactive=True,
            label="Confirm or edit",
            column_count=(3, "fixed"),
            row_count=(1, "dynamic"),
        )
        decisions = gr.Markdown()
        follow_up = gr.Textbox(label="Follow-up / thank-you message", lines=8, buttons=["copy"])
        save_meeting = gr.Button("Save meeting and action items", variant="primary")
    with gr.Accordion("Export and import", open=False):
        with gr.Row():
            export_json = gr.Button("Export JSON")
            export_md = gr.Button("Export Markdown")
        exported = gr.File(label="Export")
        upload = gr.File(label="Import a JSON export (replaces your journal)", file_types=[".json"])
        import_button = gr.Button("Import")

    views = [mentors, items, item_mentor, debrief_mentor, banner]

    def refresh(request: gr.Request):
        try:
            current = journal()
        except CoachError:  # the status line says why the coach could not start
            return (gr.skip(),) * len(views)
        user = user_of(request)
        choices = mentor_choices(current, user)
        return (
            mentors_table(current, user),
            items_table(current, user),
            gr.update(choices=choices),
            gr.update(choices=choices),
            reminder(current, user),
        )

    def guarded(action):
        """Run a journal action; errors become the notice and nothing typed is cleared. The action's last
        parameter is the request (Gradio fills it), whose user the action reads and writes for."""

        @functools.wraps(action)
        def handler(*args):
            request = args[-1]
            try:
                message = action(*args)
            except CoachError as exc:
                message = f"⚠️ {exc}"
            except Exception as exc:  # shown in the notice
                message = f"⚠️ {describe_failure(exc)}"
            return (message, *refresh(request))

        return handler

    def do_add_mentor(name, role, how_met, cadence, channel, notes, request: gr.Request):
        fields = {"role": role, "how_met": how_met, "cadence": cadence, "channel": channel, "notes": notes}
        mentor = journal().add_mentor(
            user_of(request), (name or "").strip(), **{k: (v or "").strip() for k, v in fields.items()}
        )
        return f"Added {mentor.name}."

    def do_add_item(text, mentor_id, due, request: gr.Request):
        due_date = date.fromisoformat(due.strip()) if (due or "").strip() else None
        item = journal().add_action_item(user_of(request), text or "", mentor_id=mentor_id or None, due=due_date)
        return f"Added action item #{item.id}."

    def do_mark_done(item_id, request: gr.Request):
        item = journal().mark_done(user_of(request), int(item_id or 0))
        return f"Marked #{item.id} done."

    def do_save_meeting(mentor_id, start_text, minutes, notes_text, rows, request: gr.Request):
        if not mentor_id:
            raise CoachError("Choose the mentor you met.")
        user = user_of(request)
        confirmed = from_rows(rows.values.tolist() if hasattr(rows, "values") else rows)
        current = journal()
        with current.atomic():
            meeting = current.add_meeting(
                user, mentor_id, parse_start(start_text), minutes=int(minutes or 30), notes=notes_text or ""
            )
            for item in confirmed:
                current.add_action_item(
                    user, item.text, owner=item.owner, due=item.due, mentor_id=mentor_id, meeting_id=meeting.id
                )
        return f"Saved the meeting and {len(confirmed)} action item(s)."

    def do_import(file, request: gr.Request):
        if not file:
            raise CoachError("Choose a JSON export to import.")
        with open(file if isinstance(file, str) else file.name, encoding="utf-8") as handle:
            counts = journal().import_json(user_of(request), handle.read())
        return "Imported: " + ", ".join(f"{n} {kind}" for kind, n in counts.items())

    outputs = [notice, *views]
    add_mentor.click(
        guarded(do_add_mentor), [name, role, how_met, cadence, channel, notes], outputs, api_name="journal_add_mentor"
    )
    add_item.click(guarded(do_add_item), [item_text, item_mentor, item_due], outputs, api_name="journal_add_item")
    mark_done.click(guarded(do_mark_done), [done_id], outputs, api_name="journal_mark_done")
    save_meeting.click(
        guarded(do_save_meeting),
        [debrief_mentor, debrief_start, debrief_minutes, meeting_notes, found],
        outputs,
        api_name="journal_save_meeting",
    )
    import_button.click(guarded(do_import), [upload], outputs, api_name="journal_import")

    def run_debrief(mentor_id, notes_text, request: gr.Request):
        user = user_of(request)
        try:
            coach = startup.wait()
            result = extract(notes_text, coach.answerer.model)
        except Exception as exc:  # the notes stay in their box
            return [], f"⚠️ {describe_failure(exc)}", ""
        mentor = next((m for m in coach.journal.list_mentors(user) if m.id == mentor_id), None)
        said = "\n".join(f"- {d}" for d in result.decisions) or "- (none found)"
        how = "found by simple rules — please check them" if result.extracted_by == "rules" else "found by the model"
        summary = f"**Decisions**\n{said}\n\n_Action items {how}; edit the table, then save._"
        return as_rows(result), summary, follow_up_message(mentor.name if mentor else "", result)

    run_extract.click(
        run_debrief, [debrief_mentor, meeting_notes], [found, decisions, follow_up], api_name="journal_debrief"
    )

    def export(kind: str, request: gr.Request):
        user, current = user_of(request), journal()
        if kind == "json":
            files = {"journal.json": json.dumps(current.export_json(user), ensure_ascii=False, indent=2)}
        else:
            files = {"journal.md": current.export_markdown(user)}
        return save_files(files, owner=user)[0]

    def export_as_json(request: gr.Request) -> str:
        return export("json", request)

    def export_as_markdown(request: gr.Request) -> str:
        return export("md", request)

    export_json.click(export_as_json, None, exported, api_name="journal_export_json")
    export_md.click(export_as_markdown, None, exported, api_name="journal_export_md")
    app.load(refresh, None, views, api_name="journal_refresh")


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
