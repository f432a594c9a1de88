"""The mentoring journal on SQLite: per-entity round trips, migrations, crash safety, user isolation, export/import."""

from __future__ import annotations

import json
import queue
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from coach.errors import InputError, StoreError
from coach.journal import io as journal_io
from coach.journal.journal import LOCAL_USER, Journal, JournalNotFound
from coach.journal.store import MIGRATIONS, SCHEMA_VERSION, JournalDB

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ME = LOCAL_USER
T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class Clock:
    """A settable clock for `created_at`/`done_at`."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "journal.sqlite3"


@pytest.fixture
def journal(path: Path, clock: Clock):
    with Journal(path, clock=clock) as opened:
        yield opened


def reopen(journal: Journal) -> Journal:
    journal.close()
    return Journal(journal.path)


def raw(path: Path) -> sqlite3.Connection:
    """A plain connection, as another program would open the file."""
    return sqlite3.connect(path, isolation_level=None)


def fill(journal: Journal, user: str = ME) -> None:
    """A journal with every kind of row, both statuses, loose items and gaps in the ids."""
    journal.add_goal(user, "Lead a project end to end")
    journal.add_goal(user, "Speak at a meetup", status="achieved")
    dropped = journal.add_goal(user, "Learn Haskell")
    journal.delete_goal(user, dropped.id)
    ana = journal.add_mentor(
        user,
        "Ana Pérez",
        role="Staff engineer",
        how_met="Conference",
        cadence="monthly",
        channel="video call",
        notes="Likes *specific* questions.",
    )
    ben = journal.add_mentor(user, "Ben", role="Manager")
    first = journal.add_meeting(user, ana.id, T0, minutes=45, agenda="1. Scope\n2. Risks", notes="Went well.")
    journal.add_meeting(user, ana.id, T0 + timedelta(days=30), agenda="- promotion")
    journal.add_meeting(user, ben.id, T0 + timedelta(days=2), minutes=15)
    done = journal.add_action_item(user, "Send the design doc", meeting_id=first.id, due=date(2025, 3, 8))
    journal.mark_done(user, done.id)
    journal.add_action_item(user, "Introduce me to the SRE lead", owner="mentor", meeting_id=first.id)
    journal.add_action_item(user, "Read 'An Elegant Puzzle'", mentor_id=ben.id, due=date(2025, 4, 1))
    journal.add_action_item(user, "Update my CV")


# Store round trip per entity


def test_new_journal_file_uses_wal_foreign_keys_full_sync_and_a_busy_timeout(path: Path) -> None:
    db = JournalDB(path, busy_timeout=2.5)
    with db.snapshot() as conn:
        pragmas = {
            name: conn.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout", "user_version")
        }
    db.close()
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "synchronous": 2,
        "busy_timeout": 2500,
        "user_version": SCHEMA_VERSION,
    }


def test_journal_from_settings_lives_in_the_data_directory(settings) -> None:
    with Journal.from_settings(settings) as journal:
        journal.add_goal(ME, "Find a mentor")
    assert (settings.data_dir / "journal.sqlite3").is_file()


def test_goal_round_trips_updates_and_deletes(journal: Journal, clock: Clock) -> None:
    goal = journal.add_goal(ME, "Lead a project")
    assert (goal.id, goal.status, goal.created_at) == (1, "active", T0)
    journal = reopen(journal)
    assert journal.get_goal(ME, goal.id) == goal
    achieved = journal.update_goal(ME, goal.id, status="achieved")
    assert achieved == goal.model_copy(update={"status": "achieved"})
    assert journal.list_goals(ME, status="achieved") == [achieved] and journal.list_goals(ME, status="active") == []
    journal.delete_goal(ME, goal.id)
    assert journal.list_goals(ME) == []
    with pytest.raises(JournalNotFound, match="no goal 1"):
        journal.get_goal(ME, goal.id)
    journal.close()


def test_mentor_round_trips_updates_and_deletes(journal: Journal) -> None:
    mentor = journal.add_mentor(
        ME,
        "Ana",
        role="Staff engineer",
        how_met="Meetup",
        cadence="monthly",
        channel="coffee",
        notes="Prefers mornings",
    )
    journal = reopen(journal)
    assert journal.list_mentors(ME) == [mentor]
    moved = journal.update_mentor(ME, mentor.id, channel="video call", notes="")
    assert moved == mentor.model_copy(update={"channel": "video call", "notes": ""})
    assert journal.get_mentor(ME, mentor.id) == moved
    journal.delete_mentor(ME, mentor.id)
    assert journal.list_mentors(ME) == []
    journal.close()


def test_meeting_round_trips_in_utc_updates_and_deletes(journal: Journal) -> None:
    mentor = journal.add_mentor(ME, "Ana")
    paris = timezone(timedelta(hours=1))
    meeting = journal.add_meeting(
        ME,
        mentor.id,
        datetime(2025, 3, 4, 15, 0, tzinfo=paris),
        minutes=45,
        agenda="## Topics\n- scope",
        notes="Good talk",
    )
    assert meeting.starts_at == datetime(2025, 3, 4, 14, 0, tzinfo=UTC) and meeting.starts_at.tzinfo == UTC
    journal = reopen(journal)
    assert journal.get_meeting(ME, meeting.id) == meeting
    longer = journal.update_meeting(ME, meeting.id, minutes=60)
    assert journal.list_meetings(ME, mentor_id=mentor.id) == [longer] and longer.agenda == meeting.agenda
    journal.delete_meeting(ME, meeting.id)
    assert journal.list_meetings(ME) == []
    journal.close()


def test_action_item_round_trips_updates_and_deletes(journal: Journal) -> None:
    mentor = journal.add_mentor(ME, "Ana")
    item = journal.add_action_item(ME, "Send CV", owner="mentor", mentor_id=mentor.id, due=date(2025, 3, 10))
    journal = reopen(journal)
    assert journal.get_action_item(ME, item.id) == item
    changed = journal.update_action_item(ME, item.id, text="Send CV and cover letter", due=None)
    assert changed == item.model_copy(update={"text": "Send CV and cover letter", "due": None})
    assert journal.list_action_items(ME, mentor_id=mentor.id, status="open") == [changed]
    journal.delete_action_item(ME, item.id)
    assert journal.list_action_items(ME) == []
    journal.close()


def test_ids_count_per_user_and_are_never_reused_after_a_delete(journal: Journal) -> None:
    first = journal.add_goal(ME, "one")
    journal.delete_goal(ME, first.id)
    assert journal.add_goal(ME, "two").id == 2
    assert journal.add_goal("bob", "his first").id == 1


def test_invalid_values_raise_input_error_and_write_nothing(journal: Journal) -> None:
    with pytest.raises(InputError, match="name"):
        journal.add_mentor(ME, "   ")
    mentor = journal.add_mentor(ME, "Ana")
    with pytest.raises(InputError, match="minutes"):
        journal.add_meeting(ME, mentor.id, T0, minutes=-5)
    with pytest.raises(InputError, match="owner"):
        journal.add_action_item(ME, "Call", owner="someone")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="status"):
        journal.update_goal(ME, journal.add_goal(ME, "g").id, status="finished")  # type: ignore[arg-type]
    assert (journal.list_meetings(ME), journal.list_action_items(ME)) == ([], [])
    assert journal.add_mentor(ME, "Ben").id == 2  # the failed add did not use up an id


def test_a_meeting_time_without_time_zone_is_refused(journal: Journal) -> None:
    mentor = journal.add_mentor(ME, "Ana")
    with pytest.raises(InputError, match="timezone"):
        journal.add_meeting(ME, mentor.id, datetime(2025, 3, 4, 15, 0))


def test_blank_user_id_is_refused(journal: Journal) -> None:
    with pytest.raises(InputError, match="user id"):
        journal.add_goal(" ", "Lead a project")


# Rules between entities


def test_an_action_item_from_a_meeting_takes_that_meetings_mentor(journal: Journal) -> None:
    ana = journal.add_mentor(ME, "Ana")
    meeting = journal.add_meeting(ME, ana.id, T0)
    assert journal.add_action_item(ME, "Send CV", meeting_id=meeting.id).mentor_id == ana.id


def test_an_action_item_cannot_name_another_mentor_than_its_meeting(journal: Journal) -> None:
    ana, ben = journal.add_mentor(ME, "Ana"), journal.add_mentor(ME, "Ben")
    meeting = journal.add_meeting(ME, ana.id, T0)
    with pytest.raises(InputError, match="meeting's mentor"):
        journal.add_action_item(ME, "Send CV", mentor_id=ben.id, meeting_id=meeting.id)
    item = journal.add_action_item(ME, "Send CV", meeting_id=meeting.id)
    with pytest.raises(InputError, match="meeting's mentor"):
        journal.update_action_item(ME, item.id, mentor_id=ben.id)
    moved = journal.update_action_item(ME, item.id, mentor_id=ben.id, meeting_id=None)
    assert (moved.mentor_id, moved.meeting_id) == (ben.id, None)


def test_moving_a_meeting_to_another_mentor_moves_its_action_items(journal: Journal) -> None:
    ana, ben = journal.add_mentor(ME, "Ana"), journal.add_mentor(ME, "Ben")
    meeting = journal.add_meeting(ME, ana.id, T0)
    item = journal.add_action_item(ME, "Send CV", meeting_id=meeting.id)
    journal.update_meeting(ME, meeting.id, mentor_id=ben.id)
    assert journal.get_action_item(ME, item.id).mentor_id == ben.id


def test_deleting_a_meeting_keeps_its_action_items_untied(journal: Journal) -> None:
    ana = journal.add_mentor(ME, "Ana")
    meeting = journal.add_meeting(ME, ana.id, T0)
    item = journal.add_action_item(ME, "Send CV", meeting_id=meeting.id)
    journal.delete_meeting(ME, meeting.id)
    assert journal.get_action_item(ME, item.id) == item.model_copy(update={"meeting_id": None})


def test_deleting_a_mentor_deletes_their_meetings_and_action_items_only(journal: Journal) -> None:
    ana, ben = journal.add_mentor(ME, "Ana"), journal.add_mentor(ME, "Ben")
    meeting = journal.add_meeting(ME, ana.id, T0)
    journal.add_action_item(ME, "from the meeting", meeting_id=meeting.id)
    journal.add_action_item(ME, "about Ana", mentor_id=ana.id)
    kept = [journal.add_action_item(ME, "about Ben", mentor_id=ben.id), journal.add_action_item(ME, "mine")]
    ben_meeting = journal.add_meeting(ME, ben.id, T0)
    journal.delete_mentor(ME, ana.id)
    assert journal.list_meetings(ME) == [ben_meeting]
    assert journal.list_action_items(ME) == kept


def test_open_action_items_come_soonest_due_first_and_undated_last(journal: Journal) -> None:
    ana = journal.add_mentor(ME, "Ana")
    undated = journal.add_action_item(ME, "someday", mentor_id=ana.id)
    later = journal.add_action_item(ME, "later", mentor_id=ana.id, due=date(2025, 5, 1))
    sooner = journal.add_action_item(ME, "sooner", due=date(2025, 4, 1))
    journal.mark_done(ME, journal.add_action_item(ME, "done", due=date(2025, 1, 1)).id)
    assert journal.open_action_items(ME) == [sooner, later, undated]
    assert journal.open_action_items(ME, mentor_id=ana.id) == [later, undated]


def test_overdue_action_items_are_open_items_due_before_today(journal: Journal) -> None:
    yesterday = journal.add_action_item(ME, "yesterday", due=date(2025, 3, 9))
    journal.add_action_item(ME, "today", due=date(2025, 3, 10))
    journal.add_action_item(ME, "no date")
    journal.mark_done(ME, journal.add_action_item(ME, "done late", due=date(2025, 3, 1)).id)
    assert journal.overdue_action_items(ME, date(2025, 3, 10)) == [yesterday]


def test_mark_done_records_when_keeps_the_first_time_and_reopening_clears_it(journal: Journal, clock: Clock) -> None:
    item = journal.add_action_item(ME, "Send CV")
    clock.advance(hours=2)
    done = journal.mark_done(ME, item.id)
    assert (done.status, done.done_at) == ("done", T0 + timedelta(hours=2))
    clock.advance(hours=1)
    assert journal.mark_done(ME, item.id).done_at == done.done_at
    reopened = journal.update_action_item(ME, item.id, status="open")
    assert (reopened.status, reopened.done_at) == ("open", None)


def test_last_meeting_is_the_latest_that_has_started(journal: Journal, clock: Clock) -> None:
    ana, ben = journal.add_mentor(ME, "Ana"), journal.add_mentor(ME, "Ben")
    assert journal.last_meeting(ME, ana.id) is None
    earlier = journal.add_meeting(ME, ana.id, T0 - timedelta(days=30))
    latest = journal.add_meeting(ME, ana.id, T0 - timedelta(days=1))
    journal.add_meeting(ME, ana.id, T0 + timedelta(days=7))  # planned, not yet held
    journal.add_meeting(ME, ben.id, T0 - timedelta(hours=1))
    assert journal.last_meeting(ME, ana.id) == latest
    assert journal.last_meeting(ME, ana.id, before=T0 - timedelta(days=2)) == earlier


def test_atomic_saves_all_writes_or_none(journal: Journal) -> None:
    ana = journal.add_mentor(ME, "Ana")
    with pytest.raises(RuntimeError), journal.atomic():
        meeting = journal.add_meeting(ME, ana.id, T0)
        journal.add_action_item(ME, "Send CV", meeting_id=meeting.id)
        raise RuntimeError("the page crashed")
    assert (journal.list_meetings(ME), journal.list_action_items(ME)) == ([], [])
    with journal.atomic():
        with pytest.raises(InputError):  # a failed step inside the block does not spoil the others
            journal.add_meeting(ME, ana.id, T0, minutes=-1)
        meeting = journal.add_meeting(ME, ana.id, T0)
        journal.add_action_item(ME, "Send CV", meeting_id=meeting.id)
    assert meeting.id == 1 and len(journal.list_action_items(ME, meeting_id=meeting.id)) == 1


def test_threads_can_share_one_journal(journal: Journal) -> None:
    def write(worker: int) -> None:
        for n in range(25):
            journal.add_goal(ME, f"goal {worker}.{n}")

    threads = [threading.Thread(target=write, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    goals = journal.list_goals(ME)
    assert len(goals) == 100 and [goal.id for goal in goals] == list(range(1, 101))


# Text


def test_unicode_emoji_and_right_to_left_text_round_trip(journal: Journal) -> None:
    name = "Zoë Ångström 🌱 محمد"
    notes = "שלום — مرحبا بك\n😀👩🏽‍💻🇳🇱\r\nCafé ﬁ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301 中文\u200f"
    mentor = journal.add_mentor(ME, name, notes=notes, how_met="\u202eRTL override")
    journal = reopen(journal)
    assert journal.get_mentor(ME, mentor.id) == mentor and (mentor.name, mentor.notes) == (name, notes)
    for text in (json.dumps(journal.export_json(ME)), json.dumps(journal.export_json(ME), ensure_ascii=False)):
        with Journal(journal.path.with_name(f"copy{len(text)}.sqlite3")) as copy:
            copy.import_json(ME, text)
            assert copy.get_mentor(ME, mentor.id) == mentor
    assert name in journal.export_markdown(ME) and notes in journal.export_markdown(ME)
    journal.close()


def test_hundred_kilobyte_notes_round_trip(journal: Journal) -> None:
    notes = "📝 Notes, long ones ✓\n" * 4200
    assert len(notes.encode()) > 100_000
    mentor = journal.add_mentor(ME, "Ana")
    meeting = journal.add_meeting(ME, mentor.id, T0, agenda=notes, notes=notes)
    journal = reopen(journal)
    assert journal.get_meeting(ME, meeting.id).notes == notes
    assert journal.export_json(ME)["meetings"][0]["agenda"] == notes
    journal.close()


def test_text_that_sqlite_cannot_store_is_refused_as_input(journal: Journal) -> None:
    with pytest.raises(InputError):
        journal.add_goal(ME, "half a surrogate \ud800")


# Migrations


def make_v1_database(path: Path) -> None:
    """A database as version 1 of the code left it, with a row in every table."""
    conn = raw(path)
    for statement in MIGRATIONS[0]:
        conn.execute(statement)
    now = "2024-06-01T10:00:00.000000+00:00"
    conn.executescript(f"""
        BEGIN;
        INSERT INTO goals VALUES ('local', 1, 'Get promoted', 'active', '{now}');
        INSERT INTO mentors (user_id, id, name, role, how_met, notes, created_at)
            VALUES ('local', 1, 'Ana', 'Staff engineer', 'Meetup', 'Old notes 🌱', '{now}');
        INSERT INTO meetings VALUES ('local', 1, 1, '2024-06-03T15:00:00.000000+00:00', 45, '- scope', 'ok', '{now}');
        INSERT INTO action_items VALUES ('local', 1, 1, 1, 'Send CV', 'me', '2024-06-10', 'open', '{now}', NULL);
        INSERT INTO id_counters VALUES ('local', 'goals', 1), ('local', 'mentors', 1), ('local', 'meetings', 1),
            ('local', 'action_items', 1);
        PRAGMA user_version = 1;
        COMMIT;
    """)
    conn.close()


def test_opening_a_v1_database_upgrades_it_keeping_rows_and_defaulting_new_columns(path: Path) -> None:
    make_v1_database(path)
    with Journal(path) as journal:
        [mentor] = journal.list_mentors(ME)
        assert (mentor.name, mentor.role, mentor.how_met, mentor.notes) == (
            "Ana",
            "Staff engineer",
            "Meetup",
            "Old notes 🌱",
        )
        assert (mentor.cadence, mentor.channel) == ("", "")
        assert journal.list_goals(ME)[0].text == "Get promoted"
        assert journal.last_meeting(ME, mentor.id).minutes == 45
        assert journal.overdue_action_items(ME, date(2024, 7, 1))[0].text == "Send CV"
        assert journal.update_mentor(ME, mentor.id, cadence="monthly").cadence == "monthly"
        assert journal.add_mentor(ME, "Ben").id == 2
    conn = raw(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_opening_a_database_from_a_newer_version_is_refused_and_leaves_it_alone(path: Path) -> None:
    Journal(path).close()
    raw(path).execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match=r"newer Mentor Coach.*Upgrade"):
        Journal(path)
    assert raw(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_a_failing_migration_step_leaves_the_database_at_the_previous_version(path: Path) -> None:
    with Journal(path) as journal:
        journal.add_mentor(ME, "Ana")
    broken = (*MIGRATIONS, ("ALTER TABLE mentors ADD COLUMN pronouns TEXT NOT NULL DEFAULT ''", "NOT SQL"))
    with pytest.raises(StoreError, match="syntax error"):
        JournalDB(path, migrations=broken)
    conn = raw(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert "pronouns" not in [row[1] for row in conn.execute("PRAGMA table_info(mentors)")]
    with Journal(path) as journal:
        assert journal.list_mentors(ME)[0].name == "Ana"


def test_a_file_that_is_not_a_database_is_reported_with_its_path(path: Path) -> None:
    path.write_bytes(b"these are not the bytes of a database" * 100)
    with pytest.raises(StoreError, match=re.escape(path.name) + ".*not a database"):
        Journal(path)


# Two connections and killed processes


def test_a_write_waits_for_another_programs_lock_instead_of_failing(journal: Journal) -> None:
    locked = threading.Event()

    def hold_lock() -> None:
        other = raw(journal.path)
        other.execute("BEGIN IMMEDIATE")
        other.execute(
            "INSERT INTO goals VALUES ('local', 99, 'from the other program', 'active', ?)", (T0.isoformat(),)
        )
        locked.set()
        time.sleep(0.5)
        other.execute("COMMIT")
        other.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    assert locked.wait(timeout=10)
    started = time.monotonic()
    journal.add_goal(ME, "mine")
    waited = time.monotonic() - started
    holder.join()
    assert waited > 0.3
    assert [goal.text for goal in journal.list_goals(ME)] == ["mine", "from the other program"]


def test_a_lock_held_past_the_busy_timeout_raises_store_error_naming_the_file(path: Path) -> None:
    with Journal(path, busy_timeout=0.2) as journal:
        other = raw(path)
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreError, match=re.escape(f"{path.name} is busy")):
            journal.add_goal(ME, "mine")
        other.execute("ROLLBACK")
        assert journal.add_goal(ME, "mine").id == 1


WRITER = """
import sys, time
from datetime import UTC, datetime
from coach.journal.journal import Journal

path, items, pause_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
journal = Journal(path)
mentor = journal.add_mentor("local", "Writer")
while True:
    with journal.atomic():
        meeting = journal.add_meeting("local", mentor.id, datetime.now(UTC), notes="n" * 2000)
        for k in range(items):
            journal.add_action_item("local", f"item {k} of meeting {meeting.id}", meeting_id=meeting.id)
            if meeting.id == pause_at and k == items // 2:
                print("paused", meeting.id, flush=True)
                time.sleep(120)
    print("committed", meeting.id, flush=True)
"""
ITEMS = 40


class Writer:
    """A child process writing meetings with ITEMS action items each, one transaction per meeting."""

    def __init__(self, path: Path, pause_at: int = 0) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(ITEMS), str(pause_at)],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.committed: list[int] = []
        self.reader = threading.Thread(target=lambda: [self.lines.put(line) for line in self.proc.stdout], daemon=True)
        self.reader.start()

    def _take(self, timeout: float) -> tuple[str, int]:
        kind, number = self.lines.get(timeout=timeout).split()
        self.committed += [int(number)] if kind == "committed" else []
        return kind, int(number)

    def wait_for(self, word: str, meeting_id: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                kind, number = self._take(timeout=0.5)
            except queue.Empty:
                if self.proc.poll() is not None:
                    break
                continue
            if kind == word and number >= meeting_id:
                return
        self.kill()
        raise AssertionError(f"the writer never reached {word} {meeting_id}: {self.proc.stderr.read()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL, then collect every commit the writer reported before it died."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)
        self.reader.join(timeout=10)
        while not self.lines.empty():
            self._take(timeout=0)


def assert_consistent(path: Path, committed: list[int]) -> list[int]:
    """Integrity and foreign keys hold, every reported commit is there, and no meeting lacks any of its items."""
    with Journal(path) as journal:
        meetings = [meeting.id for meeting in journal.list_meetings(ME)]
        items = journal.list_action_items(ME)
    conn = raw(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert set(committed) <= set(meetings)
    for meeting_id in meetings:
        texts = {item.text for item in items if item.meeting_id == meeting_id}
        assert texts == {f"item {k} of meeting {meeting_id}" for k in range(ITEMS)}, f"meeting {meeting_id}"
    assert len(items) == ITEMS * len(meetings)
    return meetings


def test_killed_mid_transaction_the_journal_opens_intact_without_the_half_written_meeting(path: Path) -> None:
    writer = Writer(path, pause_at=30)
    try:
        writer.wait_for("paused", 30)
        with Journal(path, busy_timeout=0.2) as reader:  # another process can read beside the stuck writer
            assert len(reader.list_meetings(ME)) == 29
            with pytest.raises(StoreError, match="busy"):
                reader.add_goal(ME, "cannot write while the writer holds the lock")
    finally:
        writer.kill()
    assert assert_consistent(path, writer.committed) == list(range(1, 30))


def test_killed_at_an_arbitrary_moment_every_meeting_has_all_or_none_of_its_items(path: Path) -> None:
    writer = Writer(path)
    try:
        writer.wait_for("committed", 40)
    finally:
        writer.kill()
    meetings = assert_consistent(path, writer.committed)
    assert max(meetings) - max(writer.committed) in (0, 1)  # at most one commit it had no time to report


# Two users in one database


@pytest.fixture
def shared(journal: Journal) -> Journal:
    """Alice has two mentors with a meeting and an item each; Bob has one mentor; ids overlap at 1."""
    for user, names in (("alice", ["Ana", "Abe"]), ("bob", ["Ben"])):
        journal.add_goal(user, f"{user}'s goal")
        for name in names:
            mentor = journal.add_mentor(user, name)
            meeting = journal.add_meeting(user, mentor.id, T0)
            journal.add_action_item(user, f"{user} follows up with {name}", meeting_id=meeting.id)
    return journal


def test_each_user_lists_only_their_own_rows(shared: Journal) -> None:
    assert [mentor.name for mentor in shared.list_mentors("alice")] == ["Ana", "Abe"]
    assert [mentor.name for mentor in shared.list_mentors("bob")] == ["Ben"]
    assert [goal.text for goal in shared.list_goals("bob")] == ["bob's goal"]
    assert [item.text for item in shared.open_action_items("bob")] == ["bob follows up with Ben"]
    assert len(shared.list_meetings("bob")) == 1 and shared.list_mentors(ME) == []


def test_each_user_exports_only_their_own_rows(shared: Journal) -> None:
    bob = shared.export_json("bob")
    assert [mentor["name"] for mentor in bob["mentors"]] == ["Ben"]
    assert (len(bob["meetings"]), len(bob["action_items"]), len(bob["goals"])) == (1, 1, 1)
    assert "Ana" not in shared.export_markdown("bob") and "alice" not in json.dumps(bob)


def test_updating_or_deleting_another_users_row_raises_not_found_and_leaves_it(shared: Journal) -> None:
    before = shared.export_json("alice")
    attempts = [
        lambda: shared.update_mentor("bob", 2, name="Stolen"),
        lambda: shared.delete_mentor("bob", 2),
        lambda: shared.update_meeting("bob", 2, notes="Stolen"),
        lambda: shared.delete_meeting("bob", 2),
        lambda: shared.update_action_item("bob", 2, text="Stolen"),
        lambda: shared.mark_done("bob", 2),
        lambda: shared.delete_action_item("bob", 2),
        lambda: shared.get_mentor("bob", 2),
        lambda: shared.last_meeting("bob", 2),
        lambda: shared.add_meeting("bob", 2, T0),
        lambda: shared.add_action_item("bob", "Sneak in", meeting_id=2),
        lambda: shared.update_meeting("bob", 1, mentor_id=2),
    ]
    for attempt in attempts:
        with pytest.raises(JournalNotFound):
            attempt()
    assert shared.export_json("alice") == before


# Export and import


def test_export_then_import_into_an_empty_database_gives_an_identical_export(journal: Journal, tmp_path: Path) -> None:
    fill(journal)
    exported = journal.export_json(ME)
    assert (exported["format"], exported["version"]) == ("mentor-coach-journal", 1)
    assert [goal["id"] for goal in exported["goals"]] == [1, 2]  # ids kept as they are, gaps included
    with Journal(tmp_path / "empty.sqlite3") as empty:
        counts = empty.import_json(ME, json.loads(json.dumps(exported)))
        assert counts == {"goals": 2, "mentors": 2, "meetings": 3, "action_items": 4}
        assert empty.export_json(ME) == exported
        assert empty.export_markdown(ME) == journal.export_markdown(ME)


def test_new_rows_after_an_import_continue_after_the_imported_ids(journal: Journal, tmp_path: Path) -> None:
    fill(journal)  # goal 3 was deleted before the export
    exported = journal.export_json(ME)
    with Journal(tmp_path / "empty.sqlite3") as copy:
        copy.import_json(ME, exported)
        assert (copy.add_goal(ME, "next").id, copy.add_mentor(ME, "Cleo").id) == (3, 3)
    journal.import_json(ME, exported)
    assert journal.add_goal(ME, "next").id == 4  # the file that handed out goal 3 never hands it out again


def test_import_replaces_that_users_journal_and_no_one_elses(shared: Journal) -> None:
    bob_before, alice_export = shared.export_json("bob"), shared.export_json("alice")
    shared.add_goal("alice", "added after the export")
    shared.import_json("alice", alice_export)
    assert shared.export_json("alice") == alice_export
    assert shared.export_json("bob") == bob_before
    shared.import_json("carol", alice_export)  # a copy for another user keeps the same ids
    assert shared.export_json("carol") == alice_export


def test_import_accepts_the_export_as_json_text(journal: Journal, tmp_path: Path) -> None:
    fill(journal)
    text = json.dumps(journal.export_json(ME), ensure_ascii=False, indent=2)
    with Journal(tmp_path / "empty.sqlite3") as copy:
        copy.import_json(ME, text.encode())
        assert copy.export_json(ME) == journal.export_json(ME)


def broken_exports() -> dict[str, object]:
    good = {
        "format": "mentor-coach-journal",
        "version": 1,
        "goals": [],
        "meetings": [],
        "action_items": [],
        "mentors": [{"id": 1, "name": "Ana", "created_at": "2025-01-01T00:00:00Z"}],
    }
    meeting = {"id": 1, "mentor_id": 1, "starts_at": "2025-01-02T10:00:00Z", "created_at": "2025-01-01T00:00:00Z"}
    item = {"id": 1, "text": "Send CV", "created_at": "2025-01-01T00:00:00Z"}
    return {
        "malformed JSON text": '{"format": "mentor-coach-journal", "version": 1, "goals": [',
        "JSON that is a list": "[1, 2, 3]",
        "another format": good | {"format": "someone-elses-journal"},
        "a newer version": good | {"version": 2},
        "a mentor without a name": good | {"mentors": [{"id": 1, "created_at": "2025-01-01T00:00:00Z"}]},
        "an unknown field": good | {"secrets": []},
        "an unknown status": good | {"goals": [{"id": 1, "text": "x", "status": "meh", "created_at": "2025-01-01"}]},
        "a time without time zone": good | {"meetings": [meeting | {"starts_at": "2025-01-02T10:00:00"}]},
        "a meeting with a missing mentor": good | {"meetings": [meeting | {"mentor_id": 7}]},
        "a duplicate id": good | {"meetings": [meeting, meeting]},
        "done without done_at": good | {"action_items": [item | {"status": "done"}]},
        "an item from a missing meeting": good | {"action_items": [item | {"mentor_id": 1, "meeting_id": 3}]},
    }


@pytest.mark.parametrize("document", broken_exports().values(), ids=broken_exports().keys())
def test_an_invalid_import_raises_store_error_and_leaves_the_journal_unchanged(journal: Journal, document) -> None:
    fill(journal)
    before = journal.export_json(ME)
    with pytest.raises(StoreError, match="Cannot import the journal"):
        journal.import_json(ME, document)
    assert journal.export_json(ME) == before


def test_an_import_failing_halfway_inside_the_database_rolls_back_completely(
    journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    fill(journal)
    before = journal.export_json(ME)
    document = json.loads(json.dumps(before))
    document["meetings"][-1]["mentor_id"] = 99  # caught only by the database's foreign key, after other writes
    monkeypatch.setattr(journal_io, "reference_problems", lambda document: [])
    with pytest.raises(StoreError, match="FOREIGN KEY"):
        journal.import_json(ME, document)
    assert journal.export_json(ME) == before


def test_markdown_export_reads_as_a_journal(journal: Journal) -> None:
    fill(journal)
    text = journal.export_markdown(ME, tz=timezone(timedelta(hours=1), "CET"))
    assert text.startswith("# Mentoring journal\n\n## Goals\n\n- Lead a project end to end (active)\n")
    for expected in (
        "## Ana Pérez\n\n- **Role:** Staff engineer\n- **How we met:** Conference\n- **Cadence:** monthly\n",
        "### Meeting on 2025-03-01 10:00 CET (45 min)\n\n**Agenda**\n\n1. Scope\n2. Risks\n\n**Notes**\n\nWent well.",
        "- [x] Send the design doc (owner: me, due 2025-03-08, done 2025-03-01 10:00 CET)",
        "- [ ] Introduce me to the SRE lead (owner: mentor)",
        "## Ben\n",
        "### Other action items\n\n- [ ] Read 'An Elegant Puzzle' (owner: me, due 2025-04-01)",
        "## Action items not tied to a mentor\n\n- [ ] Update my CV (owner: me)",
    ):
        assert expected in text
    assert "Learn Haskell" not in text


def test_markdown_export_of_an_empty_journal_says_so(journal: Journal) -> None:
    assert journal.export_markdown(ME) == "# Mentoring journal\n\nNothing recorded yet.\n"
