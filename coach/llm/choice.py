"""Which local model the app uses, as chosen by `coach model use`: a small JSON file in the data directory.

COACH_LOCAL_MODEL still wins over it (see coach.llm.models.local_model_path); without either, the bundled model.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from coach.errors import ModelError

CHOICE_FILE = "model.json"
BUILTIN = "builtin"


class ModelChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: Path
    name: str | None = None  # the catalog name when it came from `coach model pull`


def models_dir(data_dir: Path) -> Path:
    """Where `coach model pull` puts models."""
    return Path(data_dir) / "models"


def choice_path(data_dir: Path) -> Path:
    return Path(data_dir) / CHOICE_FILE


def read_choice(data_dir: Path) -> ModelChoice | None:
    """The chosen model, or None for the built-in one; a damaged file is named with how to reset it."""
    path = choice_path(data_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ModelError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    try:
        return ModelChoice.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise ModelError(
            f"{path} is damaged ({type(exc).__name__}). Choose again with `coach model use NAME|PATH`, "
            f"or `coach model use {BUILTIN}` for the built-in model."
        ) from exc


def write_choice(data_dir: Path, choice: ModelChoice | None) -> None:
    """Record the choice (None: back to the built-in model), written whole or not at all."""
    path = choice_path(data_dir)
    if choice is None:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.with_suffix(".json.tmp")
    staging.write_text(choice.model_dump_json(indent=2) + "\n", encoding="utf-8")
    staging.replace(path)


class ActiveModel(BaseModel):
    path: Path
    source: str  # how it was chosen: COACH_LOCAL_MODEL, `coach model use`, or built-in
    name: str | None = None


def active_local_model(settings) -> ActiveModel:
    """The local model the app will load: COACH_LOCAL_MODEL, else `coach model use`'s choice, else the bundled one."""
    from coach.llm.models import bundled_model_path

    if settings.local_model:
        return ActiveModel(path=Path(settings.local_model), source="COACH_LOCAL_MODEL")
    chosen = read_choice(settings.data_dir)
    if chosen:
        return ActiveModel(path=chosen.path, source="`coach model use`", name=chosen.name)
    return ActiveModel(path=bundled_model_path(), source="built-in", name=BUILTIN)


def upgrade_hint(settings) -> str:
    """The page's line on the model in use and the commands that give better wording."""
    from coach.llm.catalog import CatalogError, load_catalog, machine_ram_gb

    try:
        active = active_local_model(settings)
        in_use = f"Model in use: `{active.name or active.path.name}` ({active.source})."
    except ModelError as exc:
        in_use = f"Model: {exc}"
    try:
        catalog = load_catalog(settings.model_catalog)
        best = catalog.recommended(machine_ram_gb()) or min(catalog.models, key=lambda m: m.ram_gb)
        pull = (
            f"For better wording: `coach model pull {best.name}` then `coach model use {best.name}` "
            "(`coach model list` shows the others)"
        )
    except CatalogError:
        pull = "For better wording: `coach model list`, then `coach model pull NAME` and `coach model use NAME`"
    return (
        f"{in_use} {pull}, or set `OPENAI_API_KEY` (OpenAI) or `OPENAI_BASE_URL` (Ollama, vLLM, LM Studio, "
        "llama.cpp server), and restart."
    )
