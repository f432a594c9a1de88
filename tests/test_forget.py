"""Deleting one user's data (`coach forget --user NAME`, and the page's "Delete all my data"): every per-user table
(also ones added later), their uploaded documents and index entries, their download files; nobody else's."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gradio_client import Client
from pydantic import SecretStr

from coach.cli import main
from coach.llm.fake import MockChatModel
from coach.privacy.downloads import owner_folder
from coach.privacy.forget import user_tables
from coach.service import build_coach
from coach.settings import Settings
from coach.ui.page import serve


def fill(coach, user: str, marker: str) -> None:
    """A user's data everywhere the coach keeps some: journal rows, conversations and answer feedback (made through
    their own API), an uploaded document and its index entries, a download file."""
    journal = coach.journal
    mentor = journal.add_mentor(user, f"Mentor {marker}", notes=f"notes {marker}")
    meeting = journal.add_meeting(user, mentor.id, datetime(2026, 11, 2, 10, tzinfo=UTC), notes=f"met {marker}")
    journal.add_action_item(user, f"do {marker}", mentor_id=mentor.id, meeting_id=meeting.id)
    journal.add_goal(user, f"goal {marker}")
    chat = [{"role": "user", "content": f"chat {marker}"}, {"role": "assistant", "content": f"answer {marker}"}]
    conversation = journal.conversations.save(user, None, chat)
    journal.feedback.add(
        user, liked=False, question=f"chat {marker}", answer=f"answer {marker}", conversation_id=conversation.id
    )
    uploads = coach.settings.data_dir / "uploads" / user
    uploads.mkdir(parents=True)
    (uploads / "plan.md").write_text(f"# My plan\n\n{marker}\n", encoding="utf-8")
    coach.index.collection.add(
        ids=[f"{user}-1", f"{user}-2"],
        documents=[f"first part {marker}", f"second part {marker}"],
        metadatas=[{"owner": user, "source": "plan.md"}] * 2,
    )
    folder = owner_folder(coach.settings.private_tmp, user) / "files-x"
    folder.mkdir(parents=True)
    (folder / "journal.json").write_text(marker, encoding="utf-8")


def rows_of(coach, user: str) -> dict[str, int]:
    with coach.journal.connection() as conn:
        return {
            t: conn.execute(f'SELECT count(*) FROM "{t}" WHERE "{c}" = ?', (user,)).fetchone()[0]
            for t, c in user_tables(conn)
        }


@pytest.fixture
def two_users(tmp_path, small_knowledge, monkeypatch):
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=small_knowledge, provider="fake", _env_file=None)
    coach = build_coach(settings, model=MockChatModel())
    coach.sync()
    markers = {"alice": f"alice-{uuid.uuid4().hex}", "bob": f"bob-{uuid.uuid4().hex}"}
    for user, marker in markers.items():
        fill(coach, user, marker)
    monkeypatch.setenv("COACH_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("COACH_KNOWLEDGE_DIR", str(small_knowledge))
    monkeypatch.setenv("COACH_PROVIDER", "fake")
    return coach, markers


def test_coach_forget_removes_everything_of_one_user_and_nothing_of_another(two_users, monkeypatch, capsys):
    coach, markers = two_users
    bob_before = rows_of(coach, "bob")
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    assert main(["forget", "--user", "alice"]) == 0
    said = capsys.readouterr()
    assert "Type 'yes' to confirm" in said.err
    assert said.out.strip() == (
        "Deleted all data of alice: 1 action items, 1 answer feedback, 2 conversation messages, 1 conversations, "
        "1 goals, 1 meetings, 1 mentors, 2 index entries, 2 files."
    )

    assert set(rows_of(coach, "alice").values()) == {0}
    assert rows_of(coach, "bob") == bob_before and all(bob_before.values())
    assert coach.index.collection.get(where={"owner": "alice"})["ids"] == []
    assert len(coach.index.collection.get(where={"owner": "bob"})["ids"]) == 2
    assert not (coach.settings.data_dir / "uploads" / "alice").exists()
    assert (coach.settings.data_dir / "uploads" / "bob" / "plan.md").exists()
    assert all(markers["alice"] not in h.text for h in coach.retriever.search(markers["alice"], k=10))

    data = coach.settings.data_dir
    journal_files = [p for p in data.glob("journal.sqlite3*") if p.is_file()]
    assert journal_files and not [p for p in journal_files if markers["alice"].encode() in p.read_bytes()], (
        "deleted text is overwritten, not left in free pages or the write-ahead log"
    )
    outside_index = [p for p in data.rglob("*") if p.is_file() and "chroma" not in p.parts]
    assert not [p for p in outside_index if markers["alice"].encode() in p.read_bytes()]
    assert [p for p in outside_index if markers["bob"].encode() in p.read_bytes()], "bob's data is all still there"


def test_coach_forget_asks_first_and_deletes_nothing_without_a_yes(two_users, monkeypatch, capsys):
    coach, _ = two_users
    before = rows_of(coach, "alice")
    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))
    assert main(["forget", "--user", "alice"]) == 1
    assert "Nothing was deleted." in capsys.readouterr().err
    assert rows_of(coach, "alice") == before
    assert main(["forget", "--user", "../etc", "--yes"]) == 2, "a user name cannot leave the uploads folder"


def test_the_page_exports_then_deletes_the_signed_in_users_data(two_users, tmp_path, wait_until_started):
    coach, markers = two_users
    settings = coach.settings.model_copy(update={"port": 0, "users": SecretStr("alice:pw-a,bob:pw-b")})
    app = serve(settings, coach, block=False)
    try:
        wait_until_started(app.local_url, auth=("alice", "pw-a"))
        alice = Client(app.local_url, auth=("alice", "pw-a"), verbose=False, download_files=str(tmp_path / "dl"))
        files, _ = alice.predict([], api_name="/export_my_data")
        exported = {Path(p).name: Path(p).read_text(encoding="utf-8") for p in files}
        assert set(exported) == {"journal.json", "all-my-data.json"}
        assert f"chat {markers['alice']}" in exported["all-my-data.json"], "tables added later are exported too"
        assert markers["bob"] not in "".join(exported.values())

        notice, *_ = alice.predict(False, api_name="/forget_me")
        assert notice.startswith("⚠️ Tick the box first") and rows_of(coach, "alice")["mentors"] == 1
        notice, chat, _, _ = alice.predict(True, api_name="/forget_me")
        assert notice.startswith("Deleted all data of alice: 1 action items, 1 answer feedback, 2 conversation")
        assert "4 files" in notice and chat == [], "the upload, a download and the two export files"
        assert not owner_folder(settings.private_tmp, "alice").exists()
        assert coach.index.collection.get(where={"owner": "alice"})["ids"] == []
        assert set(rows_of(coach, "alice").values()) == {0} and rows_of(coach, "bob")["mentors"] == 1
    finally:
        app.close()
