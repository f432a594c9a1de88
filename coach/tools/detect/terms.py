"""Whether a text carries a given phrase's content: stemmed content words, minus function words."""

from __future__ import annotations

import re

import Stemmer

from coach.tools.detect.lexicon import STOP_WORDS

_STEMMER = Stemmer.Stemmer("english")
_STOP = set(_STEMMER.stemWords(STOP_WORDS))


def terms(text: str) -> set[str]:
    """The stemmed content words of a text (three letters or more, no function words)."""
    words = [w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2]
    return set(_STEMMER.stemWords(words)) - _STOP


def mentions(text_terms: set[str], key: set[str]) -> bool:
    """True when enough of a phrase's key terms are present (half, at most three)."""
    return len(text_terms & key) >= min(3, (len(key) + 1) // 2)
