"""Past conversations beside the chat: kept on the server per user, listed newest first, searched, opened, renamed,
deleted, exported and imported. The browser keeps only which one is open."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from coach.chat.transcript import conversation_markdown
from coach.errors import CoachError, describe_failure
from coach.ui.journal import user_of
from coach.ui.tools import save_files

if TYPE_CHECKING:
    from coach.journal.conversations import ConversationLog
    from coach.ui.startup import Startup

STORAGE_KEY = "mentor-coach-conversation"  # the browser keeps {"user": …, "id": …} under it, encrypted


def opened(kept: Any, user: str) -> int | None:
    """The id of the conversation this browser has open for `user` (another user's pick on a shared browser is
    not theirs: ids count per user)."""
    if isinstance(kept, dict) and kept.get("user") == user and isinstance(kept.get("id"), int):
        return kept["id"]
    return None


def choices(log: ConversationLog, user: str, containing: str = "") -> list[tuple[str, int]]:
    return [(c.title, c.id) for c in log.list(user, containing)]


def past_conversations(startup: Startup, app: gr.Blocks, chat: gr.ChatInterface, secret: str) -> gr.BrowserState:
    """The side column's controls and their wiring; returns the browser state holding the open conversation."""
    kept = gr.BrowserState({}, storage_key=STORAGE_KEY, secret=secret)
    new = gr.Button("New conversation", size="sm", variant="secondary", elem_id="new-conversation")
    search = gr.Textbox(label="Search conversations", placeholder="a word from the chat", lines=1, max_lines=1)
    listed = gr.Radio(label="Past conversations", choices=[], value=None, elem_id="conversation-list")
    notice = gr.Markdown(elem_id="conversation-notice")
    with gr.Accordion("This conversation", open=False, elem_id="this-conversation"):
        title = gr.Textbox(label="Title", lines=1, max_lines=1)
        with gr.Row():
            rename = gr.Button("Rename", size="sm")
            delete = gr.Button("Delete", size="sm", variant="stop")
        export_json = gr.Button("Export as JSON", size="sm")
        upload = gr.File(label="Import an exported conversation (JSON)", file_types=[".json"])
    export_md = gr.Button("Export the conversation as Markdown", size="sm")
    exported = gr.File(label="Exported conversation", visible=False)
    shown = [chat.chatbot, chat.chatbot_state, chat.chatbot_value]

    def log() -> ConversationLog:
        return startup.wait().journal.conversations

    def listing(user: str, pick: int | None, containing: str = ""):
        return gr.update(choices=choices(log(), user, containing), value=pick)

    def guarded(action):
        """Failures become the notice; what the user sees and typed stays as it was."""

        @functools.wraps(action)
        def run(*args):
            try:
                return action(*args)
            except CoachError as exc:
                return {notice: f"⚠️ {exc}"}
            except Exception as exc:  # shown in the notice
                return {notice: f"⚠️ {describe_failure(exc)}"}

        return run

    def keep(history: list[dict], state: Any, containing: str, request: gr.Request):
        """Save the chat as it changes; an empty chat (Clear, New) leaves the saved one and opens none."""
        user = user_of(request)
        current = opened(state, user)
        if not history:
            return {kept: {"user": user, "id": None}, listed: gr.update(value=None)} if current else {notice: gr.skip()}
        saved = log().save(user, current, history)
        if saved.id == current:
            return {notice: gr.skip()}
        return {kept: {"user": user, "id": saved.id}, listed: listing(user, saved.id, containing), title: saved.title}

    def restore(state: Any, request: gr.Request):
        """On opening the page: the list, and the conversation this browser had open."""
        user = user_of(request)
        try:
            current = opened(state, user)
            history = log().history(user, current) if current else []
        except CoachError:  # gone, or the coach could not start (the status line says why)
            current, history = None, []
        try:
            update = listing(user, current)
        except CoachError:
            return {notice: gr.skip()}
        chosen = {title: log().get(user, current).title} if current else {}
        return {listed: update, **chosen, **({c: history for c in shown} if history else {})}

    def pick(conversation_id: int | None, request: gr.Request):
        user = user_of(request)
        if not conversation_id:
            return {notice: gr.skip()}
        history = log().history(user, conversation_id)
        chosen = {kept: {"user": user, "id": conversation_id}, title: log().get(user, conversation_id).title}
        return {**{c: history for c in shown}, **chosen, notice: ""}

    def start_new(request: gr.Request):
        return {**{c: [] for c in shown}, kept: {"user": user_of(request), "id": None}, listed: gr.update(value=None)}

    def find(containing: str, state: Any, request: gr.Request):
        user = user_of(request)
        return {listed: listing(user, opened(state, user), containing)}

    def do_rename(new_title: str, state: Any, containing: str, request: gr.Request):
        user = user_of(request)
        current = opened(state, user)
        if not current:
            raise CoachError("Open a conversation (or send a first message) to rename it.")
        renamed = log().rename(user, current, new_title)
        return {listed: listing(user, current, containing), title: renamed.title, notice: f"Renamed: {renamed.title}"}

    def do_delete(state: Any, containing: str, request: gr.Request):
        user = user_of(request)
        current = opened(state, user)
        if not current:
            raise CoachError("Open a conversation to delete it.")
        gone = log().get(user, current).title
        log().delete(user, current)
        cleared = {c: [] for c in shown}
        return {**cleared, kept: {"user": user, "id": None}, listed: listing(user, None, containing), title: ""} | {
            notice: f"Deleted: {gone}"
        }

    def do_export(kind: str, history: list[dict], state: Any, request: gr.Request):
        user = user_of(request)
        current = opened(state, user)
        if kind == "json":
            if not current:
                raise CoachError("Send a first message: an empty conversation has nothing to export.")
            files = {"conversation.json": json.dumps(log().export_json(user, current), ensure_ascii=False, indent=2)}
        else:  # what is on screen, saved or not
            files = {"conversation.md": conversation_markdown(history)}
        return {exported: gr.update(value=save_files(files, owner=user)[0], visible=True)}

    def do_import(file: Any, containing: str, request: gr.Request):
        if not file:
            return {notice: gr.skip()}
        user = user_of(request)
        path = Path(file if isinstance(file, str) else file.name)
        imported = log().import_json(user, path.read_text(encoding="utf-8"))
        history = log().history(user, imported.id)
        opened_now = {kept: {"user": user, "id": imported.id}, title: imported.title, upload: None}
        listed_now = {listed: listing(user, imported.id, containing), notice: f"Imported: {imported.title}"}
        return {**{c: history for c in shown}, **opened_now, **listed_now}

    everything = {kept, listed, title, notice, exported, upload, *shown}
    quiet = {"api_visibility": "private", "show_progress": "hidden"}
    chat.chatbot.change(
        guarded(keep), [chat.chatbot, kept, search], everything, queue=False, trigger_mode="always_last", **quiet
    )
    app.load(guarded(restore), kept, everything, queue=False, **quiet)
    listed.input(guarded(pick), listed, everything, api_name="open_conversation")
    new.click(guarded(start_new), None, everything, api_name=False)
    search.change(
        guarded(find), [search, kept], everything, api_name="search_conversations", trigger_mode="always_last"
    )
    rename.click(guarded(do_rename), [title, kept, search], everything, api_name="rename_conversation")
    title.submit(guarded(do_rename), [title, kept, search], everything, api_name=False)
    delete.click(guarded(do_delete), [kept, search], everything, api_name="delete_conversation")

    def as_markdown(history: list[dict], state: Any, request: gr.Request):
        return do_export("md", history, state, request)

    def as_json(history: list[dict], state: Any, request: gr.Request):
        return do_export("json", history, state, request)

    export_md.click(guarded(as_markdown), [chat.chatbot, kept], everything, api_name="export_conversation")
    export_json.click(guarded(as_json), [chat.chatbot, kept], everything, api_name="export_conversation_json")
    upload.upload(guarded(do_import), [upload, search], everything, api_name="import_conversation")
    return kept
