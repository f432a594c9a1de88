"""Guidance people can trust: every claim sourced or softened, limits stated, one home per passage, own words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.own_words import compare
from coach.chat.turn import sources_reply
from coach.guidance.chunking import chunk_file
from coach.guidance.claims import check_folder, sections
from coach.guidance.references import SIDECAR_SUFFIX, parse_references
from coach.guidance.retrieval import Hit
from coach.guidance.sources import LIBRARY, load_folder
from coach.tools.conversation import PLAYBOOK
from coach.tools.copy_data import Play

INVOLVE = re.compile(r"\bHR\b|programme office|programme coordinator|\bmanager\b|\bits office\b")


def section(file: str, heading: str) -> str:
    found = dict(sections(next(f for f in load_folder(LIBRARY).files if f.source == file)))
    return found[heading]


def write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text, encoding="utf-8")


SOURCED = """references:
  - title: "A survey of mentees"
    publisher: "Example Press"
    year: 2021
    supports: "40% of mentees in the survey were promoted within a year."
    sections: ["Promotion"]
"""


def test_no_built_in_guidance_makes_a_claim_without_a_reference():
    assert check_folder(LIBRARY) == []


@pytest.mark.parametrize(
    ("sentence", "kind"),
    [
        ("A 2021 survey found that 40% of mentees were promoted.", "a percentage"),
        ("People with mentors are five times as likely to be promoted.", "a multiple"),
        ("Research shows mentoring works.", "a study, research or survey"),
        ("A recent report shows mentoring works.", "a report"),
        ("Many mentees say the biggest change is confidence.", "an opinion stated as a finding"),
        ("Most mentors are pleased to see it and will not feel replaced.", "an opinion stated as a finding"),
        ("Mentors consistently say they enjoy prepared mentees.", "an opinion stated as a finding"),
        ("One in three employees has a mentor.", "a ratio"),
    ],
)
def test_the_claim_check_flags_unsourced_statistics_studies_and_findings(tmp_path, sentence, kind):
    write(tmp_path, "guide.md", f"# Guide\n\n## Promotion\n\n{sentence}\n")
    assert kind in {c.kind for c in check_folder(tmp_path)}


def test_advice_with_numbers_and_softened_tips_are_not_flagged(tmp_path):
    text = "Ask for a 20-minute call, report back after two weeks, and you may find many mentees find it easy."
    write(tmp_path, "guide.md", f"# Guide\n\n## Tips\n\n{text}\n<!-- asked: is there research; 5x -->\n")
    assert check_folder(tmp_path) == []


def test_a_reference_for_the_section_clears_its_claims_but_not_other_sections(tmp_path):
    claim = "A 2021 survey found that 40% of mentees were promoted."
    write(tmp_path, "guide.md", f"# Guide\n\n## Promotion\n\n{claim}\n\n## Other\n\n{claim}\n")
    write(tmp_path, "guide" + SIDECAR_SUFFIX, SOURCED)
    assert {c.heading for c in check_folder(tmp_path)} == {"Other"}


def test_every_built_in_reference_is_complete_and_names_a_real_section():
    for sidecar in sorted(LIBRARY.glob("*" + SIDECAR_SUFFIX)):
        guide = LIBRARY / sidecar.name.replace(SIDECAR_SUFFIX, ".md")
        headings = set(re.findall(r"(?m)^##\s+(.+?)\s*$", guide.read_text(encoding="utf-8")))
        for ref in parse_references(sidecar.read_text(encoding="utf-8"), sidecar.name):
            assert ref.title and ref.publisher and ref.year and ref.supports
            assert set(ref.sections) <= headings, (sidecar.name, ref.sections)


def test_the_promotion_figure_is_sourced_to_the_sun_microsystems_study_as_a_correlation():
    text = section("benefits-of-mentoring.md", "Mentoring and promotion: what the evidence shows")
    assert "Sun Microsystems" in text and "Gartner" in text and "correlation" in text
    assert "pay raise or a promotion" in text and "i4cp" not in text
    refs = next(f for f in load_folder(LIBRARY).files if f.source == "benefits-of-mentoring.md").references
    assert any("Fortune" in r.publisher and r.year == 2007 for r in refs)


def test_a_bad_references_file_is_reported_and_the_guidance_still_loads(tmp_path):
    write(tmp_path, "guide.md", "# Guide\n\n## Promotion\n\nSome advice.\n")
    write(tmp_path, "guide" + SIDECAR_SUFFIX, "references:\n  - title: x\n    year: nineteen\n")
    loaded = load_folder(tmp_path)
    assert [f.source for f in loaded.files] == ["guide.md"] and loaded.files[0].references == ()
    assert any("guide.references.yaml" in p and "year" in p for p in loaded.problems), loaded.problems


def test_editing_a_reference_changes_the_file_hash_so_it_is_indexed_again(tmp_path):
    write(tmp_path, "guide.md", "# Guide\n\n## Promotion\n\nSome advice.\n")
    before = load_folder(tmp_path).files[0].sha256
    write(tmp_path, "guide" + SIDECAR_SUFFIX, SOURCED)
    assert load_folder(tmp_path).files[0].sha256 != before


def test_chunks_carry_only_their_own_sections_references(tmp_path, embedder):
    write(tmp_path, "guide.md", "# Guide\n\n## Promotion\n\nA claim.\n\n## Other\n\nAdvice.\n")
    write(tmp_path, "guide" + SIDECAR_SUFFIX, SOURCED)
    chunks = chunk_file(load_folder(tmp_path).files[0], embedder.count_tokens)
    by_section = {c.section.split(" > ")[-1]: c.references for c in chunks}
    assert by_section == {"Promotion": "A survey of mentees (Example Press, 2021)", "Other": ""}
    assert chunks[0].metadata(2)["references"] == by_section["Promotion"]


def test_the_sources_list_shows_a_reference_under_the_passage_that_uses_it():
    hit = Hit("1", "Guide > Promotion\n\nA claim.", "guide.md", "Guide > Promotion", 1.0, "A survey (Press, 2021)")
    plain = Hit("2", "Guide > Other\n\nAdvice.", "guide.md", "Guide > Other", 0.5)
    body = sources_reply([hit, plain]).content
    assert "Source: A survey (Press, 2021)" in body and body.count("Source:") == 1


def test_a_promotion_question_retrieves_the_sourced_passage_with_its_reference(make_coach, fake_model):
    hits = make_coach(fake_model()).retriever.search("does having a mentor help you get promoted", k=3)
    sourced = [h for h in hits if h.section.endswith("Mentoring and promotion: what the evidence shows")]
    assert sourced and "(Fortune, 2007)" in sourced[0].references


def test_confidentiality_states_what_it_cannot_cover():
    text = section("mutual-respect-and-trust.md", "Confidentiality: what stays between you")
    for limit in ("harassment", "safety", "misconduct", "report", "manager", "HR"):
        assert limit in text, limit


def test_public_thanks_and_recommendations_always_ask_first():
    for file in load_folder(LIBRARY).files:
        for heading, prose in sections(file):
            for sentence in re.split(r"(?<=[.!?])\s+", prose):
                if re.search(r"LinkedIn recommendation|recommendation on LinkedIn|in public|publicly", sentence):
                    assert re.search(r"\bask", sentence, re.I), f"{file.source}#{heading}: {sentence}"


SENSITIVE_WORDING = [
    ("difficult-conversations.md", "Approaching a difficult conversation with your mentor"),
    ("difficult-conversations.md", "Choosing an opening line for a difficult conversation"),
    ("difficult-conversations.md", "Example: disagreeing with your mentor's advice"),
    ("mismatched-expectations.md", "Example wording for raising a mismatch with your mentor"),
    ("mismatched-expectations.md", "When a mentoring mismatch can't be fixed"),
    ("when-it-is-not-working.md", "Raising concerns gently with your mentor"),
    ("ending-a-mentorship.md", "How to end a mentorship well"),
    ("ending-a-mentorship.md", "Example closing message to a mentor"),
    ("busy-mentor.md", "What to say to a mentor who never has time"),
    ("mutual-respect-and-trust.md", "Confidentiality: what stays between you"),
]


@pytest.mark.parametrize(("file", "heading"), SENSITIVE_WORDING)
def test_sensitive_wording_says_when_to_involve_someone_else(file, heading):
    assert INVOLVE.search(section(file, heading)), f"{file}#{heading}"


@pytest.mark.parametrize("scenario", list(PLAYBOOK))
def test_every_play_says_when_to_involve_someone_else(scenario):
    assert INVOLVE.search(PLAYBOOK[scenario].involve)


def test_a_play_without_an_involve_line_or_a_name_slot_is_rejected_at_load():
    good = PLAYBOOK[next(iter(PLAYBOOK))].model_dump()
    with pytest.raises(ValueError, match="involve"):
        Play.model_validate(good | {"involve": "Talk it over with a friend."})
    with pytest.raises(ValueError, match="name"):
        Play.model_validate(good | {"opening": "Hello, could we talk?"})
    with pytest.raises(ValueError, match="extra"):
        Play.model_validate(good | {"note": "?"})


def test_mentoring_is_a_partnership_never_a_favour_owed():
    for file in load_folder(LIBRARY).files:
        prose = " ".join(p for _, p in sections(file))
        assert not re.search(r"\b(as|from) a favour\b", prose), file.source


def test_the_partial_points_are_covered_plainly():
    rhythm = section("meeting-frequency-and-length.md", "How often to meet a mentor")
    assert "twice a month" in rhythm and "bi-monthly" in rhythm and "every two months" in rhythm
    combined = section("micro-mentoring.md", "Combining micro-mentoring with longer mentorships")
    assert "long-standing mentor" in combined and "years" in combined
    assert "long-term mentorship still matters" in section(
        "virtual-mentoring.md", "What virtual mentoring is and why it has grown"
    )


def test_duplicated_passages_have_one_home_and_a_cross_reference():
    home = section("busy-mentor.md", "Suggesting shorter, focused check-ins")
    pointer = section("meeting-frequency-and-length.md", "Short 15-minute check-ins for busy mentors")
    own_text = re.sub(r'"[^"]+"', "", pointer)  # the cross-reference names the home's heading
    assert compare("meeting-frequency-and-length.md", own_text, home) == []
    assert '"Suggesting shorter, focused check-ins"' in pointer
    more = '"Seeking additional mentors elsewhere"'
    for file, heading in [
        ("busy-mentor.md", "What to say to a mentor who never has time"),
        ("mismatched-expectations.md", "When a mentoring mismatch can't be fixed"),
        ("when-it-is-not-working.md", "Deciding whether to continue or move on"),
    ]:
        assert more in section(file, heading), heading


def test_own_words_check_reports_a_copied_run_and_a_near_paraphrase():
    reference = (
        "This feedback loop is crucial for showing your mentor the impact of their guidance and keeps them engaged."
    )
    copied = "Tell them: this feedback loop is crucial for showing your mentor what happened."
    swapped = "This feedback loop shows your mentor the effect of their advice and keeps them involved in your journey."
    own = "Hearing how things turned out lets your mentor see that their time made a difference to you."
    assert "run" in [f.kind for f in compare("x.md", copied, reference)]
    assert [f.kind for f in compare("x.md", swapped, reference)] == ["overlap"]
    assert compare("x.md", own, reference) == []
