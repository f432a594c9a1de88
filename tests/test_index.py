"""The Chroma index, on disk and on a Chroma server alike: incremental sync, reopening, repair after a killed run,
search, and a lexical cache that notices changes made through another handle."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest

from coach.guidance.chunking import chunk_file
from coach.guidance.index import GuidanceIndex, rebuild
from coach.guidance.retrieval import Retriever
from coach.guidance.sources import load_folder
from coach.guidance.store import open_client
from coach.settings import Settings

CHILD_SYNC = """
import json, sys
from pathlib import Path
from coach.guidance.index import GuidanceIndex
from coach.guidance.store import open_client
from coach.settings import Settings

settings = Settings(**json.loads(sys.argv[1]), _env_file=None)
index = GuidanceIndex(open_client(settings), settings.collection)
index.sync(Path(sys.argv[2]), lambda done, total: print(f"{done}/{total}", flush=True))
"""

REOPEN = """
import json, sys
from urllib.parse import urlparse
import chromadb
from chromadb.config import Settings
from coach.guidance.embedding import LocalMiniLM

where, name = sys.argv[1], sys.argv[2]
no_telemetry = Settings(anonymized_telemetry=False)
if where.startswith("http"):
    url = urlparse(where)
    client = chromadb.HttpClient(host=url.hostname, port=url.port, settings=no_telemetry)
else:
    client = chromadb.PersistentClient(path=where, settings=no_telemetry)
collection = client.get_collection(name)
found = collection.query(query_texts=["my mentor keeps cancelling"], n_results=1)
is_local = isinstance(collection.configuration["embedding_function"], LocalMiniLM)
print(json.dumps({"is_local_minilm": is_local, "top_source": found["metadatas"][0][0]["source"]}))
"""


@pytest.fixture
def open_index(embedder):
    """Open (or create) the guidance collection the settings point at: on disk, or on the Chroma server."""

    def open_(settings: Settings) -> GuidanceIndex:
        return GuidanceIndex(open_client(settings), settings.collection, embedder)

    return open_


def chunk_count(path: Path, root: Path, embedder) -> int:
    file = next(f for f in load_folder(root).files if f.source == path.relative_to(root).as_posix())
    return len(chunk_file(file, embedder.count_tokens))


def documents_of(index: GuidanceIndex, source: str) -> list[str]:
    return index.collection.get(where={"source": source}, include=["documents"])["documents"]


def test_first_sync_embeds_every_chunk(store_settings, open_index, small_knowledge, embedder):
    report = open_index(store_settings).sync(small_knowledge)
    expected = sum(chunk_count(p, small_knowledge, embedder) for p in small_knowledge.iterdir())
    assert report.added == ["busy.md", "sponsor.txt"]
    assert report.chunks_embedded == report.total_chunks == expected == 4


def test_unchanged_files_are_not_reembedded(store_settings, open_index, small_knowledge):
    index = open_index(store_settings)
    first = index.sync(small_knowledge)
    again = index.sync(small_knowledge)
    assert again.chunks_embedded == 0
    assert again.unchanged == ["busy.md", "sponsor.txt"]
    assert again.added == again.updated == again.removed == []
    assert again.total_chunks == first.total_chunks
    assert again.repaired is False


def test_editing_a_file_reembeds_only_that_file(store_settings, open_index, small_knowledge, embedder):
    index = open_index(store_settings)
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


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_guidance_without_everyday_phrasings_is_searched_on_its_text(store_settings, open_index, small_knowledge, mode):
    index = open_index(store_settings)
    index.sync(small_knowledge)
    retriever = Retriever(index, mode=mode)

    hits = retriever.search("how often should we meet each month?", k=2)

    assert hits[0].section.endswith("Checking the cadence"), [h.label for h in hits]
    if mode != "bm25":
        assert retriever.closeness("how often should we meet each month?").phrasing == 0.0


def test_deleting_a_file_removes_its_chunks(store_settings, open_index, small_knowledge, embedder):
    index = open_index(store_settings)
    index.sync(small_knowledge)
    busy_chunks = chunk_count(small_knowledge / "busy.md", small_knowledge, embedder)
    (small_knowledge / "sponsor.txt").unlink()

    report = index.sync(small_knowledge)

    assert report.removed == ["sponsor.txt"]
    assert report.chunks_embedded == 0
    assert documents_of(index, "sponsor.txt") == []
    assert index.count() == report.total_chunks == busy_chunks


def test_adding_a_file_embeds_only_that_file(store_settings, open_index, small_knowledge, embedder):
    index = open_index(store_settings)
    before = index.sync(small_knowledge).total_chunks
    agendas = small_knowledge / "agendas.md"
    agendas.write_text("# Agendas\n\n## Before the meeting\nSend three bullet points a day ahead.\n", encoding="utf-8")

    report = index.sync(small_knowledge)

    assert report.added == ["agendas.md"]
    assert report.unchanged == ["busy.md", "sponsor.txt"]
    assert report.chunks_embedded == chunk_count(agendas, small_knowledge, embedder) == 1
    assert report.total_chunks == before + 1


def test_a_reopened_collection_rebuilds_the_local_model_by_itself(store_settings, open_index, small_knowledge):
    """Another process with plain chromadb finds the collection and our registered embedding function: the
    server only stores its name, because vectors are always computed on the client."""
    open_index(store_settings).sync(small_knowledge)
    where = store_settings.chroma_url or str(store_settings.chroma_dir)
    done = subprocess.run(
        [sys.executable, "-c", REOPEN, where, store_settings.collection],
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


def kill_sync_midway(tmp_path: Path, settings: Settings, folder: Path) -> list[str]:
    """Run a sync in a child process and SIGKILL it once its progress shows it part-way through."""
    script = tmp_path / "child_sync.py"
    script.write_text(CHILD_SYNC, encoding="utf-8")
    where = settings.model_dump_json(include={"data_dir", "chroma_url", "collection", "provider"})
    child = subprocess.Popen([sys.executable, str(script), where, str(folder)], stdout=subprocess.PIPE, text=True)
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


def test_an_index_left_half_built_by_a_killed_process_is_repaired(tmp_path, store_backend, open_index):
    folder = write_big_knowledge(tmp_path / "big")
    killed = store_backend("killed")
    kill_sync_midway(tmp_path, killed, folder)

    index = open_index(killed)
    half = stored_by_source(index)
    assert 0 < index.count() < 540
    assert any(len(chunks) < chunks[0]["chunks_in_file"] for chunks in half.values()), "no file was left half-stored"

    report = index.sync(folder)
    clean = open_index(store_backend("clean"))
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


def test_search_hits_carry_source_section_text_and_score(store_settings, open_index, small_knowledge):
    index = open_index(store_settings)
    index.sync(small_knowledge)

    hits = Retriever(index).search("my mentor keeps cancelling our meetings", k=3)

    assert len(hits) == 3
    top = hits[0]
    assert (top.source, top.section) == ("busy.md", "Busy mentor > When the mentor keeps cancelling")
    assert top.text.startswith("Busy mentor > When the mentor keeps cancelling\n\n")
    assert all(isinstance(h.score, float) and h.score > 0 for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_warm_lexical_index_sees_an_edit_made_through_another_handle(store_settings, open_index, small_knowledge):
    """The BM25 cache must notice another process's sync even when the chunk count stays the same."""
    writer = open_index(store_settings)
    before = writer.sync(small_knowledge).total_chunks
    searcher = Retriever(open_index(store_settings), mode="bm25", fresh_for=0)  # reads the revision every search
    assert searcher.search("videoconference", k=4) == []  # builds the cache: the word is nowhere yet
    busy = small_knowledge / "busy.md"
    busy.write_text(busy.read_text().replace("fifteen minutes", "ten minutes by videoconference"), encoding="utf-8")

    report = writer.sync(small_knowledge)

    assert report.updated == ["busy.md"] and report.total_chunks == before, "only the revision stamp changed"
    hits = searcher.search("videoconference", k=4)
    assert [h.source for h in hits] == ["busy.md"]
    assert "ten minutes by videoconference" in hits[0].text


@pytest.mark.parametrize("mode", ["dense", "hybrid"])
def test_dense_hits_carry_the_text_stored_now_after_another_handle_syncs(
    store_settings, open_index, small_knowledge, mode
):
    """Dense hits take their text from the in-memory corpus: it must follow another handle's sync."""
    writer = open_index(store_settings)
    writer.sync(small_knowledge)
    searcher = Retriever(open_index(store_settings), mode=mode, fresh_for=0)
    question = "my mentor keeps cancelling our meetings"
    assert "by videoconference" not in searcher.search(question, k=1)[0].text  # warms the corpus
    busy = small_knowledge / "busy.md"
    busy.write_text(busy.read_text().replace("fifteen minutes", "ten minutes by videoconference"), encoding="utf-8")

    writer.sync(small_knowledge)

    top = searcher.search(question, k=1)[0]
    assert top.source == "busy.md" and "ten minutes by videoconference" in top.text


def test_a_search_trusts_its_corpus_for_a_moment_then_sees_another_handles_sync(
    store_settings, open_index, small_knowledge
):
    writer = open_index(store_settings)
    writer.sync(small_knowledge)
    searcher = Retriever(open_index(store_settings), mode="bm25", fresh_for=0.5)
    assert searcher.search("videoconference", k=4) == []  # reads the revision and builds the corpus
    busy = small_knowledge / "busy.md"
    busy.write_text(busy.read_text().replace("fifteen minutes", "ten minutes by videoconference"), encoding="utf-8")
    writer.sync(small_knowledge)

    assert searcher.search("videoconference", k=4) == [], "within fresh_for the corpus is not read again"
    time.sleep(0.6)
    assert [h.source for h in searcher.search("videoconference", k=4)] == ["busy.md"]


def test_a_sync_through_the_searchers_own_index_shows_at_once(store_settings, open_index, small_knowledge):
    index = open_index(store_settings)
    index.sync(small_knowledge)
    searcher = Retriever(index, mode="hybrid", fresh_for=3600)
    assert all("videoconference" not in h.text for h in searcher.search("videoconference", k=4))
    busy = small_knowledge / "busy.md"
    busy.write_text(busy.read_text().replace("fifteen minutes", "ten minutes by videoconference"), encoding="utf-8")

    index.sync(small_knowledge)

    assert "videoconference" in searcher.search("videoconference", k=1)[0].text


def test_a_search_survives_another_handle_rebuilding_the_collection(store_settings, open_index, small_knowledge):
    writer = open_index(store_settings)
    writer.sync(small_knowledge)
    searcher = Retriever(open_index(store_settings), mode="hybrid", fresh_for=3600)
    assert searcher.search("my mentor keeps cancelling", k=1)[0].source == "busy.md"

    rebuild(writer.client, writer.name)  # a new collection under a new id, as `coach index --rebuild` makes
    open_index(store_settings).sync(small_knowledge)

    assert searcher.search("my mentor keeps cancelling", k=1)[0].source == "busy.md"


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
    # Three, not four: sponsor.txt's two paragraphs come back as one passage, the second shown around the first.
    assert isinstance(hits, list) and len(hits) == 3
    assert all(set(hit) == {"text", "source", "section", "score"} for hit in hits)
    assert hits[0]["source"] == "busy.md"
    assert (tmp_path / "s" / "chroma.sqlite3").is_file()
