"""Find the guidance passages for a question: dense (Chroma) and lexical (BM25) legs fused by RRF."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from typing import Literal

import bm25s
import Stemmer

from coach.guidance.index import ASKED_SUFFIX, GuidanceIndex

Mode = Literal["dense", "bm25", "hybrid"]
# Lower than the 60 of Cormack et al. (2009), made for long TREC lists: with three legs of 20 candidates a small k
# lets a passage ranked first by one leg count. Any k from 2 to 20 did as well or better than 60 on both the
# development questions and the held-out ones (bench/retrieval_*.jsonl); 10 is in the middle of that range.
RRF_K = 10
CANDIDATES = 20
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

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def label(self) -> str:
        return f"{self.source} › {self.section}" if self.section else self.source


Ranked = list[tuple[str, float]]  # (passage id, score), best first


@dataclass(frozen=True)
class _Snapshot:
    """The passages of one revision of the collection, with a BM25 index over them. Never changed once built:
    a refresh swaps in a new snapshot, so a search running meanwhile keeps a consistent one."""

    revision: str | None = None
    passages: dict[str, Hit] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # passage ids in BM25's document order
    vectors: int = 0  # stored entries: one per passage plus one per passage with everyday phrasings
    bm25: bm25s.BM25 | None = None


class _Corpus:
    """Every passage in the collection held in memory, rebuilt when the collection's revision changes. Dense hits
    are looked up here too, so a vector query fetches ids and distances only."""

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
        stored = index.collection.get(include=["documents", "metadatas"], where={"view": {"$ne": "asked"}})
        documents = list(stored["documents"] or [])
        metadatas = list(stored["metadatas"] or [])
        ids = list(stored["ids"])
        bm25 = None
        if documents:
            bm25 = bm25s.BM25()
            # The lexical leg reads a passage together with its everyday phrasings.
            searchable = [f"{d}\n{m.get('asked', '')}" for d, m in zip(documents, metadatas, strict=True)]
            bm25.index(self.tokens(searchable), show_progress=False)
        return _Snapshot(
            revision=revision,
            passages={
                i: Hit(id=i, text=d, source=str(m.get("source", "")), section=str(m.get("section", "")), score=0.0)
                for i, d, m in zip(ids, documents, metadatas, strict=True)
            },
            order=ids,
            vectors=len(documents) + sum(bool(m.get("asked")) for m in metadatas),
            bm25=bm25,
        )

    def lexical(self, snapshot: _Snapshot, query: str, k: int) -> Ranked:
        if snapshot.bm25 is None or not snapshot.order:
            return []
        tokens = self.tokens([query])
        if not tokens[0]:
            return []
        found, scores = snapshot.bm25.retrieve(tokens, k=min(k, len(snapshot.order)), show_progress=False)
        return [(snapshot.order[i], float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0]


class Retriever:
    """Searches one GuidanceIndex; `mode` picks the dense legs, the lexical leg, or all three fused (hybrid)."""

    def __init__(self, index: GuidanceIndex, mode: Mode = "hybrid", fresh_for: float = FRESH_FOR_S) -> None:
        self.index = index
        self.mode = mode
        self._corpus = _Corpus(fresh_for)
        self._last_query: tuple[str, list] = ("", [])

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

    def _dense_legs(self, snapshot: _Snapshot, query: str, k: int) -> tuple[Ranked, Ranked]:
        """One vector query, split into the passage-text leg and the everyday-phrasing ('asked') leg."""
        n = min(2 * k, snapshot.vectors)
        if n == 0:
            return [], []
        # Ids and distances only: the passages' text and labels are in the snapshot already.
        embedding = self.query_vector(query)
        try:
            found = self.index.collection.query(query_embeddings=embedding, n_results=n, include=["distances"])
        except Exception:  # rebuilt under a new id by another process since our last look: look it up again
            self.index.metadata()  # raises a StoreError that says what to do when it is really gone
            found = self.index.collection.query(query_embeddings=embedding, n_results=n, include=["distances"])
        text: Ranked = []
        asked: Ranked = []
        for entry_id, distance in zip(found["ids"][0], found["distances"][0], strict=True):
            passage_id = entry_id.removesuffix(ASKED_SUFFIX)
            if passage_id in snapshot.passages:  # else written after the snapshot: the next search finds it
                (asked if entry_id.endswith(ASKED_SUFFIX) else text).append((passage_id, 1 - distance))
        return text[:k], asked[:k]

    @staticmethod
    def _hits(snapshot: _Snapshot, ranked: Ranked) -> list[Hit]:
        return [replace(snapshot.passages[i], score=score) for i, score in ranked]

    def search(self, query: str, k: int = 4) -> list[Hit]:
        """The top `k` passages for `query` (empty when the query or the index is empty)."""
        if not query.strip():
            return []
        snapshot = self._corpus.current(self.index)
        if self.mode == "bm25":
            return self._hits(snapshot, self._corpus.lexical(snapshot, query, k))
        if self.mode == "dense":
            best: dict[str, float] = {}  # each passage once, at the better of its two vectors' scores
            for passage_id, score in [r for leg in self._dense_legs(snapshot, query, k) for r in leg]:
                best[passage_id] = max(score, best.get(passage_id, score))
            return self._hits(snapshot, sorted(best.items(), key=lambda r: r[1], reverse=True)[:k])
        fused: dict[str, float] = {}
        for leg in (*self._dense_legs(snapshot, query, CANDIDATES), self._corpus.lexical(snapshot, query, CANDIDATES)):
            for rank, (passage_id, _) in enumerate(leg):
                fused[passage_id] = fused.get(passage_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        best_ids = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
        return self._hits(snapshot, [(i, round(fused[i], 6)) for i in best_ids])
