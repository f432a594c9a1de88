"""Peak resident memory of fresh processes (bench.child), each beside a baseline process."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from bench.common import add, note, run_child
from coach.guidance.embedding import ONNX_BATCH

OLD_BATCH = 32  # the batch size before ONNX_BATCH


def child(*args: str) -> tuple[dict[str, Any], float]:
    """Run one bench.child command: (its JSON, its peak resident MB)."""
    out, _, peak = run_child(["-m", "bench.child", *args])
    return json.loads(out.strip().splitlines()[-1]), peak


def bench_memory(data_dir: Path, knowledge: Path, large: dict[str, Any] | None) -> None:
    """The app with the local model vs llama-cpp alone; indexing 10k chunks vs knowledge/; the old batch size."""
    _, app = child("app", str(data_dir))
    _, raw = child("raw-llama")
    add("peak memory: app with local model, one answer vs llama-cpp alone", app, raw, "MB", runs=1)
    with tempfile.TemporaryDirectory() as store:
        as_is, small = child("index", str(knowledge), store)
    with tempfile.TemporaryDirectory() as store:
        old, old_peak = child("index", str(knowledge), store, str(OLD_BATCH))
    if large:  # the indexing section's 10k build
        label = f"peak memory: indexing {large['chunks']} chunks vs indexing knowledge/"
        add(label, large["peak_mb"], small, "MB", runs=1)
    add(
        f"  indexing knowledge/ embedding {ONNX_BATCH} texts per ONNX run (as is) vs {OLD_BATCH} (before)",
        small,
        old_peak,
        "MB",
        runs=1,
    )
    note(
        f"  the same two builds, seconds (batch {ONNX_BATCH} / batch {OLD_BATCH})",
        f"{as_is['full_s']:.1f} s / {old['full_s']:.1f} s",
        runs=1,
    )
