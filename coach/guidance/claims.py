"""Find factual-sounding claims in guidance that carry no reference: a statistic, a cited study or survey, or an
opinion dressed as a finding ("most mentors say…"). Each must be backed by the file's references sidecar or be
rewritten as a tip ("you may find…").

    python -m coach.guidance.claims [FOLDER]   # default: the built-in guidance; exit code 1 if anything is found
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from coach.guidance.formats import HTML_COMMENT
from coach.guidance.references import for_section
from coach.guidance.sources import LIBRARY, SourceFile, load_folder

_NUMBER_WORD = r"(?:\d+(?:\.\d+)?|two|three|four|five|six|seven|eight|nine|ten|twice)"
_PEOPLE = r"(?:people|employees|staff|workers|mentees|mentors|participants|respondents|professionals|managers)"
# Numbers used as evidence: advice such as "a 20-minute call" or "every six months" is not a claim to source.
CLAIM_PATTERNS: dict[str, re.Pattern[str]] = {
    "a percentage": re.compile(r"\d+(?:\.\d+)?\s*(?:%|per ?cent\b)", re.I),
    "a multiple": re.compile(
        rf"\b\d+(?:\.\d+)?\s*[x×]\B|×|\b{_NUMBER_WORD}\s+times\s+(?:as|more|less|likelier)\b", re.I
    ),
    "a ratio": re.compile(r"\b(?:one|\d+)\s+(?:in|out of)\s+(?:every\s+)?(?:\d+|two|three|four|five|ten)\b", re.I),
    "a year": re.compile(r"\b(?:19|20)\d{2}\b"),
    "a head count": re.compile(rf"\b\d[\d,]*\s+{_PEOPLE}\b", re.I),
    "a study, research or survey": re.compile(r"\b(?:stud(?:y|ies)|research(?:ers?)?|survey(?:s|ed)?)\b", re.I),
    "a report": re.compile(
        r"\b(?:a|the|this|that|one|recent|annual)\s+reports?\b|\breports?\s+(?:found|finds|shows?|showed|says|suggests?)\b",
        re.I,
    ),
    "an opinion stated as a finding": re.compile(
        # a quantifier, then a finding verb later in the same clause: "Most mentors are pleased … and will not…"
        r"\b(?:most|many|the majority of|nearly all|almost all)\s+\w+[^.!?;:,]{0,80}?\b"
        r"(?:say|says|said|report|reports|reported|tell|told|agree|will|welcome|welcomes)\b"
        rf"|\b{_PEOPLE}\s+(?:consistently|repeatedly|always|often)\s+(?:say|report|tell)\b",
        re.I,
    ),
}


@dataclass(frozen=True)
class Claim:
    """One unreferenced claim: where it is, what kind, and the words that matched."""

    source: str
    heading: str
    kind: str
    text: str

    def __str__(self) -> str:
        return f"{self.source}#{self.heading}: {self.kind}: “{self.text}”"


def sections(file: SourceFile) -> list[tuple[str, str]]:
    """(heading, prose) for each `##` section of a Markdown file, without comments (the asked: phrasings)."""
    parts = re.split(r"(?m)^##\s+(.+?)\s*$", HTML_COMMENT.sub("", file.text))
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def unreferenced_claims(file: SourceFile) -> list[Claim]:
    """Claims in sections that no reference backs."""
    found = []
    for heading, prose in sections(file):
        if for_section(file.references, heading):
            continue
        for kind, pattern in CLAIM_PATTERNS.items():
            found += [Claim(file.source, heading, kind, m.group(0)) for m in pattern.finditer(prose)]
    return found


def check_folder(folder: Path) -> list[Claim]:
    return [c for f in load_folder(folder).files if f.is_markdown for c in unreferenced_claims(f)]


if __name__ == "__main__":
    claims = check_folder(Path(sys.argv[1]) if len(sys.argv) > 1 else LIBRARY)
    print("\n".join(map(str, claims)) or "No unreferenced claims.")
    sys.exit(1 if claims else 0)
