"""Opening the journal file: plain SQLite, or encrypted page by page with SQLCipher when a passphrase is given.

SQLCipher (AES-256 with an HMAC on every page, key derived from the passphrase with PBKDF2) encrypts the whole file,
its write-ahead log included; the `sqlcipher3` package is the same DB-API as the standard library's `sqlite3`.
"""

from __future__ import annotations

import getpass
import sqlite3
import sys
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import SecretStr

from coach.errors import StoreError

if TYPE_CHECKING:
    from coach.settings import Settings

PLAIN_HEADER = b"SQLite format 3\x00"

try:  # the pinned dependency; without it only a passphrase-less journal can be opened
    import sqlcipher3
    from sqlcipher3 import dbapi2 as _cipher_api

    DB_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, _cipher_api.Error)
except ImportError:  # pragma: no cover - only when the package is missing
    sqlcipher3 = None
    DB_ERRORS = (sqlite3.Error,)


def is_encrypted(path: Path) -> bool:
    """Whether `path` exists and is not a plain SQLite file (its first 16 bytes are random when encrypted)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(16)
    except FileNotFoundError:
        return False
    return len(head) == 16 and head != PLAIN_HEADER


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"  # PRAGMA takes no parameters


def connect(path: Path, *, passphrase: str | None, timeout: float) -> Any:
    """A connection in autocommit mode (transactions are explicit), rows as mappings; a clear StoreError when the
    passphrase is missing or wrong. A new file is readable by this account only (its WAL and shm follow it)."""
    new = not Path(path).exists()
    conn = _open(Path(path), passphrase, timeout)
    if new:
        with suppress(OSError):
            Path(path).chmod(0o600)
    return conn


def _open(path: Path, passphrase: str | None, timeout: float) -> Any:
    if not passphrase:
        if is_encrypted(path):
            raise StoreError(
                f"The journal at {path} is not a database SQLite can read as it is: if it is encrypted, set "
                "COACH_PASSPHRASE (or run `coach --ask-passphrase …` to type it); otherwise it is damaged."
            )
        conn = sqlite3.connect(path, timeout=timeout, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        return conn
    if sqlcipher3 is None:
        raise StoreError("Encrypting the journal needs the sqlcipher3-binary package: pip install sqlcipher3-binary.")
    conn = sqlcipher3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is our message, not SQLCipher's log lines
        conn.execute(f"PRAGMA key = {_quoted(passphrase)}")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the first read tells whether the key fits
    except _cipher_api.DatabaseError as exc:
        conn.close()
        raise StoreError(
            f"The journal at {path} cannot be opened with this passphrase: the passphrase is wrong, or the file "
            "was written without one (then unset COACH_PASSPHRASE)."
        ) from exc
    conn.row_factory = sqlcipher3.Row
    return conn


def ask_for_passphrase(settings: Settings, *, ask: bool) -> Settings:
    """The settings with a passphrase typed at the terminal: when asked to (`--ask-passphrase`), or when the journal
    is encrypted and none is set. Unchanged when one is set (COACH_PASSPHRASE) or nobody is at a terminal."""
    if settings.passphrase or not (ask or (is_encrypted(settings.journal_file) and sys.stdin.isatty())):
        return settings
    typed = getpass.getpass("Journal passphrase: ")
    return settings.model_copy(update={"passphrase": SecretStr(typed)}) if typed else settings
