"""What one chat turn shows: replies (answer, tool result, form, notice) and the sources under them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic import ValidationError

from coach.errors import validation_summary

if TYPE_CHECKING:
    from coach.guidance.retrieval import Hit
    from coach.tools import ToolOutput

SOURCES = "📚 Sources"
PROBLEM = "⚠️ Problem"
STARTING = "⏳ Starting up"  # shown while the page waits for the coach to start, then replaced by the reply


@dataclass
class Reply:
    """A message for the chat; a titled one is not sent to the model and is shown folded under its title, unless
    `open`. `options` are one-click suggestions under it: (label, message sent when clicked)."""

    content: str
    title: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    open: bool = False
    options: list[tuple[str, str]] = field(default_factory=list)


def validation_message(exc: ValidationError) -> str:
    """Pydantic's errors as one readable line per field."""
    return "Please fix: " + validation_summary(exc, limit=20, what="input")


def sources_reply(hits: Sequence[Hit]) -> Reply:
    lines = [
        f"{n}. **{h.label}** — {h.excerpt()}" + "".join(f"\n   - Source: {c}" for c in h.references.splitlines())
        for n, h in enumerate(hits, 1)
    ]
    body = "\n".join(lines) if lines else "No guidance passage matched this question."
    return Reply(body, title=f"{SOURCES} ({len(hits)})")


def tool_replies(output: ToolOutput, title: str | None = None) -> list[Reply]:
    """A tool's result (titled when a follow-up may edit it) and its sources."""
    return [Reply(output.markdown, title=title, files=output.files, open=True), sources_reply(output.hits)]
