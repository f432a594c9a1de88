"""Find the guidance passages for a question: dense (Chroma) and lexical (BM25) legs fused by score."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

import bm25s
import numpy as np
import Stemmer

from coach.guidance.expand import Groups, enclosing_sections, section_groups
from coach.guidance.fusion import Ranked, Scores, best_first, fuse, lead
from coach.guidance.index import GuidanceIndex
from coach.guidance.uploads import owner_name

Mode = Literal["dense", "bm25", "hybrid"]
# How long a search trusts its in-memory corpus before reading the collection's revision again (a store round
# trip, about a quarter of a direct query's own cost on disk and more against a server). Another process's sync
# shows within this; a sync through the same GuidanceIndex shows at once.
FRESH_FOR_S = 1.0


@dataclass(frozen=True)
class Hit:
    """One retrieved passage. `score` is higher-is-better (fused rank score in hybrid mode)."""

    id: str
    text: str
    source: str
    section: str
    score: float
    references: str = ""  # citations of the sources behind this passage's claims, one a line
    page: int = 0  # the PDF page the matched text starts on; 0 when the document has no pages
    last_page: int = 0  # the page it ends on, when it runs on over a page break; else 0
    span: str = ""  # the paragraph that matched, when `text` is the larger section around it (small-to-big)
    owner: str = ""  # the user whose own document this is; "" for the shared guidance

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def label(self) -> str:
        where = f"{self.source} › {self.section}" if self.section else self.source
        if self.last_page > self.page:
            return f"{where} › pp. {self.page}–{self.last_page}"
        return f"{where} › p. {self.page}" if self.page else where

    def excerpt(self, width: int = 220) -> str:
        """A short Markdown excerpt of the passage; the span that matched, when known, is in bold."""
        body = self.text.split("\n", 2)[-1] if not self.span else self.span
        short = body if len(body) <= width else body[:width].rsplit(" ", 1)[0] + "…"
        return f"**{' '.join(short.split())}**" if self.span else short


@dataclass(frozen=True)
class Closeness:
    """How near a question comes in meaning (cosine) to the closest passage text and the closest everyday phrasing:
    on the scale every collection shares, unlike the fused scores."""

    text: float
    phrasing: float


@dataclass(frozen=True)
class _Vectors:
    """One dense leg's stored vectors: row n belongs to the passage at `passage[n]` in the snapshot's order."""

    matrix: np.ndarray
    passage: np.ndarray
    owner: np.ndarray


@dataclass(frozen=True)
class _Snapshot:
    """The passages and vectors of one revision of the collection, with a BM25 index over them. Never changed once
    built: a refresh swaps in a new snapshot, so a search running meanwhile keeps a consistent one."""

    revision: str | None = None
    passages: dict[str, Hit] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # passage ids in BM25's document order
    # Per leg ("text": passages and their sentence windows; "asked": everyday phrasings), every stored vector.
    dense: dict[str, _Vectors] = field(default_factory=dict)
    # The lexical leg reads a passage together with its everyday phrasings.
    searchable: list[str] = field(default_factory=list)
    # One BM25 index per set of owners searched together, built on first use: another user's documents must not
    # even change the word statistics a search sees. (owners) -> (positions in `order`, index)
    lexical_indexes: dict[frozenset[str], tuple[list[int], bm25s.BM25]] = field(default_factory=dict)
    owners: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))  # per passage in `order`
    meta: dict[str, dict] = field(default_factory=dict)  # per passage: owner, unit, body_at, position
    groups: Groups = field(default_factory=dict)  # a document's paragraphs by section, for small-to-big

    def allowed(self, owner: str | None) -> set[str]:
        """The owners whose passages a search for `owner` may return: the shared guidance and the owner's own."""
        return {"", owner} if owner else {""}


def _dense_legs_of(stored: dict, position: dict[str, int]) -> dict[str, _Vectors]:
    """Every stored vector of the revision, unit length, grouped by leg: scored exactly in memory, as the BM25 leg
    is, because fusion scales each leg over every passage. One matrix product over the 1,400 vectors of the
    built-in guidance and three documents takes well under a millisecond; asking Chroma for all of them took 12 ms a
    search, 1.6× a plain query (bench/retrieval.py)."""
    by_leg: dict[str, list[tuple[int, str, np.ndarray]]] = {"text": [], "asked": []}
    for entry_id, vector, meta in zip(stored["ids"], stored["embeddings"], stored["metadatas"], strict=True):
        passage = position.get(entry_id.split("~", 1)[0])
        if passage is not None:  # a vector whose passage text is missing cannot be shown: skipped
            by_leg["asked" if meta.get("view") == "asked" else "text"].append(
                (passage, str(meta.get("owner", "")), vector)
            )
    legs = {}
    for leg, rows in by_leg.items():
        matrix = np.array([v for _, _, v in rows], dtype=np.float32) if rows else np.zeros((0, 0), np.float32)
        matrix /= np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)
        legs[leg] = _Vectors(
            matrix, np.array([n for n, _, _ in rows], dtype=np.int64), np.array([o for _, o, _ in rows], dtype=object)
        )
    return legs


class _Corpus:
    """Every passage in the collection, and every vector, held in memory and rebuilt when the collection's revision
    changes: Chroma keeps them (on disk or on a server) and a search scores them here, exactly."""

    def __init__(self, fresh_for: float) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._snapshot = _Snapshot()
        self._lock = threading.Lock()
        self._fresh_for = fresh_for
        self._checked = (-math.inf, -1)  # (monotonic time, the index's write count) when the revision was read

    def tokens(self, texts: list[str]) -> list[list[str]]:
        return bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, return_ids=False, show_progress=False)

    def current(self, index: GuidanceIndex) -> _Snapshot:
        checked_at, writes = self._checked
        now = time.monotonic()
        if writes == index.writes and now - checked_at < self._fresh_for:
            return self._snapshot
        # The write count, then the revision, then the contents: a write in between any of them makes a later
        # search look again rather than keep a stale snapshot. Every sync that changes anything writes a revision.
        self._checked = (now, index.writes)
        revision = index.revision()
        if revision == self._snapshot.revision:
            return self._snapshot
        with self._lock:
            if revision != self._snapshot.revision:
                self._snapshot = self._build(index, revision)
            return self._snapshot

    def _build(self, index: GuidanceIndex, revision: str) -> _Snapshot:
        # One read of every entry: the passages (their "text" entries) and all vectors come from the same revision.
        stored = index.collection.get(include=["documents", "embeddings", "metadatas"])
        stored["metadatas"] = [m or {} for m in stored["metadatas"] or []]
        texts = [n for n, m in enumerate(stored["metadatas"]) if m.get("view") == "text"]
        ids = [stored["ids"][n] for n in texts]
        documents = [stored["documents"][n] for n in texts]
        metadatas = [stored["metadatas"][n] for n in texts]
        passages = {
            i: Hit(
                id=i,
                text=d,
                source=str(m.get("source", "")),
                section=str(m.get("section", "")),
                score=0.0,
                page=int(m.get("page", 0) or 0),
                last_page=int(m.get("last_page", 0) or 0),
                references=str(m.get("references", "")),
                owner=str(m.get("owner", "")),
            )
            for i, d, m in zip(ids, documents, metadatas, strict=True)
        }
        meta = dict(zip(ids, metadatas, strict=True))
        return _Snapshot(
            revision=revision,
            passages=passages,
            order=ids,
            dense=_dense_legs_of(stored, {i: n for n, i in enumerate(ids)}),
            searchable=[f"{d}\n{m.get('asked', '')}" for d, m in zip(documents, metadatas, strict=True)],
            owners=np.array([str(m.get("owner", "")) for m in metadatas], dtype=object),
            meta=meta,
            groups=section_groups(passages, meta),
        )

    def _lexical_index(self, snapshot: _Snapshot, owners: frozenset[str]) -> tuple[list[int], bm25s.BM25] | None:
        if owners not in snapshot.lexical_indexes:
            with self._lock:
                positions = [int(n) for n in np.flatnonzero(np.isin(snapshot.owners, list(owners)))]
                if not positions:
                    return None
                bm25 = bm25s.BM25()
                bm25.index(self.tokens([snapshot.searchable[n] for n in positions]), show_progress=False)
                snapshot.lexical_indexes[owners] = (positions, bm25)
        return snapshot.lexical_indexes[owners]

    def lexical(self, snapshot: _Snapshot, query: str, owner: str | None = None) -> Scores:
        """The BM25 score of every passage `owner` may read that shares a word with `query`."""
        built = self._lexical_index(snapshot, frozenset(snapshot.allowed(owner))) if snapshot.order else None
        tokens = self.tokens([query])[0]
        if built is None or not tokens:
            return {}
        positions, bm25 = built
        scores = bm25.get_scores(tokens)
        return {snapshot.order[positions[n]]: float(s) for n, s in enumerate(scores) if s > 0}


class Retriever:
    """Searches one GuidanceIndex; `mode` picks the dense legs, the lexical leg, or all three fused (hybrid)."""

    def __init__(
        self, index: GuidanceIndex, mode: Mode = "hybrid", fresh_for: float = FRESH_FOR_S, *, expand: bool = True
    ) -> None:
        self.index = index
        self.mode = mode
        self.expand = expand  # small-to-big: a matched paragraph of a document comes back with its section
        self._corpus = _Corpus(fresh_for)
        self._last_query: tuple[str, list] = ("", [])
        self._last_closeness: tuple[tuple[str, str | None], Closeness] | None = None

    def query_vector(self, query: str) -> list:
        """The query's embedding (a one-item batch); the last one is kept, so the answer composer reuses the
        vector this search computed instead of embedding the question twice."""
        last_query, vector = self._last_query
        if query != last_query or not vector:
            vector = self.index.embedder([query])
            self._last_query = (query, vector)
        return vector

    def passages(self) -> list[Hit]:
        """Every passage of the current snapshot, for work done once per corpus (such as sentence vectors)."""
        snapshot = self._corpus.current(self.index)
        return [snapshot.passages[i] for i in snapshot.order]

    def _dense_legs(self, snapshot: _Snapshot, query: str, owner: str | None) -> tuple[Scores, Scores]:
        """The passage-text leg (passages and their sentence windows) and the everyday-phrasing ('asked') leg, each
        passage at its best cosine. Apart, because a section's dozen phrasings would crowd its text out of one leg."""
        if not snapshot.order:
            return {}, {}
        query_vector = np.asarray(self.query_vector(query)[0], dtype=np.float32)
        query_vector /= max(float(np.linalg.norm(query_vector)), 1e-12)
        allowed = sorted(snapshot.allowed(owner))
        legs: list[Scores] = []
        for name in ("text", "asked"):
            vectors = snapshot.dense[name]
            if not len(vectors.passage):  # guidance without everyday phrasings has no second leg
                legs.append({})
                continue
            rows = np.isin(vectors.owner, allowed)
            best = np.full(len(snapshot.order), -np.inf, dtype=np.float32)
            np.maximum.at(best, vectors.passage[rows], vectors.matrix[rows] @ query_vector)
            legs.append({snapshot.order[n]: float(best[n]) for n in np.flatnonzero(np.isfinite(best))})
        text, phrasing = legs
        best_of = Closeness(max(text.values(), default=0.0), max(phrasing.values(), default=0.0))
        self._last_closeness = ((query, owner), best_of)
        return text, phrasing

    def closeness(self, query: str, owner: str | None = None) -> Closeness | None:
        """How near `query` comes to anything `owner` may read: from the last search when it was this one, so it is
        not scored twice. None in BM25 mode, which has no vectors."""
        if self.mode == "bm25" or not query.strip():
            return None
        owner = owner_name(owner) if owner and owner.strip() else None
        last = self._last_closeness
        if last is None or last[0] != (query, owner):
            self._dense_legs(self._corpus.current(self.index), query, owner)
            last = self._last_closeness
        return last[1] if last and last[0] == (query, owner) else None

    def _hits(self, snapshot: _Snapshot, ranked: Ranked, k: int) -> list[Hit]:
        """The top `k` passages of `ranked`, a document's paragraphs inside their sections (small-to-big). The user's
        own documents and the shared guidance rank on one scale. Taking turns, as with rank fusion, cost the uploader's
        common questions recall@3 0.98 → 0.91 and gained nothing overall on their documents once fusion was by score
        (development 0.77 → 0.81, held-out 0.78 → 0.75)."""
        if self.expand:
            return enclosing_sections(snapshot.passages, snapshot.meta, snapshot.groups, ranked, k)
        return [replace(snapshot.passages[i], score=score) for i, score in ranked[:k]]

    def search(self, query: str, k: int = 4, owner: str | None = None) -> list[Hit]:
        """The top `k` passages for `query` (empty when the query or the index is empty): the shared guidance's and,
        given an `owner`, that user's own documents' — never another user's."""
        if not query.strip():
            return []
        owner = owner_name(owner) if owner and owner.strip() else None
        snapshot = self._corpus.current(self.index)
        if self.mode == "bm25":
            return self._hits(snapshot, best_first(self._corpus.lexical(snapshot, query, owner)), k)
        text, phrasing = self._dense_legs(snapshot, query, owner)
        words = self._corpus.lexical(snapshot, query, owner) if self.mode == "hybrid" else None
        ranked = fuse(text, phrasing, words)
        own = {i for i, _ in ranked if snapshot.passages[i].owner} if owner else set()
        return self._hits(snapshot, lead(ranked, own), k)
