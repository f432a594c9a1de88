"""Draft a first (or next) ask to a mentor: code builds a message that is always complete, the model only
polishes its wording, and the checklist (`coach.tools.ask_request`) is computed from the final text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from coach.errors import InputError
from coach.llm.capabilities import capabilities_of
from coach.tools import ToolOutput, guidance, wording_or_empty
from coach.tools.ask_request import (
    DEFAULT_VARIANTS,
    ELEMENTS,
    LINKEDIN_NOTE_LIMIT,
    LINKEDIN_PREMIUM_NOTE_LIMIT,
    AskRequest,
    Variant,
    check_ask,
    key_terms,
)
from coach.tools.ask_wording import subject_phrase
from coach.tools.copy_data import draft_copy
from coach.tools.detect import lexicon
from coach.tools.detect.terms import mentions as _mentions
from coach.tools.detect.terms import terms as _terms

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from coach.guidance.retrieval import Hit, Retriever

# ---- the skeleton: one sentence per element, built from the inputs --------------------------------------

_COPY = draft_copy()
_TIME = _COPY.time
_PHRASES: dict[str, dict[str, str]] = {name: phrases.model_dump() for name, phrases in _COPY.variants.items()}
_SUBJECTS = _COPY.subjects


# Shortening steps, in order: drop your intro, then their role, then use the shorter wording (then clip phrases).
_TIERS = ((True, True, False), (False, True, False), (False, False, False), (False, False, True))


_DANGLING = {"a", "an", "the", "and", "or", "of", "to", "in", "on", "at", "for", "from", "into", "with", "while", "as"}


def _clip(text: str, words: int) -> str:
    """The first `words` words, without a dangling 'into' or 'the' at the end."""
    kept = text.split()[:words]
    while len(kept) > 1 and kept[-1].lower() in _DANGLING:
        kept.pop()
    return " ".join(kept).rstrip(",;:.")


def _parts(
    request: AskRequest,
    admiration: str,
    goal: str,
    intro: bool = True,
    role: bool = True,
    compact: bool = False,
    tiny: bool = False,
) -> dict[str, str]:
    """The skeleton's sentences; `compact` borrows the shorter variant's wording (but keeps greeting and sign-off);
    `tiny`, the last resort for a 200-character LinkedIn note, also shortens the greeting, time and flexibility."""
    phrases = _PHRASES[request.variant]
    if compact:
        phrases = _PHRASES["shorter"] | {k: phrases[k] for k in ("greeting", "flex_short", "closing")}
    short = request.channel == "linkedin"
    values = {
        "first": request.mentor_name.split()[0], "full": request.mentor_name, "role": request.mentor_role,
        "admiration": admiration, "goal": goal, "me": ", ".join(p for p in (request.your_name, request.your_role) if p),
        "time": ("a {n}-minute call" if compact else _TIME[request.ask_kind]).format(n=request.minutes),
    }  # fmt: skip
    keys = {"greeting": "greeting", "intro": "intro", "why": "why" if role else "why_short", "learn": "learn"}
    keys |= {"time": "time", "flex": "flex_short" if short else "flex", "closing": "closing"}
    parts = {element: phrases[key].format(**values) for element, key in keys.items()}
    if not (intro and values["me"]):
        parts["intro"] = ""
    if short:
        parts["closing"] = ""
    if tiny:
        parts["greeting"] = phrases["greeting"].replace("{full}", "{first}").format(**values)
        parts["time"] = f"A {request.minutes}-min call?"
        parts["flex"] = _PHRASES[request.variant]["flex_tiny"]
    return parts


def _layout(parts: dict[str, str], request: AskRequest) -> str:
    p = parts
    if request.channel == "linkedin":
        return " ".join(x for x in (p["greeting"], p["intro"], p["why"], p["learn"], p["time"], p["flex"]) if x)
    body = " ".join(x for x in (p["intro"], p["why"], p["learn"]) if x)
    sign = "\n".join(x for x in (p["closing"], request.your_name or "") if x)
    return f"{p['greeting']}\n\n{body}\n\n{p['time']} {p['flex']}\n\n{sign}".strip()


def _shorter(phrase: str, key: set[str]) -> str | None:
    """The phrase one word shorter, or None when it would no longer pass the checklist."""
    cut = _clip(phrase, len(phrase.split()) - 1)
    return cut if cut and _mentions(_terms(cut), key) else None


def build_skeleton(request: AskRequest) -> tuple[str, dict[str, str]]:
    """The message built by code alone (and its parts): shortened step by step until it fits the limit."""
    phrases, key = {"admiration": request.admiration, "goal": request.goal}, key_terms(request)
    for intro, role, compact in _TIERS:
        parts = _parts(request, phrases["admiration"], phrases["goal"], intro, role, compact)
        if len(_layout(parts, request)) <= request.limit:
            return _layout(parts, request), parts
    # Clip the longer phrase first, a word at a time; a LinkedIn note that still does not fit starts again tiny.
    for tiny in (False, True) if request.channel == "linkedin" else (False,):
        phrases = {"admiration": request.admiration, "goal": request.goal}
        parts = _parts(request, phrases["admiration"], phrases["goal"], False, False, True, tiny)
        while len(_layout(parts, request)) > request.limit:
            for name in sorted(phrases, key=lambda n: len(phrases[n]), reverse=True):
                if cut := _shorter(phrases[name], key[name]):
                    phrases[name] = cut
                    break
            else:
                break  # nothing left to clip: the report shows the length over the limit
            parts = _parts(request, phrases["admiration"], phrases["goal"], False, False, True, tiny)
        if len(_layout(parts, request)) <= request.limit:
            break
    return _layout(parts, request), parts


def subject_line(request: AskRequest) -> str | None:
    """The email subject (None for LinkedIn): from the goal, under ~70 characters."""
    if request.channel != "email":
        return None
    goal = subject_phrase(request.goal)
    while len(goal) > 50 and len(goal.split()) > 3:
        goal = _clip(goal, len(goal.split()) - 1)
    template = "Request for a brief conversation about {goal}" if request.variant == "formal" else None
    return (template or _SUBJECTS[request.ask_kind]).format(goal=goal, n=request.minutes)


# ---- the model's version, checked and repaired ------------------------------------------------------------

_STYLES = _COPY.styles
# Courtesy words a rewrite may add freely; other new content words count as possibly invented facts.
_COURTESY = (
    "hello hey dear hear hearing value spare sometime come coming flexible many best regards warm wishes appreciate "
    "grateful glad happy brief quick short conversation talk question advice insight perspective experience sincerely"
)
_META = re.compile(r"\b(?:tone|rewrit\w*|polish\w*|concise|original (?:draft|message|email)|(?:this|the|your) "
                   r"(?:email|message|note|draft) (?:is|was|has))\b", re.I)  # fmt: skip
_PART_OF = {"why_this_person": "why", "what_to_learn": "learn", "time_request": "time", "flexibility": "flex"}
_PREAMBLE = re.compile(r"^\s*(?:here(?:'s| is)|sure|certainly|of course|polished|rewritten)\b[^\n]*:\s*$", re.I | re.M)


def _clean(reply: str) -> str:
    """The message alone: without a preamble line, a code fence around it, or a subject line."""
    fenced = re.search(r"```\w*\n(.*?)(?:```|$)", reply, re.S)
    text = fenced.group(1) if fenced else _PREAMBLE.sub("", reply)
    text = re.sub(r"^\s*subject:[^\n]*\n", "", text.strip(), flags=re.I)
    text = "\n\n".join(p for p in text.split("\n\n") if not _META.search(p))
    return text.strip().strip('"“”').strip()


def faithful(text: str, request: AskRequest, skeleton: str) -> bool:
    """Whether a rewrite stays with the facts: it greets the mentor (not the sender), adds no numbers, and at most
    a quarter of its content words are new (a 135M model likes to invent events and invitations)."""
    greeting = re.split(r"[,\n!:]", text.strip(), maxsplit=1)[0]
    mentor = {n.lower() for n in re.findall(r"\w+", request.mentor_name)}
    greeted = set(re.findall(r"\w+", greeting.lower()))
    sender = {n.lower() for n in re.findall(r"\w+", request.your_name or "")} - mentor
    if not greeted & mentor or greeted & sender or set(re.findall(r"\d+", text)) - set(re.findall(r"\d+", skeleton)):
        return False
    phrases = (t for p in _PHRASES.values() for t in p.values())
    known = _terms(" ".join([skeleton, _COURTESY, *phrases, *_TIME.values(), request.model_dump_json()]))
    terms = _terms(text)
    return len(terms - known) <= 0.25 * len(terms)


def _without_commitment(text: str) -> str:
    paragraphs = [
        " ".join(s for s in re.split(r"(?<=[.!?])\s+", p) if not lexicon.COMMITMENT.search(s))
        for p in text.split("\n\n")
    ]
    return "\n\n".join(p for p in paragraphs if p.strip())


def repair(reply: str, request: AskRequest, skeleton: str, parts: dict[str, str]) -> tuple[str, str, list[str]]:
    """(final text, who wrote it: model | model, patched | template, elements the model's draft lacked)."""
    text = _clean(reply)
    if len(text) < 40 or "<<<" in text or "REFERENCE" in text:
        return skeleton, "template", list(ELEMENTS)
    checks = check_ask(text, request)
    lacking = [k for k, ok in checks.items() if not ok]
    if not faithful(text, request, skeleton):
        return skeleton, "template", [*lacking, "faithful"]
    if not lacking:
        return text, "model", []
    missing = [e for e in ELEMENTS if not checks[e]]
    if len(missing) <= 2:
        patched = _without_commitment(text)
        extra = " ".join(parts[_PART_OF[e]] for e in missing)
        if extra:
            paras = patched.split("\n\n")
            at = len(paras) - 1 if len(paras) > 1 and len(paras[-1]) < 60 else len(paras)
            patched = "\n\n".join([*paras[:at], extra, *paras[at:]])
        if all(check_ask(patched, request).values()):
            return patched, "model, patched", lacking
    return skeleton, "template", lacking


def _query(request: AskRequest) -> str:
    topic = {
        "first_conversation": "first message to a potential mentor: why this person, a small concrete time request",
        "micro_mentoring": "how to ask for a micro-mentoring session, a short specific request",
        "ongoing": "asking a mentor to keep meeting, setting expectations for an ongoing mentorship",
    }[request.ask_kind]
    return topic + (" LinkedIn message" if request.channel == "linkedin" else " email")


def _draft(request: AskRequest, model: BaseChatModel, hits: list[Hit], taken: Sequence[str] = ()) -> dict[str, Any]:
    skeleton, parts = build_skeleton(request)
    channel_label = "email" if request.channel == "email" else "LinkedIn connection note"
    facts = request.model_dump(include={"mentor_name", "mentor_role", "admiration", "goal", "minutes"})
    style, limit = _STYLES[request.variant], request.limit
    # The built-in model's rewrites never passed the checks (every draft fell back to the template after 15-60 s of
    # waiting, three for the variants): it is not asked. A stronger model rewords the template, checked.
    reply = (
        ""
        if capabilities_of(model).small
        else wording_or_empty(
            model, "draft_ask", hits, draft=skeleton, channel=channel_label, style=style, limit=limit, **facts
        )
    )
    message, written_by, lacking = repair(reply, request, skeleton, parts)
    if message in taken:  # variants must differ: the template of each variant is distinct by construction
        message, written_by = skeleton, "template"
    return {
        "variant": request.variant, "channel": request.channel, "subject": subject_line(request), "message": message,
        "length": len(message), "limit": request.limit, "checklist": check_ask(message, request),
        "written_by": written_by, "model_draft_failed": lacking,
        "shortened": request.admiration not in skeleton or request.goal not in skeleton,
    }  # fmt: skip


def _markdown(d: dict[str, Any]) -> str:
    lines = [f"**Subject:** {d['subject']}", ""] if d["subject"] else []
    lines += ["> " + line if line else ">" for line in d["message"].split("\n")]
    unit = "email body" if d["channel"] == "email" else "LinkedIn connection note"
    lines += ["", f"Length: {d['length']:,} / {d['limit']:,} characters ({unit} limit). Written by: {d['written_by']}."]
    if d["channel"] == "linkedin":
        lines.append(
            f"A free LinkedIn account allows {LINKEDIN_NOTE_LIMIT} characters in a connection note; Premium allows "
            f"{LINKEDIN_PREMIUM_NOTE_LIMIT}."
        )
    lines += [f"- {'✅' if ok else '❌'} {name.replace('_', ' ')}" for name, ok in d["checklist"].items()]
    if d["shortened"]:
        lines.append(
            f"\nWhat you admire or want to learn was cut to fit {d['limit']} characters: check that it reads well."
        )
    return "\n".join(lines)


def _sources(hits: list[Hit]) -> str:
    return "\n\n**Guidance used:**\n" + "\n".join(f"- {h.label}" for h in hits) if hits else ""


def draft_ask(request: AskRequest, model: BaseChatModel, retriever: Retriever) -> ToolOutput:
    """One message asking a mentor for time, with its checklist, length and the guidance it rests on."""
    hits = guidance(retriever, _query(request))
    data = _draft(request, model, hits)
    text = (f"Subject: {data['subject']}\n\n" if data["subject"] else "") + data["message"] + "\n"
    return ToolOutput(markdown=_markdown(data) + _sources(hits), data=data, hits=hits, files={"ask.txt": text})


def draft_ask_variants(
    request: AskRequest, model: BaseChatModel, retriever: Retriever, variants: Sequence[Variant] = DEFAULT_VARIANTS
) -> ToolOutput:
    """Up to three distinct versions of the same ask (e.g. warmer, shorter, formal), side by side."""
    if not 1 <= len(variants) <= 3 or len(set(variants)) != len(variants) or not set(variants) <= set(_PHRASES):
        raise InputError("Choose one to three different variants: standard, warmer, shorter or formal.")
    hits = guidance(retriever, _query(request))
    drafts: list[dict[str, Any]] = []
    for variant in variants:
        one = request.model_copy(update={"variant": variant})
        drafts.append(_draft(one, model, hits, taken=[d["message"] for d in drafts]))
    markdown = "\n\n".join(f"### {d['variant'].capitalize()}\n\n{_markdown(d)}" for d in drafts) + _sources(hits)
    return ToolOutput(markdown=markdown, data={"variants": drafts}, hits=hits)
