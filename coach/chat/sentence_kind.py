"""What kind of advice a guidance sentence is: a concrete action, or one that leans on the sentence before it.

The word lists are package data (data/compose.json), checked when loaded.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")


class Vocabulary(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    action_verbs: frozenset[str] = Field(min_length=10, description="First words of a sentence that gives an action.")
    context_openers: frozenset[str] = Field(min_length=1, description="First words that refer back to an earlier one.")
    condition_openers: frozenset[str] = Field(
        min_length=1, description="First words of a condition ('If they do not reply, wait…'): the action follows."
    )


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    text = resources.files("coach.chat").joinpath("data/compose.json").read_text(encoding="utf-8")
    return Vocabulary.model_validate(json.loads(text))


def _first_word(text: str) -> str:
    found = _WORD.search(text)
    return found.group(0).lower() if found else ""


def is_action(text: str) -> bool:
    """True for 'Offer a shorter call.' and 'If they do not reply, wait a week.', not for 'Many mentors accept.'"""
    words = vocabulary()
    first = _first_word(text)
    if first in words.action_verbs:
        return True
    if first in words.condition_openers and "," in text:
        return _first_word(text.split(",", 1)[1]) in words.action_verbs
    if ":" in text:  # "Flexibility is the key: make the mentorship lighter…"
        return _first_word(text.split(":", 1)[1]) in words.action_verbs
    return False


def leans_on_context(text: str) -> bool:
    """True when the sentence opens by pointing back ('It also gives you…'), so it does not stand on its own."""
    return _first_word(text) in vocabulary().context_openers
