"""After a meeting: extract action items and decisions from the user's notes, and draft the follow-up.

The model proposes the structure (validated by pydantic, one retry); when it cannot, simple rules over the
notes take over, so the user always gets a list to confirm or edit before anything is stored.
"""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING, Literal

from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field, ValidationError

from coach.errors import InputError
from coach.llm.prompts import new_fence_id, render
from coach.llm.structured import StructuredOutputError, structured

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


_ACTION = re.compile(
    r"^(?:[-*•]\s*)?(?:\[ \]\s*|todo:?\s*|action:?\s*|next:?\s*|i(?:'ll| will| need to| should)\s+|"
    r"(?P<mentor>(?:she|he|they|mentor)(?:'ll| will))\s+)(?P<text>.+)$",
    re.IGNORECASE,
)
_DECISION = re.compile(r"^(?:[-*•]\s*)?(?:we )?(?:agreed|decided|decision:?)\s*(?:to|that)?\s*(?P<text>.+)$", re.I)
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")


def rule_based(notes: str) -> Debrief:
    """Action items and decisions found by simple patterns ('I'll…', 'TODO', 'we agreed…')."""
    items, decisions = [], []
    for line in notes.splitlines():
        line = line.strip()
        if match := _DECISION.match(line):
            decisions.append(match.group("text").strip().rstrip("."))
        elif match := _ACTION.match(line):
            text = match.group("text").strip().rstrip(".")
            due = _DATE.search(text)
            items.append(
                ExtractedItem(
                    text=text[:300],
                    owner="mentor" if match.group("mentor") else "me",
                    due=date.fromisoformat(due.group(1)) if due else None,
                )
            )
    return Debrief(action_items=items[:30], decisions=decisions[:20], extracted_by="rules")


def extract(notes: str, model: BaseChatModel) -> Debrief:
    """Structured debrief of `notes`: the model's (validated, one retry), else the rules'."""
    notes = (notes or "").strip()
    if not notes:
        raise InputError("Paste or type your meeting notes first.")
    if len(notes) > MAX_NOTES_CHARS:
        raise InputError(f"Your notes are {len(notes):,} characters; I can take up to {MAX_NOTES_CHARS:,}.")
    fence_id = new_fence_id()
    messages = [
        SystemMessage(render("debrief_extract", fence_id=fence_id, notes=notes.replace("<<<", "‹‹‹"))),
        HumanMessage("Return the JSON object now."),
    ]
    try:
        return structured(model, messages, Debrief).model_copy(update={"extracted_by": "model"})
    except StructuredOutputError:
        return rule_based(notes)


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
