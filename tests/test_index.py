"""The Chroma index on disk: incremental sync, reopening, repair after a killed run, and search."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from pathlib import Path

import pytest

from coach.chunking import chunk_file
from coach.index import GuidanceIndex, open_client
from coach.knowledge import load_folder
from coach.retrieval import Retriever

CHILD_SYNC = """
import sys
from pathlib import Path
from coach.index import GuidanceIndex, open_client
from coach.settings import Settings

store, folder = Path(sys.argv[1]), Path(sys.argv[2])
settings = Settings(data_dir=store, knowledge_dir=folder, provider="fake", _env_file=None)
index = GuidanceIndex(open_client(settings, store), settings.collection)
index.sync(folder, lambda done, total: print(f"{done}/{total}", flush=True))
"""

REOPEN = """
import json, sys
import chromadb
from chromadb.config import Settings
from coach.embedding import LocalMiniLM

client = chromadb.PersistentClient(path=sys.argv[1], settings=Settings(anonymized_telemetry=False))
collection = client.get_collection(sys.argv[2])
found = collection.query(query_texts=["my mentor keeps cancelling"], n_results=1)
is_local = isinstance(collection.configuration["embedding_function"], LocalMiniLM)
print(json.dumps({"is_local_minilm": is_local, "top_source": found["metadatas"][0][0]["source"]}))
"""


@pytest.fixture
def open_index(settings, embedder):
    """Open (or create) the guidance collection in a Chroma folder on disk."""

    def open_(store: Path) -> GuidanceIndex:
        return GuidanceIndex(open_client(settings, store), settings.collection, embedder)

    return open_


def chunk_count(path: Path, root: Path, embedder) -> int:
    file = next(f for f in load_folder(root).files if f.source == path.relative_to(root).as_posix())
    return len(chunk_file(file, embedder.count_tokens))


def documents_of(index: GuidanceIndex, source: str) -> list[str]:
    return index.collection.get(where={"source": source}, include=["documents"])["documents"]


def test_first_sync_embeds_every_chunk(tmp_path, open_index, small_knowledge, embedder):
    report = open_index(tmp_path / "store").sync(small_knowledge)
    expected = sum(chunk_count(p, small_knowledge, embedder) for p in small_knowledge.iterdir())
    assert report.added == ["busy.md", "sponsor.txt"]
    assert report.chunks_embedded == report.total_chunks == expected == 4


def test_unchanged_files_are_not_reembedded(tmp_path, open_index, small_knowledge):
    index = open_index(tmp_path / "store")
    first = index.sync(small_knowledge)
    again = index.sync(small_knowledge)
    assert again.chunks_embedded == 0
    assert again.unchanged == ["busy.md", "sponsor.txt"]
    assert again.added == again.updated == again.removed == []
    assert again.total_chunks == first.total_chunks
    assert again.repaired is False


def test_editing_a_file_reembeds_only_that_file(tmp_path, open_index, small_knowledge, embedder):
    index = open_index(tmp_path / "store")
    index.sync(small_knowledge)
    busy = small_knowledge / "busy.md"
    busy.write_text(busy.read_text().replace("fifteen minutes", "ten minutes on a video call"), encoding="utf-8")

    report = index.sync(small_knowledge)

    assert report.updated == ["busy.md"]
    assert report.unchanged == ["sponsor.txt"]
    assert report.chunks_embedded == chunk_count(busy, small_knowledge, embedder)
    stored = documents_of(index, "busy.md")
    assert any("ten minutes on a video call" in d for d in stored)
    assert not any("fifteen" in d for d in stored)
    hits = Retriever(index).search("fifteen minutes check-ins", k=10)
    assert hits and not any("fifteen" in h.text for h in hits)


def test_deleting_a_file_removes_its_chunks(tmp_path, open_index, small_knowledge, embedder):
    index = open_index(tmp_path / "store")
    index.sync(small_knowledge)
    busy_chunks = chunk_count(small_knowledge / "busy.md", small_knowledge, embedder)
    (small_knowledge / "sponsor.txt").unlink()

    report = index.sync(small_knowledge)

    assert report.removed == ["sponsor.txt"]
    assert report.chunks_embedded == 0
    assert documents_of(index, "sponsor.txt") == []
    assert index.count() == report.total_chunks == busy_chunks


def test_adding_a_file_embeds_only_that_file(tmp_path, open_index, small_knowledge, embedder):
    index = open_index(tmp_path / "store")
    before = index.sync(small_knowledge).total_chunks
    agendas = small_knowledge / "agendas.md"
    agendas.write_text("# Agendas\n\n## Before the meeting\nSend three bullet points a day ahead.\n", encoding="utf-8")

    report = index.sync(small_knowledge)

    assert report.added == ["agendas.md"]
    assert report.unchanged == ["busy.md", "sponsor.txt"]
    assert report.chunks_embedded == chunk_count(agendas, small_knowledge, embedder) == 1
    assert report.total_chunks == before + 1


def test_a_reopened_collection_rebuilds_the_local_model_by_itself(tmp_path, open_index, small_knowledge, settings):
    store = tmp_path / "store"
    open_index(store).sync(small_knowledge)
    done = subprocess.run(
        [sys.executable, "-c", REOPEN, str(store), settings.collection],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"is_local_minilm": True, "top_source": "busy.md"}


def write_big_knowledge(folder: Path, files: int = 60, sections: int = 9) -> Path:
    """Nine sections a file, so the 64-chunk batches end mid-file and a kill leaves a file half-stored."""
    folder.mkdir()
    for f in range(files):
        body = "before each meeting the mentee prepares one question, a short update and a next step."
        parts = [f"# Topic {f}\n"] + [f"## Part {s}\n\nTopic {f}, part {s}: {body}\n" for s in range(sections)]
        (folder / f"topic-{f:02d}.md").write_text("\n".join(parts), encoding="utf-8")
    return folder


def stored_by_source(index: GuidanceIndex) -> dict[str, list[dict]]:
    stored = index.collection.get(include=["metadatas"])
    by_source: dict[str, list[dict]] = defaultdict(list)
    for chunk_id, meta in zip(stored["ids"], stored["metadatas"], strict=True):
        by_source[meta["source"]].append({"id": chunk_id, **meta})
    return by_source


def kill_sync_midway(tmp_path: Path, store: Path, folder: Path) -> list[str]:
    """Run a sync in a child process and SIGKILL it once its progress shows it part-way through."""
    script = tmp_path / "child_sync.py"
    script.write_text(CHILD_SYNC, encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(script), str(store), str(folder)], stdout=subprocess.PIPE, text=True)
    watchdog = threading.Timer(120, child.kill)
    watchdog.start()
    lines: list[str] = []
    killed = False
    try:
        for line in child.stdout:
            lines.append(line.strip())
            progress = re.fullmatch(r"(\d+)/(\d+)", line.strip())
            if progress and 0 < int(progress[1]) < int(progress[2]):
                child.send_signal(signal.SIGKILL)
                killed = True
                break
    finally:
        watchdog.cancel()
        child.wait()
        child.stdout.close()
    assert killed and child.returncode == -signal.SIGKILL, f"the sync was not killed part-way; progress was {lines}"
    return lines


def test_an_index_left_half_built_by_a_killed_process_is_repaired(tmp_path, open_index):
    folder = write_big_knowledge(tmp_path / "big")
    store = tmp_path / "killed"
    kill_sync_midway(tmp_path, store, folder)

    index = open_index(store)
    half = stored_by_source(index)
    assert 0 < index.count() < 540
    assert any(len(chunks) < chunks[0]["chunks_in_file"] for chunks in half.values()), "no file was left half-stored"

    report = index.sync(folder)
    clean = open_index(tmp_path / "clean")
    clean_report = clean.sync(folder)

    assert report.repaired is True
    assert report.total_chunks == index.count() == clean_report.total_chunks == 540
    expected = stored_by_source(clean)
    shas = {f.source: f.sha256 for f in load_folder(folder).files}
    for source, chunks in stored_by_source(index).items():
        assert sorted(c["id"] for c in chunks) == sorted(c["id"] for c in expected[source]), source
        assert {c["file_sha256"] for c in chunks} == {shas[source]}, source
        assert {c["chunks_in_file"] for c in chunks} == {len(chunks)}, source
    assert index.sync(folder).repaired is False


def test_search_hits_carry_source_section_text_and_score(tmp_path, open_index, small_knowledge):
    index = open_index(tmp_path / "store")
    index.sync(small_knowledge)

    hits = Retriever(index).search("my mentor keeps cancelling our meetings", k=3)

    assert len(hits) == 3
    top = hits[0]
    assert (top.source, top.section) == ("busy.md", "Busy mentor > When the mentor keeps cancelling")
    assert top.text.startswith("Busy mentor > When the mentor keeps cancelling\n\n")
    assert all(isinstance(h.score, float) and h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_cli_search_json_prints_hits_with_exactly_four_keys(tmp_path, small_knowledge):
    env = {**os.environ, "COACH_KNOWLEDGE_DIR": str(small_knowledge), "COACH_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "coach.cli",
            "search",
            "mentor keeps cancelling",
            "--json",
            "--store",
            str(tmp_path / "s"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    hits = json.loads(done.stdout)
    assert isinstance(hits, list) and len(hits) == 4
    assert all(set(hit) == {"text", "source", "section", "score"} for hit in hits)
    assert hits[0]["source"] == "busy.md"
    assert (tmp_path / "s" / "chroma.sqlite3").is_file()
