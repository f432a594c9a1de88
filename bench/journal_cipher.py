"""What encrypting the journal (SQLCipher, COACH_PASSPHRASE) costs beside the plain SQLite file, same work."""

from __future__ import annotations

import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.common import add, interleave, median, timed
from coach.journal.journal import Journal

RUNS = 7
WRITES = 40
PASSPHRASE = "a passphrase for the benchmark"


def session(folder: Path, passphrase: str | None) -> None:
    """A page session's journal work: open the file, add mentors with a meeting and an action item each, list
    them, read the open items back; every write is its own transaction (synchronous=FULL)."""
    with Journal(folder / f"{uuid.uuid4().hex}.sqlite3", passphrase=passphrase) as journal:
        for n in range(WRITES):
            mentor = journal.add_mentor("alice", f"Mentor {n}", notes="We talked about the promotion. " * 8)
            journal.add_meeting("alice", mentor.id, datetime(2026, 11, 2, 10, tzinfo=UTC), notes="notes " * 40)
            journal.add_action_item("alice", f"send the deck {n}", mentor_id=mentor.id)
        journal.list_mentors("alice")
        journal.open_action_items("alice")


def reopen(path: Path, passphrase: str | None) -> None:
    with Journal(path, passphrase=passphrase) as journal:
        journal.list_mentors("alice")


def bench_journal_cipher() -> None:
    with tempfile.TemporaryDirectory(prefix="coach-cipher-") as tmp:
        folder = Path(tmp)
        times = interleave(
            RUNS, encrypted=timed(lambda: session(folder, PASSPHRASE)), plain=timed(lambda: session(folder, None))
        )
        ours, base = median(times["encrypted"]), median(times["plain"])
        add(f"journal session, {WRITES * 3} writes (encrypted vs plain)", ours * 1000, base * 1000, "ms", runs=RUNS)

        for name, phrase in (("encrypted", PASSPHRASE), ("plain", None)):
            with Journal(folder / f"{name}.sqlite3", passphrase=phrase) as journal:
                journal.add_goal("alice", "be promoted")
        times = interleave(
            RUNS,
            encrypted=timed(lambda: reopen(folder / "encrypted.sqlite3", PASSPHRASE)),
            plain=timed(lambda: reopen(folder / "plain.sqlite3", None)),
        )
        ours, base = median(times["encrypted"]), median(times["plain"])
        add("journal open + first read (key derivation; encrypted vs plain)", ours * 1000, base * 1000, "ms", runs=RUNS)
