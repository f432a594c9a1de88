"""The model and the index in words for people: "Offline · built-in model · 19 guidance files"."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    from coach.settings import Settings


def _on_this_machine(url: str) -> bool:
    return (urlparse(url).hostname or "") in {"localhost", "127.0.0.1", "::1"}


def model_in_words(settings: Settings) -> str:
    """Whether answers leave the machine, and which kind of model words them (no paths, no keys)."""
    provider = settings.resolved_provider()
    if provider == "local":
        return "Offline · " + ("your own model file" if settings.local_model else "built-in model")
    if provider == "openai":
        if settings.openai_base_url and _on_this_machine(settings.openai_base_url):
            return f"Offline · {settings.openai_model} on a local server"
        return f"Online · {settings.openai_model}"
    return "Offline · test model"


def files_in_words(count: int) -> str:
    return f"{count} guidance file{'' if count == 1 else 's'}"
