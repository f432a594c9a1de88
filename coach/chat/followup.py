"""Follow-ups edit the last result: 'make it 45 minutes instead', 'shorter', 'now a LinkedIn version', 'use the
warm persona' re-run the last tool with one field changed, instead of starting over."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from coach.chat.answer import Exchange
from coach.chat.forms import FORMS, read_form
from coach.chat.router import Intent, details_in, minutes_in, name_in
from coach.tools.when import DATE_WORDS, TIME_WORDS

_I = re.I
MAX_FOLLOW_UP = 120  # characters: a longer message is a new request


def changes_in(message: str, intent: Intent) -> dict[str, Any]:
    """The fields a short follow-up changes for `intent`'s tool; {} when it is not a follow-up."""
    if len(message) > MAX_FOLLOW_UP:
        return {}
    changes: dict[str, Any] = {}
    if (minutes := minutes_in(message)) is not None and intent in (Intent.AGENDA, Intent.DRAFT_ASK):
        changes["minutes"] = minutes
    if intent is Intent.DRAFT_ASK:
        if re.search(r"\blinked\s?in\b", message, _I):
            changes["channel"] = "linkedin"
        elif re.search(r"\be-?mail\b", message, _I):
            changes["channel"] = "email"
        for variant, pattern in (("shorter", r"\bshort(er)?\b|\bbrief\w*"), ("warmer", r"\bwarm(er)?\b|\bfriendl"),
                                 ("formal", r"\bformal\b"), ("standard", r"\bstandard\b|\bplain\b")):  # fmt: skip
            if re.search(pattern, message, _I):
                changes["variant"] = variant
                break
    if intent is Intent.AGENDA:
        if re.search(r"\bshort(er)?\b", message, _I) and "minutes" not in changes:
            changes["minutes"] = "shorter"
        if DATE_WORDS.search(message) or TIME_WORDS.search(message):
            changes["start"] = message
    if intent is Intent.CONVERSATION and (scenario := details_in(message, intent).get("scenario")):
        changes["scenario"] = scenario
    if changes and re.search(r"\b(instead|with|for)\b", message) and (name := name_in(message)):
        changes["mentor_name"] = name
    return changes


def last_request(history: Sequence[Exchange], intent: Intent) -> dict[str, Any]:
    """The details behind the last result of `intent`'s tool, replayed from the conversation: the form lines shown
    before it, the words that asked for it, and the follow-ups since."""
    form = FORMS[intent]
    details: dict[str, Any] = {}
    ours = (form.title, form.title + " ✓")
    begin = max(
        (i for i, e in enumerate(history) if e.role == "assistant" and e.title not in ours
         and not (e.title or "").startswith("📚")),
        default=-1,
    )  # fmt: skip
    for i, exchange in enumerate(history[begin + 1 :]):
        if exchange.role == "assistant" and exchange.title == form.title:
            details = {**details, **read_form(form, exchange.content)}
        elif exchange.role == "user":
            from_form = read_form(form, exchange.content)
            said = from_form or {k: v for k, v in details_in(exchange.content, intent).items()}
            edits = changes_in(exchange.content, intent) if i and not from_form else {}
            details = {**details, **said, **edits}
    return details


def apply(details: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    changed = {**details, **changes}
    if changes.get("minutes") == "shorter":
        changed["minutes"] = max(15, int(details.get("minutes") or 30) - 15)
    if "start" in changes:
        changed.pop("day", None)
    return changed
