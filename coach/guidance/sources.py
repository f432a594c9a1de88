"""Read the guidance folders: Markdown, text, PDF, Word and web-page files, with problems reported rather than fatal.

The built-in guidance ships inside the package (`LIBRARY`); a user's own folder is read beside it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path

from coach.errors import KnowledgeError
from coach.guidance.formats import MARKDOWN, SUFFIXES, blocks_text, decode_text, read_blocks
from coach.guidance.layout import Block
from coach.guidance.references import Reference, parse_references, sidecar_of

# Installed as plain files (setuptools package data), so a real path; `coach index --source` may point elsewhere.
LIBRARY = Path(str(resources.files("coach.guidance") / "library"))
SKIPPED_NAMES = {"readme.md", "readme.txt"}  # a folder's own instructions are not guidance

MAX_FILE_BYTES = 20_000_000  # a long PDF handbook; plain guidance files are far smaller


@dataclass(frozen=True)
class SourceFile:
    """One guidance file: its path relative to the folder, its text, a hash of its bytes (and of its references
    sidecar's, so editing a reference re-indexes the file) and the references it rests on."""

    source: str
    text: str
    sha256: str
    blocks: tuple[Block, ...] = ()  # headings and paragraphs of a document not written in Markdown
    references: tuple[Reference, ...] = ()

    @property
    def is_markdown(self) -> bool:
        return not self.blocks and self.source.lower().endswith(MARKDOWN)


@dataclass
class LoadResult:
    files: list[SourceFile]
    problems: list[str]


def read_source(name: str, data: bytes) -> SourceFile | str:
    """A SourceFile from a file's bytes, or a one-line reason, starting with its name, that it was skipped."""
    if len(data) > MAX_FILE_BYTES:
        return f"{name}: skipped, larger than {MAX_FILE_BYTES // 1_000_000} MB"
    digest = hashlib.sha256(data).hexdigest()
    if name.lower().endswith(MARKDOWN):
        text = decode_text(data)
        if text is None:
            return f"{name}: skipped, looks like a binary file"
        return SourceFile(source=name, text=text, sha256=digest)
    blocks = read_blocks(name, data)
    if isinstance(blocks, str):
        return f"{name}: {blocks}"
    return SourceFile(source=name, text=blocks_text(blocks), sha256=digest, blocks=tuple(blocks))


def _read(path: Path, root: Path, problems: list[str]) -> SourceFile | str:
    """A SourceFile, or a one-line reason the file was skipped. A bad references sidecar is reported in `problems`
    and the file is read without its references, so the guidance itself is never lost."""
    name = path.relative_to(root).as_posix()
    try:
        data = path.read_bytes()
    except OSError as exc:
        return f"{name}: skipped, cannot be read ({exc.strerror or exc})"
    outcome = read_source(name, data)
    sidecar = sidecar_of(path)
    if isinstance(outcome, str) or not sidecar.is_file():
        return outcome
    raw = sidecar.read_bytes()
    digest = hashlib.sha256(data + b"\0" + raw).hexdigest()
    try:
        references = parse_references(raw.decode("utf-8-sig"), sidecar.relative_to(root).as_posix())
    except (ValueError, UnicodeDecodeError) as exc:
        problems.append(f"{exc}; read {name} without its references")
        return replace(outcome, sha256=digest)
    return replace(outcome, sha256=digest, references=references)


def load_folder(folder: Path) -> LoadResult:
    """All readable guidance files below `folder`, sorted by path; raises if there is nothing at all."""
    folder = Path(folder)
    if not folder.is_dir():
        raise KnowledgeError(f"Knowledge folder {folder} does not exist; set COACH_KNOWLEDGE_DIR.")
    files: list[SourceFile] = []
    problems: list[str] = []
    for path in sorted(folder.rglob("*")):
        if path.suffix.lower() not in SUFFIXES or not path.is_file() or path.name.lower() in SKIPPED_NAMES:
            continue
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        outcome = _read(path, folder, problems)
        if isinstance(outcome, str):
            problems.append(outcome)
        elif outcome.text.strip():
            files.append(outcome)
        else:
            problems.append(f"{outcome.source}: skipped, empty")
    if not files:
        detail = f" ({'; '.join(problems)})" if problems else ""
        raise KnowledgeError(f"No usable .md or .txt files (nor .pdf, .docx, .html) in {folder}{detail}.")
    return LoadResult(files=files, problems=problems)


def load_folders(folders: Sequence[Path]) -> LoadResult:
    """The first folder's files (required), then each further folder's that exists (a user's own guidance); a
    name already taken by an earlier folder is skipped with a problem note, so built-in sources stay stable."""
    first, *others = folders
    result = load_folder(first)
    taken = {f.source for f in result.files}
    for folder in others:
        if not Path(folder).is_dir() or Path(folder).resolve() == Path(first).resolve():
            continue
        try:
            extra = load_folder(folder)
        except KnowledgeError:
            continue  # an empty own-guidance folder is normal
        result.problems.extend(extra.problems)
        for file in extra.files:
            if file.source in taken:
                result.problems.append(f"{file.source}: skipped, the built-in guidance has a file of that name")
            else:
                taken.add(file.source)
                result.files.append(file)
    return result
