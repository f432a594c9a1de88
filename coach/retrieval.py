"""Find the guidance passages for a question: dense (Chroma) and lexical (BM25) legs fused by RRF."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, replace
from typing import Literal

import bm25s
import Stemmer

from coach.index import ASKED_SUFFIX, GuidanceIndex

Mode = Literal["dense", "bm25", "hybrid"]
# Lower than the 60 of Cormack et al. (2009), made for long TREC lists: with three legs of 20 candidates a small k
# lets a passage ranked first by one leg count. Any k from 2 to 20 did as well or better than 60 on both the
# development questions and the held-out ones (bench/retrieval_*.jsonl); 10 is in the middle of that range.
RRF_K = 10
CANDIDATES = 20


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


class _Corpus:
    """Every passage in the collection, held in memory with a BM25 index over it; rebuilt when the collection's
    revision changes. Dense hits are looked up here too, so a vector query fetches ids and distances only."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._fingerprint: str | None = None
        self.passages: dict[str, Hit] = {}
        self.vectors = 0  # stored entries: one per passage plus one per passage with everyday phrasings
        self._order: list[str] = []
        self._retriever: bm25s.BM25 | None = None
        self._lock = threading.Lock()

    def _tokens(self, texts: list[str]) -> list[list[str]]:
        return bm25s.tokenize(texts, stopwords="en", stemmer=self._stemmer, return_ids=False, show_progress=False)

    def refresh(self, index: GuidanceIndex) -> None:
        # Read fresh from the store, and before the contents: a write in between makes the next search rebuild
        # again rather than keep a stale index. Every sync that changes anything writes a new revision.
        fingerprint = index.revision()
        if fingerprint == self._fingerprint:
            return
        with self._lock:
            stored = index.collection.get(include=["documents", "metadatas"], where={"view": {"$ne": "asked"}})
            documents = list(stored["documents"] or [])
            metadatas = list(stored["metadatas"] or [])
            # The lexical leg reads a passage together with its everyday phrasings.
            searchable = [f"{d}\n{m.get('asked', '')}" for d, m in zip(documents, metadatas, strict=True)]
            self.passages = {
                i: Hit(id=i, text=d, source=str(m.get("source", "")), section=str(m.get("section", "")), score=0.0)
                for i, d, m in zip(stored["ids"], documents, metadatas, strict=True)
            }
            self.vectors = len(documents) + sum(bool(m.get("asked")) for m in metadatas)
            self._order = list(stored["ids"])
            self._retriever = None
            if documents:
                retriever = bm25s.BM25()
                retriever.index(self._tokens(searchable), show_progress=False)
                self._retriever = retriever
            self._fingerprint = fingerprint

    def search(self, query: str, k: int) -> list[Hit]:
        if self._retriever is None or not self._order:
            return []
        tokens = self._tokens([query])
        if not tokens[0]:
            return []
        k = min(k, len(self._order))
        indices, scores = self._retriever.retrieve(tokens, k=k, show_progress=False)
        return [
            replace(self.passages[self._order[i]], score=float(s))
            for i, s in zip(indices[0], scores[0], strict=True)
            if s > 0
        ]


class Retriever:
    """Searches one GuidanceIndex; `mode` picks the dense legs, the lexical leg, or all three fused (hybrid)."""

    def __init__(self, index: GuidanceIndex, mode: Mode = "hybrid") -> None:
        self.index = index
        self.mode = mode
        self._corpus = _Corpus()

    def _dense_legs(self, query: str, k: int) -> tuple[list[Hit], list[Hit]]:
        """One vector query, split into the passage-text leg and the everyday-phrasing ('asked') leg."""
        n = min(2 * k, self._corpus.vectors)
        if n == 0:
            return [], []
        # Ids and distances only: the passages' text and labels come from the corpus already in memory.
        found = self.index.collection.query(
            query_embeddings=self.index.embedder([query]), n_results=n, include=["distances"]
        )
        legs: dict[str, list[Hit]] = {"text": [], "asked": []}
        for entry_id, distance in zip(found["ids"][0], found["distances"][0], strict=True):
            passage_id = entry_id.removesuffix(ASKED_SUFFIX)
            passage = self._corpus.passages.get(passage_id)
            if passage is None:  # written after this search read the revision: found by the next search
                continue
            legs["asked" if entry_id.endswith(ASKED_SUFFIX) else "text"].append(replace(passage, score=1 - distance))
        return legs["text"][:k], legs["asked"][:k]

    def dense(self, query: str, k: int) -> list[Hit]:
        """Nearest passages by either of their vectors, each passage once at its best score."""
        self._corpus.refresh(self.index)
        best: dict[str, Hit] = {}
        for hit in [h for leg in self._dense_legs(query, k) for h in leg]:
            if hit.id not in best or hit.score > best[hit.id].score:
                best[hit.id] = hit
        return sorted(best.values(), key=lambda h: h.score, reverse=True)[:k]

    def lexical(self, query: str, k: int) -> list[Hit]:
        self._corpus.refresh(self.index)
        return self._corpus.search(query, k)

    def search(self, query: str, k: int = 4) -> list[Hit]:
        """The top `k` passages for `query` (empty when the query or the index is empty)."""
        if not query.strip():
            return []
        if self.mode == "dense":
            return self.dense(query, k)
        if self.mode == "bm25":
            return self.lexical(query, k)
        self._corpus.refresh(self.index)  # once: both legs then read the same revision of the corpus
        text_leg, asked_leg = self._dense_legs(query, CANDIDATES)
        lexical = self._corpus.search(query, CANDIDATES)
        fused: dict[str, float] = {}
        by_id: dict[str, Hit] = {}
        for leg in (text_leg, asked_leg, lexical):
            for rank, hit in enumerate(leg):
                fused[hit.id] = fused.get(hit.id, 0.0) + 1.0 / (RRF_K + rank + 1)
                by_id.setdefault(hit.id, hit)
        best = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
        return [replace(by_id[i], score=round(fused[i], 6)) for i in best]
