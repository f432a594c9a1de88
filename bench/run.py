"""`make bench`: every figure beside its baseline in the same run; prints one table, writes docs/benchmarks.md."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from bench.common import OFFLINE_ENV, ROOT, ROWS

OUTPUT = ROOT / "docs" / "benchmarks.md"
BUDGET_S = 600
PACKAGES = ("chromadb", "gradio", "gradio_client", "llama_cpp_python", "onnxruntime", "bm25s")

HEADER = """# Benchmarks

Made by `make bench` (`python -m bench.run`); do not edit by hand. Every figure is measured beside its
baseline in the same run, the two interleaved (alternating which goes first) so that load from other work
on the machine falls on both alike; timings are medians (or percentiles) of the runs shown. The ratio is
Mentor Coach ÷ baseline: below 1 is faster for times, slower for rates. The machine is shared, so compare
ratios, not absolute figures, between runs (the load average is given at the end).

Baselines: **direct collection.query** is the same query on the same Chroma collection with the same
embedding function. **Plain collection.add** stores the same rows (split beforehand, not timed) in a
fresh collection, embedded in one call and added in the largest batches Chroma takes. Synthetic corpora
are Markdown files of `##` sections built from the sentences of knowledge/ (one chunk each, about as long
as the real ones); every synthetic build runs in a fresh process. **Stock ONNXMiniLM_L6_V2** is chromadb's
own embedding function (pads every text to 256 tokens) on the same model files, never downloading.
**Bare Gradio echo app** is a `gr.ChatInterface` streaming the same reply in the same pieces; chat figures
come through gradio_client (with its 50 ms message poll shortened to 2 ms) and, for the server's own
share, through Gradio's queue protocol directly. **llama-cpp alone** is llama-cpp-python with the same
GGUF, prompt and sampling settings. Memory is the peak resident set of a fresh process (its own `VmHWM`:
a child's `ru_maxrss` starts from the parent's peak). Where wall time is too noisy on a shared machine,
CPU seconds are shown beside it, and linear growth is judged on them. Rows marked "suggested fix" or
"variant" measure a change proposed for coach/, not the code as it is.
"""


def machine(load_at_start: float) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor() or "unknown CPU",
    )
    one, five, fifteen = os.getloadavg()
    load = f"{load_at_start:.1f} at the start, {one:.1f} at the end ({five:.1f} over 5 min, {fifteen:.1f} over 15)"
    versions = ", ".join(f"{p} {metadata.version(p)}" for p in PACKAGES)
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}; load average {load}; {versions}"


def table() -> str:
    lines = [
        "| measure | Mentor Coach | baseline | ratio | goal | goal met | runs |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    lines += [f"| {r.measure} | {r.ours} | {r.baseline} | {r.ratio} | {r.goal} | {r.met} | {r.runs} |" for r in ROWS]
    return "\n".join(lines)


def section(title: str, step: Callable[[], object]) -> object:
    print(f"\n== {title}", flush=True)
    start = time.perf_counter()
    result = step()
    print(f"   ({time.perf_counter() - start:.0f} s)", flush=True)
    return result


SECTIONS = ("retrieval", "indexing", "chat", "local-model", "memory", "rehearsal", "journal")


def main(argv: list[str] | None = None) -> None:
    """Run every section (or those named on the command line; docs/benchmarks.md is written only for all)."""
    chosen = list(argv if argv is not None else sys.argv[1:]) or list(SECTIONS)
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        raise SystemExit(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    os.environ.update(OFFLINE_ENV)
    start, load_at_start = time.perf_counter(), os.getloadavg()[0]

    # Imported after the environment is set: chromadb and gradio read it at import.
    from bench.chat import bench_first_answer_default, bench_first_token, bench_startup
    from bench.compose import bench_compose
    from bench.indexing import bench_indexing
    from bench.journal_cipher import bench_journal_cipher
    from bench.local_model import bench_local_model
    from bench.memory import bench_memory
    from bench.retrieval import bench_latency, bench_quality
    from coach.guidance.sources import LIBRARY
    from coach.service import build_coach
    from coach.settings import Settings

    knowledge = LIBRARY
    large = None
    with tempfile.TemporaryDirectory(prefix="coach-bench-") as tmp:
        work = Path(tmp)
        data = work / "data"  # knowledge/ indexed once, shared by every part that needs a built index
        coach = build_coach(Settings(data_dir=data, knowledge_dir=knowledge, provider="fake", _env_file=None))
        coach.sync()

        if "retrieval" in chosen:
            section("retrieval latency", lambda: bench_latency(coach))
            section("retrieval quality", lambda: bench_quality(coach))
            section("guidance-first answers", lambda: bench_compose(coach))
        if "indexing" in chosen:
            large = section("indexing", lambda: bench_indexing(knowledge, work, coach.index.embedder))
        if "chat" in chosen:
            section("chat first token", lambda: bench_first_token(data))
            section("first visible answer, default setup", lambda: bench_first_answer_default(data))
            section("start-up", lambda: bench_startup(data))
        if "local-model" in chosen:
            section("local model", lambda: bench_local_model(coach))
        if "memory" in chosen:
            section("memory", lambda: bench_memory(data, knowledge, large))
        if "rehearsal" in chosen:
            from bench.rehearsal import bench_rehearsal

            section("rehearsal", lambda: bench_rehearsal(coach))
        if "journal" in chosen:
            section("journal encryption", bench_journal_cipher)

    total = time.perf_counter() - start
    result = table()
    met = "within" if total <= BUDGET_S else "**over**"
    footer = (
        f"Total `make bench` time: {total:.0f} s ({met} the {BUDGET_S // 60}-minute budget).\n\n"
        f"Machine: {machine(load_at_start)}."
    )
    print(f"\n{result}\n\n{footer}")
    if set(chosen) == set(SECTIONS):
        OUTPUT.parent.mkdir(exist_ok=True)
        OUTPUT.write_text(f"{HEADER}\n{result}\n\n{footer}\n", encoding="utf-8")
        print(f"\nwrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
