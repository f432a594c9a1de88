"""Find the structure of documents written for people, not for this app: headings and paragraphs in plain text and
in the text lines a PDF gives, with no Markdown to go by."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

MAX_HEADING_WORDS = 14
MAX_HEADING_CHARS = 90
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s+(\S.*)$")
_BULLET = re.compile(r"^\s*(?:[-•*–]|\(?[a-z0-9]\))\s+")
_SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to", "with"}
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*")
_PAGE_NUMBER = re.compile(r"^(?:page\s*)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)


@dataclass(frozen=True)
class Block:
    """A heading (`level` ≥ 1) or a paragraph (`level` 0) of a document, with the page it starts on (0: no pages)
    and, for a paragraph that runs on over a page break, the page it ends on."""

    text: str
    level: int = 0
    page: int = 0
    last_page: int = 0  # 0: the page it starts on


def _is_title_case(words: list[str]) -> bool:
    significant = [w for w in words if w.lower() not in _SMALL_WORDS] or words
    return sum(w[0].isupper() for w in significant) >= max(1, round(0.75 * len(significant)))


def heading_shaped(line: str) -> bool:
    """Whether a line has a heading's shape, whatever its case: short, not a sentence (no final full stop, comma,
    semicolon or colon), not a list item or a table row. What else marks it a heading depends on where it stands
    (bold in Word, first on a slide, the case rules of `heading_level`)."""
    line = line.strip()
    if not line or len(line) > MAX_HEADING_CHARS or line[-1] in ".,;:" or _BULLET.match(line) or "|" in line:
        return False
    return bool(_WORD.findall(line)) and len(line.split()) <= MAX_HEADING_WORDS


def heading_level(line: str) -> int:
    """The level a one-line paragraph would have as a heading, or 0 when it reads as prose.

    Numbered lines take their depth ("2." → 2, "3.2" → 3); ALL CAPS, Title Case and question lines count as
    level 2. Sentences (a final full stop, comma or semicolon) and long lines are never headings."""
    line = line.strip()
    if not heading_shaped(line):
        return 0
    if line[0].islower():  # the wrapped end of a sentence ("act on?"), never a heading
        return 0
    words = _WORD.findall(line)
    numbered = _NUMBERED.match(line)
    if numbered and not numbered.group(2)[0].islower():
        return 2 + numbered.group(1).count(".")
    letters = "".join(words)
    if letters.isupper() and len(letters) > 2:
        return 2
    if line.endswith("?") or _is_title_case(words):
        return 2
    return 0


_UNDERLINE = re.compile(r"^(=+|-+)$")  # a setext heading's underline: "Title" over "=====" or "-----"


def _leading_heading(paragraph: str) -> tuple[str, int, str] | None:
    """(heading, level, rest) when a paragraph opens with a heading line set on top of its text: underlined with
    = or -, or in ALL CAPS. Level 2 either way: documents mix the styles for headings of one rank."""
    first, _, rest = paragraph.partition("\n")
    second, _, after = rest.partition("\n")
    if second.strip() and _UNDERLINE.match(second.strip()) and len(second.strip()) >= 3 and first.strip():
        return first.strip(), 2, after.strip()
    words = _WORD.findall(first)
    caps = words and "".join(words).isupper() and len("".join(words)) > 2
    if rest.strip() and caps and heading_level(first):
        return first.strip(), 2, rest.strip()
    return None


def text_blocks(text: str) -> list[Block]:
    """Blocks of a plain-text document: paragraphs at blank lines; a short standalone line that looks like a
    heading is one, as is an underlined or ALL CAPS line on top of a paragraph. A heading at the very top is the
    document's title (level 1)."""
    blocks: list[Block] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        leading = _leading_heading(paragraph) if "\n" in paragraph else None
        if leading:
            heading, level, paragraph = leading
            blocks.append(Block(heading, 1 if not blocks else level))
            if paragraph:
                blocks.append(Block(paragraph))
            continue
        level = heading_level(paragraph) if "\n" not in paragraph else 0
        if level and not blocks:
            level = 1
        blocks.append(Block(paragraph, level))
    return blocks


EDGE_LINES = 4  # how far into a page's top and bottom a running header or a wrapped footer reaches


def _shape(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip())


def _running_lines(pages: list[list[str]]) -> set[str]:
    """The shapes of lines repeated at the top or bottom of most pages (running headers, "Page 3 of 12" footers,
    a footer notice wrapped over several lines)."""
    if len(pages) < 3:
        return set()
    shape = Counter()
    for lines in pages:
        shape.update({_shape(lines[n]) for n in _edge_rows(len(lines)) if lines[n].strip()})
    return {s for s, n in shape.items() if n >= max(3, len(pages) // 2)}


def _edge_rows(count: int) -> set[int]:
    """The row numbers of a page of `count` lines where running headers and footers stand."""
    return set(range(min(EDGE_LINES, count))) | set(range(max(EDGE_LINES, count - EDGE_LINES), count))


def _body_width(pages: list[list[str]]) -> int:
    """The length of a full line of body text: a high percentile, so one long table row does not set it."""
    lengths = sorted(len(line.strip()) for lines in pages for line in lines if line.strip())
    return lengths[int(0.9 * (len(lengths) - 1))] if lengths else 80


# A line that ends in a word's hyphen ("e-", "FIN-") broke a hyphenated word, not a sentence at a dash (" -").
_BROKEN_AT_HYPHEN = re.compile(r"[A-Za-z]-$")


def _join_lines(lines: list[str]) -> str:
    """A paragraph's wrapped lines as one: a word broken after its hyphen ("e-" / "learning", "FIN-" / "POL-010")
    is joined whole."""
    text = lines[0]
    for line in lines[1:]:
        text += line if _BROKEN_AT_HYPHEN.search(text) and line[:1].isalnum() else " " + line
    return text.strip()


def page_blocks(pages: list[str], slides: bool = False) -> list[Block]:
    """Blocks of a PDF's pages: running headers and footers dropped, wrapped lines joined into paragraphs, numbered
    or title-like short lines taken as headings. A paragraph keeps the pages it starts and ends on. In a document's
    pages a paragraph runs on over a page break; in `slides` each page ends its own, and a slide's first line is its
    title."""
    split = [[line.rstrip() for line in page.splitlines()] for page in pages]
    running = _running_lines(split)
    width = _body_width(split)
    blocks: list[Block] = []
    current: list[str] = []
    start_page = end_page = 1

    def close() -> None:
        if current:
            blocks.append(Block(_join_lines(current), 0, start_page, end_page if end_page > start_page else 0))
            current.clear()

    for page_no, lines in enumerate(split, 1):
        if slides:
            close()
        titled = not slides
        edge = _edge_rows(len(lines))
        for number, line in enumerate(lines):
            stripped = line.strip()
            if not stripped or (number in edge and (_PAGE_NUMBER.match(stripped) or _shape(stripped) in running)):
                continue
            level = heading_level(stripped) if len(stripped) < 0.8 * width else 0
            if not titled:
                titled = True
                level = level or (2 if heading_shaped(stripped) else 0)
            if level:
                close()
                blocks.append(Block(stripped, level, page_no))
                continue
            if _BULLET.match(stripped) or "|" in stripped:
                close()
            if not current:
                start_page = page_no
            end_page = page_no
            current.append(stripped)
            # A short line ending a sentence ends its paragraph; a table row stands alone.
            if "|" in stripped or (stripped[-1] in ".!?:" and len(stripped) < 0.85 * width):
                close()
    close()
    return blocks
