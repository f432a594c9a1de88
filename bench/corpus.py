"""Synthetic guidance for scaling runs: Markdown files of `##` sections, each one chunk of realistic prose.

Sentences are drawn from knowledge/ itself, so chunk lengths and vocabulary match the real guidance
(85-120 words plus a sentence, about 120-200 MiniLM tokens, a little under the 240-token chunk budget).
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from coach.guidance.sources import load_folder

SECTIONS_PER_FILE = 20
WORDS_PER_SECTION = (85, 120)


def guidance_sentences(knowledge: Path) -> list[str]:
    """Prose sentences of the real guidance: no headings, list items, HTML comments or fragments."""
    sentences = []
    for file in load_folder(knowledge).files:
        for line in file.text.splitlines():
            if not line.strip() or line.startswith(("#", "-", "*", "|", ">", "<")) or line[:2].strip(". ").isdigit():
                continue
            sentences += [s.strip() for s in re.split(r"(?<=[.!?])\s+", line) if len(s.split()) >= 6]
    return sentences


def write_corpus(folder: Path, sections: int, knowledge: Path, seed: int = 7) -> Path:
    """Write `sections` sections (one chunk each) into Markdown files under `folder`; returns `folder`."""
    rng = random.Random(seed)
    sentences = guidance_sentences(knowledge)
    topics = sorted({w.lower() for s in sentences for w in re.findall(r"[A-Za-z]{5,}", s)})
    folder.mkdir(parents=True, exist_ok=True)
    for start in range(0, sections, SECTIONS_PER_FILE):
        lines = [f"# Synthetic guidance {start // SECTIONS_PER_FILE:05d}", ""]
        for n in range(start, min(start + SECTIONS_PER_FILE, sections)):
            heading = " ".join(rng.sample(topics, 4)).capitalize()
            target, words, body = rng.randint(*WORDS_PER_SECTION), 0, []
            while words < target:
                sentence = rng.choice(sentences)
                body.append(sentence)
                words += len(sentence.split())
            lines += [f"## {n:05d} {heading}", "", " ".join(body), ""]
        (folder / f"guide-{start // SECTIONS_PER_FILE:05d}.md").write_text("\n".join(lines), encoding="utf-8")
    return folder
