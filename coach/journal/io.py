"""The journal as a file: a versioned JSON export that imports back losslessly, and a readable Markdown export."""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from coach.errors import StoreError, validation_summary
from coach.journal.records import ActionItem, Goal, Meeting, Mentor, Record
from coach.journal.store import delete_rows, insert_row, raise_counter, select_rows

FORMAT = "mentor-coach-journal"
FORMAT_VERSION = 1  # the export format's own version, independent of the database schema version


class JournalDocument(BaseModel):
    """One user's journal as exported; ids are kept, so references between rows stay as they were."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["mentor-coach-journal"]
    version: Literal[1]
    goals: list[Goal] = []
    mentors: list[Mentor] = []
    meetings: list[Meeting] = []
    action_items: list[ActionItem] = []

    def tables(self) -> list[tuple[type[Record], list[Any]]]:
        """Each table with its rows, parents before children (the order to insert them in)."""
        return [(Goal, self.goals), (Mentor, self.mentors), (Meeting, self.meetings), (ActionItem, self.action_items)]


def read_document(conn: sqlite3.Connection, user: str) -> JournalDocument:
    return JournalDocument(
        format=FORMAT,
        version=FORMAT_VERSION,
        goals=select_rows(conn, Goal, user),
        mentors=select_rows(conn, Mentor, user),
        meetings=select_rows(conn, Meeting, user),
        action_items=select_rows(conn, ActionItem, user),
    )


def export_json(conn: sqlite3.Connection, user: str) -> dict[str, Any]:
    return read_document(conn, user).model_dump(mode="json")


def parse_document(data: Mapping[str, Any] | str | bytes) -> JournalDocument:
    """Validate an export (a dict, or its JSON text) before anything is written; StoreError says what is wrong."""
    if isinstance(data, str | bytes | bytearray):
        try:
            data = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreError(f"Cannot import the journal: the file is not valid JSON ({exc}).") from exc
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise StoreError(
            f'Cannot import the journal: this is not a Mentor Coach journal export (no "format": "{FORMAT}").'
        )
    version = data.get("version")
    if isinstance(version, int) and version > FORMAT_VERSION:
        raise StoreError(
            f"Cannot import the journal: it was exported by a newer Mentor Coach (format version {version}; this "
            f"version reads up to {FORMAT_VERSION}). Upgrade Mentor Coach to import it."
        )
    try:
        document = JournalDocument.model_validate(data)
    except ValidationError as exc:
        raise StoreError(f"Cannot import the journal: {validation_summary(exc)}.") from exc
    problems = reference_problems(document)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise StoreError(f"Cannot import the journal: {'; '.join(problems[:5])}{more}.")
    return document


def reference_problems(document: JournalDocument) -> list[str]:
    """Duplicate ids and references to rows the document does not contain."""
    problems = []
    for model, rows in document.tables():
        for row_id, count in Counter(row.id for row in rows).items():
            if count > 1:
                problems.append(f"{model.TABLE} has id {row_id} {count} times")
    mentors = {mentor.id for mentor in document.mentors}
    meeting_mentor = {meeting.id: meeting.mentor_id for meeting in document.meetings}
    for meeting in document.meetings:
        if meeting.mentor_id not in mentors:
            problems.append(f"meeting {meeting.id} names mentor {meeting.mentor_id}, who is not in the file")
    for item in document.action_items:
        if item.mentor_id is not None and item.mentor_id not in mentors:
            problems.append(f"action item {item.id} names mentor {item.mentor_id}, who is not in the file")
        if item.meeting_id is not None and item.meeting_id not in meeting_mentor:
            problems.append(f"action item {item.id} names meeting {item.meeting_id}, which is not in the file")
        elif item.meeting_id is not None and meeting_mentor[item.meeting_id] != item.mentor_id:
            problems.append(f"action item {item.id} names mentor {item.mentor_id}, but its meeting was with another")
    return problems


def replace_journal(conn: sqlite3.Connection, user: str, document: JournalDocument) -> dict[str, int]:
    """Inside the caller's transaction: delete the user's rows, insert the document's with their ids."""
    for model, _ in reversed(document.tables()):
        delete_rows(conn, model, user)
    for model, rows in document.tables():
        for row in rows:
            insert_row(conn, user, row)
        # New rows continue after the imported ids; ids this user had before are not handed out again either.
        raise_counter(conn, user, model.TABLE, max((row.id for row in rows), default=0))
    return {model.TABLE: len(rows) for model, rows in document.tables()}


def export_markdown(conn: sqlite3.Connection, user: str, *, tz: tzinfo) -> str:
    """A readable journal: goals, then each mentor with their meetings and action items, then loose items."""
    doc = read_document(conn, user)
    lines = ["# Mentoring journal", ""]
    if not (doc.goals or doc.mentors or doc.action_items):
        return "\n".join([*lines, "Nothing recorded yet.", ""])

    def when(moment: Any) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z").strip()

    def item_line(item: ActionItem) -> str:
        box = "x" if item.status == "done" else " "
        details = [f"owner: {item.owner}"]
        if item.due:
            details.append(f"due {item.due.isoformat()}")
        if item.done_at:
            details.append(f"done {when(item.done_at)}")
        return f"- [{box}] {one_line(item.text)} ({', '.join(details)})"

    if doc.goals:
        lines += ["## Goals", ""]
        lines += [f"- {one_line(goal.text)} ({goal.status})" for goal in doc.goals]
        lines.append("")
    for mentor in doc.mentors:
        lines += [f"## {one_line(mentor.name)}", ""]
        facts = [("Role", mentor.role), ("How we met", mentor.how_met), ("Cadence", mentor.cadence)]
        facts.append(("Channel", mentor.channel))
        facts = [f"- **{label}:** {one_line(value)}" for label, value in facts if value]
        lines += [*facts, ""] if facts else []
        lines += [mentor.notes, ""] if mentor.notes else []
        meetings = sorted((m for m in doc.meetings if m.mentor_id == mentor.id), key=lambda m: (m.starts_at, m.id))
        for meeting in meetings:
            lines += [f"### Meeting on {when(meeting.starts_at)} ({meeting.minutes} min)", ""]
            for label, text in (("Agenda", meeting.agenda), ("Notes", meeting.notes)):
                if text:
                    lines += [f"**{label}**", "", text, ""]
            items = [item for item in doc.action_items if item.meeting_id == meeting.id]
            if items:
                lines += ["**Action items**", "", *map(item_line, items), ""]
        loose = [item for item in doc.action_items if item.mentor_id == mentor.id and item.meeting_id is None]
        if loose:
            lines += ["### Other action items", "", *map(item_line, loose), ""]
    unassigned = [item for item in doc.action_items if item.mentor_id is None]
    if unassigned:
        lines += ["## Action items not tied to a mentor", "", *map(item_line, unassigned), ""]
    return "\n".join(lines)


def one_line(text: str) -> str:
    """Text that must fit on a heading or list line: runs of whitespace, newlines included, become one space."""
    return " ".join(text.split())
