"""A rehearsal inside the chat: its state is the 🎭 titles of earlier messages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from coach.chat.answer import Exchange
from coach.chat.replies import Reply, tool_replies
from coach.tools.rehearsal import ENDS_REHEARSAL, Persona, feedback, mentor_reply

if TYPE_CHECKING:
    from coach.service import Coach

REHEARSAL = "🎭 "


def transcript_of(history: Sequence[Exchange]) -> list[dict[str, str]]:
    """The turns since the rehearsal began: mentor turns carry the 🎭 title."""
    start = max(
        (i for i, e in enumerate(history) if e.title and e.title.startswith(REHEARSAL + "Rehearsal")),
        default=len(history),
    )
    turns = []
    for exchange in history[start + 1 :]:
        if exchange.role == "user":
            turns.append({"role": "user", "content": exchange.content})
        elif exchange.title and exchange.title.startswith(REHEARSAL):
            turns.append({"role": "mentor", "content": exchange.content})
    return turns


def persona_of(title: str) -> Persona:
    label = title.removeprefix(REHEARSAL).strip()
    return next((p for p in Persona if p.label == label), Persona.busy_executive)


def start_rehearsal(coach: Coach, persona: Persona) -> list[Reply]:
    intro = (
        f"Rehearsal started: I'll play a **{persona.label}**. Speak as you would to them. "
        "Type **end** when you want your feedback."
    )
    return [
        Reply(intro, title=f"{REHEARSAL}Rehearsal", open=True),
        Reply(mentor_reply(persona, [], coach.answerer.model), title=f"{REHEARSAL}{persona.label}", open=True),
    ]


def rehearsal_turn(coach: Coach, message: str, history: Sequence[Exchange], persona: Persona) -> list[Reply]:
    transcript = transcript_of(history)
    if ENDS_REHEARSAL.match(message):
        if not any(t["role"] == "user" for t in transcript):
            return [Reply("The rehearsal ended before you said anything, so there is nothing to score yet.")]
        return tool_replies(feedback(transcript, persona, coach.answerer.model, coach.retriever))
    transcript.append({"role": "user", "content": message})
    reply = mentor_reply(persona, transcript, coach.answerer.model)
    return [Reply(reply, title=f"{REHEARSAL}{persona.label}", open=True)]
