"""Search latency beside a direct Chroma query with the same embedding function, and retrieval quality."""

from __future__ import annotations

import time

from bench.common import add, note, percentile
from bench.evaluation import EVAL_SETS, evaluate, load_questions
from coach.service import Coach

K = 4
ROUNDS = 5  # every question this many times per contender
LATENCY_GOAL = 1.1


def bench_latency(coach: Coach) -> None:
    """p50/p95 of Retriever.search in its default mode (and dense or hybrid, whichever that is not) vs
    collection.query for the same k on the same collection and embedding function."""
    queries = [q.text for q in load_questions()]
    retriever, collection = coach.retriever, coach.index.collection
    default = retriever.mode
    modes = {f"search ({default}, the default)": default}
    modes.update({f"search ({m})": m for m in ("dense", "hybrid") if m != default})

    def search(mode: str, query: str) -> float:
        retriever.mode = mode
        start = time.perf_counter()
        retriever.search(query, k=K)
        return (time.perf_counter() - start) * 1000

    def direct(query: str) -> float:
        start = time.perf_counter()
        collection.query(query_texts=[query], n_results=K, include=["documents", "metadatas", "distances"])
        return (time.perf_counter() - start) * 1000

    try:
        for query in queries[:5]:  # warm the ONNX session, Chroma's segment caches and the BM25 index
            direct(query), [search(mode, query) for mode in modes.values()]
        samples: dict[str, list[float]] = {"direct": [], **{label: [] for label in modes}}
        turn = 0
        for _ in range(ROUNDS):
            for query in queries:
                order = ["direct", *modes]
                for name in order if turn % 2 == 0 else order[::-1]:  # alternate who goes first
                    samples[name].append(direct(query) if name == "direct" else search(modes[name], query))
                turn += 1
    finally:
        retriever.mode = default

    n = f"{ROUNDS}×{len(queries)}"
    for label in modes:
        for q in (50, 95):
            add(
                f"{label} p{q} vs direct collection.query",
                percentile(samples[label], q),
                percentile(samples["direct"], q),
                "ms",
                goal=f"≤ {LATENCY_GOAL}×",
                ok=lambda r: r <= LATENCY_GOAL,
                runs=n,
            )


def bench_quality(coach: Coach) -> None:
    """recall@1, recall@3 and MRR of each retrieval mode on the development and the held-out questions."""
    for name, path in EVAL_SETS.items():
        questions = load_questions(path)
        for mode in ("dense", "bm25", "hybrid"):
            s = evaluate(coach.retriever, questions, mode)
            note(
                f"retrieval quality, {name} set, {mode}: recall@1 / recall@3 / MRR",
                f"{s.recall_at_1:.2f} / {s.recall_at_3:.2f} / {s.mrr:.2f}",
                runs=f"{s.questions} questions",
            )
