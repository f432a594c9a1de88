"""Six criteria scored 1-5 from a person's own turns, each with the rule it applied and the exact words it rests
on (turn index and character offsets), so anyone can check the score against the transcript."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from coach.tools.detect import amounts, semantic
from coach.tools.detect import lexicon as lx
from coach.tools.detect.reading import Reading, Span, any_phrase, details, says, sentences, signalled

CRITERIA = (
    "clear_specific_ask", "respects_time", "why_this_mentor", "preparation", "reciprocity", "concrete_next_step",
)  # fmt: skip


@dataclass(frozen=True)
class Evidence:
    criterion: str
    score: int
    rule: str
    span: Span | None = None
    details: dict[str, str] = field(default_factory=dict)  # the user's own words a better line can reuse


def clear_specific_ask(spans: list[Span]) -> Evidence:
    c = "clear_specific_ask"
    asks = signalled(spans, lx.ASK, "ask")
    vague = any_phrase(spans, lx.VAGUE)

    def weight(s: Span) -> int:
        context = " ".join(o.text for o in spans if o.turn == s.turn and o.end <= s.end and o.end >= s.start - 200)
        specific = details(context) + (2 if lx.TOPIC.search(context) else 0)
        return min(3, specific) - (2 if lx.VAGUE.search(s.text) else 0)

    if asks:
        best = max(asks, key=weight)
        score = max(1, min(5, 2 + weight(best) - (1 if vague and len(vague) >= len(asks) else 0)))
        if score >= 4:
            return Evidence(c, score, "says exactly what they want, about something concrete", best)
        if vague:
            return Evidence(c, min(score, 2), "the ask stays vague", vague[0])
        return Evidence(c, score, "asks for something, but not what exactly or about which goal", best)
    topics = sorted(signalled(spans, lx.TOPIC), key=lambda s: -details(s.text))
    if topics and not vague:
        return Evidence(c, 3, "names a concrete topic but never says what they want from the mentor", topics[0])
    if vague:
        return Evidence(c, 1, "the ask stays vague", vague[0])
    return Evidence(c, 1, "never says what they want from the mentor")


_REPORTED = re.compile(
    r"\b(?:got back|saved|spent|took us|used to|so (?:i|we) (?:don(?:'|’)?t|won(?:'|’)?t)|without (?:eating|taking))\b",
    re.I,
)
_CAPPED = re.compile(
    r"\b(?:max(?:imum)?|tops|at most|only need|would be plenty|no more than|that(?:'|’)?s all)\b",
    re.I,
)


def respects_time(spans: list[Span]) -> Evidence:
    c = "respects_time"
    sized = [(a, s) for s in spans for a in amounts.durations(s.text)]
    small = [(a, s) for a, s in sized if a.minutes <= 45]
    # An amount reported ("we got back three hours a week") or ruled out ("so I don't eat your afternoon") is no ask.
    big = [(a, s) for a, s in sized if a.minutes >= 60 and not _REPORTED.search(s.text)]
    often = [s for s in spans if amounts.too_often(s.text) or lx.BIG_ASK.search(s.text)]
    often = [s for s in often if not _REPORTED.search(s.text)]
    recurring = [s for s in spans if amounts.frequency(s.text) or lx.COMMITMENT.search(s.text)]
    # One hour, once, with nothing recurring asked anywhere: concrete and bounded, if not small.
    single_hour = [(a, s) for a, s in big if a.minutes <= 60] if not (recurring or often) else []
    big = [b for b in big if b not in single_hour]
    bounded = [s for s in spans if amounts.horizon(s.text) or amounts.frequency(s.text) or _CAPPED.search(s.text)]
    flexible = [s for s in spans if lx.FLEXIBLE.search(s.text)]
    small += [(amounts.Amount(20, m.start(), m.end()), s) for s in spans for m in lx.SMALL_ASK.finditer(s.text)]
    if small:
        amount, where = max(small, key=lambda x: x[0].minutes)
        if big or often:
            return Evidence(
                c, 2, "names a small amount of time but also asks for much more", (big and big[0][1]) or often[0]
            )
        phrase = where.text[amount.start : amount.end]
        bounded = bounded or ([] if recurring else [where])  # a small one-off ask is bounded by being one-off
        score = 3 + bool(bounded) + bool(flexible)
        extra = [
            w for w, ok in ((", with an end or a rhythm", bounded), (", and offers to fit around them", flexible)) if ok
        ]
        return Evidence(
            c,
            score,
            "".join([f"names a small, concrete time (“{phrase}”)", *extra]),
            where,
            {"minutes": str(amount.minutes)},
        )
    if big or often:
        # Flexibility does not make an hour every week a small ask.
        return Evidence(c, 1, "asks for more time than a busy mentor can give", (big and big[0][1]) or often[0])
    if single_hour:
        amount, where = single_hour[0]
        rule = f"names a concrete time, once (“{where.text[amount.start : amount.end]}”)" + (
            ", and offers to fit around them" if flexible else ""
        )
        return Evidence(c, 3 + bool(flexible), rule, where, {"minutes": str(amount.minutes)})
    if bounded or flexible:
        return Evidence(c, 2, "talks about timing but never names a small amount of time", (bounded or flexible)[0])
    return Evidence(c, 1, "never says how much of their time it takes")


def why_this_mentor(spans: list[Span]) -> Evidence:
    c = "why_this_mentor"
    generic = any_phrase(spans, lx.GENERIC_REASON)
    reasons = [s for s in signalled(spans, lx.REASON, "reason") if s not in generic]
    reasons.sort(key=lambda s: -details(s.text))
    if reasons:
        best = reasons[0]
        rich = details(best.text) >= 1 or len(reasons) >= 2
        rule = "gives a specific reason for choosing this person" if rich else "gives a reason, with few specifics"
        return Evidence(c, 5 if rich and len(reasons) >= 2 else 4 if rich else 3, rule, best)
    if generic:
        return Evidence(c, 1, "gives only a generic reason (seniority, knowing a lot)", generic[0])
    return Evidence(c, 1, "never says why they chose this mentor")


_DENIABLE_PREP = ("a written note", "focused questions", "prepared beforehand")


def preparation(spans: list[Span]) -> Evidence:
    c = "preparation"
    # Notes and questions can be denied ("I don't have an agenda"); context stays context ("we're not hitting 5%").
    shown = {
        name: s
        for name, rx in lx.PREP.items()
        for s in spans[::-1]
        if (says(rx, s.text) if name in _DENIABLE_PREP else rx.search(s.text))
    }
    if "recalls specifics" in shown and not lx.WHEN.search(shown["recalls specifics"].text):
        del shown["recalls specifics"]  # remembering what they did counts as preparation when it is pinned down
    near = spans.near("prep") if isinstance(spans, Reading) else []
    if near and "a written note" not in shown and "prepared beforehand" not in shown:
        shown["prepared material"] = near[0]
    if not shown:
        return Evidence(c, 1, "shows no preparation: no notes, questions or context")
    best = max(shown.values(), key=lambda s: sum(bool(rx.search(s.text)) for rx in lx.PREP.values()))
    score = {1: 3, 2: 4}.get(len(shown), 5)
    return Evidence(c, score, "comes prepared: " + ", ".join(shown), best)


_ROUTINE_THANKS = re.compile(
    r"\bthank(?:s| you)(?: so much| very much)?(?: for (?:your time|making time|having me|everything|fitting me in"
    r"|seeing me|meeting)| for that)?\s*(?:[,.!]|$)|\bbusy\b|\bquick\b",
    re.I,
)


_PARTICULAR = re.compile(r"\b(?:especially|in particular|for (?:the|that|those|your) (?!time\b)\w+)", re.I)


def _specific_thanks(s: Span) -> bool:
    """Thanks for something particular they did, or crediting them with what came of it; not a routine "thanks for
    your time" or "this was amazing"."""
    if lx.GENERIC_REASON.search(s.text) or _ROUTINE_THANKS.search(s.text):
        return False
    return bool(lx.REASON.search(s.text) or _PARTICULAR.search(s.text) or lx.CREDIT.search(s.text))


_YOURS = re.compile(r"\b(?:your|you two|for you)\b", re.I)  # an offer aimed at them or their people


def _closes_loop(spans: list[Span]) -> list[Span]:
    """Sentences recalling their earlier advice followed, in the same turn, by what came of it."""
    found = []
    for i, s in enumerate(spans):
        if lx.ADVICE.search(s.text):
            after = [o for o in spans[i : i + 4] if o.turn == s.turn]
            if any(lx.RESULT.search(o.text) for o in after):
                found.append(s)
    return found


def reciprocity(spans: list[Span]) -> Evidence:
    c = "reciprocity"
    # "If there's anything I can do" is vague unless the same sentence goes on to say what, for them; an offer put
    # off to "some point" is vague too.
    opening = any_phrase(spans, lx.VAGUE_OFFER)
    spelled_out = [s for s in opening if _YOURS.search(s.text) and len(s.text.split()) >= 15]
    offers = [s for s in spans if says(lx.OFFER, s.text) or says(lx.OFFER_INTRO, s.text)]
    vague = [s for s in opening if s not in spelled_out]
    vague += [s for s in offers if lx.VAGUE_NEXT.search(s.text) and s not in vague]
    offers = [s for s in offers if s not in vague] + [s for s in spelled_out if s not in offers]
    if isinstance(spans, Reading):
        offers += [s for s in spans.near("offer") if s not in offers and s not in vague]
    loop = _closes_loop(spans)
    thanks = [s for s in signalled(spans, lx.THANKS) if _specific_thanks(s)]
    promises = signalled(spans, lx.UPDATE)
    # The strongest single piece of evidence sets the score; a second, different kind adds a point.
    if offers or loop:
        concrete = [o for o in offers if _YOURS.search(o.text) and (details(o.text) or len(o.text.split()) >= 12)]
        if offers:
            best, what = (concrete or offers)[0], "offers something back"
        else:
            best, what = loop[0], "tells them what came of their advice"
        kinds = bool(offers) + bool(loop) + bool(thanks)
        return Evidence(c, 4 + bool(concrete or kinds >= 2 or len(offers) > 1), what, best)
    if thanks:
        return Evidence(c, 3, "thanks them for something particular, but offers nothing back", thanks[0])
    if vague or promises:
        rule = "offers help in general terms" if vague else "promises to keep them posted"
        return Evidence(c, 2, rule + ", but gives nothing they could use", (vague or promises)[0])
    return Evidence(c, 1, "offers nothing back and shares no progress")


_CLAUSE = re.compile(r"[,;:–—]| - | and (?=i\b|i'|let)", re.I)  # "I'll send it by Friday, and ask your PA sometime"


def _dated(clause: str) -> bool:
    """A step with a time: something they will do, when, without leaving it open."""
    return bool(lx.ACTION.search(clause) and lx.WHEN.search(clause) and not lx.VAGUE_NEXT.search(clause))


def concrete_next_step(spans: list[Span]) -> Evidence:
    c = "concrete_next_step"
    actions = [s for s in spans if says(lx.ACTION, s.text)]
    dated = [s for s in actions if _dated(s.text) or any(_dated(part) for part in _CLAUSE.split(s.text))]
    if dated:
        return Evidence(c, 5, "proposes a specific next step with a time", dated[-1])
    if actions:
        best = actions[-1]
        return Evidence(
            c, 2 if lx.VAGUE_NEXT.search(best.text) else 3, "proposes a next step, but no time for it", best
        )
    when = [s for s in spans if lx.WHEN.search(s.text) and not lx.VAGUE_NEXT.search(s.text)]
    if when:
        return Evidence(c, 2, "mentions a time, but no step they will take", when[-1])
    vague = any_phrase(spans, lx.VAGUE_NEXT)
    if vague:
        return Evidence(c, 1, "leaves the next step open", vague[-1])
    return Evidence(c, 1, "proposes no next step")


DETECTORS: dict[str, Callable[[list[Span]], Evidence]] = {
    "clear_specific_ask": clear_specific_ask, "respects_time": respects_time, "why_this_mentor": why_this_mentor,
    "preparation": preparation, "reciprocity": reciprocity, "concrete_next_step": concrete_next_step,
}  # fmt: skip


def assess(turns: Sequence[tuple[int, str]]) -> dict[str, Evidence]:
    """Every criterion's evidence from (transcript index, text) pairs of the user's own turns."""
    found = sentences(turns)
    spans = Reading(found, closeness=semantic.closeness([s.text for s in found]))
    return {name: DETECTORS[name](spans) for name in CRITERIA}
