"""Is a sentence supported by the passages? Its closest passage sentence by meaning, plus the share of its content
words the passage uses. Calibrated on the development half of bench/support_sentences.jsonl (bench/support.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from coach.guidance.sentence_bank import PassageSentences

# Chosen on the development lines only (even line numbers) by bench/support.py: the weight and threshold with the
# best F0.5 of "supported" there (precision counts double: a kept sentence must be one the guidance gives).
WORD_WEIGHT = 0.9
THRESHOLD = 1.34
_WORD = re.compile(r"[a-z][a-z'-]+")


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) | {"you", "your", "yours", "can", "could", "would", "should", "may", "might"}


def content_words(text: str) -> set[str]:
    words = [w.strip("'-") for w in _WORD.findall(text.lower())]
    return set(_stemmer().stemWords([w for w in words if len(w) > 2 and w not in _stopwords()]))


def _plain(text: str) -> str:
    """Lower-case words only, so a quote matches its passage whatever the quotation marks and spacing."""
    return " ".join(_WORD.findall(text.lower().replace("’", "'")))


@dataclass(frozen=True)
class Support:
    """How well one sentence is supported: `passage` is the 0-based index of the passage that supports it best."""

    similarity: float
    overlap: float
    passage: int

    @property
    def score(self) -> float:
        return self.similarity + WORD_WEIGHT * self.overlap

    @property
    def supported(self) -> bool:
        return self.score >= THRESHOLD


def support(
    sentence: str, vector: np.ndarray, passages: Sequence[PassageSentences], passage_texts: Sequence[str]
) -> Support:
    """How well the passages support `sentence` (its unit vector `vector`): its closest passage sentence, and the
    share of its content words found anywhere in the passages (a paraphrase may draw on two of them). Words the
    guidance itself uses, quoted whole, are supported by definition."""
    quoted = _plain(sentence)
    if len(quoted.split()) >= 3:
        for n, text in enumerate(passage_texts):
            if quoted in _plain(text):
                return Support(1.0, 1.0, n)
    words = content_words(sentence)
    found = set().union(*(content_words(t) for t in passage_texts)) if passage_texts else set()
    overlap = len(words & found) / len(words) if words else 0.0
    best, where = 0.0, 0
    for n, entry in enumerate(passages):
        if len(entry.vectors):
            similarity = float(np.max(entry.vectors @ vector))
            if similarity > best:
                best, where = similarity, n
    return Support(best, overlap, where)
