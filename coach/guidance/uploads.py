"""A user's own documents added from the page: kept under `<data_dir>/uploads/<user>/`, indexed with that user as
their owner, searched only for that user. Without accounts every upload belongs to the one local user."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from coach.errors import CoachError
from coach.guidance.formats import SUFFIXES
from coach.guidance.sources import LoadResult, SourceFile, read_source

if TYPE_CHECKING:
    from coach.guidance.index import GuidanceIndex, Progress, SyncReport
    from coach.service import Coach

MAX_UPLOAD_BYTES = 10_000_000
MAX_DOCUMENTS = 25
_UNSAFE = re.compile(r"[^\w.\- ()]+")


class UploadError(CoachError):
    """An upload that breaks a limit; the message says which and what to do."""


@dataclass
class UploadReport:
    """What one upload did: files kept and indexed, and one line per file that was not, by name."""

    added: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    sync: SyncReport | None = None


def owner_name(user: str) -> str:
    """The owner tag (and folder name) of a user's uploads; never "", which is the shared guidance's."""
    cleaned = _UNSAFE.sub("_", user.strip()).strip(" .")
    if not cleaned:
        raise UploadError("Uploads need a user name.")
    return cleaned


def uploads_dir(data_dir: Path, user: str) -> Path:
    return Path(data_dir) / "uploads" / owner_name(user)


def safe_name(name: str) -> str:
    """A file or folder name with no path and nothing a file system may refuse."""
    cleaned = _UNSAFE.sub("_", PurePath(name.replace("\\", "/")).name).strip(" .")
    return cleaned[:120] or "document"


def list_documents(data_dir: Path, user: str) -> list[str]:
    folder = uploads_dir(data_dir, user)
    return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []


def _load(folder: Path) -> LoadResult:
    files: list[SourceFile] = []
    problems: list[str] = []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.is_file():
            outcome = read_source(path.name, path.read_bytes())
            (problems if isinstance(outcome, str) else files).append(outcome)
    return LoadResult(files=files, problems=problems)


def sync_user(index: GuidanceIndex, data_dir: Path, user: str, progress: Progress | None = None) -> SyncReport:
    """Index what changed in one user's uploads (new files embedded, removed ones dropped); nobody else's."""
    return index.sync(_load(uploads_dir(data_dir, user)), progress, owner=owner_name(user))


def add_documents(
    index: GuidanceIndex, data_dir: Path, user: str, paths: Iterable[Path], progress: Progress | None = None
) -> UploadReport:
    """Keep and index the files a user uploaded. A file that is too big, of an unknown kind or unreadable is named
    in `problems` and not kept; the others are kept and indexed all the same."""
    folder = uploads_dir(data_dir, user)
    report = UploadReport()
    present = set(list_documents(data_dir, user))
    for path in paths:
        path = Path(path)
        name = safe_name(path.name)
        if path.suffix.lower() not in SUFFIXES:
            report.problems.append(f"{name}: not added, only {', '.join(SUFFIXES)} files can be read")
            continue
        size = path.stat().st_size
        if size > MAX_UPLOAD_BYTES:
            report.problems.append(
                f"{name}: not added, {size / 1e6:.1f} MB is over the {MAX_UPLOAD_BYTES // 1_000_000} MB limit; "
                "split it or save it as plain text"
            )
            continue
        if name not in present and len(present) >= MAX_DOCUMENTS:
            report.problems.append(
                f"{name}: not added, you already have {MAX_DOCUMENTS} documents (the most allowed); remove one first"
            )
            continue
        outcome = read_source(name, path.read_bytes())
        if isinstance(outcome, str):
            report.problems.append(outcome.replace(": skipped,", ": not added,", 1))
            continue
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, folder / name)
        present.add(name)
        report.added.append(name)
    if report.added:
        report.sync = sync_user(index, data_dir, user, progress)
    return report


def remove_document(index: GuidanceIndex, data_dir: Path, user: str, name: str) -> bool:
    """Delete one of the user's documents and its index entries; False when the user has no such document."""
    path = uploads_dir(data_dir, user) / safe_name(name)
    if not path.is_file():
        return False
    path.unlink()
    sync_user(index, data_dir, user)
    return True


def remove_user_documents(coach_or_index: Coach | GuidanceIndex, user: str, data_dir: Path | None = None) -> int:
    """Forget a user's uploads: delete their files and every index entry they own. Returns the entries removed.

    Takes a Coach (its settings give the data folder) or a GuidanceIndex with `data_dir`."""
    index = getattr(coach_or_index, "index", coach_or_index)
    if data_dir is None:
        data_dir = coach_or_index.settings.data_dir  # type: ignore[union-attr]
    owner = owner_name(user)
    doomed = index.collection.get(where={"owner": owner}, include=[])["ids"]
    folder = uploads_dir(data_dir, user)
    if folder.is_dir():
        shutil.rmtree(folder)
    if doomed:
        index.sync(LoadResult(files=[], problems=[]), owner=owner)
    return len(doomed)
