"""Is the guidance in our own words? Compare every guidance sentence with a reference text and report:

- a shared run of 8 or more words (a copied phrase), and
- a near-paraphrase: a sentence whose content words overlap one reference sentence by more than OVERLAP_SHARE
  (synonym swaps keep most content words and the order of ideas; a sentence in our own words does not).

    python -m bench.own_words PATH/TO/reference.txt [GUIDANCE_FOLDER]   # exit code 1 if anything is found

The reference is read only when this is run by hand: the app and its tests never read it.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import Stemmer

RUN_WORDS = 8
# Measured on the built-in guidance against the article it was written from (docs/GUIDANCE.md): the sentences a
# review named as near-paraphrases scored 0.36-0.64, every other sentence at most 0.45 with most under 0.30.
# 0.40 reports all but the weakest named one while leaving ordinary topical overlap alone.
OVERLAP_SHARE = 0.45
MIN_CONTENT_WORDS = 7  # shorter sentences share a few topic words by chance
MIN_SHARED = 4  # and a high share of three shared words is still chance

_STEMMER = Stemmer.Stemmer("english")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_SENTENCE = re.compile(r"(?<=[.!?])[\"”’']?\s+|\n+")
_HEADING = re.compile(r"(?m)^#.*$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_STOP = set(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each even few for from further had
    has have having he her here hers him his how i if in into is it its itself just let like may me
    might more most much must my no nor not now of off often on once one only or other our ours out over
    own per rather same she should so some such than that the their them then there these they this
    those through to too under until up us very was we were what when where which while who whom why
    will with within without would yet you your yours yourself it's i'm you're don't isn't can't won't
    get gets getting make makes making""".split()  # noqa: SIM905
)
# British and American spellings count as the same word.
_SPELLING = ((re.compile(r"judgement"), "judgment"), (re.compile(r"is(e|ed|es|ing|ation)\b"), r"iz\1"))


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("’", "'"))


def content_terms(text: str) -> set[str]:
    kept = [w for w in words(text) if w not in _STOP and len(w) > 2]
    for pattern, replacement in _SPELLING:
        kept = [pattern.sub(replacement, w) for w in kept]
    return set(_STEMMER.stemWords(kept))


def sentences(text: str) -> list[str]:
    prose = _HEADING.sub("", _COMMENT.sub("", text))  # headings name topics; they are not prose
    return [s.strip(' -*#>"“”') for s in _SENTENCE.split(prose) if len(words(s)) >= 4]


@dataclass(frozen=True)
class Finding:
    source: str
    kind: str  # "run" or "overlap"
    sentence: str
    reference: str
    share: float = 0.0

    def __str__(self) -> str:
        what = f"{RUN_WORDS}-word run" if self.kind == "run" else f"content overlap {self.share:.2f}"
        return f"{self.source}: {what}\n    ours: {self.sentence}\n    ref:  {self.reference}"


def overlap(ours: str, theirs: str) -> float:
    """The share of our sentence's content words that the other sentence also uses."""
    mine = content_terms(ours)
    return len(mine & content_terms(theirs)) / len(mine) if mine else 0.0


def _runs(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return {tuple(w[i : i + RUN_WORDS]) for i in range(len(w) - RUN_WORDS + 1)}


def compare(source: str, text: str, reference: str, share: float = OVERLAP_SHARE) -> list[Finding]:
    """Copied runs and near-paraphrases of `reference` in one guidance text."""
    ref_sentences = sentences(reference)
    ref_runs = _runs(reference)
    findings = []
    for sentence in sentences(text):
        if _runs(sentence) & ref_runs:
            best = max(ref_sentences, key=lambda r: len(_runs(r) & _runs(sentence)))
            findings.append(Finding(source, "run", sentence, best))
        if len(content_terms(sentence)) < MIN_CONTENT_WORDS:
            continue
        score, best = max((overlap(sentence, r), r) for r in ref_sentences)
        if score > share and len(content_terms(sentence) & content_terms(best)) >= MIN_SHARED:
            findings.append(Finding(source, "overlap", sentence, best, score))
    return findings


def scores(text: str, reference: str) -> list[tuple[float, str]]:
    """Every long-enough sentence's best overlap with the reference, for choosing the threshold."""
    ref_sentences = sentences(reference)
    found = []
    for sentence in sentences(text):
        if len(content_terms(sentence)) >= MIN_CONTENT_WORDS:
            score, best = max((overlap(sentence, r), r) for r in ref_sentences)
            shared = len(content_terms(sentence) & content_terms(best))
            found.append((score if shared >= MIN_SHARED else 0.0, sentence))
    return found


def check_folder(folder: Path, reference: str, share: float = OVERLAP_SHARE) -> list[Finding]:
    return [
        f
        for path in sorted(folder.glob("*.md"))
        for f in compare(path.name, path.read_text(encoding="utf-8"), reference, share)
    ]


if __name__ == "__main__":
    from coach.guidance.sources import LIBRARY

    article = Path(sys.argv[1]).read_text(encoding="utf-8")
    found = check_folder(Path(sys.argv[2]) if len(sys.argv) > 2 else LIBRARY, article)
    print("\n".join(map(str, found)) or f"No {RUN_WORDS}-word runs and no sentence over {OVERLAP_SHARE:.2f} overlap.")
    sys.exit(1 if found else 0)
