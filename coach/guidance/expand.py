"""Small-to-big: a document is searched by paragraph, and a matched paragraph comes back inside its section."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.guidance.fusion import Ranked
    from coach.guidance.retrieval import Hit

# About 400 MiniLM tokens: four expanded hits still leave most of a 4k context for the conversation and answer.
SECTION_CHARS = 1800


def _body(hit: Hit, meta: dict) -> str:
    return hit.text[int(meta.get("body_at", 0) or 0) :].strip()


def _section_window(ordered: list[str], at: int, bodies: dict[str, str]) -> list[str]:
    """The paragraph at `at` with its neighbours, after then before, while they fit SECTION_CHARS."""
    chosen = [at]
    size = len(bodies[ordered[at]])
    before, after = at - 1, at + 1
    while before >= 0 or after < len(ordered):
        for n in (after, before):
            if 0 <= n < len(ordered) and n not in chosen and size + len(bodies[ordered[n]]) <= SECTION_CHARS:
                chosen.append(n)
                size += len(bodies[ordered[n]])
        before, after = before - 1, after + 1
        if size >= SECTION_CHARS:
            break
    return [ordered[n] for n in sorted(chosen)]


Groups = dict[tuple[str, str, str], list[str]]


def section_groups(passages: dict[str, Hit], meta: dict[str, dict]) -> Groups:
    """The paragraph passages of each (owner, document, section), in reading order."""
    groups: Groups = defaultdict(list)
    for passage_id, m in meta.items():
        if m.get("unit") == "paragraph":
            hit = passages[passage_id]
            groups[(str(m.get("owner", "")), hit.source, hit.section)].append(passage_id)
    return {key: sorted(ids, key=lambda i: int(meta[i].get("position", 0))) for key, ids in groups.items()}


def enclosing_sections(
    passages: dict[str, Hit], meta: dict[str, dict], groups: Groups, ranked: Ranked, k: int
) -> list[Hit]:
    """The top `k` hits with each matched paragraph replaced by its section (as much as fits SECTION_CHARS around
    it); a paragraph already shown inside an earlier hit is not returned again. Markdown sections come back as they
    are."""
    hits: list[Hit] = []
    shown: set[str] = set()
    for passage_id, score in ranked:
        hit, m = passages[passage_id], meta[passage_id]
        if m.get("unit") != "paragraph":
            hits.append(replace(hit, score=score))
        else:
            if passage_id in shown:
                continue
            ordered = groups[(str(m.get("owner", "")), hit.source, hit.section)]
            bodies = {i: _body(passages[i], meta[i]) for i in ordered}
            window = _section_window(ordered, ordered.index(passage_id), bodies)
            shown.update(window)
            heading = hit.text[: int(m.get("body_at", 0) or 0)]
            text = heading + "\n\n".join(bodies[i] for i in window)
            hits.append(replace(hit, text=text, score=score, span=bodies[passage_id]))
        if len(hits) == k:
            break
    return hits
