"""Split guidance files into chunks the embedding model takes whole, each with its section path."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from coach.guidance.formats import HTML_COMMENT, markdown_blocks
from coach.guidance.references import citations, for_section
from coach.guidance.sources import SourceFile

HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]
# all-MiniLM-L6-v2 truncates at 256 tokens; keep a margin so a chunk is always embedded whole.
TOKEN_BUDGET = 240
OVERLAP_TOKENS = 24
MAX_HEADING_CHARS = 200  # a heading path this long is still well under the budget
_ASKED = re.compile(r"^\s*asked:\s*", re.IGNORECASE)


def _split_comments(body: str) -> tuple[str, str]:
    """The body without HTML comments, and the phrasings of any `<!-- asked: a; b -->` comment in it."""
    asked = [_ASKED.sub("", c).strip() for c in HTML_COMMENT.findall(body) if _ASKED.match(c)]
    return HTML_COMMENT.sub("", body), "; ".join(a for a in asked if a)


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
    page: int = 0  # the page a PDF paragraph starts on; 0 when the file has no pages
    last_page: int = 0  # the page it ends on, when it runs on over a page break; else 0
    owner: str = ""  # the user who uploaded the file; "" for the built-in and shared guidance
    # "paragraph": one paragraph of a document, found small and shown with its section around it (small-to-big);
    # "section": a Markdown section shown as it is.
    unit: str = "section"
    body_at: int = 0  # where the text after the heading path starts
    # Overlapping two-sentence windows of a long paragraph, each embedded on its own so that one sentence can find
    # its paragraph (a long paragraph's single vector blurs its sentences together).
    windows: tuple[str, ...] = ()

    def metadata(self, entries_in_file: int) -> dict[str, str | int]:
        return {
            "source": self.source,
            "section": self.section,
            "position": self.position,
            "file_sha256": self.file_sha256,
            "chunks_in_file": entries_in_file,
            "asked": self.asked,
            "references": self.references,
            "page": self.page,
            "last_page": self.last_page,
            "owner": self.owner,
            "unit": self.unit,
            "body_at": self.body_at,
            "windows": len(self.windows),
            "phrasings": len(self.phrasings),
        }

    @property
    def asked_text(self) -> str:
        """What the second, question-side vector of this chunk embeds."""
        return self.asked if self.unit == "paragraph" else f"{self.section.split(' > ')[-1]}: {self.asked}"

    @property
    def phrasings(self) -> tuple[str, ...]:
        """Each everyday phrasing on its own, for one vector each: a short question finds the one phrasing that says
        it, where the vector of all of them together blurs into the section's general topic."""
        return tuple(p.strip() for p in self.asked.split(";") if p.strip()) if self.unit == "section" else ()


def stable_id(source: str, section: str, position: int, owner: str = "") -> str:
    """The same file, section and position (and uploader) always give the same id."""
    key = f"{owner}\x01{source}" if owner else source
    digest = hashlib.sha1(f"{key}\x00{section}\x00{position}".encode()).hexdigest()
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


def _splitter(budget: int, count_tokens: Callable[[str], int]) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=budget,
        chunk_overlap=OVERLAP_TOKENS,
        # count_tokens includes [CLS] and [SEP]; charge them once per chunk, not once per merged piece.
        length_function=lambda text: count_tokens(text) - 2,
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
    )


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(A-Z0-9])")
WINDOW_SENTENCES = 2


def sentence_windows(heading: str, paragraph: str) -> tuple[str, ...]:
    """Windows of WINDOW_SENTENCES sentences, one sentence apart, under the section's own heading; none for a
    paragraph that short already."""
    sentences = [s for s in _SENTENCE_END.split(paragraph) if s.strip()]
    if len(sentences) <= WINDOW_SENTENCES:
        return ()
    prefix = f"{heading}: " if heading else ""
    return tuple(
        prefix + " ".join(sentences[n : n + WINDOW_SENTENCES]) for n in range(len(sentences) - WINDOW_SENTENCES + 1)
    )


def document_chunks(file: SourceFile, count_tokens: Callable[[str], int], owner: str = "") -> list[Chunk]:
    """Paragraph chunks of a document not written in Markdown, each under its heading path and with its page."""
    chunks: list[Chunk] = []
    path: list[tuple[int, str]] = []  # (level, heading) of the headings open at this point
    for block in file.blocks:
        if block.level:
            path = [(lv, h) for lv, h in path if lv < block.level] + [(block.level, block.text)]
            continue
        section = " > ".join(h for _, h in path)[:MAX_HEADING_CHARS]
        heading = f"{section}\n\n" if section else ""
        for part in _splitter(TOKEN_BUDGET - count_tokens(heading), count_tokens).split_text(block.text):
            if part.strip():
                position = len(chunks)
                chunks.append(
                    Chunk(
                        id=stable_id(file.source, section, position, owner),
                        text=heading + part.strip(),
                        source=file.source,
                        section=section,
                        position=position,
                        file_sha256=file.sha256,
                        page=block.page,
                        last_page=block.last_page,
                        owner=owner,
                        unit="paragraph",
                        body_at=len(heading),
                        windows=sentence_windows(path[-1][1] if path else "", part.strip()),
                    )
                )
    return chunks


def chunk_file(file: SourceFile, count_tokens: Callable[[str], int], owner: str = "") -> list[Chunk]:
    """Chunks of one file, in reading order; every chunk's text fits TOKEN_BUDGET tokens."""
    if file.blocks:
        return document_chunks(file, count_tokens, owner)
    if owner and not _split_comments(file.text)[1]:
        # A user's own Markdown (a wiki page, notes) was not written for this app: it is searched by paragraph,
        # like their PDFs. Guidance written for the app has everyday phrasings and is searched by its sections.
        return document_chunks(replace(file, blocks=tuple(markdown_blocks(file.text))), count_tokens, owner)
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
                    id=stable_id(file.source, section, position, owner),
                    text=heading + part.strip(),
                    source=file.source,
                    section=section,
                    position=position,
                    file_sha256=file.sha256,
                    asked=asked,
                    references=references,
                    owner=owner,
                    body_at=len(heading),
                )
            )
    return chunks
