"""Retrieval on documents nobody designed for this app (bench/documents: a PDF handbook, a plain-text essay, an HTML
FAQ), uploaded as one user's own guidance beside the built-in guidance. A hit counts when its text contains the
answer span (whitespace collapsed). Even lines of the question file are for development, odd lines held out."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

from bench.evaluation import BENCH
from coach.guidance.retrieval import Hit, Retriever
from coach.guidance.uploads import add_documents

DOCUMENTS = BENCH / "documents"
QUESTIONS_FILE = BENCH / "documents_questions.jsonl"
COMMON_FILE = BENCH / "common_questions.jsonl"
# 56 more, written later by someone who saw neither the ranking code nor the first set; never tuned on.
COMMON_HELD_OUT_FILE = BENCH / "common_questions_heldout.jsonl"
OWNER = "reader"
# Seven more documents in two sets, written later by helpers who had not seen the code: a Word guide with headings
# typed in bold and a table, a wiki page in Markdown, a policy PDF with a wrapped footer (documents2); notes typed
# with underlined headings in Windows-1252, an intranet page with an accordion FAQ, a Word charter, a slide deck
# as a landscape PDF (documents3). Each is uploaded as its own user. Their misses showed faults in reading those
# layouts, which were fixed, and they helped choose how far a user's own documents lead: development sets.
# documents4 (a blog article saved with its page furniture, a Word playbook of lists, a two-column report PDF) came
# after those fixes, by a third helper, and is held out: scored, never looked into.
MORE_SETS = {name: BENCH / name for name in ("documents2", "documents3", "documents4")}
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


def load_set_questions(folder: Path) -> list[SpanQuestion]:
    rows = [json.loads(line) for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line]
    return [SpanQuestion(r["question"], r["doc"], r["answer_span"], r.get("page")) for r in rows]


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


def _answering(hits: list[Hit], q: SpanQuestion) -> Hit | None:
    return next((h for h in hits if h.source == q.doc and _flat(q.answer_span) in _flat(h.text)), None)


def recall_at(retriever: Retriever, questions: list[SpanQuestion], k: int = 3, owner: str = OWNER) -> float:
    """Share of questions with a top-`k` hit, from the right document, whose text holds the answer span."""
    return recall_and_pages(retriever, questions, owner, k)[0]


def recall_and_pages(
    retriever: Retriever, questions: list[SpanQuestion], owner: str, k: int = 3
) -> tuple[float, float]:
    """Recall@k, and the share of the answers found on a PDF page whose citation names that page (a paragraph over a
    page break is cited at both)."""
    found = on_page = paged = 0
    for q in questions:
        hit = _answering(retriever.search(q.text, k=k, owner=owner), q)
        found += hit is not None
        if hit is not None and q.page:
            paged += 1
            on_page += hit.page <= q.page <= max(hit.page, hit.last_page)
    return found / len(questions), on_page / paged if paged else 1.0


def misses(retriever: Retriever, questions: list[SpanQuestion], k: int = 3, owner: str = OWNER) -> list[str]:
    out = []
    for q in questions:
        hits = retriever.search(q.text, k=k, owner=owner)
        if _answering(hits, q) is None:
            out.append(f"{q.text} -> {[h.label for h in hits]}")
    return out


def upload_bench_documents(index, data_dir: Path, folder: Path = DOCUMENTS, owner: str = OWNER) -> tuple[float, int]:
    """Upload a set's documents for `owner`; seconds taken and chunks embedded."""
    start = time.perf_counter()
    report = add_documents(index, data_dir, owner, sorted(p for p in folder.iterdir() if p.name != "questions.jsonl"))
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
