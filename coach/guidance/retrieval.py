"""Find the guidance passages for a question: dense (Chroma) and lexical (BM25) legs fused by RRF."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from itertools import zip_longest
from typing import Literal

import bm25s
import numpy as np
import Stemmer

from coach.guidance.expand import Groups, enclosing_sections, section_groups
from coach.guidance.index import GuidanceIndex
from coach.guidance.uploads import owner_name

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
# Vectors fetched per passage wanted: room for a paragraph's sentence windows, or a section's many phrasings.
ENTRIES_PER_PASSAGE = 6


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
    span: str = ""  # the paragraph that matched, when `text` is the larger section around it (small-to-big)

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def label(self) -> str:
        where = f"{self.source} › {self.section}" if self.section else self.source
        return f"{where} › p. {self.page}" if self.page else where

    def excerpt(self, width: int = 220) -> str:
        """A short Markdown excerpt of the passage; the span that matched, when known, is in bold."""
        body = self.text.split("\n", 2)[-1] if not self.span else self.span
        short = body if len(body) <= width else body[:width].rsplit(" ", 1)[0] + "…"
        return f"**{' '.join(short.split())}**" if self.span else short


Ranked = list[tuple[str, float]]  # (passage id, score), best first


@dataclass(frozen=True)
class Closeness:
    """How near a question comes in meaning (cosine) to the closest passage text and the closest everyday phrasing:
    on the scale every collection shares, unlike the fused rank scores."""

    text: float
    phrasing: float


@dataclass(frozen=True)
class _Snapshot:
    """The passages of one revision of the collection, with a BM25 index over them. Never changed once built:
    a refresh swaps in a new snapshot, so a search running meanwhile keeps a consistent one."""

    revision: str | None = None
    passages: dict[str, Hit] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # passage ids in BM25's document order
    vectors: int = 0  # stored entries: one per passage plus one per passage with everyday phrasings
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


def _entries_of(meta: dict) -> int:
    """How many vectors one passage has: its text, its phrasings together and apart, its sentence windows."""
    return 1 + bool(meta.get("asked")) + int(meta.get("phrasings", 0) or 0) + int(meta.get("windows", 0) or 0)


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
        stored = index.collection.get(include=["documents", "metadatas"], where={"view": "text"})
        documents = list(stored["documents"] or [])
        metadatas = list(stored["metadatas"] or [])
        ids = list(stored["ids"])
        passages = {
            i: Hit(
                id=i,
                text=d,
                source=str(m.get("source", "")),
                section=str(m.get("section", "")),
                score=0.0,
                page=int(m.get("page", 0) or 0),
                references=str(m.get("references", "")),
            )
            for i, d, m in zip(ids, documents, metadatas, strict=True)
        }
        meta = dict(zip(ids, metadatas, strict=True))
        return _Snapshot(
            revision=revision,
            passages=passages,
            order=ids,
            vectors=sum(_entries_of(m) for m in metadatas),
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

    def lexical(self, snapshot: _Snapshot, query: str, k: int, owner: str | None = None) -> Ranked:
        built = self._lexical_index(snapshot, frozenset(snapshot.allowed(owner))) if snapshot.order else None
        if built is None:
            return []
        tokens = self.tokens([query])
        if not tokens[0]:
            return []
        positions, bm25 = built
        found, scores = bm25.retrieve(tokens, k=min(k, len(positions)), show_progress=False)
        return [(snapshot.order[positions[i]], float(s)) for i, s in zip(found[0], scores[0], strict=True) if s > 0]


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

    def _query(self, embedding, n: int, where: dict) -> dict:
        try:
            return self.index.collection.query(
                query_embeddings=embedding, n_results=n, include=["distances"], where=where
            )
        except Exception:  # rebuilt under a new id by another process since our last look: look it up again
            self.index.metadata()  # raises a StoreError that says what to do when it is really gone
            return self.index.collection.query(
                query_embeddings=embedding, n_results=n, include=["distances"], where=where
            )

    def _dense_legs(self, snapshot: _Snapshot, query: str, k: int, owner: str | None) -> tuple[Ranked, Ranked]:
        """Two vector queries: the passage-text leg (passages and their sentence windows) and the everyday-phrasing
        ('asked') leg. Apart, because a section's dozen phrasing vectors would crowd the text out of one query."""
        n = min(ENTRIES_PER_PASSAGE * k, snapshot.vectors)
        if n == 0:
            return [], []
        # Ids and distances only: the passages' text and labels are in the snapshot already.
        embedding = self.query_vector(query)
        owners = {"owner": {"$in": sorted(snapshot.allowed(owner))}}
        legs: tuple[Ranked, Ranked] = ([], [])
        for leg, views in zip(legs, (["text", "window"], ["asked"]), strict=True):
            found = self._query(embedding, n, {"$and": [owners, {"view": {"$in": views}}]})
            for entry_id, distance in zip(found["ids"][0], found["distances"][0], strict=True):
                passage_id = entry_id.split("~", 1)[0]
                # A passage written after the snapshot is skipped (the next search finds it); one passage ranks once
                # per leg, at its best-scoring vector.
                if passage_id in snapshot.passages and all(passage_id != seen for seen, _ in leg):
                    leg.append((passage_id, 1 - distance))
        best = Closeness(legs[0][0][1] if legs[0] else 0.0, legs[1][0][1] if legs[1] else 0.0)
        self._last_closeness = ((query, owner), best)
        return legs[0][:k], legs[1][:k]

    def closeness(self, query: str, owner: str | None = None) -> Closeness | None:
        """How near `query` comes to anything `owner` may read: from the last search when it was this one, so no
        store round trip is repeated. None in BM25 mode, which has no vectors."""
        if self.mode == "bm25" or not query.strip():
            return None
        owner = owner_name(owner) if owner and owner.strip() else None
        last = self._last_closeness
        if last is None or last[0] != (query, owner):
            self._dense_legs(self._corpus.current(self.index), query, 1, owner)
            last = self._last_closeness
        return last[1] if last and last[0] == (query, owner) else None

    def _hits(self, snapshot: _Snapshot, ranked: Ranked, k: int, owner: str | None = None) -> list[Hit]:
        """The top `k` passages of `ranked`. With an `owner` who has documents among the candidates, their documents
        and the shared guidance take turns, theirs first when their best passage ranks within the top `k` anyway: a
        document the user chose (their organisation's handbook) answers its own rules better than general advice,
        and the general advice keeps every other place. On the blind documents' development half this took recall@3
        from 0.61 to 0.69, while the uploader's common questions keep recall@3 0.84 (0.875 without documents);
        always theirs first gave 0.72 on the documents but cut the uploader's common questions to 0.72
        (docs/benchmarks.md)."""
        if owner and any(snapshot.meta[i].get("owner") == owner for i, _ in ranked):
            own = [r for r in ranked if snapshot.meta[r[0]].get("owner") == owner]
            shared = [r for r in ranked if snapshot.meta[r[0]].get("owner") != owner]
            first, second = (own, shared) if ranked.index(own[0]) < k else (shared, own)
            lists = [self._hits(snapshot, first, k), self._hits(snapshot, second, k)]
            merged = [h for pair in zip_longest(*lists) for h in pair if h is not None]
            return merged[:k]
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
        # Several paragraphs of one section collapse into one hit when expanded: look a little deeper.
        depth = 3 * k if self.expand else k
        if self.mode == "bm25":
            return self._hits(snapshot, self._corpus.lexical(snapshot, query, depth, owner), k, owner)
        dense = self._dense_legs(snapshot, query, max(depth, CANDIDATES) if self.mode == "dense" else CANDIDATES, owner)
        # Dense alone fuses its two legs by rank too: a single phrasing's cosine is not on the scale of a passage's.
        legs = dense if self.mode == "dense" else (*dense, self._corpus.lexical(snapshot, query, CANDIDATES, owner))
        fused: dict[str, float] = {}
        for leg in legs:
            for rank, (passage_id, _) in enumerate(leg):
                fused[passage_id] = fused.get(passage_id, 0.0) + 1.0 / (RRF_K + rank + 1)
        best_ids = sorted(fused, key=fused.__getitem__, reverse=True)
        return self._hits(snapshot, [(i, round(fused[i], 6)) for i in best_ids], k, owner)
