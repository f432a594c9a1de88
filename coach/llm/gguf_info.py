"""What a GGUF file says about itself (architecture, training context, chat template), read from its header.

Pure Python and cheap: the header is read and the weights never touched, so the app process learns a model's
limits without loading llama.cpp (the model itself runs in its own process, see coach.llm.supervisor).
"""

from __future__ import annotations

import functools
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from coach.errors import ModelError

MAGIC = b"GGUF"
# GGUF value types: fixed sizes (struct formats) and the two variable ones, STRING (8) and ARRAY (9).
_FIXED = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9


@dataclass(frozen=True)
class GgufInfo:
    architecture: str
    name: str
    context_length: int | None
    chat_template: str | None


class _Reader:
    def __init__(self, handle: BinaryIO, size: int) -> None:
        self.handle = handle
        self.size = size

    def room(self, length: int) -> int:
        """`length`, when that many bytes are left: a damaged header must not make us allocate gigabytes."""
        if length > self.size - self.handle.tell():
            raise EOFError
        return length

    def fixed(self, fmt: str):
        size = struct.calcsize("<" + fmt)
        data = self.handle.read(size)
        if len(data) != size:
            raise EOFError
        return struct.unpack("<" + fmt, data)[0]

    def string(self) -> str:
        length = self.room(self.fixed("Q"))
        data = self.handle.read(length)
        if len(data) != length:
            raise EOFError
        return data.decode("utf-8", errors="replace")

    def value(self, kind: int):
        if kind in _FIXED:
            return self.fixed(_FIXED[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            self.skip_array()
            return None
        raise ValueError(f"unknown GGUF value type {kind}")

    def skip_array(self) -> None:
        """Arrays are the tokenizer's vocabulary and scores: skipped, never kept."""
        kind, count = self.fixed("I"), self.fixed("Q")
        if kind in _FIXED:
            self.handle.seek(self.room(count * struct.calcsize("<" + _FIXED[kind])), 1)
        elif kind == _STRING:
            for _ in range(self.room(count * 8) // 8):  # each string has at least its 8-byte length
                self.handle.seek(self.room(self.fixed("Q")), 1)
        else:
            for _ in range(count):
                self.value(kind)


def read_metadata(path: Path) -> dict[str, object]:
    """The header's key-value pairs, arrays left out. Raises ModelError for a file that is not GGUF."""
    try:
        with Path(path).open("rb") as handle:
            if handle.read(4) != MAGIC:
                raise ModelError(f"{path} is not a GGUF model file (it does not start with 'GGUF').")
            reader = _Reader(handle, Path(path).stat().st_size)
            version = reader.fixed("I")
            count_fmt = "I" if version == 1 else "Q"
            reader.fixed(count_fmt)  # tensor count
            pairs = reader.fixed(count_fmt)
            metadata: dict[str, object] = {}
            for _ in range(pairs):
                key = reader.string()
                value = reader.value(reader.fixed("I"))
                if value is not None:
                    metadata[key] = value
            return metadata
    except (EOFError, ValueError, struct.error) as exc:
        raise ModelError(f"{path} is not a complete GGUF file (its header is cut or damaged).") from exc
    except OSError as exc:
        raise ModelError(f"Cannot read the model file {path}: {exc.strerror or exc}.") from exc


@functools.lru_cache(maxsize=16)
def _cached(path: str, _mtime: float, _size: int) -> GgufInfo:
    metadata = read_metadata(Path(path))
    architecture = str(metadata.get("general.architecture", ""))
    context = metadata.get(f"{architecture}.context_length")
    template = metadata.get("tokenizer.chat_template")
    return GgufInfo(
        architecture=architecture,
        name=str(metadata.get("general.name", Path(path).stem)),
        context_length=int(context) if isinstance(context, int) and context > 0 else None,
        chat_template=template if isinstance(template, str) and template.strip() else None,
    )


def gguf_info(path: Path) -> GgufInfo:
    """The model's own limits and template (cached per file version)."""
    stat = Path(path).stat()
    return _cached(str(Path(path).resolve()), stat.st_mtime, stat.st_size)
