"""The sources a guidance file rests on: a `NAME.references.yaml` file beside `NAME.md`, checked at load.

Each reference says what it is (title, publisher, year) and exactly which claim it supports, and names the `##`
headings it backs (none: the whole file). The chunker stores the citations with each passage, so the chat's
sources list can show them under an answer that used the claim.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.errors import validation_summary

SIDECAR_SUFFIX = ".references.yaml"


class Reference(BaseModel):
    """One checkable source and the claim it supports."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    title: str = Field(min_length=3, description="The title of the article, report or book.")
    publisher: str = Field(min_length=2, description="Who published it (a magazine, a company, a journal).")
    year: int = Field(ge=1900, le=2100, description="The year it was published.")
    url: str | None = Field(None, description="Where a reader can check it, if it is online.")
    supports: str = Field(min_length=10, description="The exact claim in the guidance that this source backs.")
    sections: tuple[str, ...] = Field((), description="The '##' headings that make the claim; none: every section.")

    @property
    def citation(self) -> str:
        return f"{self.title} ({self.publisher}, {self.year})"


class ReferenceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    references: list[Reference] = Field(default_factory=list)


def sidecar_of(path: Path) -> Path:
    """`guide.md` -> `guide.references.yaml`."""
    return path.with_name(path.stem + SIDECAR_SUFFIX)


def parse_references(text: str, name: str) -> tuple[Reference, ...]:
    """The references in one sidecar's text; a ValueError names the file and what to fix."""
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"{name}: not valid YAML ({exc})") from exc
    try:
        return tuple(ReferenceFile.model_validate(data).references)
    except ValidationError as exc:
        raise ValueError(f"{name}: {validation_summary(exc, limit=5, what='reference')}") from exc


def for_section(references: tuple[Reference, ...], section_path: str) -> tuple[Reference, ...]:
    """The references that back a section, given its heading path ("Title > Heading")."""
    heading = section_path.split(" > ")[-1].strip()
    return tuple(r for r in references if not r.sections or heading in r.sections)


def citations(references: tuple[Reference, ...]) -> str:
    """How passages carry their references in the index (Chroma metadata holds strings, not lists)."""
    return "\n".join(r.citation for r in references)
