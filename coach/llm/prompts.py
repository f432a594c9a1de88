"""Prompt templates ship as package data (coach/llm/templates/); a same-named file in the prompts override folder
(`COACH_PROMPTS_DIR`, default ./prompts) wins. This module loads them and fences reference text."""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_core.prompts import PromptTemplate

    from coach.guidance.retrieval import Hit

PROMPTS_DIR = Path(str(resources.files("coach.llm") / "templates"))
_overrides: list[Path] = []  # set once by `use_prompt_overrides` when the coach is built
# Anything that looks like a fence marker inside retrieved text is defanged, so it cannot close one.
_MARKER = re.compile(r"<{2,}|>{2,}")
# Chat-template tokens (<|im_start|>, <|eot_id|>, …): llama.cpp parses them in message text as real role headers.
TEMPLATE_TOKEN = re.compile(r"<\|([^<>|\s]{1,40})\|>")
_SENTENCE_TOKEN = re.compile(r"</?s>")  # Llama-2 style begin/end markers


def use_prompt_overrides(folder: Path | None) -> None:
    """Read prompts from `folder` first, where it has a file of the same name (the packaged ones otherwise)."""
    _overrides[:] = [Path(folder)] if folder else []
    load_prompt.cache_clear()


def prompt_path(name: str) -> Path:
    """The file behind prompt `name`: an override when one exists, else the packaged template."""
    for folder in _overrides:
        if (candidate := folder / f"{name}.md").is_file():
            return candidate
    return PROMPTS_DIR / f"{name}.md"


@cache
def load_prompt(name: str) -> PromptTemplate:
    """<name>.md as a template; formatting it without a variable it names raises KeyError."""
    # Imported here: it loads langsmith's tracers, which the page does not need until the first answer.
    from langchain_core.prompts import PromptTemplate

    return PromptTemplate.from_file(prompt_path(name), encoding="utf-8")


def render(name: str, **values: object) -> str:
    return load_prompt(name).format(**values)


def defang_template_tokens(text: str) -> str:
    """`<|im_start|>` becomes `(im_start)`: still readable, but no longer a role header to a local model."""
    return TEMPLATE_TOKEN.sub(r"(\1)", text)


def strip_template_tokens(text: str) -> str:
    """Template tokens a model leaked into its reply, removed (`<|im_end|>`, `</s>`)."""
    return _SENTENCE_TOKEN.sub("", TEMPLATE_TOKEN.sub("", text))


def new_fence_id() -> str:
    """A random code per request: text inside a passage cannot guess it to fake a closing marker."""
    return secrets.token_hex(4)


OWN_DOCUMENT = " (the person's own document)"


def fence_passages(hits: Sequence[Hit], fence_id: str) -> str:
    """Retrieved passages as numbered, fenced reference blocks (data, never instructions)."""
    if not hits:
        return f"<<<REFERENCE {fence_id}>>>\n(no guidance found)\n<<<END REFERENCE {fence_id}>>>"
    blocks = []
    for number, hit in enumerate(hits, start=1):
        body = _MARKER.sub("··", defang_template_tokens(hit.text))
        label = _MARKER.sub("··", defang_template_tokens(hit.label)) + (OWN_DOCUMENT if hit.owner else "")
        blocks.append(f"<<<REFERENCE {fence_id} [{number}] {label}>>>\n{body}\n<<<END REFERENCE {fence_id}>>>")
    return "\n\n".join(blocks)
