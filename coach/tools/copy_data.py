"""Coaching copy kept as package data (coach/tools/data/*.yaml), checked by a pydantic schema when it is loaded,
so a typo in a playbook or a draft phrase fails at start-up with the file and field named, not mid-answer."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from coach.errors import validation_summary

_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)
AskKinds = Literal["first_conversation", "micro_mentoring", "ongoing"]
Variants = Literal["standard", "warmer", "shorter", "formal"]
# Who a mentee can turn to when a conversation is beyond a mentoring chat; every play must name one of them.
INVOLVE_WORDS = ("HR", "programme office", "programme coordinator", "manager")


class Phrases(BaseModel):
    """The sentences of one tone of the draft-an-ask message."""

    model_config = _STRICT

    greeting: str
    intro: str
    why: str
    why_short: str
    learn: str
    time: str
    flex: str
    flex_short: str
    flex_tiny: str
    closing: str


class DraftCopy(BaseModel):
    model_config = _STRICT

    time: dict[AskKinds, str]
    subjects: dict[AskKinds, str]
    styles: dict[Variants, str]
    variants: dict[Variants, Phrases]

    @field_validator("time", "subjects", "styles", "variants")
    @classmethod
    def _every_key(cls, value: dict, info) -> dict:
        wanted = AskKinds if info.field_name in ("time", "subjects") else Variants
        missing = set(wanted.__args__) - set(value)
        if missing:
            raise ValueError(f"missing {', '.join(sorted(missing))}")
        return value


class Response(BaseModel):
    model_config = _STRICT

    they_say: str = Field(min_length=3)
    you_answer: str = Field(min_length=3)


class Play(BaseModel):
    """The fixed content of one difficult-conversation scenario, written from the built-in guidance."""

    model_config = _STRICT

    label: str
    query: str = Field(description="What to retrieve the supporting guidance with.")
    aim: str
    opening: str = Field(description="The template opening line; {name} is the mentor's name.")
    key_points: tuple[str, ...] = Field(min_length=3)
    avoid: tuple[str, ...] = Field(min_length=2)
    responses: tuple[Response, ...] = Field(min_length=2)
    fallback: str
    involve: str = Field(description="When to bring in someone else (HR, the programme office, a manager).")

    @field_validator("opening")
    @classmethod
    def _names_the_mentor(cls, value: str) -> str:
        if "{name}" not in value:
            raise ValueError("the opening line must contain {name}")
        return value

    @field_validator("involve")
    @classmethod
    def _names_someone(cls, value: str) -> str:
        if not any(word in value for word in INVOLVE_WORDS):
            raise ValueError(f"say who to involve: one of {', '.join(INVOLVE_WORDS)}")
        return value


def load_yaml(name: str) -> object:
    return yaml.safe_load((resources.files("coach.tools") / "data" / name).read_text(encoding="utf-8"))


def _validated(schema: type[BaseModel], name: str, data: object) -> BaseModel:
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"coach/tools/data/{name}: {validation_summary(exc)}") from exc


@cache
def draft_copy() -> DraftCopy:
    return _validated(DraftCopy, "draft_ask.yaml", load_yaml("draft_ask.yaml"))  # type: ignore[return-value]


@cache
def playbook_data() -> dict[str, Play]:
    raw = load_yaml("playbook.yaml")
    if not isinstance(raw, dict):
        raise ValueError("coach/tools/data/playbook.yaml: expected a mapping of scenario to play")
    return {key: _validated(Play, f"playbook.yaml ({key})", value) for key, value in raw.items()}  # type: ignore[misc]
