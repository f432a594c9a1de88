"""Find the guidance passages for a question: dense (Chroma) and lexical (BM25) legs fused by RRF."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, replace
from typing import Literal

import bm25s
import Stemmer

from coach.index import ASKED_SUFFIX, GuidanceIndex

Mode = Literal["dense", "bm25", "hybrid"]
RRF_K = 60  # the constant from Cormack et al. (2009); damps the weight of the very top ranks
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


class _LexicalIndex:
    """BM25 over every chunk in the collection, rebuilt when the collection's contents change."""

    def __init__(self) -> None:
        self._stemmer = Stemmer.Stemmer("english")
        self._fingerprint: str | None = None
        self._passages: list[Hit] = []
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
            self._passages = [
                Hit(id=i, text=d, source=str(m.get("source", "")), section=str(m.get("section", "")), score=0.0)
                for i, d, m in zip(stored["ids"], documents, metadatas, strict=True)
            ]
            self._retriever = None
            if documents:
                retriever = bm25s.BM25()
                retriever.index(self._tokens(searchable), show_progress=False)
                self._retriever = retriever
            self._fingerprint = fingerprint

    def search(self, query: str, k: int) -> list[Hit]:
        if self._retriever is None or not self._passages:
            return []
        tokens = self._tokens([query])
        if not tokens[0]:
            return []
        k = min(k, len(self._passages))
        indices, scores = self._retriever.retrieve(tokens, k=k, show_progress=False)
        return [replace(self._passages[i], score=float(s)) for i, s in zip(indices[0], scores[0], strict=True) if s > 0]


class Retriever:
    """Searches one GuidanceIndex; `mode` picks the dense legs, the lexical leg, or all three fused (hybrid)."""

    def __init__(self, index: GuidanceIndex, mode: Mode = "hybrid") -> None:
        self.index = index
        self.mode = mode
        self._lexical = _LexicalIndex()

    def _dense_legs(self, query: str, k: int) -> tuple[list[Hit], list[Hit]]:
        """One vector query, split into the passage-text leg and the everyday-phrasing ('asked') leg."""
        n = min(2 * k, self.index.count())
        if n == 0:
            return [], []
        found = self.index.collection.query(
            query_texts=[query], n_results=n, include=["documents", "metadatas", "distances"]
        )
        legs: dict[str, list[Hit]] = {"text": [], "asked": []}
        for i, d, m, dist in zip(
            found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0], strict=True
        ):
            hit = Hit(
                id=i.removesuffix(ASKED_SUFFIX),
                text=d,
                source=str(m.get("source", "")),
                section=str(m.get("section", "")),
                score=1 - dist,
            )
            legs["asked" if m.get("view") == "asked" else "text"].append(hit)
        return legs["text"][:k], legs["asked"][:k]

    def dense(self, query: str, k: int) -> list[Hit]:
        """Nearest passages by either of their vectors, each passage once at its best score."""
        best: dict[str, Hit] = {}
        for hit in [h for leg in self._dense_legs(query, k) for h in leg]:
            if hit.id not in best or hit.score > best[hit.id].score:
                best[hit.id] = hit
        return sorted(best.values(), key=lambda h: h.score, reverse=True)[:k]

    def lexical(self, query: str, k: int) -> list[Hit]:
        self._lexical.refresh(self.index)
        return self._lexical.search(query, k)

    def search(self, query: str, k: int = 4) -> list[Hit]:
        """The top `k` passages for `query` (empty when the query or the index is empty)."""
        if not query.strip():
            return []
        if self.mode == "dense":
            return self.dense(query, k)
        if self.mode == "bm25":
            return self.lexical(query, k)
        text_leg, asked_leg = self._dense_legs(query, CANDIDATES)
        lexical = self.lexical(query, CANDIDATES)
        fused: dict[str, float] = {}
        by_id: dict[str, Hit] = {}
        for leg in (text_leg, asked_leg, lexical):
            for rank, hit in enumerate(leg):
                fused[hit.id] = fused.get(hit.id, 0.0) + 1.0 / (RRF_K + rank + 1)
                by_id.setdefault(hit.id, hit)
        best = sorted(fused, key=fused.__getitem__, reverse=True)[:k]
        return [replace(by_id[i], score=round(fused[i], 6)) for i in best]
