"""Meaning beside the lexicon: how close each of a user's sentences is to short example sentences per signal
(exemplars.yaml), with the built-in MiniLM embedding. Example vectors are computed once per process; each sentence
is embedded once, on its own (so its vector never depends on what else was in the batch: feedback stays byte for
byte the same), and kept for later turns. Without the embedding model the lexicon alone decides."""

from __future__ import annotations

import logging
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, Field, RootModel

if TYPE_CHECKING:
    import numpy as np

    from coach.guidance.embedding import LocalMiniLM

log = logging.getLogger(__name__)
_SENTENCES_KEPT = 4096


class Exemplars(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threshold: float = Field(gt=0, lt=1)
    phrases: list[str] = Field(min_length=2)


class ExemplarFile(RootModel[dict[str, Exemplars]]):
    """Signal name -> its threshold and example sentences."""


@cache
def exemplars() -> dict[str, Exemplars]:
    text = (resources.files("coach.tools.detect") / "exemplars.yaml").read_text(encoding="utf-8")
    return ExemplarFile.model_validate(yaml.safe_load(text)).root


@cache
def _embedder() -> LocalMiniLM:
    from coach.guidance.embedding import LocalMiniLM  # lazily: chromadb is heavy and the page must start fast

    return LocalMiniLM()


_vectors: dict[str, np.ndarray] = {}


def _vector(text: str) -> np.ndarray:
    if text not in _vectors:
        if len(_vectors) >= _SENTENCES_KEPT:
            _vectors.clear()
        _vectors[text] = _embedder()._forward([text], batch_size=1)[0]
    return _vectors[text]


@cache
def _examples(signal: str) -> np.ndarray:
    import numpy as np

    return np.stack([_vector(p) for p in exemplars()[signal].phrases])


def closeness(texts: list[str]) -> dict[str, list[float]]:
    """Signal -> each text's highest similarity to the signal's examples, rounded to 3 places; {} without a model."""
    try:
        vectors = [_vector(t) for t in texts]
        return {signal: [round(float((_examples(signal) @ v).max()), 3) for v in vectors] for signal in exemplars()}
    except Exception as exc:  # a missing or broken model must not stop feedback: the lexicon still scores
        log.warning("detectors: no sentence embeddings (%s); using the lexicon only", type(exc).__name__)
        return {}


def threshold(signal: str) -> float:
    return exemplars()[signal].threshold


def forget() -> None:
    """Drop the kept sentence vectors (the examples' stay): the next reading embeds every sentence afresh."""
    _vectors.clear()
