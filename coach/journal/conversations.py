"""Past conversations kept per user in the journal's file: saved as they grow, titled, renamed, searched, deleted,
exported as Markdown or JSON and imported back from the JSON."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from coach.chat.transcript import conversation_markdown, message_text
from coach.errors import InputError, StoreError, validation_summary
from coach.journal import store
from coach.journal.records import Conversation, ConversationMessage, checked_user
from coach.journal.store import JournalDB, JournalNotFound, delete_rows, get_row, insert_row, next_id, update_row

FORMAT = "mentor-coach-conversation"
TITLE_CHARS = 60
UNTITLED = "New conversation"


class ExportedMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(pattern="^(user|assistant)$")
    text: str = Field(max_length=1_000_000)
    title: str | None = Field(default=None, max_length=500)


class ExportedConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: str = Field(pattern=f"^{FORMAT}$")
    version: int = Field(ge=1, le=1)
    title: str = Field(min_length=1, max_length=500)
    created_at: datetime | None = None
    messages: list[ExportedMessage] = Field(max_length=10_000)


def title_from(history: Iterable[Mapping[str, Any]]) -> str:
    """The first thing the user said, on one line and cut at a word near TITLE_CHARS."""
    first = next((message_text(m.get("content")) for m in history if m.get("role") == "user"), "")
    line = " ".join(first.split())
    if len(line) <= TITLE_CHARS:
        return line or UNTITLED
    return line[:TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",.;:") + "…"


def to_history(messages: Iterable[ConversationMessage]) -> list[dict[str, Any]]:
    """Stored messages in Gradio's message shape (a titled one folded under its title)."""
    return [
        {"role": m.role, "content": m.text, **({"metadata": {"title": m.title, "status": "done"}} if m.title else {})}
        for m in messages
    ]


def _rows(conversation_id: int, history: Iterable[Mapping[str, Any]]) -> list[ConversationMessage]:
    """Gradio's messages as rows; empty ones (a tool's file downloads, which are temporary) are left out."""
    rows = []
    for message in history:
        text = message_text(message.get("content"))
        title = (message.get("metadata") or {}).get("title") or None
        if not text.strip() and not title:
            continue
        role = "user" if message.get("role") == "user" else "assistant"
        rows.append(
            ConversationMessage(id=len(rows) + 1, conversation_id=conversation_id, role=role, text=text, title=title)
        )
    return rows


def _checked(method: Callable) -> Callable:
    """Refuse a blank or oversized user before any SQL runs."""

    @functools.wraps(method)
    def run(self: Any, user: str, *args: Any, **kwargs: Any) -> Any:
        return method(self, checked_user(user), *args, **kwargs)

    return run


class ConversationLog:
    """Each user's conversations; every method reads and writes only the rows of the `user` it is given."""

    def __init__(self, db: JournalDB, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    @_checked
    def list(self, user: str, containing: str = "") -> list[Conversation]:
        """Last changed first; `containing` keeps those whose title or messages have that text."""
        with self._db.snapshot() as conn:
            return store.conversations_newest_first(conn, user, containing)

    @_checked
    def get(self, user: str, conversation_id: int) -> Conversation:
        with self._db.snapshot() as conn:
            return get_row(conn, Conversation, user, conversation_id)

    @_checked
    def history(self, user: str, conversation_id: int) -> list[dict[str, Any]]:
        """The conversation in Gradio's message shape, ready to show in the chat."""
        with self._db.snapshot() as conn:
            get_row(conn, Conversation, user, conversation_id)
            return to_history(store.select_rows(conn, ConversationMessage, user, {"conversation_id": conversation_id}))

    @_checked
    def save(self, user: str, conversation_id: int | None, history: list[Mapping[str, Any]]) -> Conversation:
        """Keep the chat as shown: a new conversation when `conversation_id` is None (or no longer exists), else
        its messages replaced. The title is set once, from the first message; a rename is kept."""
        now = self._clock()
        with self._db.transaction() as conn:
            try:
                current = get_row(conn, Conversation, user, conversation_id) if conversation_id else None
            except JournalNotFound:  # deleted in another tab: keep the chat as a new one rather than lose it
                current = None
            if current is None:
                current = self._valid(
                    Conversation,
                    id=next_id(conn, user, Conversation.TABLE),
                    title=title_from(history),
                    created_at=now,
                    updated_at=now,
                )
                insert_row(conn, user, current)
            else:
                rows = _rows(current.id, history)
                if store.select_rows(conn, ConversationMessage, user, {"conversation_id": current.id}) == rows:
                    return current  # shown again (opened, reloaded): not a change, so its place in the list stays
                current = current.model_copy(update={"updated_at": now})
                update_row(conn, user, current)
            delete_rows(conn, ConversationMessage, user, {"conversation_id": current.id})
            for row in _rows(current.id, history):
                insert_row(conn, user, row)
        return current

    @_checked
    def rename(self, user: str, conversation_id: int, title: str) -> Conversation:
        with self._db.transaction() as conn:
            current = get_row(conn, Conversation, user, conversation_id)
            renamed = self._valid(Conversation, **(current.model_dump() | {"title": " ".join((title or "").split())}))
            update_row(conn, user, renamed)
        return renamed

    @_checked
    def delete(self, user: str, conversation_id: int) -> None:
        with self._db.transaction() as conn:
            if delete_rows(conn, Conversation, user, {"id": conversation_id}) == 0:
                raise JournalNotFound(f"There is no conversation {conversation_id} in this journal.")

    @_checked
    def export_json(self, user: str, conversation_id: int) -> dict[str, Any]:
        """{"format": "mentor-coach-conversation", "version": 1, "title", "created_at", "messages": [...]}."""
        with self._db.snapshot() as conn:
            conversation = get_row(conn, Conversation, user, conversation_id)
            rows = store.select_rows(conn, ConversationMessage, user, {"conversation_id": conversation_id})
        return {
            "format": FORMAT,
            "version": 1,
            "title": conversation.title,
            "created_at": conversation.created_at.isoformat(),
            "messages": [{"role": r.role, "text": r.text, "title": r.title} for r in rows],
        }

    @_checked
    def export_markdown(self, user: str, conversation_id: int) -> str:
        conversation = self.get(user, conversation_id)
        return conversation_markdown(self.history(user, conversation_id), heading=conversation.title)

    @_checked
    def import_json(self, user: str, data: Mapping[str, Any] | str | bytes) -> Conversation:
        """Add an exported conversation as a new one of this user's (an import never replaces one)."""
        try:
            document = ExportedConversation.model_validate(json.loads(data) if isinstance(data, str | bytes) else data)
        except json.JSONDecodeError as exc:
            raise StoreError(f"Cannot import the conversation: the file is not valid JSON ({exc}).") from exc
        except ValidationError as exc:
            raise StoreError(
                f'Cannot import the conversation: this is not a Mentor Coach conversation export ("format": '
                f'"{FORMAT}", "version": 1): {validation_summary(exc)}.'
            ) from exc
        history = [
            {"role": m.role, "content": m.text, **({"metadata": {"title": m.title}} if m.title else {})}
            for m in document.messages
        ]
        with self._db.transaction():
            saved = self.save(user, None, history)
            return self.rename(user, saved.id, document.title)

    @staticmethod
    def _valid(model: type[Conversation], **fields: Any) -> Conversation:
        try:
            return model.model_validate(fields)
        except ValidationError as exc:
            raise InputError(f"Cannot save the conversation: {validation_summary(exc)}") from exc
