"""The journal's SQLite file: the connection and its transactions, and every SQL statement the journal runs."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from coach.errors import StoreError, validation_summary
from coach.journal.cipher import DB_ERRORS, connect
from coach.journal.migrations import MIGRATIONS, SCHEMA_VERSION, migrate
from coach.journal.records import ActionItem, AnswerFeedback, Conversation, Goal, Meeting, Mentor, Record

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "ActionItem", "Goal", "JournalDB", "JournalNotFound", "Meeting", "Mentor"]

JOURNAL_FILENAME = "journal.sqlite3"


class JournalNotFound(StoreError):
    """No row with that id in this user's journal (it may not exist, or may belong to another user)."""


R = TypeVar("R", bound=Record)


def to_sql(value: Any) -> Any:
    """A value as stored: UTC timestamps with fixed width (so text order is time order), dates as ISO."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _where(model: type[Record], equal: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """`user = ? AND column = ? ...` for the given columns (each a field of `model`, never user text)."""
    unknown = set(equal) - set(model.model_fields)
    if unknown:
        raise ValueError(f"{model.TABLE} has no column {sorted(unknown)}")
    clauses = [f"{model.USER_COLUMN} = ?", *(f"{column} IS ?" for column in equal)]
    return " AND ".join(clauses), list(map(to_sql, equal.values()))


def _read(conn: sqlite3.Connection, model: type[R], sql: str, params: Sequence) -> list[R]:
    rows = conn.execute(f"SELECT {', '.join(model.model_fields)} FROM {model.TABLE} WHERE {sql}", params)
    try:
        return [model.model_validate(dict(row)) for row in rows]
    except ValidationError as exc:  # only another program writing the file directly gets here
        raise StoreError(f"The journal has a {model.NOUN} that cannot be read: {validation_summary(exc)}") from exc


def select_rows(
    conn: sqlite3.Connection, model: type[R], user: str, equal: Mapping[str, Any] | None = None, *, newest=False
) -> list[R]:
    """Rows of `model` belonging to `user` whose columns equal `equal`, in id order (newest first if asked)."""
    where, params = _where(model, equal or {})
    return _read(conn, model, f"{where} ORDER BY id{' DESC' if newest else ''}", [user, *params])


def get_row(conn: sqlite3.Connection, model: type[R], user: str, row_id: int) -> R:
    """One row of the user's, or JournalNotFound (the same answer whether it is missing or someone else's)."""
    rows = select_rows(conn, model, user, {"id": row_id})
    if not rows:
        raise JournalNotFound(f"There is no {model.NOUN} {row_id} in this journal.")
    return rows[0]


def insert_row(conn: sqlite3.Connection, user: str, record: Record) -> None:
    data = record.model_dump()
    columns = ", ".join([record.USER_COLUMN, *data])
    marks = ", ".join("?" * (len(data) + 1))
    conn.execute(f"INSERT INTO {record.TABLE} ({columns}) VALUES ({marks})", [user, *map(to_sql, data.values())])


def update_row(conn: sqlite3.Connection, user: str, record: Record, key: Mapping[str, Any] | None = None) -> None:
    data = record.model_dump(exclude={"id", *(key or {})})
    assignments = ", ".join(f"{column} = ?" for column in data)
    where, params = _where(type(record), {**(key or {}), "id": record.id})
    conn.execute(f"UPDATE {record.TABLE} SET {assignments} WHERE {where}", [*map(to_sql, data.values()), user, *params])


def delete_rows(
    conn: sqlite3.Connection, model: type[Record], user: str, equal: Mapping[str, Any] | None = None
) -> int:
    """Delete the user's rows of `model` matching `equal` (all of them when not given); returns how many."""
    where, params = _where(model, equal or {})
    return conn.execute(f"DELETE FROM {model.TABLE} WHERE {where}", [user, *params]).rowcount


# The journal's own queries


def open_items(conn: sqlite3.Connection, user: str, mentor_id: int | None) -> list[ActionItem]:
    """Open items, soonest due first and undated last."""
    mentor = "" if mentor_id is None else " AND mentor_id = ?"
    params = [user, *([] if mentor_id is None else [mentor_id])]
    return _read(conn, ActionItem, f"user_id = ? AND status = 'open'{mentor} ORDER BY due IS NULL, due, id", params)


def overdue_items(conn: sqlite3.Connection, user: str, today: date) -> list[ActionItem]:
    """Open items due before `today`, most overdue first."""
    sql = "user_id = ? AND status = 'open' AND due < ? ORDER BY due, id"
    return _read(conn, ActionItem, sql, [user, today.isoformat()])


def meetings_in_time_order(
    conn: sqlite3.Connection, user: str, mentor_id: int | None, *, until: datetime | None = None, latest_first=False
) -> list[Meeting]:
    clauses, params = ["user_id = ?"], [user]
    if mentor_id is not None:
        clauses.append("mentor_id = ?")
        params.append(mentor_id)
    if until is not None:
        clauses.append("starts_at <= ?")
        params.append(to_sql(until))
    order = "starts_at DESC, id DESC" if latest_first else "starts_at, id"
    return _read(conn, Meeting, f"{' AND '.join(clauses)} ORDER BY {order}", params)


def detach_items(conn: sqlite3.Connection, user: str, meeting_id: int) -> None:
    """Keep a meeting's action items when it is deleted, no longer tied to it."""
    conn.execute("UPDATE action_items SET meeting_id = NULL WHERE user_id = ? AND meeting_id = ?", (user, meeting_id))


def next_id(conn: sqlite3.Connection, user: str, table: str) -> int:
    """The user's next id for `table`; never reuses an id, even of a deleted row."""
    row = conn.execute(
        "INSERT INTO id_counters (user_id, entity, last_id) VALUES (?, ?, 1) "
        "ON CONFLICT (user_id, entity) DO UPDATE SET last_id = last_id + 1 RETURNING last_id",
        (user, table),
    ).fetchall()
    return row[0][0]


def raise_counter(conn: sqlite3.Connection, user: str, table: str, at_least: int) -> None:
    conn.execute(
        "INSERT INTO id_counters (user_id, entity, last_id) VALUES (?, ?, ?) "
        "ON CONFLICT (user_id, entity) DO UPDATE SET last_id = max(last_id, excluded.last_id)",
        (user, table, at_least),
    )


# Conversations


def conversations_newest_first(conn: sqlite3.Connection, user: str, containing: str = "") -> list[Conversation]:
    """The user's conversations, last changed first; with `containing`, those whose title, or any message said by
    the user or the coach, has it (case-insensitive for ASCII letters). Folded messages (the guidance passages
    shown as sources, tool forms) are not searched: their words are the guidance's, not the conversation's."""
    if not containing.strip():
        return _read(conn, Conversation, "user = ? ORDER BY updated_at DESC, id DESC", [user])
    pattern = "%" + containing.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    sql = (
        "user = ? AND (title LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM conversation_messages AS m WHERE "
        "m.user = conversations.user AND m.conversation_id = conversations.id AND (m.role = 'user' OR m.title IS NULL) "
        "AND m.text LIKE ? ESCAPE '\\')) "
        "ORDER BY updated_at DESC, id DESC"
    )
    return _read(conn, Conversation, sql, [user, pattern, pattern])


def all_feedback(conn: sqlite3.Connection) -> list[tuple[str, AnswerFeedback]]:
    """Every user's feedback with its user, oldest first (for `coach feedback export`)."""
    columns = ", ".join(AnswerFeedback.model_fields)
    rows = conn.execute(f"SELECT user, {columns} FROM answer_feedback ORDER BY created_at, user, id")
    fields = AnswerFeedback.model_fields
    return [(row["user"], AnswerFeedback.model_validate({k: row[k] for k in fields})) for row in rows]


class JournalDB:
    """One connection to the journal file, shared by threads under a lock; other processes may open the same file.

    WAL lets readers run beside a writer; `busy_timeout` makes a writer wait for another process's write lock
    instead of failing at once. `synchronous=FULL`: in WAL mode NORMAL already survives a killed process, but may
    lose the last commits on power loss; the journal writes a few rows a minute, so an fsync per commit costs
    nothing noticeable and "saved" means saved.
    """

    def __init__(
        self,
        path: Path,
        *,
        busy_timeout: float = 5.0,
        migrations: Sequence[Sequence[str]] = MIGRATIONS,
        passphrase: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._lock = threading.RLock()
        self._depth = 0
        self._reading = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = connect(self.path, passphrase=passphrase, timeout=busy_timeout)
        except (OSError, *DB_ERRORS) as exc:
            raise StoreError(f"Cannot open the journal at {self.path}: {exc}") from exc
        try:
            self._configure()
            migrate(self._conn, self.path, migrations)
        except BaseException as exc:
            self._conn.close()
            if isinstance(exc, DB_ERRORS):
                raise self._store_error(exc) from exc
            raise

    def _configure(self) -> None:
        conn = self._conn
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreError(
                f"The journal at {self.path} cannot use write-ahead logging (got journal_mode={mode}); "
                "put COACH_DATA_DIR on a local disk."
            )
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the file and truncate it (outside any transaction)."""
        with self._lock:
            if self._depth:
                raise RuntimeError("a checkpoint cannot run inside a transaction")
            try:
                self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except DB_ERRORS as exc:
                raise self._store_error(exc) from exc

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Writes that all happen or none do; nested calls become savepoints of the outer transaction."""
        with self._scope(write=True) as conn:
            yield conn

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """Reads that see one consistent state of the file, without blocking writers in other processes."""
        with self._scope(write=False) as conn:
            yield conn

    @contextmanager
    def _scope(self, *, write: bool) -> Iterator[sqlite3.Connection]:
        with self._lock:
            depth = self._depth
            if depth == 0:
                self._reading = not write
            elif write and self._reading:
                raise RuntimeError("a write cannot start inside a read snapshot")
            if depth and not self._conn.in_transaction:  # SQLite ends a transaction itself on e.g. a full disk
                raise StoreError(f"The journal at {self.path} rolled back this group of writes after an error.")
            savepoint = f"sp{depth}"
            try:
                self._conn.execute(f"SAVEPOINT {savepoint}" if depth else "BEGIN IMMEDIATE" if write else "BEGIN")
            except DB_ERRORS as exc:
                raise self._store_error(exc) from exc
            self._depth = depth + 1
            try:
                yield self._conn
                self._conn.execute(f"RELEASE {savepoint}" if depth else "COMMIT")
            except BaseException as exc:
                with suppress(*DB_ERRORS):  # the first failure is the one worth reporting
                    if depth:
                        self._conn.execute(f"ROLLBACK TO {savepoint}")
                        self._conn.execute(f"RELEASE {savepoint}")
                    elif self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                if isinstance(exc, DB_ERRORS):
                    raise self._store_error(exc) from exc
                raise
            finally:
                self._depth = depth

    def _store_error(self, exc: Exception) -> StoreError:
        text = str(exc)
        if "locked" in text or "busy" in text:
            return StoreError(
                f"The journal at {self.path} is busy: another program held its write lock for more than "
                f"{self.busy_timeout:g} s. Try again in a moment."
            )
        return StoreError(f"The journal at {self.path} could not be read or written: {text}")
