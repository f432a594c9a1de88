"""Guidance-first answers: code picks the passage sentences that answer the question and lays them out.

A one-line gist, three to five steps and, where the guidance has wording, "You could say: …"; every sentence is
the guidance's own and ends with the number [n] of its passage in the sources list shown under the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from coach.chat.sentence_kind import is_action, leans_on_context
from coach.guidance.sentence_bank import PassageSentences
from coach.guidance.sentences import Sentence

MAX_STEPS = 5
MIN_STEPS = 3
DIVERSITY = 0.3  # MMR: how much a point's likeness to those already chosen counts against it
DUPLICATE = 0.85  # a sentence this close to a chosen one says the same thing (chunks overlap, sections echo)
RANK_WEIGHT = 0.2  # the retriever's order of the passages, beside each sentence's own likeness to the question
ACTION_BONUS = 0.08  # a step should be something to do ("Offer…", "If they do not reply, wait…")
CONTEXT_PENALTY = 0.1  # "It also gives you…" reads wrongly once taken out of its paragraph
REACH = 0.25  # a fourth or fifth step must be within this of the best step's relevance
SAMPLE_REACH = 0.45  # sample wording resembles the question less than advice does
NO_GUIDANCE = "No guidance passage matched this question. Try asking it another way, or add your own notes."
# Behaviour that crosses a line is not a mentoring friction to talk through: when the question names it, the answer
# opens with the guidance's sentence on where to take it (HR, the programme office), whatever the section leads with.
CROSSES_A_LINE = re.compile(
    r"\b(?:harass\w*|bull(?:y|ied|ies|ying)|discriminat\w*|sexual\w*|unsafe|abus(?:e|ed|es|ing|ive)|racis\w*|sexis\w*"
    r"|threaten(?:ed|ing|s)? (?:me|to)|creep(?:y|ed me out)|touched me|demean\w*|inappropriate(?:ly)? "
    r"(?:comments?|remarks?|jokes?|touch\w*|behaviou?r|messages?|texts?|advances?|questions?|about))\b",
    re.I,
)
WHERE_TO_TAKE_IT = re.compile(r"\b(?:HR|human resources|programme office|program office)\b")


@dataclass(frozen=True)
class Point:
    """One sentence of the answer and the passage (1-based, as in the sources list) it comes from."""

    text: str
    source: int
    sample: bool = False

    def cited(self) -> str:
        return f"{self.text} [{self.source}]"


@dataclass(frozen=True)
class Composed:
    gist: Point | None
    steps: tuple[Point, ...]
    say: Point | None

    @property
    def points(self) -> list[Point]:
        return [p for p in (self.gist, *self.steps, self.say) if p is not None]

    def markdown(self) -> str:
        if self.gist is None:
            return NO_GUIDANCE
        lines = [f"**In short:** {self.gist.cited()}", ""]
        lines += [f"{n}. {step.cited()}" for n, step in enumerate(self.steps, 1)]
        if self.say is not None:
            lines += ["", f'**You could say:** "{self.say.text}" [{self.say.source}]']
        return "\n".join(lines)


@dataclass(frozen=True)
class _Candidate:
    sentence: Sentence
    source: int
    vector: np.ndarray
    relevance: float
    action: bool


def _candidates(query: np.ndarray, passages: Sequence[PassageSentences]) -> list[_Candidate]:
    seen: set[str] = set()
    found = []
    for rank, entry in enumerate(passages):
        if not entry.sentences:
            continue
        likeness = entry.vectors @ query
        for sentence, vector, like in zip(entry.sentences, entry.vectors, likeness, strict=True):
            key = sentence.text.casefold()
            if key in seen:  # the overlap between neighbouring chunks repeats sentences word for word
                continue
            seen.add(key)
            action = is_action(sentence.text)
            relevance = (
                float(like)
                + RANK_WEIGHT * (1 - rank / len(passages))
                + ACTION_BONUS * action
                - CONTEXT_PENALTY * leans_on_context(sentence.text)
            )
            found.append(_Candidate(sentence, rank + 1, vector, relevance, action))
    return found


def _pick(pool: list[_Candidate], chosen: list[_Candidate], floor: float) -> _Candidate | None:
    """The next point by maximal marginal relevance: relevant, and unlike every point already chosen."""
    best, best_score = None, -np.inf
    for c in pool:
        if c.relevance < floor or c in chosen:
            continue
        likeness = max((float(c.vector @ o.vector) for o in chosen), default=0.0)
        if likeness >= DUPLICATE:
            continue
        score = (1 - DIVERSITY) * c.relevance - DIVERSITY * likeness
        if score > best_score:
            best, best_score = c, score
    return best


def _is_own(own: Sequence[bool], source: int) -> bool:
    return source <= len(own) and own[source - 1]


def compose(
    query: np.ndarray, passages: Sequence[PassageSentences], question: str = "", own: Sequence[bool] = ()
) -> Composed:
    """The answer from `passages` (in the retriever's order) to `question`, whose unit vector is `query`. `own[n]`
    is true when passage n + 1 is from the user's own documents."""
    candidates = _candidates(np.asarray(query, dtype=np.float32), passages)
    plain = [c for c in candidates if not c.sentence.sample]
    if not plain:
        return Composed(None, (), None)
    leads = [c for c in plain if c.sentence.lead] or plain
    # The user's own document ranked first: its opening is the gist, not general advice beside it (their handbook's
    # "every two weeks", where the guidance says monthly is common).
    if _is_own(own, 1):
        leads = [c for c in leads if c.source == 1] or leads
    crosses_a_line = bool(CROSSES_A_LINE.search(question))
    if crosses_a_line:
        leads = [c for c in plain if WHERE_TO_TAKE_IT.search(c.sentence.text)] or leads
    gist = max(leads, key=lambda c: c.relevance)
    chosen = [gist]
    # A section's opening sentence restates its heading: a gist, not a step, unless there is nothing else.
    steps = [c for c in plain if not c.sentence.lead]
    steps = steps if len(steps) >= MIN_STEPS else plain
    top = max((c.relevance for c in steps if c is not gist), default=gist.relevance)
    actions = [c for c in steps if c.action]
    while len(chosen) <= MAX_STEPS:
        # The first three steps are always given; a fourth or fifth only when it is something to do ("Offer…"), not
        # background ("Senior people are often pulled into…"), and close to the best step's relevance.
        optional = len(chosen) > MIN_STEPS
        nxt = _pick(actions, chosen, top - REACH) if optional else _pick(steps, chosen, -np.inf)
        if nxt is None:
            break
        chosen.append(nxt)
    # Sample wording is for ordinary friction: none is offered for words to say about behaviour that crosses a line.
    samples = [c for c in candidates if c.sentence.sample and c.relevance >= top - SAMPLE_REACH and not crosses_a_line]
    # When the gist is the user's own programme's rule, general wording could contradict it ("Could we meet monthly?"
    # beside a handbook that says every two weeks): only their own documents may then give the words to say.
    if _is_own(own, gist.source):
        samples = [c for c in samples if _is_own(own, c.source)]
    say = max(samples, key=lambda c: c.relevance, default=None)
    return Composed(
        gist=Point(gist.sentence.text, gist.source),
        steps=tuple(Point(c.sentence.text, c.source) for c in chosen[1:]),
        say=Point(say.sentence.quote, say.source, sample=True) if say else None,
    )
