"""The mentor in a rehearsal, driven by code: each user turn is read by the feedback's detectors, and the persona's
next move presses on what the user has still not shown. A stronger model may reword the chosen move in character;
its line is checked in code and replaced by the data file's wording when it fails. The tiny model is never asked."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage

from coach.llm.capabilities import capabilities_of
from coach.llm.prompts import render, strip_template_tokens
from coach.tools.detect.criteria import assess
from coach.tools.rehearsal.data_files import PersonaSpec, personas, rubric
from coach.tools.rehearsal.names import Criterion, Persona
from coach.tools.rehearsal.transcripts import Transcript, check_transcript, echoes_user, normal, user_turns

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

TURNS_SENT, MAX_REPLY_SENTENCES, MAX_REPLY_CHARS, REWORD_TOKENS = 20, 3, 400, 120
SHOWN = 4  # a criterion scored this or better needs no more pushing
PERSONAS: dict[Persona, PersonaSpec] = personas()

_ROLE_SWAP = re.compile(r"(?im)^[ \t>*_]*(user|mentee|you|human|me|system|coach|feedback)[*_]*\s*:")
_STAGE = re.compile(r"\*+[^*\n]{0,200}\*+|\([^()\n]{0,200}\)|\[[^\[\]\n]{0,200}\]")
_LEAD_LABEL = re.compile(r"(?im)^[ \t*_]*(mentor|assistant|ai)[*_]*\s*:[*_]*\s*")
_COACHING = re.compile(
    r"\b(?:feedback|great job|good job|well done|nice work|you should|you could try|try (?:to|saying)|tips?|scores?"
    r"|as your coach|my advice|next time|i(?:'d| would) suggest|remember to|your (?:pitch|approach|ask|technique))\b",
    re.I,
)
_SELF_INTRO = re.compile(r"\b(?i:i'?m|i am|my name is|this is|it'?s)\s+([A-Z][a-z]+)\b")
_OWN_ROLE = re.compile(
    r"\b(?:i'?m|i am)(?: [A-Z][a-z]+,)? (?:a|an|the) ([\w -]{3,40}?)(?=[,.;!?]| at | in | on | from | and |$)", re.I
)


def sanitize_reply(text: str, persona: Persona, fallback: bool = True) -> str:
    """The mentor's words only: no template tokens, role swaps, stage directions or labels; the opening (or "" when
    not `fallback`) if nothing is left."""
    text = strip_template_tokens(re.sub(r"<\|im_start\|>\s*(\w+)", r"\n\1:", text))  # role headers as labels
    swap = _ROLE_SWAP.search(text)
    if swap:
        text = text[: swap.start()]
    text = _LEAD_LABEL.sub("", _STAGE.sub("", text))
    text = re.sub(r"\s+([,.!?;:])", r"\1", " ".join(text.split())).strip(' "“”')
    sentences = list(dict.fromkeys(re.split(r"(?<=[.!?])\s+", text)))  # a model may repeat itself
    text = " ".join(sentences[:MAX_REPLY_SENTENCES])
    if len(text) > MAX_REPLY_CHARS:
        text = text[:MAX_REPLY_CHARS].rsplit(" ", 1)[0] + "…"
    if any(ch.isalnum() for ch in text):
        return text
    return PERSONAS[persona].canned if fallback else ""


def persona_messages(persona: Persona, transcript: Transcript, move: str | None = None) -> list[BaseMessage]:
    """System prompt from code only (the move to make included); the user's words go in as user turns."""
    spec = PERSONAS[persona]
    system = render("rehearsal_persona", persona_label=spec.label, persona_description=spec.description)
    if move:
        system += "\n\n" + render("rehearsal_move", move=move)
    recent = transcript[-TURNS_SENT:]
    turns = [HumanMessage(t["content"]) if t["role"] == "user" else AIMessage(t["content"]) for t in recent]
    return [SystemMessage(system), *turns]


def next_move(persona: Persona, transcript: Transcript) -> tuple[Criterion | None, str]:
    """(the criterion pressed on, or None when closing; the data file's line): yields to a point the last turn
    covered, then presses on the first point in the persona's order still missing, in a wording not yet used."""
    spec = PERSONAS[persona]
    turns = user_turns(transcript)
    now, before = assess(turns), assess(turns[:-1])
    said = {normal(t["content"]) for t in transcript if t["role"] == "mentor"}
    unused = lambda lines: [w for w in lines if normal(w) not in said and not any(normal(w) in s for s in said)]  # noqa: E731
    covered = [c for c in spec.order if now[c.value].score >= SHOWN and before[c.value].score < SHOWN]
    lead = ""
    if covered:  # acknowledge the point just made, not a point still missing ("that's a real answer" to no answer)
        lead = (unused(spec.yields[covered[0]]) or spec.yields[covered[0]])[0] + " "
    for criterion in spec.order:
        if now[criterion.value].score < SHOWN and (fresh := unused(spec.moves[criterion])):
            return criterion, lead + fresh[0]
    return None, (unused(spec.closes) or spec.closes)[0]


def _user_identity(transcript: Transcript) -> tuple[set[str], set[str]]:
    """The user's own name(s) and role words, as they introduced themselves."""
    text = " ".join(t["content"] for t in transcript if t["role"] == "user")
    names = {m.group(1) for m in _SELF_INTRO.finditer(text)} - {"I", "It", "That", "This", "Not", "Just"}
    roles = {m.group(1).strip().lower() for m in _OWN_ROLE.finditer(text)}
    return names, roles


def in_character(reply: str, criterion: Criterion | None, transcript: Transcript) -> bool:
    """A model's rewording passes when it is whole, brief, the mentor's own, not coaching, and on the point."""
    if not reply or reply[-1] not in ".!?" or len(reply) > MAX_REPLY_CHARS or _COACHING.search(reply):
        return False
    names, roles = _user_identity(transcript)
    lowered = reply.lower()
    if any(re.search(rf"\b{re.escape(n)}\b", reply) for n in names) or any(r in lowered for r in roles):
        return False
    if echoes_user(reply, transcript, run=5) or normal(reply) in {normal(t["content"]) for t in transcript}:
        return False
    keywords = rubric()[criterion].keywords if criterion else ["thank", "send", "email", "go", "pleasure", "touch"]
    return any(re.search(rf"\b{re.escape(k)}\b", lowered) for k in keywords)


def mentor_reply(persona: Persona, transcript: Transcript, model: BaseChatModel) -> str:
    """The mentor's next line: the persona's opening before the user has spoken, then code's move (reworded by a
    stronger model when the rewording passes `in_character`)."""
    transcript = check_transcript(transcript)
    if not any(t["role"] == "user" for t in transcript):
        return PERSONAS[persona].canned
    criterion, line = next_move(persona, transcript)
    if capabilities_of(model).small:
        return line
    try:
        said = model.invoke(persona_messages(persona, transcript, move=line), max_tokens=REWORD_TOKENS)
    except Exception:  # the rehearsal goes on in code's words
        return line
    reworded = sanitize_reply(str(said.content), persona, fallback=False)
    return reworded if in_character(reworded, criterion, transcript) else line
