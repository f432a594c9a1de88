"""The answer shown for a question: code's composed answer at once; with a model that is not small, the model's
own answer replaces it once every sentence of it has passed the support check."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from coach.chat.compose import compose
from coach.chat.scope import OUT_OF_SCOPE
from coach.chat.support import support
from coach.guidance.sentences import split_line
from coach.llm.capabilities import capabilities_of

if TYPE_CHECKING:
    from coach.chat.answer import Exchange, GroundedPrompt
    from coach.guidance.sentence_bank import PassageSentences
    from coach.service import Coach

_CITATION = re.compile(r"\s*\[\d+(?:,\s*\d+)*\]")
# A list marker, a heading's hashes or a bold label ("**In short:**") starts a line; it is kept, never checked.
_MARKER = re.compile(r"^(\s*(?:[-*+•]|\d+[.)])\s+|\s*#+\s+)?(\*\*[^*\n]{1,40}:\*\*\s*)?")
ALL_REMOVED = (
    "_The model's own answer was not supported by the guidance, so this answer is the guidance itself ({n} "
    "sentence{s} removed)._"
)
SOME_REMOVED = "_{n} sentence{s} removed: not supported by the guidance._"


class CutOff(Exception):
    """The model's answer broke off part-way (its cause is the failure); the composed answer stays shown."""


@dataclass(frozen=True)
class Checked:
    """A model's answer with each supported sentence cited and every unsupported one removed."""

    text: str
    kept: int
    removed: tuple[str, ...]


def check_answer(text: str, passages: Sequence[PassageSentences], passage_texts: Sequence[str], embed) -> Checked:
    """Run the support check on every sentence of `text`, line by line so its lists stay lists."""
    lines = [(m.group(0), line[m.end() :]) for line in text.splitlines() for m in [_MARKER.match(line)]]
    sentences = [[_CITATION.sub("", s).strip() for s in split_line(body)] for _, body in lines]
    flat = [s for group in sentences for s in group if any(c.isalpha() for c in s)]
    vectors = embed(flat) if flat else []
    verdicts = {s: support(s, np.asarray(v), passages, passage_texts) for s, v in zip(flat, vectors, strict=True)}
    out, removed, kept = [], [], 0
    for (marker, body), group in zip(lines, sentences, strict=True):
        if not body.strip():
            out.append("")
            continue
        said = []
        for sentence in group:
            verdict = verdicts.get(sentence)
            if verdict is None:  # no words (a stray symbol): nothing to check, nothing to show
                continue
            if verdict.supported:
                said.append(f"{sentence} [{verdict.passage + 1}]")
                kept += 1
            else:
                removed.append(sentence)
        if said:
            out.append(marker + " ".join(said))
    return Checked("\n".join(out).strip(), kept, tuple(removed))


def _plural(n: int) -> dict[str, object]:
    return {"n": n, "s": "" if n == 1 else "s"}


def writes_answers(coach: Coach) -> bool:
    """Whether the model writes its own (checked) answer: any model but a small one."""
    return not capabilities_of(coach.answerer.model).small


def grounded(coach: Coach, question: str, history: Sequence[Exchange] = (), owner: str | None = None) -> GroundedPrompt:
    """What `answers` needs: the full prompt for a model that writes answers, only the passages otherwise; `owner`'s
    own uploaded documents are searched beside the shared guidance."""
    if writes_answers(coach):
        return coach.answerer.prepare(question, history, owner=owner)
    return coach.answerer.passages(question, owner=owner, history=history)


def answers(coach: Coach, prompt: GroundedPrompt) -> Iterator[str]:
    """The answer text as it should be shown, newest last: the composed answer first (at once), then, with a model
    that is not small, its checked answer. Model failures propagate (the caller keeps what was shown)."""
    if prompt.out_of_scope:
        yield OUT_OF_SCOPE
        return
    texts = [h.text for h in prompt.hits]
    passages = coach.sentences.of(texts)
    query = np.asarray(coach.retriever.query_vector(prompt.question)[0]) if prompt.hits else np.zeros(384)
    composed = compose(query, passages, prompt.question, own=[bool(h.owner) for h in prompt.hits]).markdown()
    yield composed
    if not writes_answers(coach) or not prompt.hits or not prompt.messages:
        return  # the built-in model's words are never shown: the guidance's own are
    pieces: list[str] = []
    try:
        for piece in coach.answerer.stream(prompt):
            pieces.append(piece)
    except Exception as exc:
        if any(p.strip() for p in pieces):
            raise CutOff from exc
        raise
    written = "".join(pieces)
    checked = check_answer(written, passages, texts, coach.index.embedder)
    if checked.kept == 0:
        yield f"{composed}\n\n" + ALL_REMOVED.format(**_plural(len(checked.removed))) if checked.removed else composed
    elif checked.removed:
        yield f"{checked.text}\n\n" + SOME_REMOVED.format(**_plural(len(checked.removed)))
    else:
        yield checked.text
