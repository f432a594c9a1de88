"""Thumbs up or down under each answer, with an optional reason, kept in the journal's file for this user."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gradio as gr

from coach.errors import CoachError, describe_failure
from coach.journal.feedback import answer_context
from coach.ui.conversations import opened
from coach.ui.journal import user_of

if TYPE_CHECKING:
    from coach.ui.startup import Startup


def answer_feedback(startup: Startup, chat: gr.ChatInterface, kept: gr.BrowserState) -> None:
    given = gr.State(None)  # the id of the vote the reason box adds to
    with gr.Row(visible=False, elem_id="feedback-reason") as why:
        reason = gr.Textbox(
            label="Thanks. What made this answer good or bad? (optional)", lines=1, max_lines=3, scale=4
        )
        send = gr.Button("Send the reason", size="sm", scale=1, min_width=120)
    said = gr.Markdown(elem_id="feedback-notice")

    def vote(history: list[dict], state: Any, data: gr.LikeData, request: gr.Request):
        user = user_of(request)
        index = data.index if isinstance(data.index, int) else data.index[0]
        question, answer, sources = answer_context(history or [], index)
        try:
            record = startup.wait().journal.feedback.add(
                user,
                liked=data.liked is True,
                question=question,
                answer=answer or "(empty)",
                sources=sources,
                conversation_id=opened(state, user),
            )
        except CoachError as exc:
            return None, gr.update(visible=False), gr.skip(), f"⚠️ {exc}"
        except Exception as exc:  # shown under the chat
            return None, gr.update(visible=False), gr.skip(), f"⚠️ {describe_failure(exc)}"
        return record.id, gr.update(visible=True), "", ""

    def explain(feedback_id: int | None, text: str, request: gr.Request):
        if not feedback_id or not (text or "").strip():
            return gr.update(visible=False), gr.skip(), ""
        try:
            startup.wait().journal.feedback.give_reason(user_of(request), feedback_id, text)
        except CoachError as exc:
            return gr.skip(), gr.skip(), f"⚠️ {exc}"
        return gr.update(visible=False), "", "Thanks, noted."

    chat.chatbot.like(vote, [chat.chatbot, kept], [given, why, reason, said], api_name="answer_feedback")
    send.click(explain, [given, reason], [why, reason, said], api_name="answer_feedback_reason")
    reason.submit(explain, [given, reason], [why, reason, said], api_name=False)
