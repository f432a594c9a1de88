"""The work the benchmarks run in fresh processes, one command each; every command prints JSON, then its peak.

    python -m bench.child index SRC STORE [BATCH]   GuidanceIndex.sync of SRC into an empty STORE, then again
    python -m bench.child plain SRC STORE           the same rows added to a fresh collection (the baseline)
    python -m bench.child app DATA_DIR              the coach with the local model answers one question
    python -m bench.child raw-llama                 llama-cpp-python alone answers the same question

A fresh process per build keeps builds of different sizes comparable: nothing left over from earlier builds
(Chroma clients and their threads, a grown ONNX memory arena) weighs on a later one.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import report_peak

QUESTION = "My mentor keeps cancelling our meetings. What should I do?"
COLLECTION = "guidance"


def embedder(batch: str = "") -> Any:
    """The coach's LocalMiniLM, loaded; with `batch`, embedding that many texts per ONNX run instead of its own."""
    from coach.guidance.embedding import ONNX_BATCH, LocalMiniLM

    class OtherBatchMiniLM(LocalMiniLM):
        def _forward(self, documents: list[str], batch_size: int = ONNX_BATCH) -> Any:
            return super()._forward(documents, batch_size=int(batch))

    model = OtherBatchMiniLM() if batch else LocalMiniLM()
    model(["warm up"])  # loading the model is not indexing
    return model


def store_rows(folder: Path, model: Any) -> list[tuple[str, str, dict, str]]:
    """(id, document, metadata, text to embed) of every vector the coach stores for `folder`."""
    from coach import index
    from coach.guidance.chunking import chunk_file
    from coach.guidance.sources import load_folder

    rows = []
    for file in load_folder(folder).files:
        chunks = chunk_file(file, model.count_tokens)
        if hasattr(index, "entries"):  # a chunk may have several vectors (its text, its everyday phrasings)
            rows += [(e.id, e.document, e.metadata, e.embed) for e in index.entries(chunks)]
        else:
            rows += [(c.id, c.text, c.metadata(len(chunks)), c.text) for c in chunks]
    return rows


def index(source: str, store: str, batch: str = "") -> dict:
    from coach.guidance.index import GuidanceIndex
    from coach.guidance.store import open_client
    from coach.settings import Settings

    model = embedder(batch)
    client = open_client(Settings(data_dir=Path(store), provider="fake", _env_file=None))
    guidance = GuidanceIndex(client, COLLECTION, model)
    start, cpu = time.perf_counter(), time.process_time()
    report = guidance.sync(Path(source))
    full, full_cpu = time.perf_counter() - start, time.process_time() - cpu
    start = time.perf_counter()
    again = guidance.sync(Path(source))
    reindex = time.perf_counter() - start
    ids = guidance.collection.get(include=[])["ids"]
    return {
        "vectors": report.total_chunks,
        "chunks": len({i.split("~")[0] for i in ids}),  # a chunk's vectors share its id up to "~"
        "full_s": full,
        "full_cpu_s": full_cpu,
        "reindex_s": reindex,
        "re_embedded": again.chunks_embedded,
    }


def plain_build(rows: list[tuple[str, str, dict, str]], model: Any, store: Path) -> float:
    """Seconds to embed `rows` in one call and add them to a fresh collection in Chroma's largest batches."""
    from coach.guidance.store import open_client
    from coach.settings import Settings

    client = open_client(Settings(data_dir=store, provider="fake", _env_file=None))
    collection = client.create_collection(
        COLLECTION, embedding_function=model, configuration={"hnsw": {"space": "cosine"}}
    )
    step = client.get_max_batch_size()
    start = time.perf_counter()
    vectors = model([r[3] for r in rows])
    for i in range(0, len(rows), step):
        batch = rows[i : i + step]
        collection.add(
            ids=[r[0] for r in batch],
            documents=[r[1] for r in batch],
            metadatas=[r[2] for r in batch],
            embeddings=vectors[i : i + step],
        )
    return time.perf_counter() - start


def plain(source: str, store: str) -> dict:
    """The baseline: the rows the coach would store, split beforehand (not timed), added by hand."""
    model = embedder()
    rows = store_rows(Path(source), model)
    cpu = time.process_time()
    seconds = plain_build(rows, model, Path(store))
    return {"vectors": len(rows), "full_s": seconds, "full_cpu_s": time.process_time() - cpu}


def app(data_dir: str) -> dict:
    from coach.service import build_coach
    from coach.settings import Settings

    coach = build_coach(Settings(data_dir=Path(data_dir), provider="local", _env_file=None))
    coach.sync()
    prompt = coach.answerer.prepare(QUESTION)
    return {"pieces": sum(1 for _ in coach.answerer.stream(prompt))}


def raw_llama() -> dict:
    from llama_cpp import Llama

    from coach.llm.models import bundled_model_path
    from coach.settings import Settings

    settings = Settings(provider="local", _env_file=None)
    llama = Llama(model_path=str(bundled_model_path()), n_ctx=settings.context_window, seed=0, verbose=False)
    parts = llama.create_chat_completion(
        [{"role": "user", "content": QUESTION}],
        stream=True,
        max_tokens=settings.max_answer_tokens,
        temperature=settings.temperature,
        seed=0,
    )
    return {"pieces": sum(1 for _ in parts)}


COMMANDS = {"index": index, "plain": plain, "app": app, "raw-llama": raw_llama}

if __name__ == "__main__":
    command, *args = sys.argv[1:]
    print(json.dumps(COMMANDS[command](*args)))
    report_peak()
