"""Conversations and answer feedback kept per user in the journal's file; the journal's words for the page."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from coach.cli import main
from coach.errors import StoreError
from coach.journal.conversations import title_from
from coach.journal.feedback import answer_context
from coach.journal.journal import Journal, JournalNotFound
from coach.llm.plain_words import model_in_words
from coach.settings import Settings
from coach.ui.journal_view import item_label, mentor_card, ordered_items, reminders, timeline

CHAT = [
    {"role": "user", "content": "My mentor keeps cancelling our meetings, what should I do?"},
    {"role": "assistant", "content": "Offer shorter check-ins."},
    {"role": "assistant", "content": "busy-mentor.md: fifteen minutes", "metadata": {"title": "📚 Sources (1)"}},
    {"role": "user", "content": "And if that fails?"},
    {"role": "assistant", "content": "Ask about the cadence."},
]


@pytest.fixture
def journal(tmp_path: Path):
    with Journal(tmp_path / "journal.sqlite3") as opened:
        yield opened


def test_a_conversation_is_titled_from_its_first_message_and_reads_back_as_shown(journal: Journal):
    saved = journal.conversations.save("alice", None, CHAT)
    assert saved.title == "My mentor keeps cancelling our meetings, what should I do?"
    shown = journal.conversations.history("alice", saved.id)
    assert [(m["role"], m["content"]) for m in shown] == [(m["role"], m["content"]) for m in CHAT]
    assert shown[2]["metadata"]["title"] == "📚 Sources (1)" and "metadata" not in shown[1]
    again = journal.conversations.save("alice", saved.id, CHAT[:2])
    assert again.id == saved.id and len(journal.conversations.history("alice", saved.id)) == 2


def test_a_long_first_message_is_cut_at_a_word():
    title = title_from([{"role": "user", "content": "word " * 40}])
    assert title.endswith("…") and len(title) <= 61 and "wor…" not in title


def test_rename_search_and_delete_touch_only_that_users_conversations(journal: Journal):
    first = journal.conversations.save("alice", None, CHAT)
    journal.conversations.save("alice", None, [{"role": "user", "content": "How do I find a sponsor?"}])
    journal.conversations.save("bob", None, [{"role": "user", "content": "Cadence questions"}])
    assert [c.title for c in journal.conversations.list("alice", "CADENCE")] == [first.title]  # found in a reply
    assert [c.title for c in journal.conversations.list("alice", "100%")] == []  # % is a character, not a wildcard
    assert journal.conversations.list("alice", "fifteen minutes") == []  # the sources shown are not searched
    assert journal.conversations.rename("alice", first.id, "  Cancelled   meetings ").title == "Cancelled meetings"
    assert [c.title for c in journal.conversations.list("bob")] == ["Cadence questions"]
    with pytest.raises(JournalNotFound):
        journal.conversations.delete("bob", 2)  # alice's second, but bob has no conversation 2
    journal.conversations.delete("alice", first.id)
    assert [c.title for c in journal.conversations.list("alice")] == ["How do I find a sponsor?"]


def test_an_exported_conversation_imports_back_as_a_new_one(journal: Journal):
    saved = journal.conversations.save("alice", None, CHAT)
    exported = json.dumps(journal.conversations.export_json("alice", saved.id))
    imported = journal.conversations.import_json("bob", exported)
    assert imported.title == saved.title
    assert journal.conversations.history("bob", imported.id) == journal.conversations.history("alice", saved.id)
    markdown = journal.conversations.export_markdown("alice", saved.id)
    assert markdown.startswith(f"# {saved.title}\n") and "<summary>📚 Sources (1)</summary>" in markdown
    with pytest.raises(StoreError, match="not a Mentor Coach conversation export"):
        journal.conversations.import_json("bob", '{"format": "something-else"}')


def test_new_tables_name_their_owner_in_a_user_column(journal: Journal):
    conn = sqlite3.connect(journal.path)
    for table in ("conversations", "conversation_messages", "answer_feedback"):
        assert "user" in [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_feedback_keeps_question_answer_and_sources_and_exports_as_json_lines(journal: Journal, tmp_path, capsys):
    question, answer, sources = answer_context(CHAT, 2)  # the thumbs were on the sources message
    assert (question, answer) == (CHAT[0]["content"], "Offer shorter check-ins.")
    assert sources.startswith("📚 Sources (1)\nbusy-mentor.md")
    vote = journal.feedback.add("alice", liked=False, question=question, answer=answer, sources=sources)
    journal.feedback.give_reason("alice", vote.id, "too vague")
    journal.close()
    settings_env = {"COACH_DATA_DIR": str(tmp_path)}
    assert main_with(settings_env, ["feedback", "export"]) == 0
    [line] = capsys.readouterr().out.strip().splitlines()
    row = json.loads(line)
    assert row["user"] == "alice" and row["liked"] is False and row["reason"] == "too vague"
    assert row["question"] == question and "busy-mentor.md" in row["sources"]


def main_with(env: dict[str, str], argv: list[str]) -> int:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        return main(argv)


def test_cards_checklist_and_reminders_read_as_people_keep_them(journal: Journal):
    today = date(2026, 12, 2)
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    priya = journal.add_mentor("alice", "Priya", role="Director", cadence="monthly")
    meeting = journal.add_meeting("alice", priya.id, now - timedelta(days=10), notes="Talked about scope.")
    late = journal.add_action_item("alice", "Send the deck", meeting_id=meeting.id, due=today - timedelta(days=2))
    soon = journal.add_action_item("alice", "Book the demo", mentor_id=priya.id, due=today + timedelta(days=3))
    done = journal.mark_done("alice", journal.add_action_item("alice", "Read the paper", mentor_id=priya.id).id)
    card = mentor_card(priya, journal.list_meetings("alice", mentor_id=priya.id), 2, now)
    assert "Director · monthly" in card and "Last met: **22 Nov 2026**" in card and "around 22 Dec" in card
    items = ordered_items(journal.list_action_items("alice"), today)
    assert [i.text for i in items] == [late.text, soon.text, done.text]  # open first, overdue on top
    assert item_label(items[0], today).startswith("Mine · OVERDUE since")
    assert "Send the deck" in timeline(journal.list_meetings("alice"), items)
    said = reminders(journal, "alice", today).markdown()
    assert "Overdue (1): Send the deck" in said and "Due this week (1): Book the demo" in said
    assert reminders(journal, "bob", today).markdown() == ""


def test_the_status_words_say_where_answers_come_from_without_paths():
    assert model_in_words(Settings(provider="local", _env_file=None)) == "Offline · built-in model"
    local_server = Settings(provider="openai", openai_base_url="http://127.0.0.1:11434/v1", _env_file=None)
    assert model_in_words(local_server).startswith("Offline · ")
    assert model_in_words(Settings(provider="openai", openai_api_key="sk-x", _env_file=None)).startswith("Online · ")
