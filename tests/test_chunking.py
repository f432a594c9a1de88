"""Loading the knowledge folder and cutting it into chunks the embedding model takes whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from coach.errors import KnowledgeError
from coach.guidance.chunking import Chunk, chunk_file
from coach.guidance.embedding import MAX_TOKENS
from coach.guidance.sources import LIBRARY, load_folder

KNOWLEDGE = LIBRARY


def chunks_of(folder: Path, count_tokens) -> list[Chunk]:
    return [chunk for file in load_folder(folder).files for chunk in chunk_file(file, count_tokens)]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_markdown_is_split_by_headings_into_heading_paths(tmp_path, embedder):
    write(
        tmp_path,
        "guide.md",
        "# Busy mentor\n\nWhy it happens.\n\n## Cancelling\n\nOffer short calls.\n\n"
        "### By email\n\nSend one question.\n\n## Cadence\n\nAsk if monthly still fits.\n",
    )
    chunks = chunks_of(tmp_path, embedder.count_tokens)
    assert [(c.section, c.text) for c in chunks] == [
        ("Busy mentor", "Busy mentor\n\nWhy it happens."),
        ("Busy mentor > Cancelling", "Busy mentor > Cancelling\n\nOffer short calls."),
        ("Busy mentor > Cancelling > By email", "Busy mentor > Cancelling > By email\n\nSend one question."),
        ("Busy mentor > Cadence", "Busy mentor > Cadence\n\nAsk if monthly still fits."),
    ]
    assert [c.position for c in chunks] == [0, 1, 2, 3]


def test_chunk_source_is_the_path_relative_to_the_folder(tmp_path, embedder):
    write(tmp_path, "guides/deep/busy.md", "# Busy\n\nOffer short calls.\n")
    write(tmp_path, "notes.txt", "A sponsor advocates for you.\n")
    assert {c.source for c in chunks_of(tmp_path, embedder.count_tokens)} == {"guides/deep/busy.md", "notes.txt"}


def test_plain_text_is_split_into_paragraphs_at_blank_lines(tmp_path, embedder):
    write(
        tmp_path,
        "notes.txt",
        "A sponsor advocates for you.\nEven when you are absent.\n\n"
        "# Alumni networks help.\n\n  \n\nAsk for one introduction at a time.\n",
    )
    chunks = chunks_of(tmp_path, embedder.count_tokens)
    assert [(c.section, c.text) for c in chunks] == [
        ("", "A sponsor advocates for you.\nEven when you are absent."),
        ("", "# Alumni networks help."),
        ("", "Ask for one introduction at a time."),
    ]


def test_uppercase_txt_files_are_split_into_paragraphs_too(tmp_path, embedder):
    """load_folder accepts `.TXT` (suffix compared lower-case), so chunking must treat it as plain text."""
    text = "First paragraph.\n\nSecond paragraph.\n\n# Not a heading in a text file\nThird paragraph.\n"
    write(tmp_path / "lower", "notes.txt", text)
    write(tmp_path / "upper", "NOTES.TXT", text)
    lower = chunks_of(tmp_path / "lower", embedder.count_tokens)
    upper = chunks_of(tmp_path / "upper", embedder.count_tokens)
    assert [(c.section, c.text) for c in upper] == [(c.section, c.text) for c in lower]


def test_every_chunk_of_the_real_knowledge_fits_the_embedding_model(embedder):
    files = load_folder(KNOWLEDGE).files
    chunks = chunks_of(KNOWLEDGE, embedder.count_tokens)
    assert len(chunks) > len(files) > 10
    too_long = {c.id: embedder.count_tokens(c.text) for c in chunks if embedder.count_tokens(c.text) > MAX_TOKENS}
    assert too_long == {}


def test_an_oversized_section_is_split_into_chunks_that_each_fit(tmp_path, embedder):
    sentences = [
        f"Sentence {n} says that a mentee should bring one clear question and a short update to meeting {n}."
        for n in range(112)
    ]
    body = " ".join(sentences)
    assert len(body.split()) >= 2000
    write(tmp_path, "long.md", f"# Meetings\n\n## Preparing for a meeting\n\n{body}\n")

    chunks = chunks_of(tmp_path, embedder.count_tokens)

    assert len(chunks) >= 8
    assert max(embedder.count_tokens(c.text) for c in chunks) <= MAX_TOKENS
    assert all(c.text.startswith("Meetings > Preparing for a meeting\n\n") for c in chunks)
    for sentence in sentences:  # nothing is lost between chunks
        assert any(sentence in c.text for c in chunks), sentence


def test_chunk_ids_are_stable_across_runs(embedder):
    first = [c.id for c in chunks_of(KNOWLEDGE, embedder.count_tokens)]
    again = [c.id for c in chunks_of(KNOWLEDGE, embedder.count_tokens)]
    script = (
        "import json; from coach.guidance.embedding import LocalMiniLM; "
        "from coach.guidance.sources import LIBRARY, load_folder; "
        "from coach.guidance.chunking import chunk_file; e = LocalMiniLM(); "
        "print(json.dumps([c.id for f in load_folder(LIBRARY).files "
        "for c in chunk_file(f, e.count_tokens)]))"
    )
    other_process = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
        check=True,
    )
    assert first == again == json.loads(other_process.stdout)


def test_chunk_ids_are_unique_across_the_real_knowledge(embedder):
    ids = [c.id for c in chunks_of(KNOWLEDGE, embedder.count_tokens)]
    assert len(ids) == len(set(ids))


def test_unreadable_files_are_skipped_with_a_message_naming_them(tmp_path):
    write(tmp_path, "good.md", "# Good\n\nStill loads.\n")
    (tmp_path / "latin1.md").write_bytes(b"caf\xe9 au lait\n")
    (tmp_path / "binary.txt").write_bytes(b"PK\x03\x04\x00\x00binary\x00stuff")
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "blank.txt").write_text("  \n\n", encoding="utf-8")

    result = load_folder(tmp_path)

    # A Latin-1 file is read now (any common encoding), so it is not among the problems.
    assert [f.source for f in result.files] == ["good.md", "latin1.md"]
    assert "café au lait" in result.files[1].text
    assert len(result.problems) == 3
    for name, reason in [
        ("binary.txt", "binary"),
        ("empty.md", "empty"),
        ("blank.txt", "empty"),
    ]:
        assert any(p.startswith(f"{name}:") and reason in p for p in result.problems), (name, result.problems)


def test_a_missing_knowledge_folder_raises_a_knowledge_error(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(KnowledgeError, match="does not exist") as caught:
        load_folder(missing)
    assert str(missing) in str(caught.value)
    assert "COACH_KNOWLEDGE_DIR" in str(caught.value)


def test_a_folder_without_usable_files_raises_a_knowledge_error_listing_why(tmp_path):
    (tmp_path / "slides.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "empty.md").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"caf\x00\xe9")
    with pytest.raises(KnowledgeError, match=r"No usable \.md or \.txt files") as caught:
        load_folder(tmp_path)
    message = str(caught.value)
    assert str(tmp_path) in message
    assert "empty.md" in message and "binary.txt" in message
    assert "slides.pdf: skipped, not a readable PDF" in message  # PDFs are read now; a broken one is named


def test_headings_inside_fenced_code_blocks_are_not_sections(tmp_path, embedder):
    write(
        tmp_path,
        "tools.md",
        "# Tools\n\n## Shell\n\nRun this:\n\n```bash\n# list the agenda files\nls agendas/\n```\n\n"
        "~~~\n## Not a section either\n~~~\n\n## Calendar\n\nBook the slot yourself.\n",
    )
    chunks = chunks_of(tmp_path, embedder.count_tokens)
    assert [c.section for c in chunks] == ["Tools > Shell", "Tools > Calendar"]
    assert "# list the agenda files" in chunks[0].text
    assert "## Not a section either" in chunks[0].text
