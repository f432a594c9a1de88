"""The curated table of stronger local models (package data), and which one suits this machine."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.errors import CoachError

SHA256_PATTERN = r"^[0-9a-f]{64}$"
# Leave room for the app itself (page, index, embedder: about 1 GB) and for whatever else the machine runs.
RAM_SHARE = 0.6


class CatalogError(CoachError):
    """The model table cannot be read, or a name is not in it."""


class CatalogModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$", description="What `coach model pull/use` take.")
    title: str
    repo_id: str = Field(pattern=r"^[\w.\-]+/[\w.\-]+$")
    filename: str = Field(pattern=r"^[\w.\-]+\.gguf$")
    revision: str = Field(default="main", description="Branch, tag or commit on the hub.")
    quantisation: str
    size_gb: float = Field(gt=0, description="Approximate size on disk; the hub's own size is used to download.")
    ram_gb: float = Field(gt=0, description="Approximate memory while answering with a 4096-token context.")
    tokens_per_s_2_cores: float = Field(gt=0)
    speed_measured: bool = Field(description="False: an estimate (see the catalog's note).")
    licence: str
    chat_template: str = Field(description="Notes on the chat template the GGUF carries (it is used as it is).")
    sha256: str | None = Field(
        default=None,
        pattern=SHA256_PATTERN,
        description="Checked after download; null: unverified here, checked against the hub's LFS sha256 instead.",
    )
    rank: int = Field(ge=1, description="Order of preference for a coach on a CPU (1: best wording for its speed).")

    @property
    def speed(self) -> str:
        return f"{self.tokens_per_s_2_cores:g}" + ("" if self.speed_measured else " (est.)")


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    note: str
    models: list[CatalogModel] = Field(min_length=1)

    def get(self, name: str) -> CatalogModel:
        for model in self.models:
            if model.name == name.lower():
                return model
        known = ", ".join(m.name for m in self.models)
        raise CatalogError(f"No model named '{name}' in the table. Known: {known}. See `coach model list`.")

    def find(self, name: str) -> CatalogModel | None:
        return next((m for m in self.models if m.name == name.lower()), None)

    def recommended(self, ram_gb: float | None) -> CatalogModel | None:
        """The best-ranked model whose RAM need fits this machine's share; None when none fits."""
        budget = (ram_gb or 0.0) * RAM_SHARE
        fitting = [m for m in self.models if m.ram_gb <= budget]
        return min(fitting, key=lambda m: m.rank) if fitting else None


def load_catalog(path: Path | None = None) -> Catalog:
    """The packaged table, or `path` (COACH_MODEL_CATALOG) instead; a bad file is named with what is wrong."""
    try:
        if path is None:
            text = resources.files("coach.llm").joinpath("data/catalog.json").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        return Catalog.model_validate(json.loads(text))
    except OSError as exc:
        raise CatalogError(f"Cannot read the model table {path}: {exc.strerror or exc}.") from exc
    except (json.JSONDecodeError, ValidationError) as exc:
        raise CatalogError(f"The model table {path or 'coach/llm/data/catalog.json'} is not valid: {exc}") from exc


def machine_ram_gb() -> float | None:
    """Physical memory, in GB (None where the system does not say)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9
    except (ValueError, OSError, AttributeError):
        return None


def render_table(catalog: Catalog, ram_gb: float | None, installed: set[str], active: str | None) -> str:
    """The `coach model list` table: one row per model, the one that suits this machine marked."""
    best = catalog.recommended(ram_gb)
    header = ("", "name", "disk GB", "RAM GB", "tok/s 2 cores", "licence", "sha256", "repo / file")
    rows = [header]
    for model in sorted(catalog.models, key=lambda m: m.rank):
        marks = ("*" if best and model.name == best.name else "") + ("✓" if model.name in installed else "")
        marks += "◀" if active == model.name else ""
        rows.append(
            (
                marks,
                model.name,
                f"{model.size_gb:g}",
                f"{model.ram_gb:g}",
                model.speed,
                model.licence.split(" (")[0],
                "listed" if model.sha256 else "hub LFS",
                f"{model.repo_id} / {model.filename}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    ram = f"{ram_gb:.1f} GB" if ram_gb else "unknown"
    if best:
        fit = f"* suits this machine ({ram} RAM): {best.name}."
    else:
        fit = f"None fits this machine's RAM ({ram}) with room to spare; the built-in model stays the safe choice."
    legend = "✓ pulled · ◀ in use · sha256 'hub LFS': not verified here, checked against the hub's LFS sha256 at pull."
    return "\n".join([*lines, "", fit, legend, catalog.note])
