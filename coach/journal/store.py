"""The journal's SQLite file: its row types, versioned schema migrations, and transactions."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from coach.errors import StoreError, validation_summary
from coach.journal.cipher import DB_ERRORS, connect

JOURNAL_FILENAME = "journal.sqlite3"

# Each step runs in its own transaction and sets PRAGMA user_version to its position (1-based). A released step is
# never edited: change the schema by appending a step. A step that rebuilds a table runs with foreign keys off and
# is checked with PRAGMA foreign_key_check before it commits.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: initial schema. Rows are keyed by (user_id, id): ids count per user, and a foreign key that includes
    # user_id can only point at a row of the same user.
    (
        """CREATE TABLE id_counters (
            user_id TEXT NOT NULL, entity TEXT NOT NULL, last_id INTEGER NOT NULL,
            PRIMARY KEY (user_id, entity)
        ) WITHOUT ROWID""",
        """CREATE TABLE goals (
            user_id TEXT NOT NULL, id INTEGER NOT NULL,
            text TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'achieved', 'dropped')),
            created_at TEXT NOT NULL,
            PRIMARY KEY (user_id, id)
        )""",
        """CREATE TABLE mentors (
            user_id TEXT NOT NULL, id INTEGER NOT NULL,
            name TEXT NOT NULL, role TEXT NOT NULL DEFAULT '', how_met TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,
            PRIMARY KEY (user_id, id)
        )""",
        """CREATE TABLE meetings (
            user_id TEXT NOT NULL, id INTEGER NOT NULL,
            mentor_id INTEGER NOT NULL, starts_at TEXT NOT NULL, minutes INTEGER NOT NULL CHECK (minutes >= 0),
            agenda TEXT NOT NULL DEFAULT '', notes TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,
            PRIMARY KEY (user_id, id),
            UNIQUE (user_id, id, mentor_id),
            FOREIGN KEY (user_id, mentor_id) REFERENCES mentors (user_id, id) ON DELETE CASCADE
        )""",
        "CREATE INDEX meetings_by_mentor ON meetings (user_id, mentor_id, starts_at)",
        # An item from a meeting is about that meeting's mentor: the three-column key keeps them in step, also
        # when the meeting moves to another mentor (ON UPDATE CASCADE).
        """CREATE TABLE action_items (
            user_id TEXT NOT NULL, id INTEGER NOT NULL,
            mentor_id INTEGER, meeting_id INTEGER,
            text TEXT NOT NULL, owner TEXT NOT NULL CHECK (owner IN ('me', 'mentor')), due TEXT,
            status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
            created_at TEXT NOT NULL, done_at TEXT,
            PRIMARY KEY (user_id, id),
            CHECK ((status = 'done') = (done_at IS NOT NULL)),
            CHECK (meeting_id IS NULL OR mentor_id IS NOT NULL),
            FOREIGN KEY (user_id, mentor_id) REFERENCES mentors (user_id, id) ON DELETE CASCADE,
            FOREIGN KEY (user_id, meeting_id, mentor_id) REFERENCES meetings (user_id, id, mentor_id)
                ON UPDATE CASCADE
        )""",
        "CREATE INDEX action_items_by_mentor ON action_items (user_id, mentor_id)",
        "CREATE INDEX action_items_by_meeting ON action_items (user_id, meeting_id, mentor_id)",
    ),
    # 2: how often and where a mentor prefers to meet; an index for the open/overdue queries.
    (
        "ALTER TABLE mentors ADD COLUMN cadence TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE mentors ADD COLUMN channel TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX action_items_open_by_due ON action_items (user_id, status, due)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


class JournalNotFound(StoreError):
    """No row with that id in this user's journal (it may not exist, or may belong to another user)."""


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


# Every text has a length limit: it also makes pydantic reject unpaired surrogates, which SQLite cannot store.
Name = Annotated[str, StringConstraints(min_length=1, max_length=500), AfterValidator(_not_blank)]
Short = Annotated[str, StringConstraints(max_length=500)]
Sentence = Annotated[str, StringConstraints(min_length=1, max_length=10_000), AfterValidator(_not_blank)]
Medium = Annotated[str, StringConstraints(max_length=10_000)]
Long = Annotated[str, StringConstraints(max_length=1_000_000)]
Utc = Annotated[AwareDatetime, AfterValidator(lambda moment: moment.astimezone(UTC))]
RowId = Annotated[int, Field(ge=1)]

GoalStatus = Literal["active", "achieved", "dropped"]
Owner = Literal["me", "mentor"]
ItemStatus = Literal["open", "done"]


class Record(BaseModel):
    """One row of a user's journal; the user is not part of it, so an export can be imported for another user."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    TABLE: ClassVar[str]
    NOUN: ClassVar[str]

    id: RowId


class Goal(Record):
    TABLE = "goals"
    NOUN = "goal"

    text: Sentence
    status: GoalStatus = "active"
    created_at: Utc


class Mentor(Record):
    TABLE = "mentors"
    NOUN = "mentor"

    name: Name
    role: Short = ""
    how_met: Medium = ""
    cadence: Short = Field(default="", description="How often you meet, in your words: 'monthly', 'ad hoc'.")
    channel: Short = Field(default="", description="Where you meet: 'video call', 'coffee', 'email'.")
    notes: Long = ""
    created_at: Utc


class Meeting(Record):
    TABLE = "meetings"
    NOUN = "meeting"

    mentor_id: RowId
    starts_at: Utc
    minutes: int = Field(default=30, ge=0, le=24 * 60)
    agenda: Long = Field(default="", description="Markdown.")
    notes: Long = ""
    created_at: Utc


class ActionItem(Record):
    TABLE = "action_items"
    NOUN = "action item"

    mentor_id: RowId | None = None
    meeting_id: RowId | None = None
    text: Sentence
    owner: Owner = "me"
    due: date | None = None
    status: ItemStatus = "open"
    created_at: Utc
    done_at: Utc | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.status == "done") != (self.done_at is not None):
            raise ValueError("done_at is set exactly when status is 'done'")
        if self.meeting_id is not None and self.mentor_id is None:
            raise ValueError("an action item from a meeting has that meeting's mentor_id")
        return self


R = TypeVar("R", bound=Record)


def to_sql(value: Any) -> Any:
    """A value as stored: UTC timestamps with fixed width (so text order is time order), dates as ISO."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def select_rows(
    conn: sqlite3.Connection, model: type[R], user: str, where: str = "", params: Sequence = (), *, order: str = "id"
) -> list[R]:
    """Rows of `model` belonging to `user`; `where` is extra SQL ANDed to the user filter."""
    sql = f"SELECT {', '.join(model.model_fields)} FROM {model.TABLE} WHERE user_id = ?"
    rows = conn.execute(sql + (f" AND {where}" if where else "") + f" ORDER BY {order}", (user, *params))
    try:
        return [model.model_validate(dict(row)) for row in rows]
    except ValidationError as exc:  # only another program writing the file directly gets here
        raise StoreError(f"The journal has a {model.NOUN} that cannot be read: {validation_summary(exc)}") from exc


def get_row(conn: sqlite3.Connection, model: type[R], user: str, row_id: int) -> R:
    """One row of the user's, or JournalNotFound (the same answer whether it is missing or someone else's)."""
    rows = select_rows(conn, model, user, "id = ?", (row_id,))
    if not rows:
        raise JournalNotFound(f"There is no {model.NOUN} {row_id} in this journal.")
    return rows[0]


def insert_row(conn: sqlite3.Connection, user: str, record: Record) -> None:
    data = record.model_dump()
    columns = ", ".join(["user_id", *data])
    marks = ", ".join("?" * (len(data) + 1))
    conn.execute(f"INSERT INTO {record.TABLE} ({columns}) VALUES ({marks})", [user, *map(to_sql, data.values())])


def update_row(conn: sqlite3.Connection, user: str, record: Record) -> None:
    data = record.model_dump(exclude={"id"})
    assignments = ", ".join(f"{column} = ?" for column in data)
    values = [*map(to_sql, data.values()), user, record.id]
    conn.execute(f"UPDATE {record.TABLE} SET {assignments} WHERE user_id = ? AND id = ?", values)


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


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def too_new(path: Path, version: int, target: int) -> None:
    if version > target:
        raise StoreError(
            f"The journal at {path} was written by a newer Mentor Coach (schema version {version}; this version "
            f"knows up to {target}). Upgrade Mentor Coach, or set COACH_DATA_DIR to another folder."
        )


def migrate(conn: sqlite3.Connection, path: Path, migrations: Sequence[Sequence[str]] = MIGRATIONS) -> None:
    """Bring the file up to `len(migrations)`, one transaction per step; refuse a file from a newer version."""
    target = len(migrations)
    if schema_version(conn) == target:
        return
    too_new(path, schema_version(conn), target)  # refused before taking any lock
    conn.execute("PRAGMA foreign_keys = OFF")  # no effect inside a transaction, so set before the steps
    try:
        while True:
            conn.execute("BEGIN IMMEDIATE")  # re-read under the write lock: another process may have migrated
            try:
                version = schema_version(conn)
                too_new(path, version, target)
                if version == target:
                    conn.execute("COMMIT")
                    return
                for statement in migrations[version]:
                    conn.execute(statement)
                broken = conn.execute("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise StoreError(
                        f"Upgrading the journal at {path} to version {version + 1} broke {len(broken)} references; "
                        "it was left at the previous version."
                    )
                conn.execute(f"PRAGMA user_version = {version + 1}")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")
