"""Sentence vectors of every passage, embedded once and kept on disk, so a question costs one query embedding.

Keyed by a hash of the passage text: a changed passage gets new vectors, an unchanged one is never embedded again,
whatever its id. The file is rewritten whole (atomically) after new passages were embedded.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from coach.guidance.sentences import Sentence, split_passage

Embed = Callable[[list[str]], Sequence[np.ndarray]]
FILE_NAME = "sentence-vectors.npz"
FORMAT = 2  # bump when the splitter changes: every passage is split and embedded again


@dataclass(frozen=True)
class PassageSentences:
    """The sentences of one passage and their unit vectors (one row each)."""

    sentences: tuple[Sentence, ...]
    vectors: np.ndarray


def text_key(text: str) -> str:
    return hashlib.sha1(f"{FORMAT}\x00{text}".encode()).hexdigest()[:24]


class SentenceBank:
    """Passage text → its sentences and their vectors; `folder=None` keeps them in memory only."""

    def __init__(self, embed: Embed, folder: Path | None = None) -> None:
        self._embed = embed
        self._file = folder / FILE_NAME if folder else None
        self._known: dict[str, PassageSentences] = {}
        self._lock = threading.Lock()
        self._loaded = False

    def __len__(self) -> int:
        return len(self._known)

    def _load(self) -> None:
        self._loaded = True
        if self._file is None or not self._file.is_file():
            return
        try:
            with np.load(self._file, allow_pickle=False) as stored:
                meta = json.loads(str(stored["meta"]))
                vectors = stored["vectors"]
        except (OSError, ValueError, KeyError):  # a damaged cache is only a cache: embed again
            return
        for key, start, rows in meta:
            self._known[key] = PassageSentences(
                tuple(Sentence(**row) for row in rows), vectors[start : start + len(rows)]
            )

    def _save(self) -> None:
        if self._file is None:
            return
        meta, parts, start = [], [], 0
        for key, entry in self._known.items():
            rows = [s.__dict__ for s in entry.sentences]
            meta.append((key, start, rows))
            parts.append(entry.vectors)
            start += len(rows)
        vectors = np.concatenate(parts) if parts else np.zeros((0, 384), np.float32)
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._file.with_name(f".{self._file.name}.{os.getpid()}.{threading.get_ident()}.npz")
            np.savez(tmp, meta=np.array(json.dumps(meta)), vectors=vectors)
            os.replace(tmp, self._file)
        except OSError:  # a read-only data folder: keep the vectors in memory for this process
            pass

    def of(self, texts: Iterable[str]) -> list[PassageSentences]:
        """Sentences and vectors of each passage text, embedding (and saving) only the ones never seen."""
        texts = list(texts)
        with self._lock:
            if not self._loaded:
                self._load()
            missing = {text_key(t): t for t in texts if text_key(t) not in self._known}
            if missing:
                split = {key: tuple(split_passage(text)) for key, text in missing.items()}
                flat = [s.text for sentences in split.values() for s in sentences]
                vectors = np.asarray(self._embed(flat), dtype=np.float32).reshape(len(flat), -1) if flat else None
                at = 0
                for key, sentences in split.items():
                    rows = vectors[at : at + len(sentences)] if vectors is not None else np.zeros((0, 384), np.float32)
                    self._known[key] = PassageSentences(sentences, rows)
                    at += len(sentences)
                self._save()
            return [self._known[text_key(t)] for t in texts]
