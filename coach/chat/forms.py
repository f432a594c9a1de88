"""The chat's forms in plain words: what a tool still needs, asked one or two things at a time.

A form is a titled message shown open; the user answers with 'Label: value' lines, a choice clicked under it, or,
when one thing was asked, just the value. The copy lives in data/forms.json, checked at load.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from coach.chat.router import Intent

ASK_AT_ONCE = 2


class FormField(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    label: str = Field(description="The line's label, as the user writes it back: 'Mentor: Sam'.")
    aliases: tuple[str, ...] = Field((), description="Other labels read as this one (the tabs' words: 'Start').")
    question: str = Field(description="The same thing asked in plain words.")
    required: bool = True
    many: bool = False  # a list, written as items separated by ';'
    choices: dict[str, str] = Field(default_factory=dict, description="Value -> the words shown for it.")

    def names(self) -> list[str]:
        return [self.label.split(" (")[0], *self.aliases]

    def shown(self, value: Any) -> str:
        value = "; ".join(value) if isinstance(value, list) else str(value)
        return self.choices.get(value, value)

    def read(self, text: str) -> Any:
        text = text.replace("(optional)", "").strip()
        if self.many:
            return [v.strip() for v in text.split(";") if v.strip()]
        lowered = text.lower()
        for value, words in self.choices.items():
            if lowered in (value.lower(), words.lower()):
                return value
        return text


class ToolForm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    intro: str
    fields: tuple[FormField, ...]

    def field(self, key: str) -> FormField:
        return next(f for f in self.fields if f.key == key)


@cache
def load_forms() -> dict[Intent, ToolForm]:
    raw = json.loads((resources.files("coach.chat") / "data" / "forms.json").read_text(encoding="utf-8"))
    return {Intent(name): ToolForm(**form) for name, form in raw.items()}


FORMS = load_forms()


def missing(form: ToolForm, details: dict[str, Any]) -> list[FormField]:
    return [f for f in form.fields if f.required and details.get(f.key) in (None, "", [])]  # 0 is a value


def asked(form: ToolForm, details: dict[str, Any]) -> list[FormField]:
    """The next one or two things to ask."""
    return missing(form, details)[:ASK_AT_ONCE]


def form_text(form: ToolForm, details: dict[str, Any], note: str = "") -> str:
    """What the form shows: what is known, then the next questions as lines to fill in."""
    lines = [note, ""] if note else []
    lines += [form.intro, ""]
    lines += [f"{f.label}: {f.shown(details[f.key])}" for f in form.fields if details.get(f.key) not in (None, "", [])]
    for f in asked(form, details):
        lines.append(f"{f.label}: ")
        lines.append(f"  _{f.question}_" if not f.choices else f"  _{f.question} Pick one below._")
    return "\n".join(lines)


def choices_of(form: ToolForm, details: dict[str, Any]) -> list[tuple[str, str]]:
    """One-click answers (label, message sent) for the first question asked when it has choices."""
    wrong = [f for f in form.fields if f.choices and details.get(f.key) not in (None, "", *f.choices)]
    wanted = wrong or asked(form, details)
    if not wanted or not wanted[0].choices:
        return []
    return [(words, f"{wanted[0].label}: {words}") for words in wanted[0].choices.values()]


def read_form(form: ToolForm, text: str, expected: list[FormField] | None = None) -> dict[str, Any]:
    """Values from 'Label: value' lines (labels matched loosely); bare answers fill the things asked, in order."""
    values: dict[str, Any] = {}
    for line in text.splitlines():
        label, sep, value = line.partition(":")
        if not sep or not value.strip():
            continue
        wanted = label.strip().lower()
        for f in form.fields:
            if any(name.lower().startswith(wanted) or wanted.startswith(name.lower()) for name in f.names()):
                if read := f.read(value):
                    values[f.key] = read
                break
    bare = text.strip()
    if values or not expected or not bare or bare.endswith("?") or len(bare) > 200 * len(expected):
        return values
    # Bare answers to the questions asked, in order: one a line, or one after another ("Dana Lee, staff engineer").
    lines = [line.strip() for line in bare.splitlines() if line.strip()]
    parts = [bare] if len(expected) == 1 else lines
    if len(parts) != len(expected):
        parts = [p.strip() for p in re.split(r",|;|\s[–—-]\s", bare, maxsplit=len(expected) - 1)]
    if len(parts) == len(expected):
        for field_, part in zip(expected, parts, strict=True):
            if part and (read := field_.read(part)):
                values[field_.key] = read
    return values


def asked_in(form: ToolForm, content: str) -> list[FormField]:
    """The questions a form message left open (its 'Label: ' lines with no value)."""
    empty = {line.strip().removesuffix(":").lower() for line in content.splitlines() if line.rstrip().endswith(":")}
    return [f for f in form.fields if f.label.lower() in empty]
