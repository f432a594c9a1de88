"""Retrieval quality on a labelled question set: recall@k and MRR, per retrieval mode."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from coach.guidance.retrieval import Hit, Mode, Retriever

BENCH = Path(__file__).resolve().parent.parent / "bench"
# The development set (looked at while building retrieval) and a held-out set written afterwards by someone who
# saw neither it, the sections' everyday phrasings nor the ranking code: a choice must hold up on both.
EVAL_FILE = BENCH / "retrieval_eval.jsonl"
HELDOUT_FILE = BENCH / "retrieval_heldout.jsonl"
EVAL_SETS = {"development": EVAL_FILE, "held-out": HELDOUT_FILE}


@dataclass(frozen=True)
class Question:
    text: str
    relevant: frozenset[str]  # "file.md#Section heading"
    paraphrase: bool


@dataclass(frozen=True)
class Scores:
    mode: str
    recall_at_1: float
    recall_at_3: float
    mrr: float
    questions: int


def load_questions(path: Path = EVAL_FILE) -> list[Question]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [Question(r["question"], frozenset(r["relevant"]), bool(r.get("paraphrase"))) for r in rows]


def label(hit: Hit) -> str:
    """A hit's "file#heading" label: the last part of its section path."""
    return f"{hit.source}#{hit.section.split(' > ')[-1]}"


def evaluate(
    retriever: Retriever, questions: list[Question], mode: Mode, depth: int = 10, owner: str | None = None
) -> Scores:
    """Recall and MRR of `questions` in `mode`, searched as `owner` (their own documents beside the guidance)."""
    previous, retriever.mode = retriever.mode, mode
    try:
        ranks = []
        for question in questions:
            labels = [label(h) for h in retriever.search(question.text, k=depth, owner=owner)]
            ranks.append(next((n for n, lab in enumerate(labels, 1) if lab in question.relevant), None))
    finally:
        retriever.mode = previous
    count = len(questions)
    return Scores(
        mode=mode,
        recall_at_1=sum(r == 1 for r in ranks) / count,
        recall_at_3=sum(r is not None and r <= 3 for r in ranks) / count,
        mrr=sum(1 / r for r in ranks if r) / count,
        questions=count,
    )
