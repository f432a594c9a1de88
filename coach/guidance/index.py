"""The Chroma index of the guidance: open it, and keep it in step with the knowledge folder."""

from __future__ import annotations

import contextlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection

from coach.errors import KnowledgeError, StoreDamaged, StoreError
from coach.guidance.chunking import Chunk, chunk_file
from coach.guidance.embedding import LocalMiniLM
from coach.guidance.sources import LoadResult, SourceFile, load_folders
from coach.guidance.store import is_disk_full, is_read_only, no_room, not_writable

Progress = Callable[[int, int], None]
BATCH = 64
STATE_KEY = "coach_state"
REVISION_KEY = "coach_revision"  # a new value on every write, so other processes see that something changed


@dataclass
class SyncReport:
    """What one indexing run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    total_chunks: int = 0
    repaired: bool = False
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = [
            f"{self.total_chunks} chunks from {len(self.added) + len(self.updated) + len(self.unchanged)} files",
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged; {self.chunks_embedded} chunks embedded",
        ]
        if self.repaired:
            parts.append("repaired an index left half-built by an interrupted run")
        parts += [f"warning: {p}" for p in self.problems]
        return "\n".join(parts)


class GuidanceIndex:
    """One Chroma collection of guidance chunks, embedded with the offline MiniLM model."""

    def __init__(self, client: ClientAPI, name: str, embedder: LocalMiniLM | None = None) -> None:
        self.embedder = embedder or LocalMiniLM()
        self.client = client
        self.name = name
        self.writes = 0  # revisions this handle has written: a cache over it refreshes at once after its own syncs
        self._sources_seen: tuple[str | None, int] = (None, 0)  # (revision, number of source files) for the page
        try:
            self.collection: Collection = client.get_or_create_collection(
                name, embedding_function=self.embedder, configuration={"hnsw": {"space": "cosine"}}
            )
        except Exception as exc:
            raise StoreDamaged(
                f"The index collection '{name}' cannot be opened ({exc}). Rebuild it with `coach index --rebuild`."
            ) from exc

    def count(self) -> int:
        return self.collection.count()

    def source_count(self) -> int:
        """How many guidance files the index holds (read once per change of the index)."""
        revision = self.revision()
        if self._sources_seen[0] != revision:
            self._sources_seen = (revision, len(self._stored_files()))
        return self._sources_seen[1]

    def metadata(self) -> dict:
        """The collection's metadata as stored now: the Collection object only caches what it saw when opened.

        Another process (or another coach object) may have synced since; one cheap read (under a millisecond on
        loopback) also picks up a collection that was rebuilt under a new id.
        """
        try:
            self.collection = self.client.get_collection(self.name, embedding_function=self.embedder)
        except Exception as exc:  # deleted by `coach index --rebuild` elsewhere, or the server went away
            raise StoreError(
                f"The index collection '{self.name}' cannot be read ({exc}). Run `coach index` to build it again."
            ) from exc
        return dict(self.collection.metadata or {})

    def revision(self) -> str:
        """Changes whenever any process changes the index; a cache of its contents is fresh while this is equal."""
        return str(self.metadata().get(REVISION_KEY, ""))

    def _state(self) -> str:
        return str(self.metadata().get(STATE_KEY, "ready"))

    def _set_state(self, state: str) -> None:
        self.writes += 1
        self.collection.modify(metadata={STATE_KEY: state, REVISION_KEY: uuid.uuid4().hex})

    def _stored_files(self, owner: str = "") -> dict[str, list[dict]]:
        """Per source file of one owner ("": the shared guidance), the id and metadata of every stored chunk."""
        stored = self.collection.get(include=["metadatas"])
        by_source: dict[str, list[dict]] = defaultdict(list)
        for chunk_id, meta in zip(stored["ids"], stored["metadatas"] or [], strict=True):
            if str((meta or {}).get("owner", "")) == owner:
                by_source[str((meta or {}).get("source", ""))].append({"id": chunk_id, **(meta or {})})
        return by_source

    @staticmethod
    def _is_intact(file: SourceFile, stored: list[dict]) -> bool:
        """True when the stored chunks are all of this exact file version and none is missing."""
        return bool(stored) and all(
            m.get("file_sha256") == file.sha256
            and m.get("chunks_in_file") == len(stored)
            and m.get("index_format") == INDEX_FORMAT
            for m in stored
        )

    def sync(
        self, folders: Path | Sequence[Path] | LoadResult, progress: Progress | None = None, owner: str = ""
    ) -> SyncReport:
        """Bring the index in step with the guidance folders (the first required, the others a user's own and
        optional): embed only new or changed files, drop deleted ones.

        A write that fails (full disk, read-only files) raises StoreError; the index is left marked half-built,
        and the next sync repairs it.
        """
        try:
            if not isinstance(folders, LoadResult):
                folders = load_folders([folders] if isinstance(folders, Path | str) else list(folders))
            return self._sync(folders, progress, owner)
        except (StoreError, KnowledgeError):  # a bad knowledge folder is the user's to fix, not a failed write
            raise
        except Exception as exc:  # chromadb's Rust core reports a failed write as several types, without the cause
            where = self.client.get_settings().persist_directory
            place = where or "the Chroma server"
            if is_disk_full(exc) or (where and no_room(Path(where))):
                raise StoreError(
                    f"The disk is full while indexing into {place} ({exc}). Free some space and run `coach index` "
                    "again: it finishes the half-built index."
                ) from exc
            if is_read_only(exc):
                raise StoreError(not_writable(Path(place), exc)) from exc
            raise StoreError(
                f"Writing the index at {place} failed ({exc}). Run `coach index` again; if it keeps failing, "
                "`coach index --rebuild`."
            ) from exc

    def _sync(self, loaded: LoadResult, progress: Progress | None, owner: str) -> SyncReport:
        report = SyncReport(problems=loaded.problems, repaired=self._state() == "building")
        stored = self._stored_files(owner)
        on_disk = {f.source for f in loaded.files}

        pending: list[tuple[SourceFile, list[Chunk]]] = []
        for file in loaded.files:
            previous = stored.get(file.source, [])
            if self._is_intact(file, previous):
                report.unchanged.append(file.source)
                continue
            (report.updated if previous else report.added).append(file.source)
            pending.append((file, chunk_file(file, self.embedder.count_tokens, owner)))
        stale = [s for s in stored if s not in on_disk]
        report.removed = stale

        if pending or stale:
            self._set_state("building")
            doomed = [m["id"] for s in stale for m in stored[s]]
            doomed += [m["id"] for f, _ in pending for m in stored.get(f.source, [])]
            step = min(5000, self.client.get_max_batch_size())  # a server sets its own limit
            for start in range(0, len(doomed), step):
                self.collection.delete(ids=doomed[start : start + step])
            self._embed(pending, report, progress)
            self._set_state("ready")
        elif report.repaired:
            self._set_state("ready")
        report.total_chunks = self.count()
        return report

    def _embed(
        self, pending: list[tuple[SourceFile, list[Chunk]]], report: SyncReport, progress: Progress | None
    ) -> None:
        # Shortest first across all files: each ONNX batch then holds texts of about one length (little padding).
        rows = sorted((row for _, chunks in pending for row in entries(chunks)), key=lambda r: len(r.embed))
        total = len(rows)
        if progress:
            progress(0, total)
        for start in range(0, total, BATCH):
            batch = rows[start : start + BATCH]
            # upsert, not add: two processes syncing the same folder at once write the same rows, and the
            # second write must replace the first, never fail or keep a stale copy.
            self.collection.upsert(
                ids=[r.id for r in batch],
                documents=[r.document for r in batch],
                metadatas=[r.metadata for r in batch],
                embeddings=self.embedder([r.embed for r in batch]),
            )
            report.chunks_embedded += len(batch)
            if progress:
                progress(report.chunks_embedded, total)


@dataclass(frozen=True)
class Entry:
    """One stored vector. A chunk has a 'text' entry and, when its section lists everyday phrasings, an
    'asked' entry: the same passage found through the way people ask for it."""

    id: str
    document: str
    metadata: dict
    embed: str


ASKED_SUFFIX = "~asked"  # then, for one everyday phrasing alone, its number
WINDOW_SUFFIX = "~w"  # then the window's number
# Bump when what an entry stores changes: entries of another format are embedded again. 6: documents are read with
# their layouts (typed headings, tables, slides, wrapped footers), so a user's earlier uploads are read anew. 7: a
# PDF paragraph records the page it ends on, to be cited at both.
INDEX_FORMAT = 7


def entries(chunks: list[Chunk]) -> list[Entry]:
    """The entries of one file's chunks; every entry records how many the file has, to detect a partial write."""
    count = sum(1 + bool(c.asked) + len(c.phrasings) + len(c.windows) for c in chunks)
    rows = []
    for chunk in chunks:
        meta = chunk.metadata(count)
        meta["index_format"] = INDEX_FORMAT
        rows.append(Entry(chunk.id, chunk.text, {**meta, "view": "text"}, chunk.text))
        if chunk.asked:
            rows.append(Entry(chunk.id + ASKED_SUFFIX, chunk.text, {**meta, "view": "asked"}, chunk.asked_text))
        for n, phrasing in enumerate(chunk.phrasings):
            rows.append(Entry(f"{chunk.id}{ASKED_SUFFIX}{n}", chunk.text, {**meta, "view": "asked"}, phrasing))
        for n, window in enumerate(chunk.windows):
            rows.append(Entry(f"{chunk.id}{WINDOW_SUFFIX}{n}", chunk.text, {**meta, "view": "window"}, window))
    return rows


def rebuild(client: ClientAPI, name: str) -> None:
    """Drop the collection so the next sync embeds everything again."""
    with contextlib.suppress(Exception):  # a missing collection is what we want anyway
        client.delete_collection(name)
