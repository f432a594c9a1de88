"""A user's own documents in any format: read with their structure, chunked by paragraph, found small and returned
with their section, kept per user, limited in size and count."""

from __future__ import annotations

from pathlib import Path

import pytest

from coach.guidance import uploads
from coach.guidance.chunking import chunk_file
from coach.guidance.formats import read_blocks
from coach.guidance.index import GuidanceIndex
from coach.guidance.layout import heading_level, text_blocks
from coach.guidance.retrieval import Retriever
from coach.guidance.sources import load_folder, read_source
from coach.guidance.store import open_client
from coach.settings import Settings
from tests.document_files import scanned_pdf, text_pdf, word_file

HANDBOOK_PAGES = [
    [
        "Northwind Mentoring Handbook",
        "2 Eligibility",
        "Anyone with six months of service may apply to be a mentee. Contractors with nine months",
        "left on their contract may apply as well.",
        "2.1 Mentors",
        "A mentor needs three years of experience and the approval of their manager.",
    ],
    [
        "3 Matching",
        "Matches are made within four weeks of the application window closing.",
        "A rematch can be requested with form NW-M4 before the midpoint review.",
    ],
]
FAQ_HTML = """<html><head><title>Mentoring FAQ | Intranet</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li>Cafeteria menu</li></ul></nav>
<main><article><h1>Mentoring FAQ</h1>
<p>This page answers the questions people ask most about the mentoring network at our company.</p>
<h2>How often should we meet?</h2>
<p>Most pairs meet every two weeks for forty-five minutes, and agree the rhythm in their first session.</p>
<h2>Who can I talk to if something goes wrong?</h2>
<p>Speak to your regional mentoring ambassador, who will listen in confidence and help you decide what to do.</p>
</article></main>
<footer>Copyright Contoso. Cookie settings. Privacy notice.</footer></body></html>"""
ESSAY = (
    "LESSONS FROM A DECADE OF MENTORING\n\nBy Jan Novák, café owner\n\n"
    "Where It Started\n\nI met my first mentor at a café in Brno. She taught me to écrire everything down.\n\n"
    "2. Ask for Less\n\nA request for twenty minutes gets a yes far more often than a request for an hour.\n"
)


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    return folder / name


def test_plain_text_headings_are_found_by_shape():
    assert heading_level("3.2 Asking for a rematch") == 3
    assert heading_level("2. Ask for Less Than You Want") == 2
    assert heading_level("THE YEAR IT WENT WRONG") == 2
    assert heading_level("Where This Started") == 2
    assert heading_level("How often should we meet?") == 2
    assert heading_level("I met my first mentor at a café.") == 0
    assert heading_level("and then we met again") == 0
    blocks = text_blocks(ESSAY)
    assert [(b.level, b.text) for b in blocks if b.level] == [
        (1, "LESSONS FROM A DECADE OF MENTORING"),
        (2, "Where It Started"),
        (2, "2. Ask for Less"),
    ]


def test_a_latin1_text_file_is_read_with_its_accents(tmp_path, embedder):
    _write(tmp_path, "essay.txt", ESSAY.encode("latin-1"))
    (file,) = load_folder(tmp_path).files
    chunks = chunk_file(file, embedder.count_tokens)
    assert "café in Brno" in file.text and "écrire" in file.text
    assert any(c.section.endswith("Where It Started") and "café in Brno" in c.text for c in chunks)


def test_a_pdf_is_read_with_headings_and_page_numbers(embedder):
    file = read_source("handbook.pdf", text_pdf(HANDBOOK_PAGES))
    assert not isinstance(file, str)
    chunks = chunk_file(file, embedder.count_tokens)
    by_text = {c.text.split("\n\n")[-1][:30]: c for c in chunks}
    contractors = next(c for c in chunks if "Contractors with nine months left" in c.text)  # wrapped line joined
    assert contractors.section.endswith("2 Eligibility") and contractors.page == 1
    rematch = next(c for c in chunks if "NW-M4" in c.text)
    assert rematch.section.endswith("3 Matching") and rematch.page == 2
    assert len(by_text) == len(chunks)


def test_a_pdf_without_a_text_layer_says_it_looks_scanned():
    problem = read_source("scan.pdf", scanned_pdf(3))
    assert isinstance(problem, str)
    assert problem.startswith("scan.pdf:") and "no text layer" in problem and "OCR" in problem


def test_a_word_document_keeps_its_headings(tmp_path, embedder):
    path = word_file(
        tmp_path / "guide.docx",
        "Mentor Guide",
        [("First Meeting", ["Agree goals and a rhythm."]), ("Ending Well", ["Close with a thank-you note."])],
    )
    file = read_source("guide.docx", path.read_bytes())
    chunks = chunk_file(file, embedder.count_tokens)
    assert [(c.section, c.text.split("\n\n")[-1]) for c in chunks] == [
        ("Mentor Guide > First Meeting", "Agree goals and a rhythm."),
        ("Mentor Guide > Ending Well", "Close with a thank-you note."),
    ]


def test_a_web_page_gives_its_main_text_without_navigation():
    blocks = read_blocks("faq.html", FAQ_HTML.encode())
    assert not isinstance(blocks, str)
    text = "\n".join(b.text for b in blocks)
    assert "every two weeks for forty-five minutes" in text
    assert "Cafeteria menu" not in text and "Cookie settings" not in text
    assert ("How often should we meet?", 2) in [(b.text, b.level) for b in blocks]


def test_a_broken_pdf_or_word_file_is_named_not_fatal():
    assert read_source("bad.pdf", b"%PDF-1.4 not really").startswith("bad.pdf: skipped")
    assert read_source("bad.docx", b"PK not a zip").startswith("bad.docx: skipped")


@pytest.fixture
def index(tmp_path, embedder) -> GuidanceIndex:
    settings = Settings(data_dir=tmp_path / "store", provider="fake", _env_file=None)
    shared = _write(tmp_path / "shared", "shared.md", b"# Meeting\n\nMeet your mentor every month for an hour.\n")
    built = GuidanceIndex(open_client(settings), "guidance", embedder)
    built.sync(shared.parent)
    return built


def test_a_users_documents_are_found_for_them_and_never_for_another_user(tmp_path, index):
    data = tmp_path / "data"
    pdf = _write(tmp_path / "in", "handbook.pdf", text_pdf(HANDBOOK_PAGES))
    report = uploads.add_documents(index, data, "alice", [pdf])
    assert report.added == ["handbook.pdf"] and not report.problems
    assert (data / "uploads" / "alice" / "handbook.pdf").is_file()
    retriever = Retriever(index)
    question = "which form do I need to ask for a rematch"
    alice = retriever.search(question, k=3, owner="alice")
    assert alice[0].source == "handbook.pdf" and alice[0].page == 2 and "NW-M4" in alice[0].text
    assert "Matches are made within four weeks" in alice[0].text, "the whole section comes back (small-to-big)"
    assert "NW-M4" in alice[0].span and alice[0].label == "handbook.pdf › 3 Matching › p. 2"
    for other in ("bob", None):
        hits = retriever.search(question, k=5, owner=other)
        assert hits and all(h.source == "shared.md" for h in hits)
    for mode in ("dense", "bm25"):
        retriever.mode = mode
        assert all(h.source == "shared.md" for h in retriever.search("NW-M4 rematch form", k=5, owner="bob"))


def test_uploads_keep_the_readable_files_and_name_the_others(tmp_path, index, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 5_000)
    good = _write(tmp_path / "in", "notes.txt", b"Ask for twenty minutes, not an hour.\n")
    scan = _write(tmp_path / "in", "scan.pdf", scanned_pdf())
    big = _write(tmp_path / "in", "big.txt", b"word " * 2_000)
    slides = _write(tmp_path / "in", "slides.pptx", b"PK")
    report = uploads.add_documents(index, data, "local", [good, scan, big, slides])
    assert report.added == ["notes.txt"]
    problems = "\n".join(report.problems)
    assert "scan.pdf: not added" in problems and "no text layer" in problems
    assert "big.txt: not added" in problems and "MB limit" in problems
    assert "slides.pptx: not added" in problems and ".pdf" in problems
    assert uploads.list_documents(data, "local") == ["notes.txt"]


def test_a_user_cannot_keep_more_documents_than_the_limit(tmp_path, index, monkeypatch):
    data = tmp_path / "data"
    monkeypatch.setattr(uploads, "MAX_DOCUMENTS", 2)
    files = [_write(tmp_path / "in", f"n{i}.txt", f"Note {i} about mentoring.\n".encode()) for i in range(3)]
    report = uploads.add_documents(index, data, "alice", files)
    assert report.added == ["n0.txt", "n1.txt"]
    assert report.problems == ["n2.txt: not added, you already have 2 documents (the most allowed); remove one first"]


def test_removing_documents_drops_their_entries(tmp_path, index):
    data = tmp_path / "data"
    files = [_write(tmp_path / "in", f"n{i}.txt", f"Note {i} about sponsorship.\n".encode()) for i in range(2)]
    uploads.add_documents(index, data, "alice", files)
    uploads.add_documents(index, data, "bob", files[:1])
    assert uploads.remove_document(index, data, "alice", "n0.txt")
    assert not uploads.remove_document(index, data, "alice", "n0.txt")
    owners = [m["owner"] for m in index.collection.get(include=["metadatas"])["metadatas"] if m["owner"]]
    assert sorted(owners) == ["alice", "bob"]
    assert uploads.remove_user_documents(index, "alice", data_dir=data) == 1
    assert not (data / "uploads" / "alice").exists()
    owners = [m["owner"] for m in index.collection.get(include=["metadatas"])["metadatas"] if m["owner"]]
    assert owners == ["bob"]
    assert index.sync(tmp_path / "shared").unchanged == ["shared.md"], "the shared guidance is untouched"


def test_a_guidance_folder_reads_every_format_and_names_what_it_cannot(tmp_path):
    """What `coach index --source DIR` reads."""
    _write(tmp_path, "handbook.pdf", text_pdf(HANDBOOK_PAGES))
    _write(tmp_path, "faq.html", FAQ_HTML.encode())
    _write(tmp_path, "essay.txt", ESSAY.encode("cp1252"))
    _write(tmp_path, "scan.pdf", scanned_pdf())
    word_file(tmp_path / "guide.docx", "Guide", [("Goals", ["Write one goal per quarter."])])
    result = load_folder(tmp_path)
    assert [f.source for f in result.files] == ["essay.txt", "faq.html", "guide.docx", "handbook.pdf"]
    assert len(result.problems) == 1 and result.problems[0].startswith("scan.pdf: skipped, the PDF has no text layer")


def test_a_paragraph_over_a_page_break_is_cited_at_both_pages(tmp_path, index):
    filler = [f"Line {n} of the welcome, which says little about the rules of the scheme." for n in range(1, 9)]
    pages = [
        ["1 Welcome", *filler, "4 Leaving early", "A pairing may end early when either person asks the programme"],
        ["team in writing, quoting form EX-7, and the team confirms within five days.", *filler[:3]],
    ]
    report = uploads.add_documents(
        index, tmp_path / "data", "alice", [_write(tmp_path / "in", "rules.pdf", text_pdf(pages))]
    )
    assert not report.problems
    hit = Retriever(index).search("how do I end my pairing early, which form", k=1, owner="alice")[0]
    assert "quoting form EX-7" in hit.span and "A pairing may end early" in hit.span
    assert (hit.page, hit.last_page) == (1, 2) and hit.label == "rules.pdf › 4 Leaving early › pp. 1–2"
    welcome = [
        h for h in Retriever(index).search("what does the welcome say", k=3, owner="alice") if "Welcome" in h.section
    ]
    assert welcome and all(h.last_page == 0 and h.label.endswith("1 Welcome › p. 1") for h in welcome)
