"""Rehearsal: the model plays a mentor persona, then a separate step scores only the user's turns against a rubric.

Evidence rule: every score must rest on the user's own words. A quote the model gives that is not found in one
of the user's turns (ignoring case, spacing and quote marks), that comes from the mentor, or that is shorter
than two words, is dropped: the criterion gets quote "", the note "no evidence quoted", and at most 2 of 5.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from coach.errors import InputError, ModelError, validation_summary
from coach.llm.capabilities import capabilities_of, count_tokens
from coach.llm.prompts import fence_passages, new_fence_id, render, strip_template_tokens
from coach.llm.structured import StructuredOutputError, json_object, structured
from coach.tools import ToolOutput, guidance

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from coach.guidance.retrieval import Hit, Retriever

MAX_TURNS, MAX_TURN_CHARS, TURNS_SENT = 60, 2000, 20
MAX_REPLY_SENTENCES, MAX_REPLY_CHARS, LOCAL_REPLY_TOKENS, LOCAL_FEEDBACK_TOKENS = 3, 400, 120, 768
NO_EVIDENCE, NO_EVIDENCE_CAP = "no evidence quoted", 2
EVIDENCE_RULE = (
    "Scores rest only on your own words: a criterion whose quote is not found in your turns "
    f"is marked “{NO_EVIDENCE}” and capped at {NO_EVIDENCE_CAP}/5."
)


class Turn(TypedDict):
    role: Literal["user", "mentor"]
    content: str


Transcript = list[Turn]


class Persona(StrEnum):
    busy_executive = "busy_executive"
    sceptical_senior = "sceptical_senior"
    warm_but_vague = "warm_but_vague"
    sponsorship_candidate = "sponsorship_candidate"
    ending_relationship = "ending_relationship"

    @property
    def label(self) -> str:
        return PERSONAS[self].label


@dataclass(frozen=True)
class PersonaSpec:
    label: str
    description: str  # goes into the persona prompt
    canned: str  # said when the model's reply is unusable, or before the user has spoken


PERSONAS: dict[Persona, PersonaSpec] = {
    Persona.busy_executive: PersonaSpec(
        "Busy executive",
        "a friendly but very busy senior executive. You say early on that you only have five minutes. You want "
        "them to get to the point: what exactly they are asking for, and how much of your time it needs.",
        "I've only got five minutes, so tell me: what do you need from me?",
    ),
    Persona.sceptical_senior: PersonaSpec(
        "Sceptical senior leader",
        "a polite but sceptical senior leader who barely knows them. You ask “why me?”: why they picked you rather "
        "than someone else. You warm up only when they give a specific reason and a small, clear request.",
        "Before we go any further: why me, rather than someone else?",
    ),
    Persona.warm_but_vague: PersonaSpec(
        "Warm but vague mentor",
        "a kind, encouraging mentor who is happy to help but vague. You say things like “sure, let's stay in "
        "touch” without committing to anything. You agree a time or next step only if they propose one clearly.",
        "Of course, happy to help however I can. What did you have in mind?",
    ),
    Persona.sponsorship_candidate: PersonaSpec(
        "Mentor you will ask for sponsorship",
        "a senior mentor who knows their work and is about to be asked to sponsor them: to advocate for them for an "
        "opportunity. You are open but careful, because your reputation is at stake: you ask which opportunity, "
        "what exactly they want you to do, and which results you could point to.",
        "Good to see you. You said there was something specific you wanted to ask me?",
    ),
    Persona.ending_relationship: PersonaSpec(
        "Mentor you are ending the relationship with",
        "a mentor who has met them regularly for a year. They are about to end the formal mentorship. You are a "
        "little surprised and may ask whether something went wrong; you respond warmly to a specific thank-you.",
        "Good to see you. What did you want to talk about today?",
    ),
}

# --- Transcripts -------------------------------------------------------------------------------------------

_TRANSCRIPT = TypeAdapter(Transcript)


def check_transcript(raw: object) -> Transcript:
    """A validated transcript (roles user/mentor, printable text, bounded size); raises InputError otherwise."""
    try:
        turns = _TRANSCRIPT.validate_python(raw)
    except ValidationError as exc:
        raise InputError(
            f"A transcript is a list of {{role: user|mentor, content}} turns ({validation_summary(exc)})."
        ) from None
    if len(turns) > MAX_TURNS:
        raise InputError(f"The transcript has {len(turns)} turns; I can take up to {MAX_TURNS}. Start a new one.")
    cleaned = []
    for turn in turns:
        text = "".join(ch for ch in turn["content"] if ch in "\n\t" or ch.isprintable()).strip()
        if len(text) > MAX_TURN_CHARS:
            raise InputError(f"One turn is {len(text):,} characters; keep each under {MAX_TURN_CHARS:,}.")
        if text:
            cleaned.append(Turn(role=turn["role"], content=text))
    return cleaned


class SavedTranscript(BaseModel):
    """The JSON file behind `coach rehearse --transcript FILE`."""

    model_config = ConfigDict(extra="forbid")
    persona: Persona | None = None
    transcript: list[Turn]


def save_transcript(path: Path, transcript: Transcript, persona: Persona | None = None) -> Path:
    saved = SavedTranscript(persona=persona, transcript=check_transcript(transcript))
    path.write_text(saved.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def load_transcript(path: Path) -> SavedTranscript:
    """A saved rehearsal: {"persona": ..., "transcript": [...]} or a bare list of turns; InputError when unusable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"No transcript file at {path}.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"Cannot read the transcript {path.name}: {exc}. It must be a JSON file.") from None
    if isinstance(raw, list):
        raw = {"transcript": raw}
    try:
        saved = SavedTranscript.model_validate(raw)
    except ValidationError as exc:
        raise InputError(
            f"The transcript {path.name} is not in the expected shape ({validation_summary(exc)})."
        ) from None
    saved.transcript = check_transcript(saved.transcript)
    return saved


# --- Playing the mentor ------------------------------------------------------------------------------------

_ROLE_SWAP = re.compile(r"(?im)^[ \t>*_]*(user|mentee|you|human|me|system|coach|feedback)[*_]*\s*:")
_STAGE = re.compile(r"\*+[^*\n]{0,200}\*+|\([^()\n]{0,200}\)|\[[^\[\]\n]{0,200}\]")
_LEAD_LABEL = re.compile(r"(?im)^[ \t*_]*(mentor|assistant|ai)[*_]*\s*:[*_]*\s*")


def sanitize_reply(text: str, persona: Persona) -> str:
    """The mentor's words only: no template tokens, role swaps, stage directions or labels; canned line if empty."""
    text = strip_template_tokens(re.sub(r"<\|im_start\|>\s*(\w+)", r"\n\1:", text))  # role headers as labels
    swap = _ROLE_SWAP.search(text)
    if swap:
        text = text[: swap.start()]
    text = _LEAD_LABEL.sub("", _STAGE.sub("", text))
    text = re.sub(r"\s+([,.!?;:])", r"\1", " ".join(text.split())).strip(' "“”')
    sentences = list(dict.fromkeys(re.split(r"(?<=[.!?])\s+", text)))  # a tiny model repeats itself
    text = " ".join(sentences[:MAX_REPLY_SENTENCES])
    if len(text) > MAX_REPLY_CHARS:
        text = text[:MAX_REPLY_CHARS].rsplit(" ", 1)[0] + "…"
    return text if any(ch.isalnum() for ch in text) else PERSONAS[persona].canned


def persona_messages(persona: Persona, transcript: Transcript) -> list[BaseMessage]:
    """System prompt from code only; the user's words go in as user turns, never into the system prompt."""
    spec = PERSONAS[persona]
    system = SystemMessage(render("rehearsal_persona", persona_label=spec.label, persona_description=spec.description))
    recent = transcript[-TURNS_SENT:]
    turns = [HumanMessage(t["content"]) if t["role"] == "user" else AIMessage(t["content"]) for t in recent]
    return [system, *turns]


def mentor_reply(persona: Persona, transcript: Transcript, model: BaseChatModel) -> str:
    """The mentor's next line in the rehearsal (the persona's opener before the user has said anything)."""
    transcript = check_transcript(transcript)
    if not any(t["role"] == "user" for t in transcript):
        return PERSONAS[persona].canned
    options = {"max_tokens": LOCAL_REPLY_TOKENS} if capabilities_of(model).small else {}
    reply = model.invoke(persona_messages(persona, transcript), **options)
    return sanitize_reply(str(reply.content), persona)


# --- Feedback ----------------------------------------------------------------------------------------------


class Criterion(StrEnum):
    clear_specific_ask = "clear_specific_ask"
    respects_time = "respects_time"
    why_this_mentor = "why_this_mentor"
    preparation = "preparation"
    reciprocity = "reciprocity"
    concrete_next_step = "concrete_next_step"


# criterion -> (label, what a 5 looks like, a tip when it is the weakest, the query for the guidance it rests on)
# fmt: off
RUBRIC: dict[Criterion, tuple[str, str, str, str]] = {
    Criterion.clear_specific_ask: (
        "Clear, specific ask", "says exactly what help they want, about which goal",
        "Say in one sentence exactly what help you want and for which goal.",
        "turning a vague goal into a specific ask"),
    Criterion.respects_time: (
        "Respects their time", "asks for a small, concrete amount of time and offers to fit around the mentor",
        "Ask for a small, fixed amount of time, such as 20 minutes, and offer to fit around their schedule.",
        "asking for a small concrete amount of time respecting the mentor"),
    Criterion.why_this_mentor: (
        "Why this mentor", "gives a specific reason for choosing this person",
        "Name the specific thing about their work or path that made you choose them.",
        "explaining why you chose this person"),
    Criterion.preparation: (
        "Preparation", "arrives with context, focused questions or an agenda",
        "Arrive with two or three focused questions and the context they need.",
        "preparing before a mentoring meeting"),
    Criterion.reciprocity: (
        "Reciprocity", "offers something back, shares progress or thanks them specifically",
        "Offer something back: share progress on their advice, or thank them for something specific.",
        "reciprocity mentorship is a two-way street offering value"),
    Criterion.concrete_next_step: (
        "Concrete next step", "proposes a specific next step, time or follow-up",
        "End by proposing one concrete next step, with a time.",
        "proposing a concrete next step"),
}
# fmt: on


class CriterionScore(BaseModel):
    score: Literal[1, 2, 3, 4, 5] = Field(description="1 = missing, 3 = partly there, 5 = clearly done")
    quote: str = Field(max_length=150, description="words copied exactly from one of the user's turns, or empty")


class ModelFeedback(BaseModel):
    """What the scorer must return: every criterion (fields named as in `Criterion`) and one change."""

    clear_specific_ask: CriterionScore
    respects_time: CriterionScore
    why_this_mentor: CriterionScore
    preparation: CriterionScore
    reciprocity: CriterionScore
    concrete_next_step: CriterionScore
    one_thing_to_change: str = Field(min_length=1, max_length=240)


_QUOTE_MARKS = "\"'“”‘’"
_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def _normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_PLAIN)
    return " ".join(text.lower().split())


def quote_is_users(quote: str, transcript: Transcript) -> bool:
    """True when `quote` (at least two words) appears in one of the user's own turns."""
    needle = _normal(quote).strip(" .,;:!?-" + _QUOTE_MARKS)
    if len(needle.split()) < 2:
        return False
    return any(needle in _normal(t["content"]) for t in transcript if t["role"] == "user")


def _echoes_user(text: str, transcript: Transcript, run: int = 8) -> bool:
    """True when `text` repeats `run` or more consecutive words of a user turn (a small model parroting)."""
    words = _normal(text).split()
    turns = [f" {_normal(t['content'])} " for t in transcript if t["role"] == "user"]
    return any(f" {' '.join(words[i : i + run])} " in turn for i in range(len(words) - run + 1) for turn in turns)


def parse_feedback(text: str) -> ModelFeedback:
    """The model's JSON object (code fences and chatter around it ignored), validated; ValidationError if not."""
    return ModelFeedback.model_validate_json(json_object(text))


def _scorer_messages(transcript: Transcript, persona: Persona, passages: dict[Criterion, Hit | None]) -> list:
    fence_id = new_fence_id()
    # The gist of each passage: the scorer needs its point, and a small model needs the room.
    hits = [
        replace(h, text=" ".join(re.split(r"(?<=[.!?])\s+", h.text.split("\n\n", 1)[-1])[:2]))
        for h in passages.values()
        if h
    ]
    rubric = "\n".join(f"- {c.value} ({label}): 5 = the user {best}." for c, (label, best, *_) in RUBRIC.items())
    lines = []
    for n, turn in enumerate(transcript, start=1):
        who = "USER" if turn["role"] == "user" else "MENTOR"
        lines.append(f"[{n}] {who}: " + re.sub(r"<{2,}|>{2,}", "··", turn["content"]))
    system = render(
        "rehearsal_feedback",
        fence_id=fence_id,
        reference=fence_passages(hits, fence_id),
        rubric=rubric,
        persona_label=persona.label,
    )
    user = render("rehearsal_feedback_user", fence_id=fence_id, transcript="\n".join(lines))
    return [SystemMessage(system), HumanMessage(user)]


def _ask_scorer(model: BaseChatModel, messages: list) -> ModelFeedback:
    caps = capabilities_of(model)
    if caps.context_window:  # room for the reply, and for the retry's extra turns
        size, room = count_tokens(model, messages), caps.context_window - 2 * LOCAL_FEEDBACK_TOKENS
        if size > room:
            raise InputError(
                f"This rehearsal is too long for the local model to score ({size:,} tokens of prompt; "
                f"it has room for {room:,}). Score a shorter rehearsal, or use a stronger model."
            )
    hint = "Reply again with only the JSON object: every criterion with a whole-number score from 1 to 5 and a "
    hint += "quote, and one_thing_to_change."
    try:
        return structured(model, messages, ModelFeedback, max_tokens=LOCAL_FEEDBACK_TOKENS, retry_hint=hint)
    except StructuredOutputError as exc:
        raise ModelError(
            f"The model did not return usable feedback after two tries ({exc.detail}). "
            "Try again, or use a stronger model (see “Using a stronger model” in the README)."
        ) from exc


def _table_cell(text: str) -> str:
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", " ".join(text.split()))


def _judge(criterion: Criterion, given: CriterionScore, transcript: Transcript, hit: Hit | None) -> dict:
    """One criterion's result, with the evidence rule applied in code."""
    ok = quote_is_users(given.quote, transcript)
    return {
        "criterion": criterion.value, "label": RUBRIC[criterion][0], "model_score": given.score,
        "score": given.score if ok else min(given.score, NO_EVIDENCE_CAP),
        "quote": given.quote.strip().strip(_QUOTE_MARKS) if ok else "", "note": "" if ok else NO_EVIDENCE,
        "rejected_quote": "" if ok else given.quote, "source": hit.source if hit else "",
        "section": hit.section if hit else "",
    }  # fmt: skip


def feedback(transcript: Transcript, persona: Persona, model: BaseChatModel, retriever: Retriever) -> ToolOutput:
    """Scores the user's turns on the rubric; quotes are checked in code (see the evidence rule above)."""
    transcript = check_transcript(transcript)
    if not any(t["role"] == "user" for t in transcript):
        raise InputError("There is nothing of yours to give feedback on yet: say something to the mentor first.")
    passages = {c: next(iter(guidance(retriever, query, k=1)), None) for c, (*_, query) in RUBRIC.items()}
    scored = _ask_scorer(model, _scorer_messages(transcript, persona, passages))
    criteria = [_judge(c, getattr(scored, c.value), transcript, passages[c]) for c in Criterion]
    weakest = min(criteria, key=lambda c: c["score"])["criterion"]
    one_thing = " ".join(scored.one_thing_to_change.split())
    # Advice must rest on the user's words too: when no quote held up, or the model handed the user's own words
    # back, the tip for the weakest criterion replaces it.
    from_model = any(c["quote"] for c in criteria) and not _echoes_user(one_thing, transcript)
    one_thing = one_thing if from_model else RUBRIC[Criterion(weakest)][2]
    data = {
        "persona": persona.value, "criteria": criteria, "weakest": weakest, "one_thing_to_change": one_thing,
        "one_thing_from_model": from_model, "evidence_rule": EVIDENCE_RULE,
    }  # fmt: skip
    rows = [
        f"| {c['label']} | {c['score']}/5 | {_table_cell(c['quote']) or '*' + c['note'] + '*'} | "
        f"{_table_cell(c['source'])} › {_table_cell(c['section'])} |"
        for c in criteria
    ]
    markdown = "\n".join([
        f"### Feedback on your rehearsal with the {persona.label.lower()}", "",
        "| Criterion | Score | Your words | Guidance |", "| --- | --- | --- | --- |", *rows, "",
        f"**One thing to change:** {_table_cell(one_thing)}", "", f"*{EVIDENCE_RULE}*",
    ])  # fmt: skip
    hits = list({h.label: h for h in passages.values() if h}.values())
    saved = SavedTranscript(persona=persona, transcript=transcript).model_dump_json(indent=2)
    files = {"rehearsal-feedback.md": markdown + "\n", "rehearsal-transcript.json": saved + "\n"}
    return ToolOutput(markdown=markdown, data=data, hits=hits, files=files)
