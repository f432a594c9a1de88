"""The Chroma store the index lives in: opening it (on disk or a server), and telling its folder's failures apart
(read-only, full, damaged) so each gets its own message; a damaged folder is moved aside, never deleted."""

from __future__ import annotations

import contextlib
import errno
import os
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings

from coach.errors import StoreDamaged, StoreError
from coach.settings import Settings


def chroma_settings() -> ChromaSettings:
    return ChromaSettings(anonymized_telemetry=False, allow_reset=False)


def open_client(settings: Settings, store_dir: Path | None = None) -> ClientAPI:
    """A Chroma client: a server when `chroma_url` is set, else on disk under the data directory.

    Raises StoreDamaged when the on-disk store cannot be opened (see `move_aside`), StoreError otherwise.
    """
    path = Path(store_dir or settings.chroma_dir)
    try:
        if settings.chroma_url:
            url = urlparse(settings.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings(),
            )
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # name the folder that refused: the nearest one that exists
            raise StoreError(not_writable(next(p for p in path.parents if p.exists()), exc)) from exc
        if not all(os.access(p, os.W_OK) for p in (path, path / "chroma.sqlite3") if p.exists()):
            raise StoreError(not_writable(path, "permission denied"))
        return chromadb.PersistentClient(path=str(path), settings=chroma_settings())
    except StoreError:
        raise
    except Exception as exc:  # chromadb raises many types for a bad path or a dead server
        if settings.chroma_url:
            raise StoreError(f"Cannot open the index at {settings.chroma_url}: {exc}") from exc
        forget_cached_client(path)  # chromadb caches the half-started system: the next try must open the folder
        if is_read_only(exc):
            raise StoreError(not_writable(path, exc)) from exc
        raise StoreDamaged(
            f"The index at {path} is damaged and cannot be opened ({exc}). It is built from the knowledge folder, "
            "so rebuild it with `coach index --rebuild` (the damaged folder is kept beside it)."
        ) from exc


def not_writable(path: Path, why: object) -> str:
    return (
        f"The index folder {path} is not writable ({why}). Make it writable, or point COACH_DATA_DIR at a folder "
        "you can write to, then run `coach index` again."
    )


def is_read_only(exc: BaseException) -> bool:
    text = str(exc).lower()
    return isinstance(exc, PermissionError) or any(
        s in text for s in ("readonly", "read-only", "permission denied", "unable to open database file")
    )


def is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return any(s in text for s in ("disk is full", "no space left", "file too large", "disk quota"))


def no_room(folder: Path, need: int = 1 << 20) -> bool:
    """True when `folder` cannot take `need` more bytes now (a full disk, a quota or a file-size limit)."""
    probe = folder / f".space-probe-{uuid.uuid4().hex}"
    try:
        with probe.open("wb") as file:
            file.write(bytes(need))
            file.flush()
            os.fsync(file.fileno())
    except OSError as exc:
        return exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
    finally:
        with contextlib.suppress(OSError):
            probe.unlink()
    return False


def move_aside(path: Path) -> Path:
    """Rename a damaged on-disk index to `<name>.damaged-<timestamp>` (never deleted: it is the user's data) and
    forget chromadb's cached client for the path, so the next `open_client` starts a fresh store there."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.damaged-{stamp}")
    n = 1
    while target.exists():
        target, n = path.with_name(f"{path.name}.damaged-{stamp}-{n}"), n + 1
    try:
        path.rename(target)
    except OSError as exc:
        raise StoreError(
            f"The damaged index at {path} cannot be moved aside ({exc}). Move or delete it yourself, then run "
            "`coach index`."
        ) from exc
    forget_cached_client(path)
    return target


def forget_cached_client(path: Path) -> None:
    """Drop chromadb's in-process cached system for one folder (clear_system_cache would drop every folder's)."""
    SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)
