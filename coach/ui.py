"""The web page (Gradio 6): thin generators over the coach objects; no logic of its own."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr

from coach.answer import Exchange
from coach.chat import Reply, reply
from coach.errors import CoachError
from coach.progress import terminal_progress
from coach.service import Coach, build_coach
from coach.settings import Settings
from coach.ui_journal import agenda_prefill, draft_prefill, journal_panel, journal_picker, user_of
from coach.ui_tools import agenda_panel, conversation_panel, draft_panel, rehearsal_panel

log = logging.getLogger(__name__)

EXAMPLES = [
    "Help me rehearse how I'll ask a senior engineer I admire to mentor me.",
    "My mentor keeps cancelling our meetings. What should I do?",
    "Suggest an agenda for a 30-minute meeting with my mentor.",
]
UPGRADE_HINT = (
    "For stronger answers set `OPENAI_API_KEY` (OpenAI) or `OPENAI_BASE_URL` "
    "(Ollama, vLLM, LM Studio, llama.cpp server) and restart."
)


def message_text(content: Any) -> str:
    """Plain text of a Gradio message's content, whichever shape Gradio hands it over in."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, list | tuple):
        return " ".join(message_text(part) for part in content).strip()
    return ""


def to_exchanges(history: list[dict]) -> list[Exchange]:
    """Gradio's history as the chat logic takes it: role, text and the title of a folded message."""
    return [
        Exchange(
            role=message.get("role", "user"),
            content=message_text(message.get("content")),
            title=(message.get("metadata") or {}).get("title"),
        )
        for message in history or []
    ]


def to_gradio(replies: list[Reply]) -> list[gr.ChatMessage]:
    return [
        gr.ChatMessage(content=r.content, metadata={"title": r.title, "status": "done"} if r.title else {})
        for r in replies
    ]


def make_responder(coach: Coach):
    def respond(message: str, history: list[dict], request: gr.Request) -> Iterator[list[gr.ChatMessage]]:
        """Stream the reply to one chat message (answer and sources, a tool's result, or a rehearsal turn)."""
        for replies in reply(coach, message, to_exchanges(history), user_of(request)):
            yield to_gradio(replies)

    return respond


def build_app(coach: Coach) -> gr.Blocks:
    limit = 1 if coach.settings.resolved_provider() == "local" else 16
    with gr.Blocks(title="Mentor Coach", analytics_enabled=False) as app:
        gr.Markdown(
            "# Mentor Coach\nAsk about finding a mentor or getting more from one, or use a tool below. "
            "Answers come from the guidance, with the passages shown under each answer."
        )
        status = gr.Markdown(coach.status_line(), elem_id="status-line")
        banner = gr.Markdown(elem_id="reminders")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                gr.ChatInterface(
                    fn=make_responder(coach),
                    chatbot=gr.Chatbot(
                        label="Conversation", height=520, buttons=["copy"], placeholder="Ask the coach…"
                    ),
                    textbox=gr.Textbox(
                        label="Your message", placeholder="e.g. My mentor keeps cancelling…", lines=2, max_lines=8
                    ),
                    examples=EXAMPLES,
                    run_examples_on_click=True,
                    cache_examples=False,
                    api_name="ask",
                    concurrency_limit=limit,
                    analytics_enabled=False,
                )
            with gr.Tab("Draft an ask", id="draft"):
                picker_slot = gr.Column()
                draft = draft_panel(coach)
                with picker_slot:
                    journal_picker(coach, app, [draft["name"], draft["role"]], draft_prefill)
            with gr.Tab("Agenda", id="agenda"):
                picker_slot = gr.Column()
                agenda = agenda_panel(coach)
                with picker_slot:
                    journal_picker(
                        coach, app, [agenda["mentor"], agenda["progress"], agenda["actions"]], agenda_prefill
                    )
            with gr.Tab("Difficult conversation", id="conversation"):
                conversation_panel(coach)
            with gr.Tab("Rehearse", id="rehearse"):
                rehearsal_panel(coach)
            with gr.Tab("Journal", id="journal"):
                journal_panel(coach, app, banner)
        with gr.Accordion("Model and index", open=False):
            gr.Markdown(UPGRADE_HINT)
            reindex = gr.Button("Re-index the guidance")

            def run_reindex(progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008 - Gradio's idiom
                try:
                    report = coach.sync(progress=lambda done, total: progress((done, max(total, 1)), unit="chunks"))
                except CoachError as exc:
                    return f"{coach.status_line()}\n\n⚠️ {exc}"
                return f"{coach.status_line()}\n\n{report.summary()}"

            reindex.click(run_reindex, outputs=status, api_name="reindex", concurrency_limit=1)
    return app


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(settings: Settings, coach: Coach | None = None, *, block: bool = True) -> gr.Blocks:
    """Index what changed, then serve the page on settings.host:port (127.0.0.1 unless told otherwise)."""
    accounts = settings.accounts()
    if not is_loopback(settings.host) and not accounts:
        raise CoachError(
            f"Refusing to listen on {settings.host} without log-in: set COACH_USERS='name:password,…' "
            "or keep COACH_HOST=127.0.0.1."
        )
    coach = coach or build_coach(settings)
    print(coach.sync(progress=terminal_progress("Indexing guidance")).summary())
    app = build_app(coach)
    app.queue(default_concurrency_limit=4)
    app.launch(
        server_name=settings.host,
        server_port=settings.port or None,
        share=False,
        prevent_thread_lock=not block,
        show_error=False,
        quiet=not block,
        auth=accounts or None,
        auth_message="Mentor Coach: sign in to see your own journal." if accounts else None,
        footer_links=["api"],
    )
    return app
