"""Questions the guidance does not cover ("what's the capital of France?", "write me a poem") get a plain "not
something I cover", never a confident answer stitched from unrelated passages, nor a model's own knowledge."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.guidance.retrieval import Closeness

# Calibrated by bench/scope.py on the development half (even lines) of bench/scope_questions.jsonl, written blind:
# below both bars, a question is nearer to nothing in the guidance than any mentoring question there, or any of the
# 348 retrieval and document evaluation questions. Either bar alone let through more off-topic questions.
TEXT_BAR = 0.25  # cosine to the closest passage text (MiniLM)
PHRASING_BAR = 0.40  # cosine to the closest everyday phrasing of a section
# Guidance with no everyday phrasings at all (a knowledge folder of the user's own): the text alone decides, with a
# lower bar (on the development half: no mentoring question turned away, 26 of 33 off-topic ones).
TEXT_ONLY_BAR = 0.18
OUT_OF_SCOPE = (
    "That is outside the mentoring guidance I have, so I won't guess at it. I can help with finding and approaching "
    "a mentor, planning meetings, difficult conversations with a mentor, rehearsing an ask, and keeping track of "
    "your mentoring. If it is about mentoring, try asking it another way, or add your own guidance."
)


def out_of_scope(closeness: Closeness | None) -> bool:
    """True when the question is far from every passage and every phrasing (unknown closeness: answer it)."""
    if closeness is None:
        return False
    if closeness.phrasing == 0.0:
        return closeness.text < TEXT_ONLY_BAR
    return closeness.text < TEXT_BAR and closeness.phrasing < PHRASING_BAR
