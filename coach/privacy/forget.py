"""Delete everything the coach keeps about one user: their rows in every journal table that has a user column
(found from the schema, so tables added later are covered), their uploaded documents and those documents' index
entries, and their download files. Also: every such row as JSON, for the export that comes first."""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.errors import InputError
from coach.privacy.downloads import owner_folder

if TYPE_CHECKING:
    from coach.guidance.index import GuidanceIndex
    from coach.journal.journal import Journal
    from coach.settings import Settings

USER_COLUMNS = ("user", "user_id")  # the journal's own tables say user_id; later ones say user
HOUSEKEEPING = {"id_counters"}  # deleted too, but not worth naming in the summary


@dataclass
class ForgetReport:
    user: str
    rows: dict[str, int] = field(default_factory=dict)
    index_entries: int = 0
    files: int = 0

    def summary(self) -> str:
        named = [f"{n} {table.replace('_', ' ')}" for table, n in self.rows.items() if n and table not in HOUSEKEEPING]
        parts = [*named, f"{self.index_entries} index entries", f"{self.files} files"]
        return f"Deleted all data of {self.user}: " + ", ".join(parts) + "."


def user_tables(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(table, user column) for every table of the database that keeps rows per user."""
    found = []
    names = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    for (table,) in names.fetchall():
        columns = {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")').fetchall()}
        column = next((c for c in USER_COLUMNS if c in columns), None)
        if column:
            found.append((table, column))
    return sorted(found)


def export_rows(conn: sqlite3.Connection, user: str) -> dict[str, list[dict[str, Any]]]:
    """Every row of `user` in every per-user table, as plain values."""
    exported = {}
    for table, column in user_tables(conn):
        cursor = conn.execute(f'SELECT * FROM "{table}" WHERE "{column}" = ?', (user,))
        names = [d[0] for d in cursor.description]
        exported[table] = [dict(zip(names, tuple(row), strict=True)) for row in cursor.fetchall()]
    return exported


def delete_rows(conn: sqlite3.Connection, user: str) -> dict[str, int]:
    """Delete `user`'s rows from every per-user table (inside the caller's transaction); rows per table."""
    tables = user_tables(conn)
    counts = {
        table: conn.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" = ?', (user,)).fetchone()[0]
        for table, column in tables
    }
    conn.execute("PRAGMA secure_delete = ON")  # deleted text is overwritten with zeros, not left in free pages
    conn.execute("PRAGMA defer_foreign_keys = ON")  # tables go in any order; references are checked at commit
    for table, column in tables:
        conn.execute(f'DELETE FROM "{table}" WHERE "{column}" = ?', (user,))
    return counts


def delete_index_entries(index: GuidanceIndex, user: str) -> int:
    """Delete the index entries of documents `user` uploaded (metadata owner == user); how many."""
    from coach.guidance.index import REVISION_KEY
    from coach.guidance.uploads import owner_name

    owner = owner_name(user)  # the tag uploads carry (the user name made safe as a folder name)
    ids = index.collection.get(where={"owner": owner}, include=[])["ids"]
    if ids:
        index.collection.delete(where={"owner": owner})
        metadata = index.metadata()
        index.writes += 1  # a new revision: searches drop the deleted passages from their in-memory corpus at once
        index.collection.modify(metadata={**metadata, REVISION_KEY: uuid.uuid4().hex})
    return len(ids)


def _inside(parent: Path, user: str) -> Path:
    folder = parent / user
    if folder.resolve().parent != parent.resolve() or user in {"", ".", ".."}:
        raise InputError(f"{user!r} cannot be a user name.")
    return folder


def delete_files(settings: Settings, user: str) -> int:
    """Delete the user's uploaded documents (data_dir/uploads/<user>/) and download files; how many files."""
    from coach.guidance.uploads import uploads_dir

    _inside(settings.data_dir / "uploads", user)  # refuses names that would reach outside the folder
    folders = [uploads_dir(settings.data_dir, user), owner_folder(settings.private_tmp, user)]
    removed = 0
    for folder in folders:
        if folder.exists():
            removed += sum(1 for path in folder.rglob("*") if not path.is_dir())
            shutil.rmtree(folder)
    return removed


def forget_user(settings: Settings, journal: Journal, index: GuidanceIndex | None, user: str) -> ForgetReport:
    """Delete all of `user`'s data: journal rows, index entries of their documents, their files."""
    if not user.strip():
        raise InputError("Name the user whose data to delete.")
    report = ForgetReport(user)
    with journal.connection() as conn:
        report.rows = delete_rows(conn, user)
    journal.flush_log()
    if index is not None:
        report.index_entries = delete_index_entries(index, user)
    report.files = delete_files(settings, user)
    return report
