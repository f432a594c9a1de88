"""Indexing: chunks/second beside a plain Chroma add, growth with corpus size, re-index cost, the embedder."""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

from bench.child import COLLECTION, plain_build, store_rows
from bench.common import add, interleave, median, note, run_child, timed
from bench.corpus import write_corpus
from coach.guidance.embedding import MODEL_FILE, ONNX_BATCH, TOKENIZER_FILE, LocalMiniLM, installed_file
from coach.guidance.index import GuidanceIndex
from coach.guidance.store import open_client
from coach.settings import Settings

REINDEX_GOAL = 0.05
LINEAR_TOLERANCE = 1.25  # seconds per 1k chunks of the larger corpus may be at most this multiple
EMBED_TEXTS = 96  # texts for the embedder comparison (three contenders, three runs each)


# --- knowledge/, in this process ---------------------------------------------------------------------------


def full_build(folder: Path, embedder: LocalMiniLM) -> tuple[float, float, int]:
    """GuidanceIndex.sync into an empty store, then again unchanged: (full s, re-index s, vectors)."""
    with tempfile.TemporaryDirectory() as store:
        settings = Settings(data_dir=Path(store), provider="fake", _env_file=None)
        index = GuidanceIndex(open_client(settings), COLLECTION, embedder)
        start = time.perf_counter()
        report = index.sync(folder)
        full = time.perf_counter() - start
        start = time.perf_counter()
        again = index.sync(folder)
        reindex = time.perf_counter() - start
        assert again.chunks_embedded == 0, "an unchanged corpus was embedded again"
        return full, reindex, report.total_chunks


def bench_knowledge(folder: Path, embedder: LocalMiniLM, runs: int = 3) -> list[tuple[str, str, dict, str]]:
    rows = store_rows(folder, embedder)
    chunks = len({r[0].split("~")[0] for r in rows})

    def plain() -> float:
        with tempfile.TemporaryDirectory() as store:
            return plain_build(rows, embedder, Path(store))

    got = interleave(runs, ours=lambda: full_build(folder, embedder), plain=plain)
    full, reindex = median(r[0] for r in got["ours"]), median(r[1] for r in got["ours"])
    base = median(got["plain"])
    label = f"knowledge/ ({chunks} chunks, {len(rows)} vectors)"
    add(f"index {label}: chunks/s vs plain collection.add", chunks / full, chunks / base, "chunk/s", runs=runs)
    add("  knowledge/: seconds per 1k chunks", full / chunks * 1000, base / chunks * 1000, "s/1k chunks", runs=runs)
    add_reindex("knowledge/", reindex, full, runs)
    return rows


def add_reindex(corpus: str, reindex: float, full: float, runs: int) -> None:
    """The row for re-indexing an unchanged corpus, as a fraction of its full build."""
    goal = {"goal": f"≤ {REINDEX_GOAL:.0%}", "ok": lambda r: r <= REINDEX_GOAL}
    add(f"  {corpus}: re-index unchanged vs full build", reindex, full, "s", runs=runs, **goal)


# --- synthetic corpora, each build in a fresh process --------------------------------------------------------


def child_build(command: str, folder: Path) -> dict[str, Any]:
    """`python -m bench.child index|plain folder store` in a fresh process and temp store: its JSON and peak."""
    with tempfile.TemporaryDirectory() as store:
        out, wall, peak = run_child(["-m", "bench.child", command, str(folder), store])
    return {**json.loads(out.strip().splitlines()[-1]), "peak_mb": peak, "wall": wall}


def bench_synthetic_1k(folder: Path, runs: int = 2) -> dict[str, float]:
    """Ours vs the plain add on 1,000 chunks; returns our wall and CPU seconds per 1k chunks."""
    got = interleave(runs, ours=lambda: child_build("index", folder), plain=lambda: child_build("plain", folder))
    chunks = got["ours"][0]["chunks"]
    full = median(r["full_s"] for r in got["ours"])
    base = median(r["full_s"] for r in got["plain"])
    cpu, base_cpu = median(r["full_cpu_s"] for r in got["ours"]), median(r["full_cpu_s"] for r in got["plain"])
    reindex = median(r["reindex_s"] for r in got["ours"])
    label = f"index synthetic 1k ({chunks} chunks): chunks/s vs plain collection.add"
    add(label, chunks / full, chunks / base, "chunk/s", runs=runs)
    add("  synthetic 1k: seconds per 1k chunks", full / chunks * 1000, base / chunks * 1000, "s/1k chunks", runs=runs)
    add(
        "  synthetic 1k: CPU seconds per 1k chunks",
        cpu / chunks * 1000,
        base_cpu / chunks * 1000,
        "s/1k chunks",
        runs=runs,
    )
    add_reindex("synthetic 1k", reindex, full, runs)
    return {"wall": full / chunks * 1000, "cpu": cpu / chunks * 1000}


def bench_synthetic_10k(folder: Path, small: dict[str, float]) -> dict[str, Any]:
    """One build of 10,000 chunks (also the indexing peak for the memory table). Linear growth is judged on CPU
    seconds, which other work on a shared machine disturbs far less than wall time; wall time is shown too. It is
    judged against the 1k build, not between parts of one build: a build embeds its shortest texts first."""
    large = child_build("index", folder)
    chunks, full, cpu = large["chunks"], large["full_s"], large["full_cpu_s"]
    linear = {"goal": f"linear (≤ {LINEAR_TOLERANCE}×)", "ok": lambda r: r <= LINEAR_TOLERANCE, "runs": 1}
    add(f"index synthetic 10k ({chunks} chunks): chunks/s", chunks / full, None, "chunk/s", runs=1)
    add(
        "  synthetic 10k: seconds per 1k chunks vs synthetic 1k",
        full / chunks * 1000,
        small["wall"],
        "s/1k chunks",
        runs=1,
    )
    add(
        "  synthetic 10k: CPU seconds per 1k chunks vs synthetic 1k",
        cpu / chunks * 1000,
        small["cpu"],
        "s/1k chunks",
        **linear,
    )
    add_reindex("synthetic 10k", large["reindex_s"], full, 1)
    return large


def bench_padding(rows: list[tuple[str, str, dict, str]], embedder: LocalMiniLM) -> None:
    """Tokens the model runs per real token, counted (not timed): the coach sorts a whole build by length and
    pads each ONNX batch to its longest text, the stock class pads everything to 256."""
    lengths = [min(embedder.count_tokens(r[3]), 256) for r in rows]

    def padded(order: list[int], power: int = 1) -> float:
        runs = [order[i : i + ONNX_BATCH] for i in range(0, len(order), ONNX_BATCH)]
        return sum(max(run) ** power * len(run) for run in runs) / sum(n**power for n in lengths)

    ours = sorted(lengths)
    add(
        f"  synthetic 1k: padding, tokens run per real token (coach, batches of {ONNX_BATCH}) vs stock class (256)",
        padded(ours),
        padded([256] * len(lengths)),
        "×",
        runs="counted",
    )
    note(
        "  the same for attention (grows with length²): coach / stock class",
        f"{padded(ours, 2):.2f} / {padded([256] * len(lengths), 2):.2f}",
        runs="counted",
    )


# --- the embedding function ----------------------------------------------------------------------------------


class StockMiniLM(ONNXMiniLM_L6_V2):
    """chromadb's stock embedding function, pointed at a folder of the installed model files; never downloads."""

    def _download(self, url: str, fname: str, chunk_size: int = 1024) -> None:
        raise RuntimeError(f"the benchmark must not download ({url})")


def stock_embedder(folder: Path) -> StockMiniLM:
    """The stock class with DOWNLOAD_PATH at `folder`, holding links to the same model.onnx and tokenizer.json."""
    onnx = folder / StockMiniLM.EXTRACTED_FOLDER_NAME
    onnx.mkdir(parents=True)
    (onnx / "model.onnx").symlink_to(installed_file(*MODEL_FILE))
    (onnx / "tokenizer.json").symlink_to(installed_file(*TOKENIZER_FILE))
    for name in ("config.json", "special_tokens_map.json", "tokenizer_config.json", "vocab.txt"):
        (onnx / name).write_text("")  # only their existence is checked
    stock = StockMiniLM(preferred_providers=["CPUExecutionProvider"])  # the provider ours uses
    stock.DOWNLOAD_PATH = folder
    return stock


class SpinningMiniLM(LocalMiniLM):
    """LocalMiniLM with onnxruntime's intra-op spin-waiting on (onnxruntime's default; the coach turns it off)."""

    spin_wait = True


def bench_embedder(texts: list[str], ours: LocalMiniLM, runs: int = 3) -> None:
    """LocalMiniLM (pads to the batch's longest, length-sorted) vs stock ONNXMiniLM_L6_V2 (pads to 256)."""
    with tempfile.TemporaryDirectory() as tmp:
        stock = stock_embedder(Path(tmp))
        spinning = SpinningMiniLM()
        stock(["warm up"]), ours(["warm up"]), spinning(["warm up"])
        a, b = np.array(ours(texts)), np.array(stock(texts))
        cosine = float(np.min(np.sum(a * b, axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))))
        got = interleave(
            runs,
            ours=timed(lambda: ours(texts)),
            stock=timed(lambda: stock(texts)),
            spinning=timed(lambda: spinning(texts)),
        )
    ours_s, stock_s, spinning_s = median(got["ours"]), median(got["stock"]), median(got["spinning"])
    add(
        f"embedding {len(texts)} chunks: LocalMiniLM vs stock ONNXMiniLM_L6_V2 (same model files)",
        len(texts) / ours_s,
        len(texts) / stock_s,
        "text/s",
        runs=runs,
    )
    note(
        "  embedding vectors agree (lowest cosine, same texts)",
        f"{cosine:.6f} ({'met' if cosine > 0.999 else '**not met**'}: > 0.999)",
    )
    add(
        "  LocalMiniLM, onnxruntime spin-waiting off (as is: pays off in the app) vs on (onnxruntime's default)",
        len(texts) / ours_s,
        len(texts) / spinning_s,
        "text/s",
        runs=runs,
    )


def bench_indexing(knowledge: Path, workdir: Path, embedder: LocalMiniLM) -> dict[str, Any]:
    """All indexing rows; returns the 10k build's figures (the memory table uses its peak)."""
    embedder(["warm up"])  # load the ONNX session once; the in-process contenders share it
    rows = bench_knowledge(knowledge, embedder)
    bench_embedder([r[3] for r in rows[:EMBED_TEXTS]], embedder)

    one_k = write_corpus(workdir / "corpus-1k", 1_000, knowledge)
    # Two builds each, in ABBA order (ours, plain, plain, ours), so that the 10k build fits the time budget.
    small = bench_synthetic_1k(one_k)
    bench_padding(store_rows(one_k, embedder), embedder)
    shutil.rmtree(one_k)

    ten_k = write_corpus(workdir / "corpus-10k", 10_000, knowledge)
    large = bench_synthetic_10k(ten_k, small)
    shutil.rmtree(ten_k)
    return large
