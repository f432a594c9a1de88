"""Rehearsal transcripts: validated turns, the JSON file behind `coach rehearse --transcript FILE`, and the check
that a quote is the user's own words."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from coach.errors import InputError, validation_summary
from coach.tools.rehearsal.names import Persona

MAX_TURNS, MAX_TURN_CHARS = 60, 2000


class Turn(TypedDict):
    role: Literal["user", "mentor"]
    content: str


Transcript = list[Turn]
_TRANSCRIPT = TypeAdapter(Transcript)


def check_transcript(raw: object) -> Transcript:
    """A validated transcript (roles user/mentor, printable text, bounded size); raises InputError otherwise."""
    try:
        turns = _TRANSCRIPT.validate_python(raw)
    except ValidationError as exc:
        raise InputError(
            f"A transcript is a list of {{role: user|mentor, content}} turns ({validation_summary(exc)})."
        ) from None
    if len(turns) > MAX_TURNS:
        raise InputError(f"The transcript has {len(turns)} turns; I can take up to {MAX_TURNS}. Start a new one.")
    cleaned = []
    for turn in turns:
        text = "".join(ch for ch in turn["content"] if ch in "\n\t" or ch.isprintable()).strip()
        if len(text) > MAX_TURN_CHARS:
            raise InputError(f"One turn is {len(text):,} characters; keep each under {MAX_TURN_CHARS:,}.")
        if text:
            cleaned.append(Turn(role=turn["role"], content=text))
    return cleaned


def user_turns(transcript: Transcript) -> list[tuple[int, str]]:
    """(index in the transcript, text) of each of the user's own turns."""
    return [(i, t["content"]) for i, t in enumerate(transcript) if t["role"] == "user"]


class SavedTranscript(BaseModel):
    """The JSON file behind `coach rehearse --transcript FILE`."""

    model_config = ConfigDict(extra="forbid")
    persona: Persona | None = None
    transcript: list[Turn]


class LabelledTranscript(SavedTranscript):
    """A transcript in bench/transcripts/: a person's 1-5 per criterion beside it."""

    quality: Literal["strong", "weak", "mixed"]
    expected: dict[str, int]


def save_transcript(path: Path, transcript: Transcript, persona: Persona | None = None) -> Path:
    saved = SavedTranscript(persona=persona, transcript=check_transcript(transcript))
    path.write_text(saved.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return path


def load_transcript(path: Path) -> SavedTranscript:
    """A saved rehearsal: {"persona": ..., "transcript": [...]} or a bare list of turns; InputError when unusable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"No transcript file at {path}.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"Cannot read the transcript {path.name}: {exc}. It must be a JSON file.") from None
    if isinstance(raw, list):
        raw = {"transcript": raw}
    if isinstance(raw, dict):  # a labelled bench transcript scores like any other
        raw = {k: v for k, v in raw.items() if k in SavedTranscript.model_fields}
    try:
        saved = SavedTranscript.model_validate(raw)
    except ValidationError as exc:
        raise InputError(
            f"The transcript {path.name} is not in the expected shape ({validation_summary(exc)})."
        ) from None
    saved.transcript = check_transcript(saved.transcript)
    return saved


QUOTE_MARKS = "\"'“”‘’"
_PLAIN = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-"})


def normal(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_PLAIN)
    return " ".join(text.lower().split())


def quote_is_users(quote: str, transcript: Transcript) -> bool:
    """True when `quote` (at least two words) appears in one of the user's own turns."""
    needle = normal(quote).strip(" .,;:!?-" + QUOTE_MARKS)
    if len(needle.split()) < 2:
        return False
    return any(needle in normal(t["content"]) for t in transcript if t["role"] == "user")


def echoes_user(text: str, transcript: Transcript, run: int = 8) -> bool:
    """True when `text` repeats `run` or more consecutive words of a user turn (a model parroting)."""
    words = normal(text).split()
    turns = [f" {normal(t['content'])} " for t in transcript if t["role"] == "user"]
    return any(f" {' '.join(words[i : i + run])} " in turn for i in range(len(words) - run + 1) for turn in turns)
