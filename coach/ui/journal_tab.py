"""The Journal tab, per signed-in user: Log a meeting first (notes → decisions and action items → edit → save →
the follow-up message), then the mentor cards and the checklist, then adding mentors and items, export and import.

The `journal_*` API endpoints keep their shapes (tables with ids) for scripts; the page itself shows no ids.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from typing import TYPE_CHECKING

import gradio as gr

from coach.errors import CoachError, describe_failure
from coach.journal.debrief import Debrief, as_rows, extract, follow_up_message, from_rows
from coach.tools.when import parse_start
from coach.ui.journal import ITEM_COLUMNS, MENTOR_COLUMNS, items_table, mentor_choices, mentors_table, reminder, user_of
from coach.ui.journal_cards import changed, due_date, mentor_cards, mentor_detail
from coach.ui.tools import save_files

if TYPE_CHECKING:
    from coach.journal.journal import Journal
    from coach.ui.startup import Startup

NONE_FOUND = "- (none found)"
LOG_STEPS = (
    "Paste or type your notes, press **Find decisions and action items**, correct the table, then **Save the "
    "meeting**: the follow-up message appears below, ready to copy."
)


def journal_panel(
    startup: Startup,
    app: gr.Blocks,
    banner: gr.Markdown,
    *,
    agenda: dict[str, gr.Component] | None = None,
    tabs: gr.Tabs | None = None,
) -> None:
    def journal() -> Journal:
        """The coach's journal, once the coach has started (every action waits for it)."""
        return startup.wait().journal

    def journal_or_none() -> Journal | None:
        try:
            return journal()
        except CoachError:  # the status line says why the coach could not start
            return None

    notice = gr.Markdown(elem_id="journal-notice")
    version = gr.State(0)  # changes whenever the journal does: the cards and the checklist are drawn again
    open_mentor = gr.State(None)
    with gr.Accordion("Log a meeting", open=True, elem_id="log-a-meeting"):
        gr.Markdown(LOG_STEPS)
        with gr.Row():
            debrief_mentor = gr.Dropdown(label="Mentor you met", choices=[], value=None)
            debrief_start = gr.DateTime(
                label="When you met", value=f"{datetime.now():%Y-%m-%d %H:00:00}", type="string"
            )
            debrief_minutes = gr.Number(label="Minutes", value=45, precision=0)
        meeting_notes = gr.Textbox(label="Your notes from the meeting", lines=6)
        run_extract = gr.Button("Find decisions and action items")
        decisions = gr.Markdown(elem_id="debrief-decisions")
        found = gr.Dataframe(
            headers=["action item", "owner", "due"],
            interactive=True,
            label="Action items found (edit, add or clear rows; owner is me or mentor; due as YYYY-MM-DD)",
            column_count=(3, "fixed"),
            row_count=(1, "dynamic"),
        )
        save_meeting = gr.Button("Save the meeting", variant="primary")
        follow_up = gr.Textbox(label="Follow-up message to send", lines=6, buttons=["copy"], elem_id="follow-up")
    gr.Markdown("## Your mentors")
    agenda_targets = [agenda["mentor"], agenda["progress"], agenda["actions"], tabs] if agenda and tabs else []
    mentor_cards(journal_or_none, version, open_mentor, agenda_targets)
    mentor_detail(journal_or_none, version, open_mentor, notice)
    with gr.Accordion("Add a mentor", open=False):
        with gr.Row():
            name = gr.Textbox(label="Name")
            role = gr.Textbox(label="Role")
            how_met = gr.Textbox(label="How you met")
        with gr.Row():
            cadence = gr.Textbox(label="Cadence", placeholder="monthly")
            channel = gr.Textbox(label="Channel", placeholder="video call")
            notes = gr.Textbox(label="Notes")
        add_mentor = gr.Button("Add mentor")
    with gr.Accordion("Add an action item", open=False):
        with gr.Row():
            item_text = gr.Textbox(label="New action item")
            item_mentor = gr.Dropdown(label="Mentor (optional)", choices=[], value=None)
            item_due = gr.DateTime(label="Due (optional)", include_time=False, type="string", value=None)
        add_item = gr.Button("Add item")
    with gr.Accordion("Export and import", open=False):
        with gr.Row():
            export_json = gr.Button("Export JSON")
            export_md = gr.Button("Export Markdown")
        exported = gr.File(label="Export")
        upload = gr.File(label="Import a JSON export (replaces your journal)", file_types=[".json"])
        import_button = gr.Button("Import")
    with gr.Column(visible=False):  # for scripts: the journal as tables, an item closed by its id
        mentors = gr.Dataframe(headers=MENTOR_COLUMNS, interactive=False, label="Your mentors")
        items = gr.Dataframe(headers=ITEM_COLUMNS, interactive=False, label="Action items")
        done_id = gr.Number(label="Item id to mark done", precision=0)
        mark_done = gr.Button("Mark done")

    views = [mentors, items, item_mentor, debrief_mentor, banner, version]

    def refresh(request: gr.Request):
        current = journal_or_none()
        if current is None:
            return (gr.skip(),) * len(views)
        user = user_of(request)
        choices = mentor_choices(current, user)
        return (
            mentors_table(current, user),
            items_table(current, user),
            gr.update(choices=choices),
            gr.update(choices=choices),
            reminder(current, user),
            changed(),
        )

    def guarded(action, extra_outputs: int = 0):
        """Run a journal action; errors become the notice and nothing typed is cleared (the action's own
        `extra_outputs` are left as they are). The action's last parameter is the request (Gradio fills it), whose
        user the action reads and writes for."""

        @functools.wraps(action)
        def handler(*args):
            request = args[-1]
            extra: tuple = (gr.skip(),) * extra_outputs
            try:
                message = action(*args)
                if isinstance(message, tuple):
                    message, *rest = message
                    extra = tuple(rest)
            except CoachError as exc:
                message = f"⚠️ {exc}"
            except Exception as exc:  # shown in the notice
                message = f"⚠️ {describe_failure(exc)}"
            return (message, *refresh(request), *extra)

        return handler

    def do_add_mentor(name, role, how_met, cadence, channel, notes, request: gr.Request):
        fields = {"role": role, "how_met": how_met, "cadence": cadence, "channel": channel, "notes": notes}
        mentor = journal().add_mentor(
            user_of(request), (name or "").strip(), **{k: (v or "").strip() for k, v in fields.items()}
        )
        return f"Added {mentor.name}."

    def do_add_item(text, mentor_id, due, request: gr.Request):
        journal().add_action_item(user_of(request), text or "", mentor_id=mentor_id or None, due=due_date(due))
        return "Added the action item."

    def do_mark_done(item_id, request: gr.Request):
        journal().mark_done(user_of(request), int(item_id or 0))
        return "Marked done."

    def do_save_meeting(mentor_id, start_text, minutes, notes_text, rows, said, request: gr.Request):
        if not mentor_id:
            raise CoachError("Choose the mentor you met.")
        user = user_of(request)
        confirmed = from_rows(rows.values.tolist() if hasattr(rows, "values") else rows)
        current = journal()
        written = (notes_text or "").strip()
        decided = [
            line[2:] for line in (said or "").splitlines() if line.startswith("- ") and "(none found)" not in line
        ]
        if decided:
            written += "\n\nDecisions:\n" + "\n".join(f"- {d}" for d in decided)
        with current.atomic():
            meeting = current.add_meeting(
                user, mentor_id, parse_start(start_text), minutes=int(minutes or 30), notes=written
            )
            for item in confirmed:
                current.add_action_item(
                    user, item.text, owner=item.owner, due=item.due, mentor_id=mentor_id, meeting_id=meeting.id
                )
        mentor = current.get_mentor(user, mentor_id)
        message = follow_up_message(mentor.name, Debrief(action_items=confirmed, decisions=decided))
        saved = f"Saved the meeting with {mentor.name} and {len(confirmed)} action item(s)."
        return saved, message, mentor_id

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
        guarded(do_save_meeting, extra_outputs=2),
        [debrief_mentor, debrief_start, debrief_minutes, meeting_notes, found, decisions],
        [*outputs, follow_up, open_mentor],
        api_name="journal_save_meeting",
    )
    import_button.click(guarded(do_import), [upload], outputs, api_name="journal_import")

    def run_debrief(notes_text):
        try:
            result = extract(notes_text, startup.wait().answerer.model)
        except Exception as exc:  # the notes stay in their box
            return [], f"⚠️ {describe_failure(exc)}"
        said = "\n".join(f"- {d}" for d in result.decisions) or NONE_FOUND
        how = "found by simple rules: please check them" if result.extracted_by == "rules" else "found by the model"
        return as_rows(result), f"**Decisions**\n{said}\n\n_Action items {how}; edit the table, then save._"

    run_extract.click(run_debrief, [meeting_notes], [found, decisions], api_name="journal_debrief")

    def export(kind: str, request: gr.Request) -> str:
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
