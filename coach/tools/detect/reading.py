"""How the detectors read a person's turns: their sentences with offsets, the concrete details in them, and whether
a phrase is said or denied."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from coach.tools.detect import semantic

_SENTENCE = re.compile(r"[^.!?\n]+(?:[.!?]+|$)")
_PROPER = re.compile(r"(?<=[a-z,;:'’-] )[A-Z][\w&'’-]+|\b[A-Z]{2,}\b|\b\d[\w:.,%-]*")


@dataclass(frozen=True)
class Span:
    turn: int  # index in the transcript
    start: int
    end: int
    text: str


class Reading(list[Span]):
    """The user's sentences, and how close each is in meaning to each signal's examples (semantic.py)."""

    def __init__(self, spans: list[Span], closeness: dict[str, list[float]]) -> None:
        super().__init__(spans)
        self.closeness = closeness

    def near(self, signal: str) -> list[Span]:
        """The sentences whose meaning is close to the signal's examples, except those that deny it: embeddings
        hardly tell "I can offer" from "I can't offer"."""
        bar, scores = semantic.threshold(signal), self.closeness.get(signal, [])
        return [s for s, v in zip(self, scores, strict=True) if v >= bar and not _DENIAL.search(s.text)]


def sentences(turns: Sequence[tuple[int, str]]) -> list[Span]:
    """The user's sentences with their offsets in their turn."""
    out = []
    for index, text in turns:
        for m in _SENTENCE.finditer(text):
            lead = len(m.group()) - len(m.group().lstrip(" -–—\"'“"))
            stripped = m.group().strip(" -–—\"'“”")
            if any(ch.isalnum() for ch in stripped):
                start = m.start() + lead
                out.append(Span(index, start, start + len(stripped), stripped))
    return out


_GREETING = re.compile(r"\b(?i:hi|hello|hey|dear|thanks|thank you|i'?m|i am|my name is|this is),?\s+[A-Z][\w'’-]*")


# Numbers in words, and the particular things people name in lower case ("the harlow account", "the staff
# calibration panel"): many type without capitals, and their details are as concrete as anyone's.
_NUMBER_WORD = re.compile(
    r"\b(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty"
    r"|hundred)(?:[- ](?:month|year|week|day|person|page))?\b",
    re.I,
)
_PARTICULAR_THING = re.compile(
    r"\b(?:the|that|those|your|my|our) (?!(?:thing|things|way|time|times|stuff|point|bit|part|one|lot|kind|sort|end"
    r"|day|moment|same|whole|best|most|first|next|last|other|rest|idea|reason|question|chance|advice|help|work|job"
    r"|team|company|career|role|time|meeting|meetings|session|sessions|call|calls|mentoring|mentorship|world)\b)"
    r"((?:[a-z][\w'’-]{3,} ){1,2}[a-z][\w'’-]{3,})\b"
)


def details(text: str) -> int:
    """How many concrete details (names, numbers, dates, particular things of two or three words) a sentence
    carries; greetings and self-introductions name people, not the goal."""
    text = _GREETING.sub("", text)
    proper = set(_PROPER.findall(text)) - {"I", "I'm", "I'll", "I've", "I'd", "OK", "Ok"}
    words = {m.group(0).lower() for m in _NUMBER_WORD.finditer(text)}
    things = {m.group(1).lower() for m in _PARTICULAR_THING.finditer(text)}
    return len(proper) + len(words) + len(things)


_NEGATOR = re.compile(
    r"\b(?:not|no|never|nothing|none|cannot|without|(?:can|couldn|don|didn|doesn|won|wouldn|haven|hasn|isn|wasn)"
    r"(?:'|’)?t)\b",
    re.I,
)
# A sentence taken on meaning alone (Reading.near) is dropped when it denies having or doing the thing ("I don't
# have an agenda", "I can't really offer anything"): a negation elsewhere ("so you don't have to read it") is courtesy.
_DENIAL = re.compile(
    r"\b(?:no|nothing|never|not|cannot|(?:can|couldn|don|didn|haven|hasn|won|wasn)(?:'|’)?t)\b(?:\s+\w+){0,2}?\s+"
    r"(?:have|had|got|prepared?|bring|brought|offer|give|know|thought|written|wrote|read|planned|any|anything|much"
    r"|idea|clue|sure|really)\b|\bno (?:idea|clue|agenda|questions?|notes?|plan)\b",
    re.I,
)
# An intention given up: "I was going to write an agenda but didn't get round to it".
_DROPPED = re.compile(
    r"\b(?:(?:was|were) going to|meant to|wanted to|planned to|tried to)\b.*\bbut (?:i |we )?(?:\w+ )?"
    r"(?:didn(?:'|’)?t|never|haven(?:'|’)?t|couldn(?:'|’)?t|ran out|forgot|got)\b",
    re.I,
)


def says(pattern: re.Pattern[str], text: str, window: int = 5) -> bool:
    """Whether `text` says one of `pattern`'s phrases rather than denies it: no negation in the few words before
    it within its clause ("I can't really offer anything in return", "no idea what the next step is"), and no
    intention given up."""
    if _DROPPED.search(text):
        return False
    for match in pattern.finditer(text):
        clause = re.split(r"[,;:–—]| - |\bbut\b", text[: match.start()])[-1]
        if not _NEGATOR.search(" ".join(clause.split()[-window:])):
            return True
    return False


def any_phrase(spans: list[Span], pattern: re.Pattern[str]) -> list[Span]:
    """The sentences with a phrase of a pattern that is itself a denial or a hedge (vague asks, open next steps)."""
    return [s for s in spans if pattern.search(s.text)]


def signalled(spans: list[Span], pattern: re.Pattern[str], signal: str = "") -> list[Span]:
    """The sentences that carry a signal: its lexicon's phrases or, with `signal`, a meaning close to its examples."""
    near = set(spans.near(signal)) if signal and isinstance(spans, Reading) else set()
    return [s for s in spans if says(pattern, s.text) or s in near]
