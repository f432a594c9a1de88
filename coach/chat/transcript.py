"""The chat as a Markdown file: the user's and the coach's turns, with folded messages (sources, tool forms,
rehearsal turns) kept folded under their titles."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from pathlib import PurePath
from typing import Any

SPEAKERS = {"user": "You", "assistant": "Coach"}


def message_text(content: Any) -> str:
    """Plain text of a Gradio message's content, whichever shape Gradio hands it over in."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, list | tuple):
        return " ".join(message_text(part) for part in content).strip()
    return ""


def attachments(content: Any) -> list[str]:
    """Names of the files in a Gradio message's content (a tool's downloads follow its text as file messages)."""
    parts = content if isinstance(content, list | tuple) else [content]
    files = [part["file"] for part in parts if isinstance(part, dict) and isinstance(part.get("file"), dict)]
    files += [part for part in parts if isinstance(part, dict) and part.get("path")]  # as the page stores them
    return [f.get("orig_name") or PurePath(f.get("path") or "").name for f in files]


def conversation_markdown(history: Iterable[Mapping[str, Any]], heading: str = "Conversation with Mentor Coach") -> str:
    """The chat history (Gradio's message dicts) as Markdown; a titled message becomes a `<details>` block."""
    parts = [f"# {heading}"]
    for message in history or []:
        text = message_text(message.get("content")).strip()
        title = (message.get("metadata") or {}).get("title")
        files = attachments(message.get("content"))
        if files and not text and not title:
            parts.append("\n".join(f"📎 _{name}_" for name in files))
        elif not text and not title:
            continue
        elif title:
            parts.append(f"<details>\n<summary>{html.escape(title, quote=False)}</summary>\n\n{text}\n\n</details>")
        else:
            parts.append(f"## {SPEAKERS.get(message.get('role', ''), 'Coach')}\n\n{text}")
    if len(parts) == 1:
        parts.append("_No messages yet._")
    return "\n\n".join(parts) + "\n"
