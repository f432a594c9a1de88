"""Lines the user could have said, built from their own details (their topic, the time they named, the reason
they gave), for every criterion scored under 4."""

from __future__ import annotations

import re

from coach.tools.detect import amounts
from coach.tools.detect import lexicon as lx
from coach.tools.detect.criteria import Evidence
from coach.tools.detect.reading import Span, sentences
from coach.tools.rehearsal.data_files import rubric
from coach.tools.rehearsal.names import Criterion

_TOPIC = re.compile(
    r"\b(?:how to|how do i|whether|guidance on|steer on|advice on|help (?:with|on)|read on|learn (?:about|how to)|about"
    r"|get good at|working on|(?:feedback|input|view|take|eye|read|thoughts) on(?: the| my)?)"
    r"\s+(?!from\b|to\b|you\b|me\b|it\b|that\b|this\b)([^.?!,;\n]{6,80})",
    re.I,
)
_REASON = re.compile(
    r"\b(your (?:[\w-]+ ){0,4}(?:talk|paper|piece|post|article|blog|book|podcast|project|path|work|move|journey"
    r"|presentation|keynote|research|newsletter)(?: (?:on|about|at|in) [^.?!,;\n]{3,50})?)",
    re.I,
)
_VAGUE_TOPIC = re.compile(r"\b(?:stuff|everything|things|it all|my career|general|you|me)\b", re.I)


def _clip(text: str, words: int = 10) -> str:
    kept = text.split()[:words]
    while kept and kept[-1].lower() in {"a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "so"}:
        kept.pop()
    return " ".join(kept)


def details(spans: list[Span]) -> dict[str, str]:
    """The user's own words a better line can reuse; bracketed prompts where they gave none."""
    topic = next(
        (m.group(1) for s in spans for m in _TOPIC.finditer(s.text) if not _VAGUE_TOPIC.search(m.group(1))), ""
    )
    reason = next((m.group(1) for s in spans for m in _REASON.finditer(s.text)), "")
    minutes = [a.minutes for s in spans for a in amounts.durations(s.text) if a.minutes <= 45]
    horizon = next((m.group() for s in spans if (m := amounts.horizon(s.text))), "")
    offer = next((s.text for s in spans if lx.OFFER.search(s.text)), "")
    return {
        "topic": _clip(topic) or "[the one goal you want help with]",
        "reason": _clip(reason, 12) or "[the talk, project or decision of theirs that made you pick them]",
        "minutes": str(max(minutes)) if minutes else "20",
        "horizon": horizon or "until the end of the quarter",
        "offer": "that" if offer else "[something you know or have that could help them]",
    }


def better_line(criterion: Criterion, evidence: Evidence, spans: list[Span]) -> str:
    """ "Try instead: …" for a score under 4; empty when the user already did well."""
    if evidence.score >= 4:
        return ""
    return rubric()[criterion].better.format(**details(spans))


def all_spans(turns: list[tuple[int, str]]) -> list[Span]:
    return sentences(turns)
