"""The steps every journal table shares: add, get, list, update and delete one user's rows, validated."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any, Final, TypeVar

from pydantic import ValidationError

from coach.errors import InputError, validation_summary
from coach.journal import store
from coach.journal.records import Meeting, Mentor, Record
from coach.journal.records import checked_user as _user
from coach.journal.store import JournalDB, JournalNotFound, get_row, insert_row, next_id, select_rows, update_row


class Unset(Enum):
    """The type of UNSET."""

    UNSET = "UNSET"


UNSET: Final = Unset.UNSET
"""Default of every `update_*` keyword: leave that field as it is (None can be a real value, e.g. `due=None`)."""

R = TypeVar("R", bound=Record)


def _valid(model: type[R], fields: Mapping[str, Any]) -> R:
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        raise InputError(f"Cannot save the {model.NOUN}: {validation_summary(exc)}") from exc


class RecordRows:
    """Row-level steps over a `JournalDB`; `Journal` names them per table (goals, mentors, meetings, items)."""

    _db: JournalDB
    _clock: Callable[[], datetime]

    def _add(self, user: str, model: type[R], fields: Mapping[str, Any]) -> R:
        user = _user(user)
        with self._db.transaction() as conn:
            record = _valid(model, {"id": next_id(conn, user, model.TABLE), **fields, "created_at": self._clock()})
            insert_row(conn, user, record)
        return record

    def _get(self, user: str, model: type[R], row_id: int) -> R:
        with self._db.snapshot() as conn:
            return get_row(conn, model, _user(user), row_id)

    def _list(self, user: str, model: type[R], equal: Mapping[str, Any] | None = None) -> list[R]:
        with self._db.snapshot() as conn:
            return select_rows(conn, model, _user(user), equal)

    def _update(self, user: str, model: type[R], row_id: int, changes: Mapping[str, Any]) -> R:
        user = _user(user)
        with self._db.transaction() as conn:
            current = get_row(conn, model, user, row_id)
            given = {name: value for name, value in changes.items() if value is not UNSET}
            record = _valid(model, current.model_dump() | given)
            update_row(conn, user, record)
        return record

    def _delete(self, user: str, model: type[R], row_id: int) -> None:
        user = _user(user)
        with self._db.transaction() as conn:
            if store.delete_rows(conn, model, user, {"id": row_id}) == 0:
                raise JournalNotFound(f"There is no {model.NOUN} {row_id} in this journal.")

    def _check_mentor(self, user: str, mentor_id: int | None) -> None:
        """JournalNotFound unless the mentor (when given) is the user's."""
        if mentor_id is not None:
            self._get(user, Mentor, mentor_id)

    @staticmethod
    def _links(
        conn: sqlite3.Connection, user: str, mentor_id: int | None, meeting_id: int | None, *, mentor_given: bool
    ) -> dict[str, int | None]:
        """Check that the mentor and meeting are the user's and agree; a meeting's mentor fills an unnamed one."""
        if mentor_id is not None:
            get_row(conn, Mentor, user, mentor_id)
        if meeting_id is not None:
            meeting = get_row(conn, Meeting, user, meeting_id)
            if mentor_given and mentor_id != meeting.mentor_id:
                raise InputError(
                    f"Meeting {meeting_id} was with mentor {meeting.mentor_id}, not {mentor_id}: an action item from "
                    "a meeting is about that meeting's mentor. Leave mentor_id out, or set meeting_id=None."
                )
            mentor_id = meeting.mentor_id
        return {"mentor_id": mentor_id, "meeting_id": meeting_id}
