"""Thumbs up or down on the coach's answers, kept on this machine with the question, the answer and its sources,
and written out as JSON lines so that a team can see what the coach gets wrong."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from coach.chat.transcript import message_text
from coach.errors import InputError, validation_summary
from coach.journal import store
from coach.journal.records import AnswerFeedback, checked_user
from coach.journal.store import JournalDB, get_row, insert_row, next_id, update_row


class FeedbackLog:
    def __init__(self, db: JournalDB, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock

    def add(
        self,
        user: str,
        *,
        liked: bool,
        question: str,
        answer: str,
        sources: str = "",
        reason: str = "",
        conversation_id: int | None = None,
    ) -> AnswerFeedback:
        user = checked_user(user)
        with self._db.transaction() as conn:
            fields = {"liked": liked, "question": question, "answer": answer, "sources": sources, "reason": reason}
            record = _valid(
                id=next_id(conn, user, AnswerFeedback.TABLE),
                conversation_id=conversation_id,
                created_at=self._clock(),
                **fields,
            )
            insert_row(conn, user, record)
        return record

    def give_reason(self, user: str, feedback_id: int, reason: str) -> AnswerFeedback:
        """Add (or change) the optional reason of a thumbs up or down already given."""
        user = checked_user(user)
        with self._db.transaction() as conn:
            current = get_row(conn, AnswerFeedback, user, feedback_id)
            record = _valid(**(current.model_dump() | {"reason": (reason or "").strip()}))
            update_row(conn, user, record)
        return record

    def list(self, user: str) -> list[AnswerFeedback]:
        with self._db.snapshot() as conn:
            return store.select_rows(conn, AnswerFeedback, checked_user(user))

    def json_lines(self, user: str | None = None) -> Iterator[str]:
        """One JSON object per line, oldest first: every user's on this machine, or one user's."""
        with self._db.snapshot() as conn:
            rows = store.all_feedback(conn) if user is None else [(user, r) for r in self.list(user)]
        for owner, record in rows:
            yield json.dumps({"user": owner, **record.model_dump(mode="json")}, ensure_ascii=False)


def _valid(**fields) -> AnswerFeedback:
    try:
        return AnswerFeedback.model_validate(fields)
    except ValidationError as exc:
        raise InputError(f"Cannot save the feedback: {validation_summary(exc)}") from exc


def answer_context(history: Sequence[Mapping[str, Any]], index: int) -> tuple[str, str, str]:
    """(question, answer, sources) around the assistant message at `index` in Gradio's history: the user message
    before it, the untitled reply of that turn, and the folded messages (sources) that came with it."""
    start = next((i for i in range(min(index, len(history) - 1), -1, -1) if history[i].get("role") == "user"), -1)
    end = next((i for i in range(start + 1, len(history)) if history[i].get("role") == "user"), len(history))
    turn = history[start + 1 : end]
    question = message_text(history[start].get("content")) if start >= 0 else ""
    untitled = [m for m in turn if not (m.get("metadata") or {}).get("title")]
    titled = [m for m in turn if (m.get("metadata") or {}).get("title")]
    answer = "\n\n".join(message_text(m.get("content")) for m in untitled).strip()
    if not answer and 0 <= index < len(history):  # a tool or rehearsal turn: the message itself is the answer
        answer = message_text(history[index].get("content"))
    sources = "\n\n".join(f"{m['metadata']['title']}\n{message_text(m.get('content'))}" for m in titled).strip()
    return question, answer, sources
