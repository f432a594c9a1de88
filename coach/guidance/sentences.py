"""Split a guidance passage into sentences, keeping sample wording (quoted lines, messages) whole."""

from __future__ import annotations

import re
from dataclasses import dataclass

QUOTES = {'"': '"', "“": "”"}
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d+[.)])\s+")
_QUOTED = re.compile(r"[\"“]([^\"“”]{12,})[\"”]")
_SAMPLE = re.compile(
    r"[\"“][A-Z][^\"“”]*?(?:\s+[^\"“”\s]+){4,}[\"”]"
)  # quoted wording: capitalised, five words or more
_ENDS = ".!?"
MIN_CHARS = 12


@dataclass(frozen=True)
class Sentence:
    """One sentence of a passage; `sample` when it carries wording to say or send (a quoted line or a message)."""

    text: str
    sample: bool = False
    bullet: bool = False
    lead: bool = False  # the first sentence of its passage: guidance opens a section with its gist

    @property
    def quote(self) -> str:
        """The sample wording itself, whole (the longest quoted span; the line itself for a block message)."""
        spans = [m.group(0)[1:-1] for m in _SAMPLE.finditer(self.text)]
        return max(spans, key=len) if spans else self.text


def split_line(line: str) -> list[str]:
    """Sentences of one line; never split inside quotation marks, so a quoted sample stays one sentence."""
    pieces: list[str] = []
    start, closing = 0, ""
    i = 0
    while i < len(line):
        ch = line[i]
        if closing:
            if ch == closing or (closing == '"' and ch == "”"):
                closing = ""
                # `...hour?" Many mentors`: the sentence ends after the quote when the quote ended in a stop.
                if line[i - 1] in _ENDS and line[i + 1 : i + 2] == " " and line[i + 2 : i + 3].isupper():
                    pieces.append(line[start : i + 1])
                    start = i + 1
        elif ch in QUOTES:
            closing = QUOTES[ch]
        elif (
            ch in _ENDS
            and i + 2 < len(line)
            and line[i + 1] == " "
            and (line[i + 2].isupper() or line[i + 2] in QUOTES)
        ):
            pieces.append(line[start : i + 1])
            start = i + 1
        i += 1
    pieces.append(line[start:])
    return [p.strip() for p in pieces if p.strip()]


def split_passage(text: str, *, skip_heading: bool = True) -> list[Sentence]:
    """The sentences of a passage in reading order; the section-path line a chunk starts with is skipped, and
    so are lead-ins that end in a colon (they introduce a list, they advise nothing on their own)."""
    lines = text.splitlines()
    if skip_heading and len(lines) > 1 and not lines[1].strip():
        lines = lines[2:]  # chunks start with "Section > Path" and a blank line
    found: list[Sentence] = []
    block_message: list[str] = []
    for raw in [*lines, ""]:
        if raw.startswith(">") or raw.startswith("    "):  # a quoted or indented sample message: one whole unit
            block_message.append(raw.lstrip("> ").strip())
            continue
        if block_message:
            message = " ".join(p for p in block_message if p)
            if len(message) >= MIN_CHARS:
                found.append(Sentence(message, sample=True))
            block_message = []
        line = raw.strip()
        if not line:
            continue
        bullet = bool(_BULLET.match(line))
        for piece in split_line(_BULLET.sub("", line)):
            if len(piece) < MIN_CHARS or piece.endswith(":"):
                continue
            found.append(Sentence(piece, sample=bool(_SAMPLE.search(piece)), bullet=bullet, lead=not found))
    return found


def split_text(text: str) -> list[str]:
    """Sentences of free text (a model's answer), list markers and emphasis stripped."""
    out = []
    for raw in text.splitlines():
        line = _BULLET.sub("", raw.strip()).replace("**", "").strip("#").strip()
        out += [p for p in split_line(line) if any(c.isalpha() for c in p)]
    return out
