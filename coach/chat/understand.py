"""What a chat message asks for: the classifier with the keyword prior; when it is unsure, a tool call from a model
that makes them; and which tools to offer under an answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from coach.chat.router import Intent, details_in, prior_intent
from coach.chat.tool_routing import route_by_tool_call

if TYPE_CHECKING:
    from coach.chat.intents import Guess
    from coach.service import Coach

# One-click suggestions: the label shown and the message a click sends (recognised exactly, see `suggested`).
SUGGESTIONS: dict[Intent, str] = {
    Intent.DRAFT_ASK: "Draft the message",
    Intent.AGENDA: "Build a meeting agenda",
    Intent.CONVERSATION: "Plan the conversation",
    Intent.REHEARSE: "Rehearse it",
    Intent.JOURNAL_LOG: "Log a meeting",
    Intent.JOURNAL_OVERDUE: "Show what is overdue",
}
CLI_COMMANDS: dict[Intent, str] = {
    Intent.DRAFT_ASK: "coach draft-ask --name NAME --role ROLE --admire WHAT --goal WHAT",
    Intent.AGENDA: 'coach agenda --mentor NAME --minutes 30 --start "next Tuesday at 3pm"',
    Intent.CONVERSATION: "coach plan-conversation --scenario busy_mentor --mentor NAME",
    Intent.REHEARSE: "coach rehearse --persona busy_executive",
    Intent.JOURNAL_LOG: 'coach ask "log a meeting"',
    Intent.JOURNAL_OVERDUE: 'coach ask "what is overdue"',
}
OFFER_ABOVE = 0.15  # a tool this likely is offered under an answer


@dataclass
class Understood:
    intent: Intent
    confidence: float
    details: dict[str, Any] = field(default_factory=dict)
    offers: list[Intent] = field(default_factory=list)  # tools to suggest under an answer
    by: str = "classifier"  # or "tool call", "suggestion"


def suggested(message: str) -> Intent | None:
    """The tool whose suggestion was clicked (its exact label)."""
    text = message.strip().lower()
    return next((i for i, label in SUGGESTIONS.items() if label.lower() == text), None)


def classify(coach: Coach, message: str) -> tuple[Guess, list[Intent]]:
    """The classifier's guess (with the keyword prior) and the tools likely enough to offer under an answer."""
    guess = coach.intents.guess(message, prior_intent(message))
    return guess, [i for i, p in guess.ranked if i in SUGGESTIONS and p >= OFFER_ABOVE][:2]


def understand(coach: Coach, message: str) -> Understood:
    if (clicked := suggested(message)) is not None:
        return Understood(clicked, 1.0, by="suggestion")
    guess, offers = classify(coach, message)
    if guess.unsure:
        # Only an unsure classifier asks a model that calls tools: a confident one is right often enough (see the
        # held-out gate) that a whole model round trip before every answer would cost more than it could fix.
        called = route_by_tool_call(coach.answerer.model, message)
        if called is not None and called[0] is not Intent.ASK:
            intent, args = called
            return Understood(intent, 1.0, {**details_in(message, intent), **args}, by="tool call")
    if guess.unsure or guess.intent is Intent.ASK:
        sure = guess.confidence if guess.intent is Intent.ASK else 1 - guess.confidence
        return Understood(Intent.ASK, sure, offers=offers)
    return Understood(guess.intent, guess.confidence, details_in(message, guess.intent))
