"""With log-in accounts, each user sees only their own journal — through the real server."""

from __future__ import annotations

import json

import pytest
from gradio_client import Client

from coach.settings import Settings
from coach.ui.page import serve


@pytest.fixture
def two_user_app(make_coach, fake_model, indexed_store, tmp_path, wait_until_started):
    coach = make_coach(fake_model(), journal_path=tmp_path / "journal.sqlite3")
    settings = Settings(data_dir=indexed_store, provider="fake", port=0, users="alice:pw-a,bob:pw-b", _env_file=None)
    app = serve(settings, coach, block=False)
    wait_until_started(app.local_url, auth=("alice", "pw-a"))
    yield app.local_url
    app.close()


def test_each_user_sees_only_their_own_journal(two_user_app):
    alice = Client(two_user_app, auth=("alice", "pw-a"), verbose=False)
    bob = Client(two_user_app, auth=("bob", "pw-b"), verbose=False)
    notice, mentors, *_ = alice.predict("Priya", "Director", "", "", "", "", api_name="/journal_add_mentor")
    assert notice == "Added Priya."
    assert [row[1] for row in mentors["data"]] == ["Priya"]
    alice.predict("Send the deck", None, "", api_name="/journal_add_item")

    bob_mentors, bob_items, *_ = bob.predict(api_name="/journal_refresh")
    assert bob_mentors["data"] == [] and bob_items["data"] == []
    with open(bob.predict(api_name="/journal_export_json"), encoding="utf-8") as handle:
        exported = json.load(handle)
    assert exported["mentors"] == [] and exported["action_items"] == []

    notice, *_ = bob.predict(1, api_name="/journal_mark_done")
    assert notice.startswith("⚠️"), "bob cannot touch alice's item #1"
    _, alice_items, *_ = alice.predict(api_name="/journal_refresh")
    assert [row[5] for row in alice_items["data"]] == ["open"]


def test_wrong_password_is_refused(two_user_app):
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises a plain ValueError on a failed log-in
        Client(two_user_app, auth=("alice", "wrong"), verbose=False)


def test_non_loopback_bind_without_accounts_is_refused(indexed_store):
    from coach.errors import CoachError

    settings = Settings(data_dir=indexed_store, provider="fake", host="0.0.0.0", _env_file=None)
    with pytest.raises(CoachError, match="COACH_USERS"):
        serve(settings, block=False)


def test_saving_a_meeting_without_a_mentor_says_so_and_keeps_what_was_typed(two_user_app):
    alice = Client(two_user_app, auth=("alice", "pw-a"), verbose=False)
    rows = {"headers": ["Action item", "Whose", "Due"], "data": [["Send the deck", "me", "2026-12-20"]]}
    outputs = alice.predict(
        None, "2026-12-01 10:00", 30, "We talked about the deck.", rows, "", api_name="/journal_save_meeting"
    )
    assert outputs[0] == "⚠️ Choose the mentor you met.", "the reason, not Gradio's bare 'Error'"
