"""Split guidance files into chunks the embedding model takes whole, each with its section path."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from coach.guidance.references import citations, for_section
from coach.guidance.sources import SourceFile

HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]
# all-MiniLM-L6-v2 truncates at 256 tokens; keep a margin so a chunk is always embedded whole.
TOKEN_BUDGET = 240
OVERLAP_TOKENS = 24
MAX_HEADING_CHARS = 200  # a heading path this long is still well under the budget
_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
_ASKED = re.compile(r"^\s*asked:\s*", re.IGNORECASE)


def _split_comments(body: str) -> tuple[str, str]:
    """The body without HTML comments, and the phrasings of any `<!-- asked: a; b -->` comment in it."""
    asked = [_ASKED.sub("", c).strip() for c in _COMMENT.findall(body) if _ASKED.match(c)]
    return _COMMENT.sub("", body), "; ".join(a for a in asked if a)


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: `text` starts with its section path so it reads well on its own."""

    id: str
    text: str
    source: str
    section: str
    position: int
    file_sha256: str
    asked: str = ""  # everyday phrasings of what the section answers, from <!-- asked: ... --> comments
    references: str = ""  # citations of the sources behind the section's claims, one a line

    def metadata(self, entries_in_file: int) -> dict[str, str | int]:
        return {
            "source": self.source,
            "section": self.section,
            "position": self.position,
            "file_sha256": self.file_sha256,
            "chunks_in_file": entries_in_file,
            "asked": self.asked,
            "references": self.references,
        }

    @property
    def asked_text(self) -> str:
        """What the second, question-side vector of this chunk embeds."""
        return f"{self.section.split(' > ')[-1]}: {self.asked}"


def stable_id(source: str, section: str, position: int) -> str:
    """The same file, section and position always give the same id."""
    digest = hashlib.sha1(f"{source}\x00{section}\x00{position}".encode()).hexdigest()
    return digest[:20]


def _sections(file: SourceFile) -> list[tuple[str, str]]:
    """(section path, body) pairs: by headings for Markdown, one untitled section for plain text."""
    if not file.is_markdown:
        return [("", paragraph) for paragraph in re.split(r"\n\s*\n", file.text) if paragraph.strip()]
    splitter = MarkdownHeaderTextSplitter(headers_to_split_on=HEADERS, strip_headers=True)
    pieces = splitter.split_text(file.text)
    return [
        (" > ".join(doc.metadata[key] for _, key in HEADERS if key in doc.metadata), doc.page_content) for doc in pieces
    ]


def chunk_file(file: SourceFile, count_tokens: Callable[[str], int]) -> list[Chunk]:
    """Chunks of one file, in reading order; every chunk's text fits TOKEN_BUDGET tokens."""
    chunks: list[Chunk] = []
    for section, raw_body in _sections(file):
        body, asked = _split_comments(raw_body)
        references = citations(for_section(file.references, section))
        heading = f"{section[:MAX_HEADING_CHARS]}\n\n" if section else ""
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=TOKEN_BUDGET - count_tokens(heading),
            chunk_overlap=OVERLAP_TOKENS,
            # count_tokens includes [CLS] and [SEP]; charge them once per chunk, not once per merged piece.
            length_function=lambda text: count_tokens(text) - 2,
            # MarkdownHeaderTextSplitter turns blank lines into "  \n".
            separators=["\n\n", "  \n", "\n", ". ", "; ", ", ", " ", ""],
        )
        for part in splitter.split_text(body):
            if not part.strip():
                continue
            position = len(chunks)
            chunks.append(
                Chunk(
                    id=stable_id(file.source, section, position),
                    text=heading + part.strip(),
                    source=file.source,
                    section=section,
                    position=position,
                    file_sha256=file.sha256,
                    asked=asked,
                    references=references,
                )
            )
    return chunks
