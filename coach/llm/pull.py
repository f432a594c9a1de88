"""`coach model pull`: one explicit, resumable, checksum-checked download of a catalog model from the hub.

The only code in the coach that goes to the network for a model, and only when a person runs it. The app runs
with HF_HUB_OFFLINE=1; this lifts it for its own download and for nothing else (see `network_allowed`).
HF_ENDPOINT (a mirror) and the usual proxy variables are honoured by huggingface_hub's HTTP client.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from coach.errors import CoachError
from coach.llm.catalog import CatalogModel

DISK_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
SPARE_BYTES = 64 * 1024 * 1024  # leave the disk some room after the download


class PullError(CoachError):
    """The download could not be done; nothing was installed."""


class NoNetwork(PullError):
    """The hub (or mirror) cannot be reached."""


class DiskFull(PullError):
    """Not enough room for the model file."""


class ChecksumMismatch(PullError):
    """The downloaded bytes are not the listed file; they were deleted."""


@dataclass(frozen=True)
class Remote:
    url: str
    etag: str
    commit: str
    size: int
    sha256: str
    sha256_source: str  # "the catalog" or "the hub's LFS metadata"


@contextlib.contextmanager
def network_allowed() -> Iterator[bool]:
    """Lift HF_HUB_OFFLINE for this download only (huggingface_hub reads the flag per request); says if it was on."""
    from huggingface_hub import constants

    was_offline = constants.HF_HUB_OFFLINE
    constants.HF_HUB_OFFLINE = False
    try:
        yield was_offline
    finally:
        constants.HF_HUB_OFFLINE = was_offline


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _endpoint() -> str:
    from huggingface_hub import constants

    return constants.ENDPOINT


class _NetworkErrors(contextlib.AbstractContextManager):
    """Connection failures become NoNetwork, hub refusals a PullError, both naming the endpoint."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __exit__(self, kind, exc, tb) -> bool:
        if exc is None:
            return False
        import httpx2
        from huggingface_hub.errors import HfHubHTTPError

        if isinstance(exc, httpx2.ProxyError):
            raise NoNetwork(f"The proxy refused the connection to {_endpoint()} ({exc}). Check HTTPS_PROXY.") from exc
        if isinstance(exc, httpx2.ConnectError | httpx2.TimeoutException):
            raise NoNetwork(
                f"No network: cannot reach {_endpoint()} ({type(exc).__name__}). Nothing was downloaded or changed. "
                "Connect, or set HF_ENDPOINT to a mirror you can reach, and run the pull again."
            ) from exc
        if isinstance(exc, HfHubHTTPError):
            status = exc.response.status_code if exc.response is not None else "?"
            raise PullError(f"{_endpoint()} refused {self.what} (HTTP {status}).") from exc
        return False


def remote_file(model: CatalogModel) -> Remote:
    """Where the file is, its size, version, and the SHA-256 it must have: asked of the hub before any byte."""
    from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_url

    with _NetworkErrors(f"{model.repo_id}/{model.filename}"):
        meta = get_hf_file_metadata(hf_hub_url(model.repo_id, model.filename, revision=model.revision))
        infos = HfApi().get_paths_info(model.repo_id, [model.filename], revision=meta.commit_hash or model.revision)
    lfs = next((info.lfs for info in infos if getattr(info, "path", None) == model.filename), None)
    hub_sha = lfs.sha256.lower() if lfs else None
    if model.sha256 and hub_sha and hub_sha != model.sha256:
        raise ChecksumMismatch(
            f"The hub serves a different {model.filename} (SHA-256 {hub_sha[:12]}…) than the table lists "
            f"({model.sha256[:12]}…). Nothing was downloaded."
        )
    expected = model.sha256 or hub_sha
    if not expected or meta.size is None or not meta.etag or not meta.commit_hash:
        raise PullError(f"{_endpoint()} gave no size or SHA-256 for {model.filename}: cannot check it, not pulled.")
    source = "the catalog" if model.sha256 else "the hub's LFS metadata"
    return Remote(meta.location, meta.etag, meta.commit_hash, meta.size, expected, source)


def _check_room(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed + SPARE_BYTES:
        raise DiskFull(
            f"Not enough disk space in {folder}: the download needs {needed / 1e9:.2f} GB more and "
            f"{free / 1e9:.2f} GB is free. Free some space (or set COACH_DATA_DIR elsewhere) and run the pull again."
        )


def _partial(folder: Path, model: CatalogModel, remote: Remote) -> tuple[Path, int]:
    """The partial file to resume (kept only when it is the same version of the same file)."""
    part = folder / f"{model.filename}.part"
    stamp = folder / f"{model.filename}.part.json"
    same = stamp.is_file() and json.loads(stamp.read_text(encoding="utf-8")).get("etag") == remote.etag
    if not same:
        part.unlink(missing_ok=True)
    stamp.write_text(json.dumps({"etag": remote.etag, "commit": remote.commit}), encoding="utf-8")
    have = part.stat().st_size if part.is_file() else 0
    if have > remote.size:
        part.unlink()
        have = 0
    return part, have


def _discard(part: Path) -> None:
    part.unlink(missing_ok=True)
    Path(f"{part}.json").unlink(missing_ok=True)


def _progress_bar() -> type:
    """A plain tqdm bar on stderr, shown even when stderr is not a terminal (huggingface_hub's own bar hides then):
    a pull is run by a person who wants to see it move, and its log keeps the last line."""
    from tqdm import tqdm

    class PullProgress(tqdm):
        def __init__(self, *args, **kwargs) -> None:
            kwargs.pop("name", None)
            super().__init__(*args, **{"mininterval": 0.5, "file": sys.stderr, **kwargs})

    return PullProgress


def pull(model: CatalogModel, folder: Path, say: Callable[[str], None] = print) -> Path:
    """Download `model` into `folder` (resuming a partial download), check its SHA-256, then move it in place."""
    from huggingface_hub import file_download
    from huggingface_hub.utils import build_hf_headers

    final = folder / model.filename
    with network_allowed() as was_offline:
        if was_offline:
            say("Network: allowed for this download only (HF_HUB_OFFLINE is set for the app).")
        say(f"Asking {_endpoint()} for {model.repo_id} / {model.filename} …")
        remote = remote_file(model)
        if final.is_file() and final.stat().st_size == remote.size and sha256_of(final) == remote.sha256:
            say(f"Already pulled: {final}")
            return final
        folder.mkdir(parents=True, exist_ok=True)
        part, have = _partial(folder, model, remote)
        _check_room(folder, remote.size - have)
        if have:
            say(f"Resuming at {have / 1e6:.0f} MB of {remote.size / 1e6:.0f} MB.")
        try:
            with _NetworkErrors(model.filename), part.open("ab") as handle:
                file_download.http_get(
                    remote.url,
                    handle,
                    resume_size=have,
                    headers=build_hf_headers(),
                    expected_size=remote.size,
                    displayed_filename=model.filename,
                    tqdm_class=_progress_bar(),
                )
        except OSError as exc:
            if exc.errno in DISK_ERRORS:
                kept = part.stat().st_size if part.is_file() else 0
                raise DiskFull(
                    f"The disk filled up while downloading ({exc.strerror}): {kept / 1e6:.0f} MB of "
                    f"{remote.size / 1e6:.0f} MB kept in {part}. Free some space and run the pull again to resume, "
                    f"or delete that file. Nothing was installed."
                ) from exc
            raise
        except PullError as exc:
            kept = part.stat().st_size if part.is_file() else 0
            raise type(exc)(f"{exc} The download stopped at {kept / 1e6:.0f} MB: pull again to resume.") from exc
    say(f"Checking SHA-256 against {remote.sha256_source} …")
    actual = sha256_of(part)
    if actual != remote.sha256:
        _discard(part)
        raise ChecksumMismatch(
            f"The downloaded file is not the expected one: its SHA-256 is {actual}, {remote.sha256_source} says "
            f"{remote.sha256}. It has been deleted and nothing was installed. Run the pull again; if this repeats, "
            "the server (HF_ENDPOINT or a proxy) is sending a different file."
        )
    part.replace(final)
    Path(f"{part}.json").unlink(missing_ok=True)
    record = {"name": model.name, "repo_id": model.repo_id, "commit": remote.commit, "sha256": actual}
    (folder / f"{model.filename}.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    say(f"Pulled {final} ({remote.size / 1e9:.2f} GB, SHA-256 checked). Use it with `coach model use {model.name}`.")
    return final
