"""`make bench`: indexing, search and local-model figures, each beside its baseline in the same run."""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import HumanMessage

from coach.evaluation import evaluate, load_questions
from coach.models import build_chat_model, bundled_model_path
from coach.service import build_coach
from coach.settings import Settings

ROWS: list[tuple[str, str, str, str]] = []
QUERIES = [q.text for q in load_questions()]


def row(what: str, ours: float, base: float | None, unit: str) -> None:
    ratio = f"{ours / base:.2f}×" if base else "—"
    ROWS.append((what, f"{ours:.2f} {unit}", f"{base:.2f} {unit}" if base else "—", ratio))


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1]


def bench_index_and_search(data: Path) -> None:
    coach = build_coach(
        Settings(data_dir=data, provider="fake", _env_file=None), model=FakeListChatModel(responses=[""])
    )
    start = time.perf_counter()
    report = coach.sync()
    full = time.perf_counter() - start
    start = time.perf_counter()
    coach.sync()
    again = time.perf_counter() - start
    row("index knowledge/ (full build)", full, None, "s")
    row(f"  chunks per second ({report.total_chunks} chunks)", report.total_chunks / full, None, "chunk/s")
    row("re-index unchanged vs full build", again, full, "s")

    collection = coach.index.collection
    ours, direct = [], []
    for _ in range(3):
        for query in QUERIES:
            t = time.perf_counter()
            coach.retriever.search(query, k=4)
            ours.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            collection.query(query_texts=[query], n_results=4, include=["documents", "metadatas", "distances"])
            direct.append((time.perf_counter() - t) * 1000)
    row("search p50 vs direct Chroma query", statistics.median(ours), statistics.median(direct), "ms")
    row("search p95 vs direct Chroma query", percentile(ours, 95), percentile(direct, 95), "ms")
    for mode in ("dense", "bm25", "hybrid"):
        s = evaluate(coach.retriever, load_questions(), mode)
        ROWS.append(
            (
                f"retrieval {mode}: recall@1 / recall@3 / MRR",
                f"{s.recall_at_1:.2f} / {s.recall_at_3:.2f} / {s.mrr:.2f}",
                "—",
                "—",
            )
        )


def bench_local_model() -> None:
    from llama_cpp import Llama

    prompt = "Give three tips for a first meeting with a new mentor."
    settings = Settings(provider="local", max_answer_tokens=96, temperature=0.0, _env_file=None)
    model = build_chat_model(settings)
    raw = Llama(model_path=str(bundled_model_path()), n_ctx=settings.context_window, seed=0, verbose=False)

    def ours() -> tuple[float, float, int]:
        t0 = time.perf_counter()
        first, n = None, 0
        for _ in model.stream([HumanMessage(prompt)]):
            first = first or time.perf_counter() - t0
            n += 1
        return first or 0.0, time.perf_counter() - t0, n

    def baseline() -> tuple[float, float, int]:
        t0 = time.perf_counter()
        first, n = None, 0
        for part in raw.create_chat_completion(
            [{"role": "user", "content": prompt}], stream=True, max_tokens=96, temperature=0.0, seed=0
        ):
            if part["choices"][0]["delta"].get("content"):
                first = first or time.perf_counter() - t0
                n += 1
        return first or 0.0, time.perf_counter() - t0, n

    a = [ours() for _ in range(3)]
    b = [baseline() for _ in range(3)]
    row(
        "local model tokens/s vs raw llama-cpp",
        statistics.median(n / t for _, t, n in a),
        statistics.median(n / t for _, t, n in b),
        "tok/s",
    )
    row(
        "local model first token vs raw llama-cpp",
        statistics.median(f for f, _, _ in a) * 1000,
        statistics.median(f for f, _, _ in b) * 1000,
        "ms",
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bench_index_and_search(Path(tmp))
    bench_local_model()
    lines = ["| measure | Mentor Coach | baseline | ratio |", "| --- | --- | --- | --- |"]
    lines += [f"| {' | '.join(r)} |" for r in ROWS]
    table = "\n".join(lines)
    print(table)
    out = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text(f"# Benchmarks\n\nMedian of repeated runs on this machine, made by `make bench`.\n\n{table}\n")


if __name__ == "__main__":
    main()
