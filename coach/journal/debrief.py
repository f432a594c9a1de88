"""After a meeting: extract action items and decisions from the user's notes, and draft the follow-up.

Rules over the notes' sentences find what each person said they would do, and code reads due dates from the
notes ("by Friday", counted from the meeting's day). The built-in model is not asked: it invents items. A stronger
model proposes the structure (validated by pydantic, one retry), and only items and decisions the notes actually
say are kept, each with the due date code reads from the sentence it came from. The user confirms or edits the list
before anything is stored.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from coach.errors import InputError
from coach.guidance.sentences import split_text
from coach.llm.capabilities import capabilities_of
from coach.llm.prompts import new_fence_id, render
from coach.llm.structured import StructuredOutputError, structured
from coach.tools.detect.terms import terms
from coach.tools.when import day_named

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

MAX_NOTES_CHARS = 20_000


class ExtractedItem(BaseModel):
    text: str = Field(min_length=2, max_length=300, description="What will be done.")
    owner: Literal["me", "mentor"] = Field("me", description="Who does it: the mentee ('me') or the mentor.")
    due: date | None = Field(None, description="Due date, if the notes give one.")


class Debrief(BaseModel):
    action_items: list[ExtractedItem] = Field(default_factory=list, max_length=30)
    decisions: list[str] = Field(default_factory=list, max_length=20)
    summary: str = Field("", max_length=400)
    extracted_by: Literal["model", "rules"] = "model"


_MODAL = (
    r"(?:'ll|’ll| will| need to| should| have to| must| am going to|'m going to|’m going to| promised to|"
    r" offered to| said (?:i|she|he|they)(?:'d|’d| would))"
)
_TASK = r"(?:\[ \]\s*|todo:?\s*|action:?\s*|next:?\s*)"
_LEAD = r"^(?:[-*•]\s*)?(?:(?:and|then|so|also|plus),?\s+)?"
_DECISION = re.compile(rf"{_LEAD}(?:we )?(?:agreed|decided|decision:?)\s*(?:to|that|on)?\s*(?P<text>.+)$", re.I)
GROUNDED = 0.6  # of an item's content words, the share a sentence of the notes must contain for it to be kept


def _action(mentor_name: str) -> re.Pattern[str]:
    names = "|".join(re.escape(n) for n in {mentor_name.strip(), mentor_name.strip().split(" ")[0]} if len(n) > 1)
    subject = rf"(?:she|he|they|my mentor|the mentor|mentor{'|' + names if names else ''})"
    return re.compile(rf"{_LEAD}(?:{_TASK}|i{_MODAL}\s+|(?P<mentor>{subject}{_MODAL})\s+)(?P<text>.+)$", re.IGNORECASE)


def rule_based(notes: str, mentor_name: str = "", today: date | None = None) -> Debrief:
    """Action items and decisions found sentence by sentence ("I'll…", "Priya will…", "TODO", "we agreed…")."""
    items, decisions = [], []
    action = _action(mentor_name)
    for sentence in split_text(notes):
        if match := _DECISION.match(sentence):
            decisions.append(match.group("text").strip().rstrip("."))
        elif match := action.match(sentence):
            text = match.group("text").strip().rstrip(".")
            owner = "mentor" if match.group("mentor") else "me"
            items.append(ExtractedItem(text=text[:300], owner=owner, due=day_named(sentence, today)))
    return Debrief(action_items=items[:30], decisions=decisions[:20], extracted_by="rules")


def _source_sentence(claim: str, sentences: list[str]) -> str | None:
    """The sentence of the notes that says `claim`, if one holds most of its content words."""
    words = terms(claim)
    if not words:
        return None
    best = max(sentences, key=lambda s: len(words & terms(s)), default="")
    return best if len(words & terms(best)) >= GROUNDED * len(words) else None


def _grounded(found: Debrief, notes: str, today: date | None) -> Debrief:
    """Only what the notes say, with the due date code reads from the sentence each item came from."""
    sentences = split_text(notes)
    items = [
        item.model_copy(update={"due": day_named(source, today)})
        for item in found.action_items
        if (source := _source_sentence(item.text, sentences))
    ]
    decisions = [d for d in found.decisions if _source_sentence(d, sentences)]
    return found.model_copy(update={"action_items": items, "decisions": decisions})


def extract(notes: str, model: BaseChatModel, mentor_name: str = "", today: date | None = None) -> Debrief:
    """Structured debrief of `notes` taken on `today` (the meeting's day): a stronger model's, checked against the
    notes; the rules' with the built-in model or when the model's reply is unusable."""
    notes = (notes or "").strip()
    if not notes:
        raise InputError("Paste or type your meeting notes first.")
    if len(notes) > MAX_NOTES_CHARS:
        raise InputError(f"Your notes are {len(notes):,} characters; I can take up to {MAX_NOTES_CHARS:,}.")
    if capabilities_of(model).small:
        return rule_based(notes, mentor_name, today)
    fence_id = new_fence_id()
    messages = [
        SystemMessage(render("debrief_extract", fence_id=fence_id, notes=notes.replace("<<<", "‹‹‹"))),
        HumanMessage("Return the JSON object now."),
    ]
    try:
        found = structured(model, messages, Debrief)
    except StructuredOutputError:
        return rule_based(notes, mentor_name, today)
    return _grounded(found, notes, today).model_copy(update={"extracted_by": "model"})


def follow_up_message(mentor_name: str, debrief: Debrief, your_name: str = "") -> str:
    """A thank-you note that reports what the mentee will do next (written by code: it must list the items)."""
    mine = [i for i in debrief.action_items if i.owner == "me"]
    lines = [f"Hi {mentor_name or 'there'},", "", "Thank you for your time today — it really helped."]
    if debrief.decisions:
        lines.append(f"We agreed to {debrief.decisions[0].rstrip('.')}.")
    if mine:
        lines += ["", "Here is what I'll do next:"]
        lines += [f"- {i.text}" + (f" (by {i.due:%d %B})" if i.due else "") for i in mine]
    lines += ["", "I'll report back on how it goes before we next meet.", "", "Best,", your_name or "[your name]"]
    return "\n".join(lines)


def as_rows(debrief: Debrief) -> list[list[str]]:
    """The items as editable table rows: text, owner, due (YYYY-MM-DD or blank)."""
    return [[i.text, i.owner, i.due.isoformat() if i.due else ""] for i in debrief.action_items]


def from_rows(rows: list[list[object]]) -> list[ExtractedItem]:
    """Rows the user confirmed or edited, validated; blank rows are dropped."""
    items = []
    for row in rows or []:
        text, owner, due = ([*list(row), "", "", ""])[:3]
        if not str(text or "").strip():
            continue
        due_text = str(due or "").strip()
        try:
            due_date = date.fromisoformat(due_text) if due_text else None
        except ValueError:
            raise InputError(f"Action item “{str(text)[:40]}”: the due date must look like 2026-12-01.") from None
        try:
            items.append(
                ExtractedItem(text=str(text).strip(), owner=str(owner or "me").strip().lower() or "me", due=due_date)
            )
        except ValidationError as exc:
            raise InputError(f"Action item “{str(text)[:40]}”: {exc.errors()[0]['msg']}") from exc
    return items
