"""Your own documents: retrieval on the blind documents beside the built-in guidance (dense, BM25, hybrid, small-to-
big), the common questions on the built-in guidance, and indexing speed per PDF page.

Run: `PYTHONPATH=. python -m bench.documents DATA_DIR` (an empty folder; it indexes the built-in guidance there)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench.documents_eval import (
    COMMON_FILE,
    COMMON_HELD_OUT_FILE,
    DOCUMENTS,
    MORE_SETS,
    OWNER,
    compare,
    load_set_questions,
    load_span_questions,
    recall_and_pages,
    upload_bench_documents,
)
from bench.evaluation import evaluate, load_questions
from coach.guidance.sources import read_source
from coach.llm.fake import MockChatModel
from coach.service import build_coach
from coach.settings import Settings


def pdf_speed(coach, data: Path) -> str:
    """Seconds per page to read, chunk and embed the PDF handbook alone (its own owner, so nothing is cached)."""
    from pypdf import PdfReader

    from coach.guidance.uploads import add_documents

    pdf = DOCUMENTS / "handbook.pdf"
    pages = len(PdfReader(pdf).pages)
    start = time.perf_counter()
    read_source(pdf.name, pdf.read_bytes())
    parse = time.perf_counter() - start
    start = time.perf_counter()
    report = add_documents(coach.index, data, "speed", [pdf])
    total = time.perf_counter() - start
    entries = report.sync.chunks_embedded if report.sync else 0
    return (
        f"{pages} pages: read {parse / pages * 1000:.0f} ms/page; read+chunk+embed {total / pages:.2f} s/page "
        f"({entries} vectors)"
    )


def main(data: Path) -> None:
    coach = build_coach(Settings(data_dir=data, provider="fake", _env_file=None), model=MockChatModel())
    coach.sync()
    seconds, vectors = upload_bench_documents(coach.index, data)
    print(f"three documents uploaded in {seconds:.1f} s ({vectors} vectors)")
    print(pdf_speed(coach, data))
    for part in ("development", "held-out"):
        scores = compare(coach.retriever, load_span_questions(part))
        print(f"documents {part} recall@3 (owner {OWNER}, beside the built-in guidance):", scores)
    for name, folder in MORE_SETS.items():
        upload_bench_documents(coach.index, data, folder, owner=name)
        retriever, questions = coach.retriever, load_set_questions(folder)
        for mode, expand in (("dense", False), ("bm25", False), ("hybrid", False), ("hybrid", True)):
            retriever.mode, retriever.expand = mode, expand
            recall, on_page = recall_and_pages(retriever, questions, owner=name)
            print(f"{name} {mode}{' small-to-big' * expand}: recall@3 {recall:.3f} (PDF page right {on_page:.2f})")
    coach.retriever.mode, coach.retriever.expand = "hybrid", True
    for name, path in (("common questions", COMMON_FILE), ("common questions, held out", COMMON_HELD_OUT_FILE)):
        for mode in ("dense", "bm25", "hybrid"):
            s = evaluate(coach.retriever, load_questions(path), mode)
            print(f"{name} {mode}: recall@1 {s.recall_at_1:.3f} recall@3 {s.recall_at_3:.3f} mrr {s.mrr:.3f}")
    # The same questions from the user who uploaded the documents: their documents rank beside the guidance.
    for name, path in (("common questions", COMMON_FILE), ("common questions, held out", COMMON_HELD_OUT_FILE)):
        s = evaluate(coach.retriever, load_questions(path), "hybrid", owner=OWNER)
        print(f"{name} hybrid for the uploader: recall@1 {s.recall_at_1:.3f} recall@3 {s.recall_at_3:.3f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
