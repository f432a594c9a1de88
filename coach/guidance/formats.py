"""Read a guidance file of any supported format into text blocks: Markdown and text in any common encoding, PDF
(pypdf, with pages), Word (python-docx, with its headings) and web pages (trafilatura, main text only).

Every reader returns blocks or a one-line reason the file cannot be used; none raises on a bad file."""

from __future__ import annotations

import io
import re
from pathlib import PurePath

from coach.guidance.layout import Block, page_blocks, text_blocks

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
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*$")


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

    best = from_bytes(data, cp_isolation=COMMON_ENCODINGS).best()
    return str(best) if best is not None else None


def markdown_blocks(text: str) -> list[Block]:
    """Blocks of Markdown text (as trafilatura gives a web page's main text): `#` lines are headings."""
    blocks: list[Block] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        heading = _MD_HEADING.match(paragraph) if "\n" not in paragraph else None
        if heading:
            blocks.append(Block(heading.group(2), len(heading.group(1))))
        elif paragraph:
            blocks.append(Block(paragraph))
    return blocks


def pdf_blocks(data: bytes) -> list[Block] | str:
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            return "skipped, the PDF is password-protected"
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many types for a damaged file
        return f"skipped, not a readable PDF ({exc})"
    if not any(p.strip() for p in pages):
        return (
            f"skipped, the PDF has no text layer ({len(pages)} page{'s' * (len(pages) != 1)} of images, probably "
            "scanned); run it through OCR and add it again"
        )
    return page_blocks(pages)


def docx_blocks(data: bytes) -> list[Block] | str:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # a bad zip, a missing part, bad XML: python-docx passes each through
        return f"skipped, not a readable Word document ({exc})"
    blocks: list[Block] = []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        level = 1 if style == "Title" else 0
        if style.startswith("Heading"):
            digits = style.removeprefix("Heading").strip()
            level = int(digits) if digits.isdigit() else 1
        blocks.append(Block(text, level))
    for table in document.tables:  # tables after the text: their rows still answer questions
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                blocks.append(Block(" | ".join(dict.fromkeys(cells))))
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
