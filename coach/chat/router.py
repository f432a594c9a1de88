"""Recognise chat requests that belong to a coaching tool, and pull out the details they already give.

Rules in code, not the model: the local model is too small to route reliably, and a rule is testable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum


class Intent(StrEnum):
    ASK = "ask"
    DRAFT_ASK = "draft_ask"
    AGENDA = "agenda"
    CONVERSATION = "plan_conversation"
    REHEARSE = "rehearse"
    JOURNAL_LOG = "journal_log"
    JOURNAL_OVERDUE = "journal_overdue"
    JOURNAL_DONE = "journal_done"


_FLAGS = re.IGNORECASE
# Checked in this order: the first intent with a matching pattern wins.
PATTERNS: list[tuple[Intent, list[str]]] = [
    (Intent.REHEARSE, [r"\b(practi[cs]e|rehears\w*|role[- ]?play|run through|dry run|mock (conversation|call))\b"]),
    (
        Intent.AGENDA,
        [r"\bagenda\b", r"\b(plan|prepare|prep)\b.{0,30}\b(meeting|session|1[:-]1|one[- ]on[- ]one|catch[- ]?up)\b"],
    ),
    (
        Intent.DRAFT_ASK,
        [
            r"\b(write|draft|compose|word|send)\b.{0,40}\b(message|email|e-mail|note|dm|linkedin|inmail|to)\b",
            r"\b(cold|outreach|first)[- ](email|message|note|dm)\b",
            r"\bhow (do|should|can) i (reach out|approach|contact|write)\b",
        ],
    ),
    (
        Intent.CONVERSATION,
        [
            r"\bhow (do|should|can|would) i (tell|say|bring up|raise|ask|break it to|let)\b.{0,40}\bmentor\b",
            r"\b(tell|let) my mentor\b",
            r"\b(end|ending|wrap up|close out|conclude|step back from)\b.{0,20}\bmentor(ship|ing)?\b",
            r"\bdifficult conversation\b|\bhard conversation\b|\btough conversation\b",
        ],
    ),
]

# Unambiguous words only: a prior for the classifier (coach.chat.intents), never a route on their own.
PRIOR: list[tuple[Intent, str]] = [
    (Intent.AGENDA, r"\bagenda\b"),
    (
        Intent.REHEARSE,
        r"\b(rehears\w*|role[- ]?play\w*|mock (conversation|call|interview)|let'?s practi[cs]e|"
        r"practi[cs]e (with|asking|telling|saying|what|how|my pitch))\b",
    ),
    (Intent.JOURNAL_OVERDUE, r"\b(overdue|past due)\b"),
    (Intent.JOURNAL_DONE, r"\b(mark|tick|check)\b.{0,60}\b(done|complete|finished|off)\b"),
    (Intent.JOURNAL_LOG, r"\b(log|debrief)\b.{0,40}\b(meeting|session|call|1[:-]1|catch[- ]?up)\b"),
]

SCENARIO_WORDS: list[tuple[str, str]] = [
    ("asking_for_sponsorship", r"\bsponsor|advocate|vouch|put me forward|promotion\b"),
    ("ending_well", r"\b(end|ending|wrap up|close out|conclude|step back|finish)\b"),
    ("busy_mentor", r"\b(busy|cancel\w*|reschedul\w*|no time|never has time|swamped|ghost\w*)\b"),
    ("changing_focus", r"\b(change|changing|shift|switch|new)\b.{0,20}\b(focus|direction|goal|area|track)\b"),
    ("mismatched_expectations", r"\b(mismatch\w*|expectations?|style|not what i need|advice (doesn'?t|does not) fit)"),
    ("not_working", r"\b(not working|isn'?t working|doesn'?t work|going nowhere|stuck)\b"),
]

PERSONA_WORDS: list[tuple[str, str]] = [
    ("sponsorship_candidate", r"\bsponsor"),
    ("ending_relationship", r"\b(end|ending|wrap up|goodbye|conclude)\b"),
    ("sceptical_senior", r"\b(sceptic\w*|skeptic\w*|why me|senior|tough|doubt\w*)\b"),
    ("warm_but_vague", r"\b(vague|warm|friendly|noncommittal)\b"),
    ("busy_executive", r"\b(busy|executive|exec|vp|ceo|cto|director|five minutes|5 minutes)\b"),
]


@dataclass
class Route:
    intent: Intent
    details: dict[str, object] = field(default_factory=dict)


def _first(patterns: list[tuple[str, str]], text: str) -> str | None:
    return next((name for name, pattern in patterns if re.search(pattern, text, _FLAGS)), None)


def minutes_in(text: str) -> int | None:
    """A meeting length stated in the text: '30-minute', '45 mins', 'an hour', 'half an hour', '1.5 hours'."""
    if re.search(r"\bhalf an hour\b", text, _FLAGS):
        return 30
    if match := re.search(r"\b(\d{1,3})\s*-?\s*(?:min|mins|minutes?)\b", text, _FLAGS):
        return int(match.group(1))
    if match := re.search(r"\b(\d(?:\.\d)?)\s*-?\s*(?:h|hrs?|hours?)\b", text, _FLAGS):
        return round(float(match.group(1)) * 60)
    if re.search(r"\b(an|one)\s+hour\b", text, _FLAGS):
        return 60
    return None


_NAME = r"\b(?:with|to|for|mentor|named|called)\s+((?:Dr\.?\s+)?[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)"


def name_in(text: str) -> str | None:
    """A person's name after 'with', 'to', 'for' or 'mentor' ('my meeting with Priya Shah')."""
    match = re.search(_NAME, text)
    if not match:
        return None
    name = match.group(1)
    return None if name.split()[0] in {"I", "My", "The", "A", "An", "LinkedIn", "Email"} else name


def when_words(message: str) -> str:
    """The words naming a day and an hour ('next Tuesday', 'at 3pm'), for the start parser."""
    from coach.tools.when import DATE_WORDS, TIME_WORDS

    return " ".join(m.group(0) for pattern in (DATE_WORDS, TIME_WORDS) if (m := pattern.search(message)))


def prior_intent(message: str) -> Intent | None:
    """The intent an unambiguous keyword names ('agenda', 'role-play', 'overdue'), if any."""
    return next((intent for intent, pattern in PRIOR if re.search(pattern, message, _FLAGS)), None)


def details_in(message: str, intent: Intent) -> dict[str, object]:
    """What the message already says for `intent`'s tool: a name, a length, a channel, a scenario, a persona."""
    return route(message, intent).details


def route(message: str, intent: Intent | None = None) -> Route:
    """The tool a chat message asks for by rule (ASK when none), or the given `intent`, with the details the message
    already contains."""
    if intent is None:
        intent = next(
            (i for i, patterns in PATTERNS if any(re.search(p, message, _FLAGS) for p in patterns)), Intent.ASK
        )
    details: dict[str, object] = {}
    if name := name_in(message):
        details["mentor_name"] = name
    if (minutes := minutes_in(message)) is not None:
        details["minutes"] = minutes
    if re.search(r"\blinked\s?in\b", message, _FLAGS):
        details["channel"] = "linkedin"
    elif re.search(r"\be-?mail\b", message, _FLAGS):
        details["channel"] = "email"
    if intent is Intent.AGENDA and (said := when_words(message)):
        details["start"] = said
    if intent is Intent.CONVERSATION and (scenario := _first(SCENARIO_WORDS, message)):
        details["scenario"] = scenario
    if intent is Intent.REHEARSE:
        details["persona"] = _first(PERSONA_WORDS, message) or "busy_executive"
    return Route(intent=intent, details=details)
