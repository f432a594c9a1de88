"""The rehearsal's copy, read once from package data and validated: personas and the rubric."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from coach.tools.rehearsal.names import Criterion, Persona

Lines = list[str]


class CriterionCopy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str
    best: str
    tip: str
    query: str
    better: str
    keywords: list[str] = Field(min_length=1)


class PersonaSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: str
    description: str = Field(description="who the mentor is; goes into a stronger model's prompt")
    opening: str
    order: list[Criterion]
    moves: dict[Criterion, Lines]
    yields: dict[Criterion, Lines] = Field(description="per point covered: how the mentor acknowledges it")
    closes: Lines = Field(min_length=2)

    @model_validator(mode="after")
    def _every_criterion(self) -> PersonaSpec:
        if set(self.order) != set(Criterion) or len(self.order) != len(Criterion) or set(self.moves) != set(Criterion):
            raise ValueError("order and moves must name each rubric criterion once")
        if set(self.yields) != set(Criterion):
            raise ValueError("yields must acknowledge each rubric criterion")
        if any(len(lines) < 2 for lines in (*self.moves.values(), *self.yields.values())):
            raise ValueError("give each move and yield at least two wordings, so the mentor does not repeat itself")
        return self

    @property
    def canned(self) -> str:
        """The opening: also said when a model's reply is unusable before the user has spoken."""
        return self.opening


def _read(name: str) -> object:
    return yaml.safe_load((resources.files("coach.tools.rehearsal") / "data" / name).read_text(encoding="utf-8"))


@cache
def personas() -> dict[Persona, PersonaSpec]:
    raw = _read("personas.yaml")
    specs = {Persona(k): PersonaSpec.model_validate(v) for k, v in raw.items()}
    if set(specs) != set(Persona):
        raise ValueError("data/personas.yaml must describe every persona")
    return specs


@cache
def rubric() -> dict[Criterion, CriterionCopy]:
    copy = {Criterion(k): CriterionCopy.model_validate(v) for k, v in _read("rubric.yaml").items()}
    if set(copy) != set(Criterion):
        raise ValueError("data/rubric.yaml must describe every criterion")
    return copy
