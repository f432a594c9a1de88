"""The journal encrypted at rest with a passphrase (SQLCipher): no user text in the file's bytes, a clear message
for a wrong or missing passphrase, and today's plain SQLite file without one."""

from __future__ import annotations

import io
import stat
import sys
import uuid
from datetime import UTC, datetime

import pytest

from coach.errors import StoreError
from coach.journal.cipher import PLAIN_HEADER, ask_for_passphrase, is_encrypted
from coach.journal.journal import Journal
from coach.settings import Settings


def write_secrets(path, passphrase: str | None) -> str:
    marker = f"promotion-{uuid.uuid4().hex}"
    with Journal(path, passphrase=passphrase) as journal:
        mentor = journal.add_mentor("alice", f"Priya {marker}", notes=f"my manager {marker}")
        journal.add_meeting("alice", mentor.id, datetime(2026, 11, 2, 10, tzinfo=UTC), notes=f"talked {marker}")
        journal.add_action_item("alice", f"ask about {marker}", mentor_id=mentor.id)
    return marker


def file_bytes(path) -> bytes:
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))  # the file, its WAL and shm


def test_with_a_passphrase_the_files_hold_none_of_the_users_text(tmp_path):
    path = tmp_path / "journal.sqlite3"
    marker = write_secrets(path, "correct horse battery staple")
    assert is_encrypted(path)
    assert marker.encode() not in file_bytes(path) and b"Priya" not in file_bytes(path)
    with Journal(path, passphrase="correct horse battery staple") as journal:
        assert journal.list_mentors("alice")[0].name == f"Priya {marker}", "the right passphrase reads it back"


def test_without_a_passphrase_the_journal_is_the_plain_sqlite_file_it_always_was(tmp_path):
    path = tmp_path / "journal.sqlite3"
    marker = write_secrets(path, None)
    assert path.read_bytes()[:16] == PLAIN_HEADER and not is_encrypted(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "a new journal is readable by its owner only"
    assert marker.encode() in file_bytes(path)


def test_a_wrong_passphrase_gets_a_clear_message_and_changes_nothing(tmp_path, capfd):
    path = tmp_path / "journal.sqlite3"
    write_secrets(path, "right one")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="cannot be opened with this passphrase: the passphrase is wrong"):
        Journal(path, passphrase="wrong one")
    with pytest.raises(StoreError, match="if it is encrypted, set COACH_PASSPHRASE"):
        Journal(path)
    assert path.read_bytes() == before
    assert "ERROR CORE" not in capfd.readouterr().err, "no SQLCipher log lines, only our message"


def test_a_passphrase_on_a_plain_journal_says_so(tmp_path):
    path = tmp_path / "journal.sqlite3"
    write_secrets(path, None)
    with pytest.raises(StoreError, match="written without one"):
        Journal(path, passphrase="anything")


def test_the_settings_carry_the_passphrase_from_coach_passphrase_and_never_show_it(tmp_path, monkeypatch):
    monkeypatch.setenv("COACH_PASSPHRASE", "s3cret-phrase")
    settings = Settings(data_dir=tmp_path, _env_file=None)
    assert settings.journal_passphrase() == "s3cret-phrase"
    assert "s3cret-phrase" not in repr(settings) and "s3cret-phrase" not in str(settings.public_summary())
    with Journal.from_settings(settings) as journal:
        journal.add_goal("local", "be promoted")
    assert is_encrypted(tmp_path / "journal.sqlite3")


def test_the_passphrase_is_asked_for_when_the_journal_is_encrypted_and_none_is_set(tmp_path, monkeypatch):
    write_secrets(tmp_path / "journal.sqlite3", "typed")
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: "typed")
    settings = ask_for_passphrase(Settings(data_dir=tmp_path, _env_file=None), ask=False)
    assert settings.journal_passphrase() == "typed"
    with Journal.from_settings(settings) as journal:
        assert journal.list_mentors("alice")


def test_a_backup_made_with_vacuum_into_is_encrypted_too_and_reads_back(tmp_path):
    import sqlcipher3

    path, backup = tmp_path / "journal.sqlite3", tmp_path / "backup.sqlite3"
    marker = write_secrets(path, "right one")
    conn = sqlcipher3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA key = 'right one'")
    conn.execute(f"VACUUM INTO '{backup}'")  # the command docs/PRIVACY.md gives
    conn.close()
    assert is_encrypted(backup) and marker.encode() not in backup.read_bytes()
    with Journal(backup, passphrase="right one") as journal:
        assert journal.list_mentors("alice")[0].name == f"Priya {marker}"
