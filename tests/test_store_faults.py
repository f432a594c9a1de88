"""Store faults: a damaged Chroma folder, a read-only data folder, a full disk while indexing, and the journal's safety
during an index rebuild. Real Chroma on disk in temp folders; subprocesses where the fault needs another process
(permissions that root would bypass, a tiny tmpfs in a private mount namespace)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from coach.cli import main
from coach.errors import StoreDamaged, StoreError
from coach.guidance.sources import LIBRARY
from coach.journal.journal import Journal
from coach.llm.fake import MockChatModel
from coach.service import build_coach
from coach.settings import Settings
from coach.ui.page import serve

KNOWLEDGE = LIBRARY


def placeholder():
    return MockChatModel()


def index_small(settings: Settings) -> int:
    coach = build_coach(settings, model=placeholder())
    return coach.sync().total_chunks


def corrupt(chroma_dir: Path, how: str) -> None:
    db = chroma_dir / "chroma.sqlite3"
    if how == "garbage":
        with db.open("r+b") as file:
            file.write(os.urandom(4096))
    else:  # half-written: cut off part-way through
        with db.open("r+b") as file:
            file.truncate(db.stat().st_size // 3)


def damaged_copies(data_dir: Path) -> list[Path]:
    return sorted(data_dir.glob("chroma.damaged-*"))


def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("COACH_KNOWLEDGE_DIR", str(settings.knowledge_dir))
    monkeypatch.setenv("COACH_PROVIDER", "fake")
    monkeypatch.chdir(settings.data_dir.parent)  # no stray .env


@pytest.fixture
def small_settings(tmp_path: Path, small_knowledge: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", knowledge_dir=small_knowledge, provider="fake", _env_file=None)


@pytest.mark.parametrize("how", ["garbage", "truncated"])
def test_a_damaged_chroma_folder_says_it_is_damaged_and_how_to_rebuild(small_settings: Settings, how: str) -> None:
    index_small(small_settings)
    corrupt(small_settings.chroma_dir, how)
    with pytest.raises(StoreDamaged) as caught:
        build_coach(small_settings, model=placeholder())
    message = str(caught.value)
    assert "damaged" in message and "`coach index --rebuild`" in message and str(small_settings.chroma_dir) in message
    assert damaged_copies(small_settings.data_dir) == []  # without being asked, nothing is moved


def test_coach_index_rebuild_moves_a_damaged_folder_aside_and_builds_afresh(
    small_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    clean = index_small(small_settings)
    corrupt(small_settings.chroma_dir, "garbage")
    damaged_bytes = (small_settings.chroma_dir / "chroma.sqlite3").read_bytes()
    cli_env(small_settings, monkeypatch)

    assert main(["index"]) == 2  # plain `coach index` reports it, with the way out
    assert "`coach index --rebuild`" in capsys.readouterr().err

    assert main(["index", "--rebuild"]) == 0
    out, err = capsys.readouterr()
    assert f"{clean} chunks" in out and "Moved the damaged index aside" in err
    [kept] = damaged_copies(small_settings.data_dir)
    assert (kept / "chroma.sqlite3").read_bytes() == damaged_bytes  # the user's data is kept, not deleted
    assert build_coach(small_settings, model=placeholder()).index.count() == clean  # and it opens again


def test_the_app_start_recovers_from_a_damaged_folder_by_itself(
    small_settings: Settings, capsys: pytest.CaptureFixture, wait_until_started
) -> None:
    clean = index_small(small_settings)
    corrupt(small_settings.chroma_dir, "truncated")
    app = serve(small_settings.model_copy(update={"port": 0}), block=False)
    try:
        status = wait_until_started(app.local_url)  # the page is up at once; the index is recovered behind it
        out, err = capsys.readouterr()
        assert f"Index: {clean} passages" in status
        assert "is damaged" in err and "Moved the damaged index aside" in err
        assert f"{clean} chunks" in out
    finally:
        app.close()
    assert len(damaged_copies(small_settings.data_dir)) == 1
    assert build_coach(small_settings, model=placeholder()).index.count() == clean


def test_a_chroma_server_that_cannot_be_opened_is_reported_not_moved(small_settings: Settings) -> None:
    settings = small_settings.model_copy(update={"chroma_url": "http://127.0.0.1:9"})  # discard port: nothing there
    with pytest.raises(StoreError) as caught:
        build_coach(settings, model=placeholder(), recover=True)
    assert not isinstance(caught.value, StoreDamaged) and "http://127.0.0.1:9" in str(caught.value)
    assert not small_settings.data_dir.exists()


def run_without_root_powers(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """Run as root without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH, so file permissions apply as to any user."""
    drop = "-dac_override,-dac_read_search"
    return subprocess.run(
        ["setpriv", f"--bounding-set={drop}", f"--inh-caps={drop}", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("existing", [False, True], ids=["new-store", "existing-store"])
def test_a_read_only_data_folder_exits_2_naming_the_folder_with_no_traceback(
    small_settings: Settings, existing: bool
) -> None:
    data = small_settings.data_dir
    if existing:
        index_small(small_settings)
    else:
        data.mkdir(parents=True)
    for folder, _, files in os.walk(data):
        os.chmod(folder, 0o555)
        for name in files:
            os.chmod(Path(folder) / name, 0o444)
    try:
        env = {"COACH_DATA_DIR": str(data), "COACH_KNOWLEDGE_DIR": str(small_settings.knowledge_dir)}
        result = run_without_root_powers(
            [sys.executable, "-m", "coach.cli", "index"], {**env, "COACH_PROVIDER": "fake"}, data.parent
        )
    finally:
        for folder, _, _ in os.walk(data):
            os.chmod(folder, 0o755)
    assert result.returncode == 2, result.stderr
    where = str(small_settings.chroma_dir if existing else data)
    assert f"The index folder {where} is not writable" in result.stderr
    assert "Traceback" not in result.stderr


FILL_AND_REPAIR = textwrap.dedent(
    """
    import os, subprocess, sys
    from pathlib import Path
    from coach.llm.fake import MockChatModel
    from coach.errors import StoreError
    from coach.service import build_coach
    from coach.settings import Settings

    mount, knowledge = Path(sys.argv[1]), sys.argv[2]
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount)], check=True)
    settings = Settings(data_dir=mount / "data", knowledge_dir=knowledge, provider="fake", _env_file=None)
    try:
        build_coach(settings, model=MockChatModel()).sync()
        print("FULL-DISK-NOT-HIT")
    except StoreError as exc:
        print("FIRST:", exc)
    subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)  # space freed
    # the next run is a new process, as `coach index` would be
    code = "from coach.cli import main; raise SystemExit(main(['index']))"
    env = {"COACH_DATA_DIR": str(mount / "data"), "COACH_KNOWLEDGE_DIR": knowledge, "COACH_PROVIDER": "fake"}
    second = subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, capture_output=True, text=True)
    print("SECOND:", second.returncode, second.stdout)
    """
)


def test_a_full_disk_while_indexing_says_so_and_the_next_run_repairs_the_index(
    tmp_path: Path, indexed_store: Path
) -> None:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    args = [str(mount), str(KNOWLEDGE)]
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", sys.executable, "-c", FILL_AND_REPAIR, *args],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    first = out.split("FIRST:", 1)[1].split("SECOND:", 1)[0] if "FIRST:" in out else out
    assert "The disk is full while indexing into" in first and "run `coach index` again" in first, out
    clean = build_coach(Settings(data_dir=indexed_store, knowledge_dir=KNOWLEDGE, provider="fake", _env_file=None))
    second = out.split("SECOND:", 1)[1]
    assert second.startswith(" 0 "), out
    assert f"{clean.index.count()} chunks from" in second  # the same count as a clean build
    assert "repaired an index left half-built" in second


def test_an_index_rebuild_never_touches_the_journal(
    small_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    index_small(small_settings)
    with Journal(small_settings.journal_file) as journal:
        journal.add_goal("local", "Find a mentor in data engineering")
    before = hashlib.sha256(small_settings.journal_file.read_bytes()).hexdigest()
    siblings = {p.name for p in small_settings.data_dir.iterdir()}

    corrupt(small_settings.chroma_dir, "garbage")
    cli_env(small_settings, monkeypatch)
    assert main(["index", "--rebuild"]) == 0  # moves the damaged index aside
    assert main(["index", "--rebuild"]) == 0  # and a rebuild of a healthy index
    capsys.readouterr()

    assert hashlib.sha256(small_settings.journal_file.read_bytes()).hexdigest() == before
    assert {p.name for p in small_settings.data_dir.iterdir()} - siblings == {
        damaged_copies(small_settings.data_dir)[0].name
    }
    with Journal(small_settings.journal_file) as journal:
        assert [g.text for g in journal.list_goals("local")] == ["Find a mentor in data engineering"]
