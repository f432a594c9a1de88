"""The answer support check on labelled sentences: calibrate on the development lines, report the held-out ones.

bench/support_sentences.jsonl: even line numbers (0, 2, …) are development, odd ones held-out. Each sentence is
checked against the passages of the sections it names, as an answer sentence is against its retrieved passages.
Run `python -m bench.support` to print the calibration grid's best and both halves' figures.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.evaluation import BENCH, label
from coach.chat import support as check
from coach.service import Coach

SUPPORT_FILE = BENCH / "support_sentences.jsonl"


@dataclass(frozen=True)
class Labelled:
    sentence: str
    supported: bool
    kind: str
    similarity: float
    overlap: float

    def score(self, weight: float) -> float:
        return self.similarity + weight * self.overlap


@dataclass(frozen=True)
class Figures:
    precision: float  # of sentences judged supported, the share that are
    recall: float  # of supported sentences, the share judged so
    rejected_unsupported: float  # of unsupported sentences, the share removed
    count: int


def measure(coach: Coach, path: Path = SUPPORT_FILE) -> dict[str, list[Labelled]]:
    """Each labelled sentence's support features, split into 'development' and 'held-out'."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_label: dict[str, list[str]] = {}
    for passage in coach.retriever.passages():
        by_label.setdefault(label(passage), []).append(passage.text)
    vectors = coach.index.embedder([r["sentence"] for r in rows])
    halves: dict[str, list[Labelled]] = {"development": [], "held-out": []}
    for n, (row, vector) in enumerate(zip(rows, vectors, strict=True)):
        texts = [t for source in row["sources"] for t in by_label.get(source, [])]
        if not texts:
            raise ValueError(f"line {n + 1}: no passage for {row['sources']}")
        found = check.support(row["sentence"], np.asarray(vector), coach.sentences.of(texts), texts)
        item = Labelled(row["sentence"], bool(row["supported"]), row.get("kind", ""), found.similarity, found.overlap)
        halves["development" if n % 2 == 0 else "held-out"].append(item)
    return halves


def figures(items: list[Labelled], weight: float = check.WORD_WEIGHT, threshold: float = check.THRESHOLD) -> Figures:
    judged = [(i.score(weight) >= threshold, i.supported) for i in items]
    kept = [truth for said, truth in judged if said]
    supported = [said for said, truth in judged if truth]
    unsupported = [not said for said, truth in judged if not truth]
    return Figures(
        precision=sum(kept) / len(kept) if kept else 1.0,
        recall=sum(supported) / len(supported) if supported else 1.0,
        rejected_unsupported=sum(unsupported) / len(unsupported) if unsupported else 1.0,
        count=len(items),
    )


def calibrate(items: list[Labelled], beta: float = 0.5) -> tuple[float, float]:
    """The (word weight, threshold) with the best F-beta of 'supported' on `items` (the development half only)."""
    best, choice = -1.0, (0.0, 1.0)
    for weight in np.arange(0.0, 1.01, 0.05):
        for threshold in np.arange(0.3, 1.6, 0.01):
            f = figures(items, float(weight), float(threshold))
            if f.precision + f.recall == 0:
                continue
            score = (1 + beta**2) * f.precision * f.recall / (beta**2 * f.precision + f.recall)
            if score > best + 1e-9:
                best, choice = score, (round(float(weight), 2), round(float(threshold), 2))
    return choice


if __name__ == "__main__":
    import tempfile

    from coach.guidance.sources import LIBRARY
    from coach.service import build_coach
    from coach.settings import Settings

    with tempfile.TemporaryDirectory() as data:
        coach = build_coach(Settings(data_dir=Path(data), knowledge_dir=LIBRARY, provider="fake", _env_file=None))
        coach.sync()
        halves = measure(coach)
        print("calibrated on development:", calibrate(halves["development"]))
        for name, items in halves.items():
            print(name, figures(items))
