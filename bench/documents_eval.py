"""Retrieval on documents nobody designed for this app (bench/documents: a PDF handbook, a plain-text essay, an HTML
FAQ), uploaded as one user's own guidance beside the built-in guidance. A hit counts when its text contains the
answer span (whitespace collapsed). Even lines of the question file are for development, odd lines held out."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from bench.evaluation import BENCH
from coach.guidance.retrieval import Retriever
from coach.guidance.uploads import add_documents

DOCUMENTS = BENCH / "documents"
QUESTIONS_FILE = BENCH / "documents_questions.jsonl"
COMMON_FILE = BENCH / "common_questions.jsonl"
# 56 more, written later by someone who saw neither the ranking code nor the first set; never tuned on.
COMMON_HELD_OUT_FILE = BENCH / "common_questions_heldout.jsonl"
OWNER = "reader"
# What each mode is: (retrieval mode, small-to-big expansion).
CONTENDERS = {
    "dense": ("dense", False),
    "bm25": ("bm25", False),
    "hybrid": ("hybrid", False),
    "small-to-big (hybrid)": ("hybrid", True),
}


@dataclass(frozen=True)
class SpanQuestion:
    text: str
    doc: str
    answer_span: str
    page: int | None


def load_span_questions(part: str = "all") -> list[SpanQuestion]:
    """`part` is "development" (even lines), "held-out" (odd lines) or "all"."""
    lines = [line for line in QUESTIONS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [
        json.loads(line) for n, line in enumerate(lines) if part == "all" or (n % 2 == 0) == (part == "development")
    ]
    return [SpanQuestion(r["question"], r["doc"], r["answer_span"], r.get("page")) for r in rows]


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def recall_at(retriever: Retriever, questions: list[SpanQuestion], k: int = 3, owner: str = OWNER) -> float:
    """Share of questions with a top-`k` hit, from the right document, whose text holds the answer span."""
    found = 0
    for q in questions:
        hits = retriever.search(q.text, k=k, owner=owner)
        found += any(h.source == q.doc and _flat(q.answer_span) in _flat(h.text) for h in hits)
    return found / len(questions)


def misses(retriever: Retriever, questions: list[SpanQuestion], k: int = 3, owner: str = OWNER) -> list[str]:
    out = []
    for q in questions:
        hits = retriever.search(q.text, k=k, owner=owner)
        if not any(h.source == q.doc and _flat(q.answer_span) in _flat(h.text) for h in hits):
            out.append(f"{q.text} -> {[h.label for h in hits]}")
    return out


def upload_bench_documents(index, data_dir: Path) -> tuple[float, int]:
    """Upload the three documents for OWNER; seconds taken and chunks embedded."""
    start = time.perf_counter()
    report = add_documents(index, data_dir, OWNER, sorted(DOCUMENTS.iterdir()))
    assert not report.problems, report.problems
    return time.perf_counter() - start, report.sync.chunks_embedded if report.sync else 0


def compare(retriever: Retriever, questions: list[SpanQuestion], k: int = 3) -> dict[str, float]:
    before = retriever.mode, retriever.expand
    try:
        scores = {}
        for name, (mode, expand) in CONTENDERS.items():
            retriever.mode, retriever.expand = mode, expand
            scores[name] = recall_at(retriever, questions, k)
        return scores
    finally:
        retriever.mode, retriever.expand = before
