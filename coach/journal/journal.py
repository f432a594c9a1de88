"""The mentoring journal: goals, mentors, meetings and action items, kept per user in one SQLite file."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, tzinfo
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from coach.errors import InputError
from coach.journal import io as journal_io
from coach.journal import store
from coach.journal.conversations import ConversationLog
from coach.journal.feedback import FeedbackLog
from coach.journal.records import ActionItem, Goal, GoalStatus, ItemStatus, Meeting, Mentor, Owner
from coach.journal.records import checked_user as _user
from coach.journal.rows import UNSET, RecordRows, Unset
from coach.journal.store import JOURNAL_FILENAME, JournalDB, JournalNotFound, get_row

if TYPE_CHECKING:
    from coach.settings import Settings

__all__ = ["LOCAL_USER", "UNSET", "ActionItem", "Goal", "Journal", "JournalNotFound", "Meeting", "Mentor", "Unset"]

LOCAL_USER: Final = "local"
"""The user id when there is no authentication."""


class Journal(RecordRows):
    """Every user's journal on this machine; each method reads and writes only the rows of the `user` it is given.

    Ids are numbered per user and never reused. Methods raise `JournalNotFound` (a `StoreError`) for an id that is
    not the user's, `InputError` for values that cannot be saved, and `StoreError` when the file fails.
    Safe to share between threads; other processes may open the same file.
    """

    def __init__(
        self,
        path: Path | str,
        *,
        busy_timeout: float = 5.0,
        clock: Callable[[], datetime] | None = None,
        passphrase: str | None = None,
    ) -> None:
        self.path = Path(path)
        self._db = JournalDB(self.path, busy_timeout=busy_timeout, passphrase=passphrase)
        self._clock = clock or (lambda: datetime.now(UTC))

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> Journal:
        """The journal in the data directory: `data_dir / "journal.sqlite3"`."""
        return cls(settings.data_dir / JOURNAL_FILENAME, passphrase=settings.journal_passphrase(), **options)

    def close(self) -> None:
        self._db.close()

    @cached_property
    def conversations(self) -> ConversationLog:
        """Past chats, kept in the same file."""
        return ConversationLog(self._db, self._clock)

    @cached_property
    def feedback(self) -> FeedbackLog:
        """Thumbs up or down on answers, kept in the same file."""
        return FeedbackLog(self._db, self._clock)

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Group several writes (e.g. a meeting and its action items) so that all are saved or none are."""
        with self._db.transaction():
            yield

    @contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """The connection inside one write transaction, for code that works on every table (deleting a user)."""
        with self._db.transaction() as conn:
            yield conn

    def flush_log(self) -> None:
        """Copy the write-ahead log into the file and empty it, so deleted rows' old pages no longer sit in it."""
        self._db.checkpoint()

    # Goals

    def add_goal(self, user: str, text: str, *, status: GoalStatus = "active") -> Goal:
        return self._add(user, Goal, {"text": text, "status": status})

    def get_goal(self, user: str, goal_id: int) -> Goal:
        return self._get(user, Goal, goal_id)

    def list_goals(self, user: str, *, status: GoalStatus | None = None) -> list[Goal]:
        return self._list(user, Goal, {"status": status} if status else {})

    def update_goal(
        self, user: str, goal_id: int, *, text: str | Unset = UNSET, status: GoalStatus | Unset = UNSET
    ) -> Goal:
        return self._update(user, Goal, goal_id, {"text": text, "status": status})

    def delete_goal(self, user: str, goal_id: int) -> None:
        self._delete(user, Goal, goal_id)

    # Mentors

    def add_mentor(
        self,
        user: str,
        name: str,
        *,
        role: str = "",
        how_met: str = "",
        cadence: str = "",
        channel: str = "",
        notes: str = "",
    ) -> Mentor:
        fields = {"name": name, "role": role, "how_met": how_met, "cadence": cadence, "channel": channel}
        return self._add(user, Mentor, fields | {"notes": notes})

    def get_mentor(self, user: str, mentor_id: int) -> Mentor:
        return self._get(user, Mentor, mentor_id)

    def list_mentors(self, user: str) -> list[Mentor]:
        return self._list(user, Mentor)

    def update_mentor(
        self,
        user: str,
        mentor_id: int,
        *,
        name: str | Unset = UNSET,
        role: str | Unset = UNSET,
        how_met: str | Unset = UNSET,
        cadence: str | Unset = UNSET,
        channel: str | Unset = UNSET,
        notes: str | Unset = UNSET,
    ) -> Mentor:
        changes = {"name": name, "role": role, "how_met": how_met, "cadence": cadence, "channel": channel}
        return self._update(user, Mentor, mentor_id, changes | {"notes": notes})

    def delete_mentor(self, user: str, mentor_id: int) -> None:
        """Forget a mentor together with their meetings and action items."""
        self._delete(user, Mentor, mentor_id)

    # Meetings

    def add_meeting(
        self, user: str, mentor_id: int, starts_at: datetime, *, minutes: int = 30, agenda: str = "", notes: str = ""
    ) -> Meeting:
        """Record a meeting; `starts_at` must carry a time zone (a naive time is ambiguous) and is stored in UTC."""
        with self._db.transaction() as conn:
            get_row(conn, Mentor, _user(user), mentor_id)
            fields = {"mentor_id": mentor_id, "starts_at": starts_at, "minutes": minutes}
            return self._add(user, Meeting, fields | {"agenda": agenda, "notes": notes})

    def get_meeting(self, user: str, meeting_id: int) -> Meeting:
        return self._get(user, Meeting, meeting_id)

    def list_meetings(self, user: str, *, mentor_id: int | None = None) -> list[Meeting]:
        """Meetings in time order, of one mentor or of all."""
        self._check_mentor(user, mentor_id)
        with self._db.snapshot() as conn:
            return store.meetings_in_time_order(conn, _user(user), mentor_id)

    def last_meeting(self, user: str, mentor_id: int, *, before: datetime | None = None) -> Meeting | None:
        """The latest meeting with this mentor that started by `before` (default: now); None if there was none."""
        if before is not None and before.utcoffset() is None:
            raise InputError("last_meeting needs a time with a time zone, e.g. datetime.now().astimezone().")
        self._check_mentor(user, mentor_id)
        with self._db.snapshot() as conn:
            found = store.meetings_in_time_order(
                conn, _user(user), mentor_id, until=before or self._clock(), latest_first=True
            )
        return found[0] if found else None

    def update_meeting(
        self,
        user: str,
        meeting_id: int,
        *,
        mentor_id: int | Unset = UNSET,
        starts_at: datetime | Unset = UNSET,
        minutes: int | Unset = UNSET,
        agenda: str | Unset = UNSET,
        notes: str | Unset = UNSET,
    ) -> Meeting:
        """Change a meeting; moving it to another mentor moves its action items along."""
        with self._db.transaction() as conn:
            if mentor_id is not UNSET:
                get_row(conn, Mentor, _user(user), mentor_id)
            changes = {"mentor_id": mentor_id, "starts_at": starts_at, "minutes": minutes}
            return self._update(user, Meeting, meeting_id, changes | {"agenda": agenda, "notes": notes})

    def delete_meeting(self, user: str, meeting_id: int) -> None:
        """Delete a meeting; its action items stay (commitments outlive the record), no longer tied to it."""
        with self._db.transaction() as conn:
            get_row(conn, Meeting, _user(user), meeting_id)
            store.detach_items(conn, user, meeting_id)
            self._delete(user, Meeting, meeting_id)

    # Action items

    def add_action_item(
        self,
        user: str,
        text: str,
        *,
        owner: Owner = "me",
        mentor_id: int | None = None,
        meeting_id: int | None = None,
        due: date | None = None,
    ) -> ActionItem:
        """Record a commitment; one from a meeting is about that meeting's mentor (filled in when not given)."""
        with self._db.transaction() as conn:
            fields = {"text": text, "owner": owner, "due": due, "status": "open", "done_at": None}
            links = self._links(conn, _user(user), mentor_id, meeting_id, mentor_given=mentor_id is not None)
            return self._add(user, ActionItem, fields | links)

    def get_action_item(self, user: str, item_id: int) -> ActionItem:
        return self._get(user, ActionItem, item_id)

    def list_action_items(
        self,
        user: str,
        *,
        mentor_id: int | None = None,
        meeting_id: int | None = None,
        status: ItemStatus | None = None,
    ) -> list[ActionItem]:
        self._check_mentor(user, mentor_id)
        filters: dict[str, Any] = {} if mentor_id is None else {"mentor_id": mentor_id}
        if meeting_id is not None:
            self._get(user, Meeting, meeting_id)
            filters["meeting_id"] = meeting_id
        if status is not None:
            filters["status"] = status
        return self._list(user, ActionItem, filters)

    def open_action_items(self, user: str, mentor_id: int | None = None) -> list[ActionItem]:
        """Open items, soonest due first and undated last."""
        self._check_mentor(user, mentor_id)
        with self._db.snapshot() as conn:
            return store.open_items(conn, _user(user), mentor_id)

    def overdue_action_items(self, user: str, today: date) -> list[ActionItem]:
        """Open items due before `today` (the caller's local date), most overdue first."""
        today = today.date() if isinstance(today, datetime) else today
        with self._db.snapshot() as conn:
            return store.overdue_items(conn, _user(user), today)

    def mark_done(self, user: str, item_id: int) -> ActionItem:
        """Close an item and record when; an item already done keeps its first `done_at`."""
        return self.update_action_item(user, item_id, status="done")

    def update_action_item(
        self,
        user: str,
        item_id: int,
        *,
        text: str | Unset = UNSET,
        owner: Owner | Unset = UNSET,
        mentor_id: int | Unset | None = UNSET,
        meeting_id: int | Unset | None = UNSET,
        due: date | Unset | None = UNSET,
        status: ItemStatus | Unset = UNSET,
    ) -> ActionItem:
        """Change an item; status 'done' sets `done_at`, 'open' clears it. A new meeting brings its mentor along."""
        user = _user(user)
        with self._db.transaction() as conn:
            item = get_row(conn, ActionItem, user, item_id)
            changes: dict[str, Any] = {"text": text, "owner": owner, "due": due, "status": status}
            if status == "done" and item.status == "open":
                changes["done_at"] = self._clock()
            elif status == "open":
                changes["done_at"] = None
            if mentor_id is not UNSET or meeting_id is not UNSET:
                changes |= self._links(
                    conn,
                    user,
                    item.mentor_id if mentor_id is UNSET else mentor_id,
                    item.meeting_id if meeting_id is UNSET else meeting_id,
                    mentor_given=mentor_id is not UNSET,
                )
            return self._update(user, ActionItem, item_id, changes)

    def delete_action_item(self, user: str, item_id: int) -> None:
        self._delete(user, ActionItem, item_id)

    # Export and import

    def export_json(self, user: str) -> dict[str, Any]:
        """The user's whole journal as a JSON-ready dict: {"format": "mentor-coach-journal", "version": 1, ...}."""
        with self._db.snapshot() as conn:
            return journal_io.export_json(conn, _user(user))

    def export_markdown(self, user: str, *, tz: tzinfo | None = None) -> str:
        """The user's journal as a readable Markdown document; times shown in `tz` (default UTC)."""
        with self._db.snapshot() as conn:
            return journal_io.export_markdown(conn, _user(user), tz=tz or UTC)

    def import_json(self, user: str, data: Mapping[str, Any] | str | bytes) -> dict[str, int]:
        """REPLACE the user's journal with an export (a dict or JSON text), keeping its ids; returns row counts.

        The document is validated first; any problem raises StoreError and leaves the journal as it was.
        Other users' rows are never touched, so an export may be imported for a different user.
        """
        user = _user(user)
        document = journal_io.parse_document(data)
        with self._db.transaction() as conn:
            return journal_io.replace_journal(conn, user, document)
