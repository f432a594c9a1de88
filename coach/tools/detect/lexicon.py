"""The phrase patterns the detectors look for, one per signal, read from lexicon.yaml and compiled once."""

from __future__ import annotations

import re
from importlib import resources

import yaml
from pydantic import RootModel


class Lexicon(RootModel[dict[str, list[str] | dict[str, str]]]):
    """Signal name -> its patterns (a list), or for preparation, kind of preparation -> pattern; and stop_words."""


def _load() -> dict[str, list[str] | dict[str, str]]:
    text = (resources.files("coach.tools.detect") / "lexicon.yaml").read_text(encoding="utf-8")
    return Lexicon.model_validate(yaml.safe_load(text)).root


def _rx(parts: list[str] | dict[str, str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.I)


_RAW = _load()
STOP_WORDS: list[str] = list(_RAW.pop("stop_words"))
ASK, TOPIC, VAGUE = _rx(_RAW["ask"]), _rx(_RAW["topic"]), _rx(_RAW["vague"])
REASON, GENERIC_REASON = _rx(_RAW["reason"]), _rx(_RAW["generic_reason"])
OFFER, UPDATE, THANKS = _rx(_RAW["offer"]), _rx(_RAW["update"]), _rx(_RAW["thanks"])
VAGUE_OFFER, OFFER_INTRO = _rx(_RAW["vague_offer"]), _rx(_RAW["offer_intro"])
ADVICE, RESULT, CREDIT = _rx(_RAW["advice"]), _rx(_RAW["result"]), _rx(_RAW["credit"])
ACTION, WHEN, VAGUE_NEXT = _rx(_RAW["action"]), _rx(_RAW["when"]), _rx(_RAW["vague_next"])
FLEXIBLE, BIG_ASK, SMALL_ASK, COMMITMENT = (_rx(_RAW[k]) for k in ("flexible", "big_ask", "small_ask", "commitment"))
PREP: dict[str, re.Pattern[str]] = {name: re.compile(rx, re.I) for name, rx in _RAW["prep"].items()}  # type: ignore[union-attr]
