"""Documents laid out the ways people lay them out: Word files with headings typed in bold and tables, a wiki page
exported as Markdown, PDFs with wrapped footers, words broken at hyphens and ligatures, text with underlined
headings. Each keeps its sections, and the facts in its tables stay findable."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

from coach.guidance.chunking import chunk_file
from coach.guidance.formats import docx_blocks, markdown_blocks
from coach.guidance.layout import page_blocks, text_blocks
from coach.guidance.sources import read_source
from tests.document_files import text_pdf

WIKI = """# Eng Mentoring

*Last edited by Jo*

### Cadence

Here's the default rhythm.

| Thing | How often | Who books it |
|---|---|---|
| Kickoff | Once, in week 5 | Mentee |
| 1:1 | Every 2 weeks | Mentee |

### Tools

```
# not a heading: a comment in a code block

run ./book-room
```

Book the room yourself.
"""


def _word_file() -> bytes:
    import docx

    document = docx.Document()
    document.add_paragraph("Alumni Mentoring Guide", style="Title")
    document.add_heading("Part 4: During the Relationship", level=1)
    document.add_paragraph("Most pairs settle into a rhythm within a month.")
    document.add_paragraph().add_run("Your first meeting").bold = True
    document.add_paragraph("Bring two questions and agree how you will keep in touch.")
    mixed = document.add_paragraph()
    mixed.add_run("Tip: ").bold = True
    mixed.add_run("keep notes.")
    table = document.add_table(rows=3, cols=2)
    rows = [("Strand", "Length"), ("Career Launch", "Six months"), ("Alumni", "One year")]
    for row, cells in zip(table.rows, rows, strict=True):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    document.add_heading("Part 5: Ending", level=1)
    document.add_paragraph("Close with a thank-you note.")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def test_a_word_file_keeps_typed_bold_headings_and_its_table_in_reading_order():
    blocks = docx_blocks(_word_file())
    assert not isinstance(blocks, str)
    assert [(b.level, b.text) for b in blocks] == [
        (1, "Alumni Mentoring Guide"),
        (2, "Part 4: During the Relationship"),
        (0, "Most pairs settle into a rhythm within a month."),
        (3, "Your first meeting"),  # bold and short, in the Normal style: a heading typed by hand
        (0, "Bring two questions and agree how you will keep in touch."),
        (0, "Tip: keep notes."),  # only partly bold: prose
        (0, "Strand | Length"),
        (0, "Strand: Career Launch | Length: Six months"),  # each cell named by its column
        (0, "Strand: Alumni | Length: One year"),
        (2, "Part 5: Ending"),
        (0, "Close with a thank-you note."),
    ]


def test_a_word_table_reads_a_merged_cell_once_and_keeps_equal_cells_apart():
    import docx

    document = docx.Document()
    table = document.add_table(rows=3, cols=3)
    for row, cells in zip(table.rows, [("Role", "Trained", "Vetted"), ("Mentor", "Yes", "Yes")], strict=False):
        for cell, text in zip(row.cells, cells, strict=True):
            cell.text = text
    table.cell(2, 0).text = "Notes"
    table.cell(2, 1).merge(table.cell(2, 2)).text = "Both checks by March"
    out = io.BytesIO()
    document.save(out)
    assert [b.text for b in docx_blocks(out.getvalue())] == [
        "Role | Trained | Vetted",
        "Role: Mentor | Trained: Yes | Vetted: Yes",
        "Notes | Both checks by March",
    ]


def test_the_rows_of_a_word_table_are_found_under_the_section_they_sit_in(embedder):
    file = read_source("guide.docx", _word_file())
    assert not isinstance(file, str)
    row = next(c for c in chunk_file(file, embedder.count_tokens, owner="alice") if "Six months" in c.text)
    assert row.section == "Alumni Mentoring Guide > Part 4: During the Relationship > Your first meeting"


def test_a_users_markdown_is_searched_by_paragraph_and_the_guidance_by_section(embedder):
    file = read_source("wiki.md", WIKI.encode())
    assert not isinstance(file, str)
    uploaded = chunk_file(file, embedder.count_tokens, owner="alice")
    assert {c.unit for c in uploaded} == {"paragraph"}
    row = next(c for c in uploaded if "Every 2 weeks" in c.text)
    assert row.section == "Eng Mentoring > Cadence"
    assert row.text.endswith("Thing: 1:1 | How often: Every 2 weeks | Who books it: Mentee")
    code = next(c for c in uploaded if "book-room" in c.text)
    assert code.section == "Eng Mentoring > Tools" and "# not a heading" in code.text
    assert "Eng Mentoring > Tools > not a heading: a comment in a code block" not in {c.section for c in uploaded}
    # The same file in a guidance folder is guidance written for the app: sections, as its author split them.
    shared = chunk_file(file, embedder.count_tokens)
    assert {c.unit for c in shared} == {"section"}
    # A user's file with everyday phrasings was written for the app too.
    written = read_source("mine.md", b"## Cadence\n\nMeet monthly.\n\n<!-- asked: how often should we meet -->\n")
    assert {c.unit for c in chunk_file(written, embedder.count_tokens, owner="alice")} == {"section"}


def test_a_markdown_table_without_a_header_rule_is_left_as_text():
    assert [b.text for b in markdown_blocks("| a | b |\n| c | d |")] == ["| a | b |\n| c | d |"]


FOOTER = ["INTERNAL. Uncontrolled when printed. Check the People Hub for the current", "version."]
HEADER = ["Harlan Group plc | People Policies | Version 3.1"]
PROSE = "Participation in any mentoring scheme is voluntary for both mentors and mentees alike here."


def _page(*body: str) -> str:
    return "\n".join([*HEADER, *body, *FOOTER, "Owner: Head of Talent", "Page 1"])


def test_a_pdf_footer_wrapped_over_lines_is_dropped_and_words_broken_at_a_hyphen_are_joined():
    pages = [
        _page("1. Purpose", PROSE, "Every mentor must complete the Mentor Foundations e-", "learning course first."),
        _page("2. Records", PROSE, "Expenses are claimed under the Travel Policy (FIN-", "POL-010) within a month."),
        _page("3. Review", PROSE, "The policy is reviewed every two years by its owner."),
    ]
    blocks = page_blocks(pages)
    text = "\n".join(b.text for b in blocks)
    assert "INTERNAL" not in text and "Owner:" not in text and "Harlan Group" not in text
    assert "Mentor Foundations e-learning course first." in text
    assert "Travel Policy (FIN-POL-010) within a month." in text
    assert [(b.level, b.text, b.page) for b in blocks if b.level] == [
        (2, "1. Purpose", 1),
        (2, "2. Records", 2),
        (2, "3. Review", 3),
    ]


def test_one_long_table_row_does_not_make_the_first_line_of_a_wrapped_paragraph_a_heading():
    full_line = "Talent Development will monitor participation in each scheme by grade,"
    wrapped = [
        '2.3 "Scheme Administrator" means the member of the Talent Development',
        "team designated to run the Group's mentoring schemes on its behalf.",
    ]
    sentence_end = "Talent Development will monitor it."
    page = [full_line] * 5 + [sentence_end, *wrapped] + [full_line] * 5 + [sentence_end]
    page.append("Version | Date | Summary " + "of changes made " * 8)
    blocks = page_blocks(["\n".join(page)])
    assert not any(b.level for b in blocks)
    assert any(b.text.startswith('2.3 "Scheme Administrator" means') and "designated" in b.text for b in blocks)


SLIDES = [
    ["Becoming a Mentor", "Induction day for new mentors"],
    ["The programme at a glance", "Each pairing runs for nine months", "Use the timesheet code MNT-01"],
    ["When it gets difficult", "Tell the programme team within two working days", "Keep personal notes short"],
]


def test_a_slide_deck_is_read_slide_by_slide_under_each_slides_title(embedder):
    deck = read_source("deck.pdf", text_pdf(SLIDES, landscape=True))
    assert not isinstance(deck, str)
    chunks = chunk_file(deck, embedder.count_tokens, owner="alice")
    timesheet = next(c for c in chunks if "MNT-01" in c.text)
    assert timesheet.section.endswith("The programme at a glance") and timesheet.page == 2
    assert "two working days" not in timesheet.text, "a slide's bullets do not run on into the next slide"
    notes = next(c for c in chunks if "two working days" in c.text)
    assert notes.section.endswith("When it gets difficult") and notes.page == 3
    # The same lines on portrait pages are a document: its paragraphs run on over a page break.
    document = read_source("handout.pdf", text_pdf(SLIDES))
    assert not isinstance(document, str)
    assert any("MNT-01" in b.text and "two working days" in b.text for b in document.blocks)


def test_pdf_ligatures_are_read_as_the_letters_they_join(tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "chromium is missing: run `make browser`"
    page = tmp_path / "policy.html"
    page.write_text(
        "<html><body style='font-family: DejaVu Serif; font-size: 14pt'><h1>Confidentiality</h1>"
        "<p>Discussions are confidential; the office files an effective record of official findings.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    pdf = tmp_path / "policy.pdf"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
         page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    file = read_source("policy.pdf", pdf.read_bytes())
    assert not isinstance(file, str)
    assert "the office files an effective record of official findings" in " ".join(file.text.split())
    assert not any("\ufb00" <= ch <= "\ufb06" for ch in file.text)


def test_plain_text_headings_underlined_or_in_capitals_above_their_text():
    text = (
        "Mentoring Notes\n===============\n\n"
        "GETTING STARTED\nMost people begin by writing down\ntwo goals for the year.\n\n"
        "Finding a mentor\n----------------\nAsk around your own team first.\n\n"
        "1. Book the room\n2. Send the agenda\n"
    )
    assert [(b.level, b.text) for b in text_blocks(text)] == [
        (1, "Mentoring Notes"),
        (2, "GETTING STARTED"),
        (0, "Most people begin by writing down\ntwo goals for the year."),
        (2, "Finding a mentor"),
        (0, "Ask around your own team first."),
        (0, "1. Book the room\n2. Send the agenda"),
    ]


def test_a_cp1252_text_file_with_underlined_headings_is_read(tmp_path: Path, embedder):
    text = "Notes\n=====\n\nFEES\nThe circle charges £20 – payable by the member’s employer.\n"
    file = read_source("notes.txt", text.encode("cp1252"))
    assert not isinstance(file, str)
    (chunk,) = chunk_file(file, embedder.count_tokens, owner="alice")
    assert chunk.section == "Notes > FEES" and "£20 – payable by the member’s employer" in chunk.text
