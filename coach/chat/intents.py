"""Intent by meaning: a small logistic regression over the sentence embedding of a message plus its words.

Trained at load on the labelled utterances in data/intents.jsonl. Their embeddings are computed once and cached in a
.npy file named after the data file's hash, so a start costs a file read and a fit, never 355 embeddings.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import zlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from coach.chat.router import Intent

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    Embed = Callable[[list[str]], Sequence[np.ndarray]]

DATA = resources.files("coach.chat") / "data" / "intents.jsonl"
WORD_DIMS = 512  # hashed words and word pairs: typed keywords ("agenda", "overdue") the embedding blurs
STEPS, RATE, SCALE, L2 = 400, 0.5, 10.0, 1e-3
TEMPERATURE = 2.0  # the fit is sharp on its own examples; softer probabilities make "unsure" mean something
UNSURE_BELOW = 0.5  # top probability under this: answer, and offer the tools as suggestions


@dataclass(frozen=True)
class Guess:
    intent: Intent
    confidence: float
    ranked: list[tuple[Intent, float]]  # every intent, most likely first

    @property
    def unsure(self) -> bool:
        return self.confidence < UNSURE_BELOW


def load_examples(text: str | None = None) -> list[tuple[str, Intent]]:
    """The labelled utterances; a line with an unknown intent is an error in the package data."""
    rows = [json.loads(line) for line in (text or DATA.read_text(encoding="utf-8")).splitlines() if line.strip()]
    return [(row["text"], Intent(row["intent"])) for row in rows]


def word_features(texts: Sequence[str]) -> np.ndarray:
    features = np.zeros((len(texts), WORD_DIMS), np.float32)
    for row, text in enumerate(texts):
        words = re.findall(r"[a-z0-9']+", text.lower())
        for token in words + [f"{a} {b}" for a, b in itertools.pairwise(words)]:
            features[row, zlib.crc32(token.encode()) % WORD_DIMS] = 1.0
    return features / np.clip(np.linalg.norm(features, axis=1, keepdims=True), 1e-9, None)


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def fit(features: np.ndarray, labels: np.ndarray, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by plain gradient descent (a few hundred rows: no library needed)."""
    weights, bias = np.zeros((features.shape[1], classes)), np.zeros(classes)
    target = np.eye(classes)[labels]
    for _ in range(STEPS):
        error = (softmax(features @ weights * SCALE + bias) - target) / len(labels)
        weights -= RATE * (SCALE * features.T @ error + L2 * weights)
        bias -= RATE * error.sum(axis=0)
    return weights, bias


def cached_model(
    texts: list[str], labels: np.ndarray, embed: Embed, key: str, folders: Sequence[Path]
) -> dict[str, np.ndarray]:
    """The fitted weights from the first folder holding `intents-<key>.npz`, else embedded, fitted and saved to the
    first folder that can be written (the package folder ships them: fitting takes seconds on a busy machine)."""
    name = f"intents-{key}.npz"
    for folder in folders:
        if (folder / name).is_file():
            return dict(np.load(folder / name))
    vectors = np.asarray(embed(texts), dtype=np.float64)
    weights, bias = fit(np.hstack([vectors, word_features(texts)]), labels, len(Intent))
    model = {"weights": weights.astype(np.float32), "bias": bias.astype(np.float32)}
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            np.savez(folder / name, **model)
            break
        except OSError:
            continue
    return model


class IntentClassifier:
    """Which tool a message asks for, with a probability; ASK when it is a question for the guidance."""

    def __init__(self, embed: Embed, cache_dir: Path | None = None, data: str | None = None) -> None:
        text = data or DATA.read_text(encoding="utf-8")
        examples = load_examples(text)
        self.embed = embed
        self.classes = list(Intent)
        texts = [t for t, _ in examples]
        key = hashlib.sha256(f"{text}{WORD_DIMS}{STEPS}{RATE}{SCALE}{L2}".encode()).hexdigest()[:12]
        folders = [Path(str(DATA)).parent] + ([cache_dir] if cache_dir else [])
        labels = np.array([self.classes.index(i) for _, i in examples])
        model = cached_model(texts, labels, embed, key, folders if data is None else folders[1:])
        self.weights, self.bias = model["weights"], model["bias"]

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.asarray(self.embed(list(texts)), dtype=np.float32)
        logits = np.hstack([vectors, word_features(texts)]) @ self.weights * SCALE + self.bias
        return softmax(logits / TEMPERATURE)

    def guess(self, text: str, prior: Intent | None = None) -> Guess:
        """The likeliest intent; `prior` (an unambiguous keyword rule) moves half the weight onto its intent."""
        probs = self.probabilities([text])[0]
        if prior is not None:
            probs = 0.5 * probs + 0.5 * np.eye(len(self.classes))[self.classes.index(prior)]
        ranked = sorted(zip(self.classes, probs.tolist(), strict=True), key=lambda p: -p[1])
        return Guess(ranked[0][0], ranked[0][1], ranked)
