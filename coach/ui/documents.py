"""The "Your guidance" panel: upload, list and remove your own documents (per user when accounts are on)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr

from coach.errors import CoachError
from coach.ui.journal import user_of

if TYPE_CHECKING:
    from coach.ui.startup import Startup

UPLOAD_TYPES = [".pdf", ".docx", ".html", ".htm", ".txt", ".md", ".markdown"]


def _table(names: list[str]) -> list[list[str]]:
    return [[name] for name in names]


def documents_panel(startup: Startup, app: gr.Blocks) -> None:
    """Upload files (indexed at once, with a progress bar; only new or changed ones are embedded), see what is
    there, remove one. Each user sees and is answered from their own documents only."""
    from coach.guidance.uploads import MAX_DOCUMENTS, MAX_UPLOAD_BYTES

    gr.Markdown(
        "Add your own guidance — a programme handbook (PDF), a Word document, a saved web page or a text file. "
        f"Answers then draw on it beside the built-in guidance, for you only. Up to {MAX_DOCUMENTS} documents of "
        f"{MAX_UPLOAD_BYTES // 1_000_000} MB each."
    )
    files = gr.File(label="Add documents", file_count="multiple", file_types=UPLOAD_TYPES, type="filepath")
    add = gr.Button("Add to my guidance", variant="primary")
    outcome = gr.Markdown(elem_id="documents-outcome")
    listing = gr.Dataframe(headers=["Document"], interactive=False, label="Your documents")
    with gr.Row():
        chosen = gr.Dropdown(label="Document to remove", choices=[], value=None, allow_custom_value=True)
        remove = gr.Button("Remove", variant="stop")

    def shown(user: str) -> tuple[list[list[str]], dict]:
        from coach.guidance.uploads import list_documents

        names = list_documents(startup.settings.data_dir, user)
        return _table(names), gr.update(choices=names, value=None)

    def list_mine(request: gr.Request):
        return shown(user_of(request))

    def add_mine(paths: list[str] | None, request: gr.Request, progress: gr.Progress = gr.Progress()):  # noqa: B008
        from coach.guidance.uploads import add_documents

        user = user_of(request)
        if not paths:
            return "Choose one or more files first.", *shown(user)
        try:
            coach = startup.wait()
            report = add_documents(
                coach.index,
                startup.settings.data_dir,
                user,
                [Path(p) for p in paths],
                lambda done, total: progress((done, max(total, 1)), unit="passages"),
            )
        except CoachError as exc:
            return f"⚠️ {exc}", *shown(user)
        lines = [f"Added {', '.join(report.added)}." if report.added else "Nothing was added."]
        if report.sync:
            lines.append(f"{report.sync.chunks_embedded} passages indexed.")
        lines += [f"⚠️ {p}" for p in report.problems]
        return "\n\n".join(lines), *shown(user)

    def remove_mine(name: str | None, request: gr.Request):
        from coach.guidance.uploads import remove_document

        user = user_of(request)
        if not name:
            return "Choose a document to remove.", *shown(user)
        try:
            removed = remove_document(startup.wait().index, startup.settings.data_dir, user, name)
        except CoachError as exc:
            return f"⚠️ {exc}", *shown(user)
        return (f"Removed {name}." if removed else f"You have no document called {name}."), *shown(user)

    app.load(list_mine, None, [listing, chosen], api_name="list_documents", show_progress="hidden")
    add.click(add_mine, files, [outcome, listing, chosen], api_name="add_documents", concurrency_limit=1)
    remove.click(remove_mine, chosen, [outcome, listing, chosen], api_name="remove_document", concurrency_limit=1)
