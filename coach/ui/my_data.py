"""The "Your data" panel: export everything in one click, then delete all of it (journal, conversations, feedback,
uploaded documents and their index entries, download files, and the conversation kept in this browser)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import gradio as gr

from coach.chat.transcript import conversation_markdown
from coach.errors import CoachError, describe_failure
from coach.privacy.downloads import save_files
from coach.privacy.forget import export_rows, forget_user
from coach.ui.journal import user_of

if TYPE_CHECKING:
    from coach.ui.startup import Startup

EXPLAIN = (
    "**Export first**, then delete. Deleting removes your journal, your saved conversations and feedback, the "
    "documents you uploaded with their index entries, your download files, and the conversation kept in this "
    "browser. It cannot be undone. Other users' data is not touched."
)


def export_everything(startup: Startup, user: str, history: list[dict]) -> list[str]:
    """Files with all of `user`'s data: the journal export (importable), every per-user table, this conversation."""
    journal = startup.wait().journal
    with journal.connection() as conn:
        rows = export_rows(conn, user)
    files = {
        "journal.json": json.dumps(journal.export_json(user), ensure_ascii=False, indent=2),
        "all-my-data.json": json.dumps(rows, ensure_ascii=False, indent=2, default=str),
    }
    if history:
        files["conversation.md"] = conversation_markdown(history)
    return save_files(files, owner=user)


def my_data_panel(startup: Startup, chat: gr.ChatInterface, saved: gr.BrowserState) -> None:
    with gr.Accordion("Your data: export or delete", open=False):
        gr.Markdown(EXPLAIN)
        with gr.Row():
            export = gr.Button("1. Export all my data", scale=0, min_width=200)
            exported = gr.File(label="All your data", file_count="multiple", scale=1)
        confirm = gr.Checkbox(label="I have exported what I want to keep: delete all my data", value=False)
        delete = gr.Button("2. Delete all my data", variant="stop")
        notice = gr.Markdown(elem_id="forget-notice")

    def on_export(history: list[dict], request: gr.Request):
        try:
            return export_everything(startup, user_of(request), history), ""
        except Exception as exc:
            return None, f"⚠️ {exc if isinstance(exc, CoachError) else describe_failure(exc)}"

    def on_delete(confirmed: bool, request: gr.Request):
        keep = (gr.skip(),) * 4
        if not confirmed:
            return ("⚠️ Tick the box first (and export what you want to keep).", *keep)
        try:
            coach = startup.wait()
            report = forget_user(startup.settings, coach.journal, coach.index, user_of(request))
        except Exception as exc:
            return (f"⚠️ {exc if isinstance(exc, CoachError) else describe_failure(exc)}", *keep)
        return f"{report.summary()} The conversation on screen was cleared too.", [], [], {}, False

    export.click(on_export, chat.chatbot, [exported, notice], api_name="export_my_data")
    delete.click(on_delete, confirm, [notice, chat.chatbot, chat.chatbot_state, saved, confirm], api_name="forget_me")
