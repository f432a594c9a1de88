"""The web page (Gradio 6): thin generators over the coach objects; no logic of its own."""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterator
from typing import Any

import gradio as gr

from coach.answer import Exchange
from coach.errors import CoachError, describe_failure
from coach.progress import terminal_progress
from coach.service import Coach, build_coach
from coach.settings import Settings

log = logging.getLogger(__name__)

SOURCES_TITLE = "📚 Sources"
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
    """The chat history without source lists and notices, as the answerer takes it."""
    exchanges = []
    for message in history or []:
        metadata = message.get("metadata") or {}
        if metadata.get("title"):
            continue
        exchanges.append(Exchange(role=message.get("role", "user"), content=message_text(message.get("content"))))
    return exchanges


def sources_message(hits: list) -> gr.ChatMessage:
    lines = [f"{n}. **{hit.label}** — {hit.text.split(chr(10), 2)[-1][:220]}…" for n, hit in enumerate(hits, 1)]
    body = "\n".join(lines) if lines else "No guidance passage matched this question."
    return gr.ChatMessage(content=body, metadata={"title": f"{SOURCES_TITLE} ({len(hits)})", "status": "done"})


def make_responder(coach: Coach):
    def respond(message: str, history: list[dict]) -> Iterator[list[gr.ChatMessage]]:
        """Stream the grounded answer, then its sources; errors become a message and keep what was said."""
        answer = ""
        try:
            prompt = coach.answerer.prepare(message, to_exchanges(history))
            sources = sources_message(prompt.hits)
            for piece in coach.answerer.stream(prompt):
                answer += piece
                yield [gr.ChatMessage(content=answer), sources]
            if not answer.strip():
                answer = "(The model returned an empty answer. Try rephrasing, or press Retry.)"
            yield [gr.ChatMessage(content=answer), sources]
        except Exception as exc:
            if not isinstance(exc, CoachError):
                log.warning("answer failed: %s", type(exc).__name__)
            notice = gr.ChatMessage(content=f"⚠️ {describe_failure(exc)}", metadata={"title": "⚠️ Problem"})
            yield ([gr.ChatMessage(content=answer)] if answer else []) + [notice]

    return respond


def build_app(coach: Coach) -> gr.Blocks:
    limit = 1 if coach.settings.resolved_provider() == "local" else 16
    with gr.Blocks(title="Mentor Coach", analytics_enabled=False) as app:
        gr.Markdown(
            "# Mentor Coach\nAsk about finding a mentor or getting more from one. "
            "Answers come from the guidance, with the passages shown under each answer."
        )
        status = gr.Markdown(coach.status_line(), elem_id="status-line")
        gr.ChatInterface(
            fn=make_responder(coach),
            chatbot=gr.Chatbot(label="Conversation", height=520, buttons=["copy"], placeholder="Ask the coach…"),
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
    if not is_loopback(settings.host):
        raise CoachError(
            f"Refusing to listen on {settings.host}: the page has no login yet, so it only binds to loopback."
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
        footer_links=["api"],
    )
    return app
