"""Read a guidance file of any supported format into text blocks: Markdown and text in any common encoding, PDF
(pypdf, with pages), Word (python-docx, with its headings) and web pages (trafilatura, main text only).

Every reader returns blocks or a one-line reason the file cannot be used; none raises on a bad file."""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
from pathlib import PurePath

from coach.guidance.layout import Block, heading_shaped, page_blocks, text_blocks

MARKDOWN = (".md", ".markdown")
TEXT = (".txt",)
PDF = (".pdf",)
DOCX = (".docx",)
HTML = (".html", ".htm")
SUFFIXES = MARKDOWN + TEXT + PDF + DOCX + HTML
# Guessing among every codec charset-normalizer knows picks exotic ones for short texts (a Latin-1 "café" came back
# as Arabic presentation forms); these cover the text files people actually have.
COMMON_ENCODINGS = [
    "utf_16",
    "cp1252",
    "latin_1",
    "iso8859_15",
    "cp1250",
    "cp1251",
    "koi8_r",
    "mac_roman",
    "shift_jis",
    "euc_jp",
    "gb18030",
    "big5",
    "euc_kr",
]
_COMMONNESS = {codecs.lookup(name).name: n for n, name in enumerate(COMMON_ENCODINGS)}
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")
HTML_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)


def decode_text(data: bytes) -> str | None:
    """Text in UTF-8 (with or without a BOM), or any other encoding charset-normalizer recognises; None for
    binary data."""
    if b"\x00" in data and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data, cp_isolation=COMMON_ENCODINGS))
    if not matches:
        return None
    # Codecs that read the bytes equally cleanly tie on chaos, and charset-normalizer then leans on a language
    # guess that a short text cannot support (an English "£20" came back as Central European "Ł20"): the more
    # common codec wins a tie.
    cleanest = min(m.chaos for m in matches)
    tied = [m for m in matches if m.chaos <= cleanest]
    return str(min(tied, key=lambda m: _COMMONNESS.get(codecs.lookup(m.encoding).name, len(_COMMONNESS))))


def named_rows(rows: list[list[str]]) -> list[Block]:
    """A table row by row. With a header row, each cell after it is named by its column ("Stage: Intro"), so a row
    read alone still says what its values are."""
    header = rows[0] if len(rows) > 1 and all(rows[0]) else None
    blocks = [] if header is None else [Block(" | ".join(header))]
    for cells in rows[1:] if header else rows:
        if header and len(cells) == len(header):
            text = " | ".join(f"{name}: {value}" for name, value in zip(header, cells, strict=True) if value)
        else:
            text = " | ".join(c for c in cells if c)
        if text:
            blocks.append(Block(text))
    return blocks


def _markdown_table(paragraph: str) -> list[list[str]] | None:
    """The rows of a Markdown pipe table (without its |---| rule), or None when `paragraph` is not one."""
    lines = [line.strip() for line in paragraph.splitlines()]
    if len(lines) < 2 or not all(line.startswith("|") for line in lines) or not _TABLE_RULE.match(lines[1]):
        return None
    return [[cell.strip() for cell in line.strip("|").split("|")] for n, line in enumerate(lines) if n != 1]


def _markdown_paragraphs(text: str) -> list[str]:
    """Paragraphs at blank lines, a fenced code block (``` or ~~~) kept whole, and HTML comments dropped."""
    paragraphs: list[list[str]] = [[]]
    fence = ""
    for line in HTML_COMMENT.sub("", text).splitlines():
        marker = line.lstrip()[:3]
        if marker in ("```", "~~~") and (not fence or marker == fence):
            fence = "" if fence else marker
        if not line.strip() and not fence:
            paragraphs.append([])
        else:
            paragraphs[-1].append(line)
    return ["\n".join(lines).strip() for lines in paragraphs if "".join(lines).strip()]


def markdown_blocks(text: str) -> list[Block]:
    """Blocks of Markdown text (a wiki page, or a web page's main text as trafilatura gives it): `#` lines are
    headings, a pipe table is read row by row."""
    blocks: list[Block] = []
    for paragraph in _markdown_paragraphs(text):
        heading = _MD_HEADING.match(paragraph) if "\n" not in paragraph else None
        table = _markdown_table(paragraph)
        if heading:
            blocks.append(Block(heading.group(2), len(heading.group(1))))
        elif table:
            blocks.extend(named_rows(table))
        else:
            blocks.append(Block(paragraph))
    return blocks


def _is_landscape(page) -> bool:
    wide = page.mediabox.width > page.mediabox.height
    return wide != (page.rotation % 180 == 90)  # a page turned a quarter is shown the other way round


def pdf_blocks(data: bytes) -> list[Block] | str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return "skipped, the PDF is password-protected"
        # NFKC: a PDF's ligatures ("ﬁ") come out as one character, which neither the embedder nor a search for
        # "fi" would match.
        pages = [unicodedata.normalize("NFKC", page.extract_text() or "") for page in reader.pages]
        landscape = sum(_is_landscape(page) for page in reader.pages)
    except Exception as exc:  # pypdf raises many types for a damaged file
        return f"skipped, not a readable PDF ({exc})"
    if not any(p.strip() for p in pages):
        return (
            f"skipped, the PDF has no text layer ({len(pages)} page{'s' * (len(pages) != 1)} of images, probably "
            "scanned); run it through OCR and add it again"
        )
    # Slides are laid out landscape, a document's pages portrait.
    return page_blocks(pages, slides=landscape > len(pages) / 2)


def _word_heading_level(paragraph, last_heading: int, below_title: int) -> int:
    """A Word paragraph's heading level: from its Heading style (one deeper when the document has a Title, which
    is level 1), or, for a short bold line in a body style (a heading typed by hand), one below the last styled
    heading."""
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    if style == "Title":
        return 1
    if style.startswith("Heading"):
        digits = style.removeprefix("Heading").strip()
        return (int(digits) if digits.isdigit() else 1) + below_title
    runs = [run for run in paragraph.runs if run.text.strip()]
    if runs and heading_shaped(paragraph.text.strip().rstrip(":")) and all(run.bold for run in runs):
        return min(last_heading + 1, 4) if last_heading else 2
    return 0


def _word_table(table) -> list[Block]:
    """A Word table's rows, a cell merged across columns read once: python-docx repeats it for each column it spans.
    Two cells that only hold the same text ("Yes | Yes") stay two."""
    rows = []
    for row in table.rows:
        cells = row.cells
        rows.append([c.text.strip() for n, c in enumerate(cells) if n == 0 or c != cells[n - 1]])
    return named_rows(rows)


def docx_blocks(data: bytes) -> list[Block] | str:
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # a bad zip, a missing part, bad XML: python-docx passes each through
        return f"skipped, not a readable Word document ({exc})"
    below_title = int(any(p.style is not None and p.style.name == "Title" for p in document.paragraphs))
    blocks: list[Block] = []
    last_heading = 0  # the level of the last heading set in a style
    for item in document.iter_inner_content():  # paragraphs and tables in reading order
        if isinstance(item, Table):
            blocks.extend(_word_table(item))
            continue
        text = item.text.strip()
        if not text:
            continue
        level = _word_heading_level(item, last_heading, below_title)
        if item.style is not None and item.style.name.startswith(("Heading", "Title")):
            last_heading = level
        blocks.append(Block(text.rstrip(":") if level else text, level))
    return blocks


def html_blocks(data: bytes) -> list[Block] | str:
    import trafilatura

    text = decode_text(data)
    if text is None:
        return "skipped, not a readable web page"
    main = trafilatura.extract(text, output_format="markdown", include_tables=True, include_comments=False)
    if not main or not main.strip():
        return "skipped, no main text found in the web page"
    title = trafilatura.extract_metadata(text)
    blocks = markdown_blocks(main)
    if title and title.title and not (blocks and blocks[0].level == 1):
        blocks.insert(0, Block(title.title.strip(), 1))
    return blocks


def read_blocks(name: str, data: bytes) -> list[Block] | str:
    """The blocks of a non-Markdown file, or why it was skipped."""
    suffix = PurePath(name).suffix.lower()
    if suffix in PDF:
        return pdf_blocks(data)
    if suffix in DOCX:
        return docx_blocks(data)
    if suffix in HTML:
        return html_blocks(data)
    text = decode_text(data)
    if text is None:
        return "skipped, looks like a binary file, not text"
    return text_blocks(text)


def blocks_text(blocks: list[Block]) -> str:
    """The blocks as plain text (headings as Markdown headings): what a file's text is for the rest of the app."""
    return "\n\n".join(f"{'#' * b.level} {b.text}" if b.level else b.text for b in blocks)
