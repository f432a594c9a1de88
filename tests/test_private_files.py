"""Files made for a download live in a private folder of the data directory and are gone once they age out; nothing
with user content is left in the system temp directory — checked by using the real page like a user would."""

from __future__ import annotations

import os
import stat
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from gradio_client import Client

from coach.privacy.downloads import save_files, sweep
from coach.settings import Settings
from coach.ui.page import serve


def files_under(folder: Path, skip: Path, since: float) -> list[Path]:
    """Files below `folder` (not below `skip`) changed since `since`."""
    found = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = [d for d in dirs if not (Path(root) / d).resolve().is_relative_to(skip.resolve())]
        for name in names:
            path = Path(root) / name
            try:
                if path.is_file() and path.stat().st_mtime >= since and path.stat().st_size < 5_000_000:
                    found.append(path)
            except OSError:
                continue
    return found


def holding(paths: list[Path], marker: str) -> list[Path]:
    return [p for p in paths if marker.encode() in p.read_bytes()]


@pytest.fixture
def page(make_coach, fake_model, scorer_reply, tmp_path, wait_until_started):
    marker = f"secret-{uuid.uuid4().hex}"
    replies = ["ok"] * 3 + [f"Why me, {marker}?", scorer_reply(marker)] + ["ok"] * 5  # the model's part varies
    coach = make_coach(fake_model(*replies), journal_path=tmp_path / "journal.sqlite3")
    settings = Settings(data_dir=tmp_path / "data", provider="fake", port=0, download_max_age=2, _env_file=None)
    app = serve(settings, coach, block=False)
    wait_until_started(app.local_url)
    client = Client(app.local_url, verbose=False, download_files=str(tmp_path / "client-downloads"))
    yield client, settings.private_tmp, marker
    app.close()


def test_exports_stay_in_the_private_folder_and_are_deleted_once_they_age_out(page, tmp_path):
    client, private, marker = page
    started = time.time() - 1
    history = [{"role": "user", "content": [{"type": "text", "text": f"hello {marker}"}]}]
    client.predict(marker, "", "", "", "", "", api_name="/journal_add_mentor")
    downloaded = [
        client.predict(api_name="/journal_export_json"),
        client.predict(api_name="/journal_export_md"),
        *client.predict(marker, "2026-12-03 14:30", 45, "", "", "", "", "", api_name="/agenda")[1],
        *client.predict("busy_mentor", marker, "", "", api_name="/plan_conversation")[1],
        client.predict(history, {}, api_name="/export_conversation")[-1]["value"],  # what is on screen
        *client.predict(history, api_name="/export_my_data")[0],
    ]
    chat, _, _ = client.predict("sceptical_senior", api_name="/rehearse_start")
    chat, *_ = client.predict("sceptical_senior", chat, f"Could we talk, {marker}?", api_name="/rehearse_turn")
    downloaded += client.predict("sceptical_senior", chat, api_name="/rehearse_feedback")[1]
    names = {Path(p).name for p in downloaded}
    assert {"journal.json", "journal.md", "agenda.md", "meeting.ics", "conversation.md", "all-my-data.json"} <= names
    assert {"rehearsal-transcript.json", "conversation-plan.md"} <= names
    without = [Path(p).name for p in downloaded if marker not in Path(p).read_text(encoding="utf-8")]
    assert without in ([], ["rehearsal-feedback.md"]), "every export but the scores holds the user's words"

    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    assert holding(files_under(private, tmp_path / "nowhere", 0), marker), "the page served them from here"
    leaked = holding(files_under(Path(tempfile.gettempdir()), tmp_path, started), marker)
    assert leaked == [], f"user content left in the system temp directory: {leaked}"

    deadline = time.monotonic() + 15
    while any(private.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert list(private.rglob("*")) == [], "every file and folder is gone once older than download_max_age"


def test_sweep_keeps_young_files_and_removes_old_ones_with_their_folders(tmp_path, monkeypatch):
    from coach.privacy import downloads

    monkeypatch.setattr(downloads, "_folder", tmp_path)
    (young,) = save_files({"a.md": "young"})
    (old,) = save_files({"b.md": "old"}, owner="alice")
    assert stat.S_IMODE(Path(old).stat().st_mode) == 0o600
    os.utime(old, (time.time() - 100, time.time() - 100))
    assert sweep(tmp_path, max_age=50) == 1
    assert Path(young).exists() and not Path(old).exists()
    assert not Path(old).parent.exists() and not Path(old).parent.parent.exists(), "empty folders go too"
