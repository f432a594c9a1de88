"""Amounts of time in people's own phrasing: "20 mins", "twenty-minute", "half an hour", "forty five minutes",
"once a month", "every few weeks", "fortnightly", "till March", "three chats, max"."""

from __future__ import annotations

import re
from dataclasses import dataclass

_UNITS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "couple": 2, "few": 3,
}  # fmt: skip
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "ninety": 90}
_UNIT_WORD = "|".join(sorted(_UNITS, key=len, reverse=True))
_TEN_WORD = "|".join(_TENS)
NUMBER = rf"(?:\d{{1,3}}|(?:{_TEN_WORD})(?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine))?|(?:{_UNIT_WORD}))"

_DURATION = re.compile(
    rf"(?:\b(?P<half>half an? hour|half-hour|half hour)\b"
    rf"|\b(?P<quarter>(?:a )?quarter of an hour)\b"
    rf"|\b(?P<n>{NUMBER})(?:\s*(?:or|to|-)\s*(?P<n2>{NUMBER}))?[\s-]*(?P<unit>minutes?|mins?|hours?|hrs?|h)\b"
    rf"|\b(?P<hourlong>an hour|hour[\s-]long|a couple of hours|a few hours)\b)"
    r"(?! (?:ahead|behind|away|late|early|drive))",
    re.I,
)
_DAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)days"
_FREQUENCY = re.compile(
    rf"\b(?:once|twice|{NUMBER} times?)(?: or (?:twice|{NUMBER} times?))? (?:a|an|per|every|each) "
    r"(?:week|fortnight|month|quarter|term|year|semester|sprint)\b"
    rf"|\b(?:on|most|some) {_DAYS}\b|\b(?:each|every|a|per) (?:term|semester|sprint|half[- ]term|year)\b"
    rf"|\bevery (?:other |few |couple of |{NUMBER} )?(?:weeks?|fortnights?|months?|quarters?)\b"
    r"|\b(?:weekly|fortnightly|bi-?weekly|monthly|bi-?monthly|quarterly)\b|\beach (?:week|month|quarter)\b"
    r"|\b(?:hours?|an hour|minutes|mins)\s+(?:a|per|each) (?:week|fortnight|month|day)\b",  # "an hour a week": a rate
    re.I,
)
_OFTEN = re.compile(
    r"\b(?:weekly|every (?:single )?(?:week|day)|each week|daily|twice a week|(?:several|a few) times a week"
    r"|(?:hours?|an hour|minutes|mins) (?:a|per|each) (?:week|day))\b",
    re.I,
)
# "every week" is over-asking only when it is about meeting, not "I kept my log every week".
_MEETING = re.compile(
    r"\b(?:meet\w*|call|calls|chat|chats|session|sessions|catch[- ]?ups?|coffee|lunch|1:1|one[- ]to[- ]ones?|hour|hours"
    r"|minutes|mins|mentor\w*|could we|can we|sit down)\b",
    re.I,
)
_HORIZON = re.compile(
    r"\b(?:till|until|til|through(?: to)?|to the end of|until the end of|for the next|over the next|for a|for the|by)"
    r"\s+(?:the )?(?:end of )?(?:q[1-4]|christmas|summer|spring|autumn|fall|winter|the (?:quarter|year|term)"
    r"|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
    r"|(?:few|couple of|\w+) (?:months|weeks|quarters))\b"
    rf"|\b(?:{NUMBER}|a few|a couple of) (?:chats|calls|conversations|sessions|meetings)(?:,? (?:max|tops|or so))?\b"
    r"|\b(?:one|a single|just one|one-off|one last|a last|a final)"
    r" (?:call|chat|conversation|coffee|lunch|breakfast|walk|meeting|session)\b"
    r"|\b(?:before|after|around) (?:the )?"
    r"(?:summer|christmas|easter|new year|holidays|half[- ]term|end of (?:the )?\w+)\b",
    re.I,
)


def number(text: str) -> int | None:
    """'20' -> 20, 'twenty-five' -> 25, 'forty five' -> 45, 'a couple' -> 2; None when it is not a number."""
    words = re.split(r"[\s-]+", text.lower().strip())
    if words[0].isdigit():
        return int(words[0])
    total = 0
    for word in words:
        if word == "of":
            continue
        value = _TENS.get(word, _UNITS.get(word))
        if value is None:
            return None
        total += value
    return total


@dataclass(frozen=True)
class Amount:
    minutes: int  # the longest duration the phrase allows ("two or three hours" -> 180)
    start: int
    end: int


def durations(text: str) -> list[Amount]:
    """Every length of time a text names, in minutes, with where it is."""
    found = []
    for m in _DURATION.finditer(text):
        if m["half"]:
            minutes = 30
        elif m["quarter"]:
            minutes = 15
        elif m["hourlong"]:
            minutes = {"an hour": 60, "a couple of hours": 120, "a few hours": 180}.get(m["hourlong"].lower(), 60)
        else:
            n = number(m["n2"] or m["n"])
            if n is None:
                continue
            minutes = n * 60 if m["unit"].lower().startswith("h") else n
        found.append(Amount(minutes, m.start(), m.end()))
    return found


def frequency(text: str) -> re.Match[str] | None:
    return _FREQUENCY.search(text)


def too_often(text: str) -> re.Match[str] | None:
    """Weekly or more, about meeting: more than most mentors can give."""
    found = _OFTEN.search(text)
    return found if found and _MEETING.search(text) else None


def horizon(text: str) -> re.Match[str] | None:
    """An end to the ask: a date it runs to, a number of sessions, or a single conversation."""
    return _HORIZON.search(text)
