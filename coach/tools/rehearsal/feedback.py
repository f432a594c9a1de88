"""Feedback computed from what the user said: the detectors score each criterion 1-5 with a readable rule and the
exact quote (turn and character offsets) it rests on, the guidance section it cites, and a better line built from
the user's own details for every score under 4. The same transcript gives the same feedback, byte for byte, and no
model is needed; a stronger model may add a short overall comment beside it, never a score."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from langchain_core.messages import HumanMessage, SystemMessage

from coach.errors import InputError
from coach.llm.capabilities import capabilities_of
from coach.llm.prompts import render
from coach.tools import ToolOutput, guidance
from coach.tools.detect.criteria import assess
from coach.tools.rehearsal.better import all_spans, better_line
from coach.tools.rehearsal.data_files import rubric
from coach.tools.rehearsal.names import Criterion, Persona
from coach.tools.rehearsal.transcripts import SavedTranscript, Transcript, check_transcript, echoes_user, user_turns

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from coach.guidance.retrieval import Hit, Retriever

log = logging.getLogger(__name__)
NO_EVIDENCE = "nothing you said shows this"
EVIDENCE_RULE = (
    "Scores are computed from your own words only: each quote is copied from one of your turns (which one is shown; "
    "the JSON has its character offsets), never from the mentor's, and a criterion with no such quote scores at most "
    "1/5."
)
COMMENT_CHARS = 300
RUBRIC = {c: (v.label, v.best, v.tip, v.query) for c, v in rubric().items()}  # criterion -> (label, best, tip, query)


def _cell(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", " ".join(text.split()))


def _shown(quote: str, limit: int = 160) -> str:
    return quote if len(quote) <= limit else quote[:limit].rsplit(" ", 1)[0] + " …"


def score_transcript(transcript: Transcript) -> list[dict]:
    """Each criterion's score, rule, quote and better line: code only, deterministic."""
    turns = user_turns(transcript)
    evidence, spans = assess(turns), all_spans(turns)
    results = []
    for criterion in Criterion:
        found = evidence[criterion.value]
        span = found.span
        results.append({
            "criterion": criterion.value, "label": RUBRIC[criterion][0], "score": found.score, "rule": found.rule,
            "quote": span.text if span else "", "turn": span.turn if span else None,
            "start": span.start if span else None, "end": span.end if span else None,
            "note": "" if span else NO_EVIDENCE, "better": better_line(criterion, found, spans),
        })  # fmt: skip
    return results


def _comment(model: BaseChatModel, criteria: list[dict], transcript: Transcript) -> str:
    """A stronger model's short overall comment, or "" (tiny model, failure, or a comment that fails the checks)."""
    if capabilities_of(model).small:
        return ""
    summary = "\n".join(f"- {c['label']}: {c['score']}/5 ({c['rule']})" for c in criteria)
    try:
        reply = model.invoke([SystemMessage(render("rehearsal_comment")), HumanMessage(summary)], max_tokens=120)
    except Exception as exc:
        log.warning("rehearsal comment: the model failed (%s)", type(exc).__name__)
        return ""
    text = " ".join(str(reply.content).split())
    plain = len(text) <= COMMENT_CHARS and text[-1:] in ".!" and text[:1].isalpha() and "{" not in text
    # A comment must not restate scores (the table owns them) nor hand the user's words back as advice.
    return (
        text if plain and not re.search(r"\d\s*/\s*5|\bscore", text, re.I) and not echoes_user(text, transcript) else ""
    )


def feedback(transcript: Transcript, persona: Persona, model: BaseChatModel, retriever: Retriever) -> ToolOutput:
    """Scores the user's turns on the rubric, in code, with the guidance each criterion rests on."""
    transcript = check_transcript(transcript)
    if not any(t["role"] == "user" for t in transcript):
        raise InputError("There is nothing of yours to give feedback on yet: say something to the mentor first.")
    passages: dict[Criterion, Hit | None] = {
        c: next(iter(guidance(retriever, query, k=1)), None) for c, (*_, query) in RUBRIC.items()
    }
    criteria = score_transcript(transcript)
    for c in criteria:
        hit = passages[Criterion(c["criterion"])]
        c["source"], c["section"] = (hit.source, hit.section) if hit else ("", "")
        # People count their own turns ("your 2nd message"), not the mentor's lines in between.
        c["your_turn"] = sum(t["role"] == "user" for t in transcript[: c["turn"] + 1]) if c["quote"] else None
    weakest = min(criteria, key=lambda c: c["score"])
    one_thing = weakest["better"] or RUBRIC[Criterion(weakest["criterion"])][2]
    comment = _comment(model, criteria, transcript)
    data = {
        "persona": persona.value, "criteria": criteria, "weakest": weakest["criterion"],
        "one_thing_to_change": one_thing, "comment": comment, "evidence_rule": EVIDENCE_RULE,
    }  # fmt: skip
    markdown = render_markdown(persona, criteria, one_thing, comment)
    hits = list({h.label: h for h in passages.values() if h}.values())
    saved = SavedTranscript(persona=persona, transcript=transcript).model_dump_json(indent=2)
    files = {"rehearsal-feedback.md": markdown + "\n", "rehearsal-transcript.json": saved + "\n"}
    return ToolOutput(markdown=markdown, data=data, hits=hits, files=files)


def render_markdown(persona: Persona, criteria: list[dict], one_thing: str, comment: str = "") -> str:
    rows = []
    for c in criteria:
        words = f"“{_cell(_shown(c['quote']))}” (your turn {c['your_turn']})" if c["quote"] else f"*{c['note']}*"
        guide = f"{_cell(c['source'])} › {_cell(c['section'])}" if c["source"] else ""
        rows.append(f"| {c['label']} | {c['score']}/5 | {_cell(c['rule'])} | {words} | {guide} |")
    tries = [f"- **{c['label']}**, try instead: “{_cell(c['better'])}”" for c in criteria if c["better"]]
    lines = [
        f"### Feedback on your rehearsal with the {persona.label.lower()}", "",
        "| Criterion | Score | Why | Your words | Guidance |", "| --- | --- | --- | --- | --- |", *rows, "",
    ]  # fmt: skip
    if tries:
        lines += ["**Lines you could have said:**", *tries, ""]
    lines.append(f"**One thing to change:** {_cell(one_thing)}")
    if comment:
        lines += ["", f"**Overall:** {_cell(comment)}"]
    lines += ["", f"*{EVIDENCE_RULE}*"]
    return "\n".join(lines)
