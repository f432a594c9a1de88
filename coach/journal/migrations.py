"""The journal's schema as numbered migration steps, and the step runner that brings a file up to date."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path

from coach.errors import StoreError

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
    # 3: conversations kept on the server and feedback on answers. These tables name their owner in a `user` column
    # (the account name), so that forgetting a user can find every row of theirs by that column.
    (
        """CREATE TABLE conversations (
            user TEXT NOT NULL, id INTEGER NOT NULL,
            title TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
            PRIMARY KEY (user, id)
        )""",
        "CREATE INDEX conversations_by_update ON conversations (user, updated_at)",
        """CREATE TABLE conversation_messages (
            user TEXT NOT NULL, conversation_id INTEGER NOT NULL, id INTEGER NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('user', 'assistant')), text TEXT NOT NULL, title TEXT,
            PRIMARY KEY (user, conversation_id, id),
            FOREIGN KEY (user, conversation_id) REFERENCES conversations (user, id) ON DELETE CASCADE
        )""",
        """CREATE TABLE answer_feedback (
            user TEXT NOT NULL, id INTEGER NOT NULL,
            liked INTEGER NOT NULL CHECK (liked IN (0, 1)), reason TEXT NOT NULL DEFAULT '',
            question TEXT NOT NULL, answer TEXT NOT NULL, sources TEXT NOT NULL DEFAULT '',
            conversation_id INTEGER, created_at TEXT NOT NULL,
            PRIMARY KEY (user, id)
        )""",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)


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
