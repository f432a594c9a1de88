"""Files made for a download (exports, agendas, transcripts): written to a private folder in the data directory
(mode 0700), which is also Gradio's temp dir, and deleted once older than a short age.

Gradio copies every file a page serves or receives into its temp dir, by default a world-readable folder in the
system temp directory that nothing cleans. Pointing GRADIO_TEMP_DIR at the private folder before the page is
built, and sweeping that folder, leaves nothing with user content behind.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

log = logging.getLogger(__name__)

_folder: Path | None = None


def make_private(folder: Path) -> Path:
    """`folder`, created if need be, readable by this account only."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def use_private_folder(folder: Path) -> Path:
    """Make `folder` (mode 0700) where download files and Gradio's copies go; call before the page is built, as
    Gradio's components read GRADIO_TEMP_DIR when they are created."""
    global _folder
    _folder = make_private(folder).resolve()
    os.environ["GRADIO_TEMP_DIR"] = str(_folder)
    return _folder


def private_folder() -> Path:
    """The folder set by `use_private_folder`; before that (a page built without `serve`), a fresh private
    folder of this process, so a file is never world-readable even then."""
    global _folder
    if _folder is None:
        _folder = Path(tempfile.mkdtemp(prefix="mentor-coach-")).resolve()  # mkdtemp makes it 0700
    return _folder


def owner_folder(root: Path, user: str) -> Path:
    """The part of the private folder `root` holding one user's download files (deleted with their data)."""
    return root / f"user-{hashlib.sha256(user.encode()).hexdigest()[:20]}"


def save_files(files: dict[str, str], owner: str | None = None) -> list[str]:
    """Write a tool's files to a fresh, randomly named folder in the private folder (in the `owner`'s part when
    known); their paths."""
    root = make_private(private_folder())
    parent = make_private(owner_folder(root, owner)) if owner else root
    folder = Path(tempfile.mkdtemp(prefix="files-", dir=parent))
    paths = []
    for name, text in files.items():
        path = folder / Path(name).name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o600)
        paths.append(str(path))
    return paths


def sweep(folder: Path, max_age: float, now: float | None = None) -> int:
    """Delete the files under `folder` last changed more than `max_age` seconds ago, then the folders left empty;
    how many files went."""
    now = time.time() if now is None else now
    removed = 0
    for root, dirs, files in os.walk(folder, topdown=False):
        for name in files:
            path = Path(root) / name
            try:
                if now - path.lstat().st_mtime > max_age:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        for name in dirs:
            try:
                (Path(root) / name).rmdir()  # only succeeds when empty
            except OSError:
                continue
    return removed


class Sweeper:
    """Sweeps the private folder every half `max_age` (at least every minute) in a daemon thread."""

    def __init__(self, folder: Path, max_age: float) -> None:
        self.folder = folder
        self.max_age = max_age
        self.every = min(max(max_age / 2, 0.2), 60.0)
        self._stop = threading.Event()

    def start(self) -> Sweeper:
        sweep(self.folder, self.max_age)  # what a previous run left
        threading.Thread(target=self._run, name="download-sweeper", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                sweep(self.folder, self.max_age)
            except OSError as exc:  # keep sweeping; say why once per failure
                log.warning("could not clean the download folder %s: %s", self.folder, exc)
