"""One chat turn run outside the page (`coach ask --json`): the replies the page would show, as JSON-able data."""

from __future__ import annotations

from datetime import tzinfo
from typing import TYPE_CHECKING, Any

from coach.chat.replies import SOURCES
from coach.chat.turn import reply
from coach.chat.understand import CLI_COMMANDS, SUGGESTIONS, classify, understand

if TYPE_CHECKING:
    from coach.service import Coach


def turn_as_json(coach: Coach, message: str, zone: tzinfo | None = None) -> dict[str, Any]:
    found = understand(coach, message)
    final: list = []
    for update in reply(coach, message, [], zone=zone, understood=found):
        final = update
    replies = [{"title": r.title, "content": r.content} for r in final if not (r.title or "").startswith(SOURCES)]
    sources = [r.content for r in final if (r.title or "").startswith(SOURCES)]
    suggestions = [{"label": SUGGESTIONS[i], "command": CLI_COMMANDS[i]} for i in found.offers]
    return {
        "intent": found.intent.value,
        "confidence": round(found.confidence, 3),
        "replies": replies,
        "sources": sources,
        "suggestions": suggestions,
    }


def suggested_commands(coach: Coach, message: str) -> list[str]:
    """The CLI's equivalent of the one-click suggestions under an answer (the classifier's alone: the answer is
    already given, so no model is asked to route it)."""
    return [f"{SUGGESTIONS[i]}: {CLI_COMMANDS[i]}" for i in classify(coach, message)[1]]
