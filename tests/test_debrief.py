"""Meeting debriefs: structured extraction by the model (validated, one retry), rules when it cannot."""

from __future__ import annotations

import json
from datetime import date

import pytest

from coach.errors import InputError
from coach.journal.debrief import Debrief, extract, follow_up_message, from_rows, rule_based
from coach.llm.capabilities import Capabilities

NOTES = """Talked about the promotion case and the design review.
- I'll draft the project summary by 2026-12-10
- TODO: ask Sam for feedback on the deck
- She will introduce me to the design lead
We agreed to meet monthly from now on."""

VALID = json.dumps(
    {
        "action_items": [
            {"text": "Draft the project summary", "owner": "me", "due": "2026-12-10"},
            {"text": "Introduce me to the design lead", "owner": "mentor", "due": None},
        ],
        "decisions": ["Meet monthly"],
        "summary": "Promotion case and design review.",
    }
)


def test_valid_model_output_is_used(fake_model):
    result = extract(NOTES, fake_model(VALID))
    assert result.extracted_by == "model"
    assert [i.owner for i in result.action_items] == ["me", "mentor"]
    assert result.action_items[0].due == date(2026, 12, 10)


def test_invalid_then_valid_output_is_retried_once(fake_model):
    model = fake_model("Sure! Here are the items: draft summary", "```json\n" + VALID + "\n```")
    result = extract(NOTES, model)
    assert result.extracted_by == "model" and len(result.action_items) == 2


def test_half_valid_output_counts_as_invalid(fake_model):
    half = json.dumps({"action_items": [{"text": "x", "owner": "boss"}], "decisions": "not a list"})
    result = extract(NOTES, fake_model(half, half))
    assert result.extracted_by == "rules"


def test_two_invalid_outputs_fall_back_to_rules(fake_model):
    result = extract(NOTES, fake_model("no json here", "still none"))
    assert result.extracted_by == "rules"
    texts = [i.text for i in result.action_items]
    assert texts == [
        "draft the project summary by 2026-12-10",
        "ask Sam for feedback on the deck",
        "introduce me to the design lead",
    ]
    assert result.action_items[0].due == date(2026, 12, 10)
    assert result.action_items[2].owner == "mentor"
    assert result.decisions == ["meet monthly from now on"]


def test_empty_or_huge_notes_get_a_clear_message(fake_model):
    with pytest.raises(InputError, match="notes"):
        extract("   ", fake_model())
    with pytest.raises(InputError, match="20,000"):
        extract("x" * 30_000, fake_model())


def test_follow_up_reports_what_the_mentee_will_do():
    note = follow_up_message("Priya", rule_based(NOTES), "Ana")
    assert note.startswith("Hi Priya,")
    assert "- draft the project summary by 2026-12-10 (by 10 December)" in note
    assert "introduce me to the design lead" not in note, "the mentor's own items are not reported back"
    assert note.rstrip().endswith("Ana")


def test_edited_rows_are_validated():
    items = from_rows([["Send the deck", "me", "2026-12-01"], ["", "", ""], ["Intro to Kim", "Mentor", ""]])
    assert [(i.text, i.owner, i.due) for i in items] == [
        ("Send the deck", "me", date(2026, 12, 1)),
        ("Intro to Kim", "mentor", None),
    ]
    with pytest.raises(InputError, match="must look like 2026-12-01"):
        from_rows([["Send the deck", "me", "next week"]])


def test_debrief_schema_round_trips():
    debrief = Debrief.model_validate_json(VALID)
    assert Debrief.model_validate_json(debrief.model_dump_json()) == debrief


PROSE_NOTES = """Met Priya for coffee. We talked about my promotion case and whether I should move teams.
She thinks I should stay on payments until the migration ships in March.
I will send her my promotion doc draft by Friday. Priya will introduce me to Tom from the platform team.
We agreed to meet again in three weeks."""


def test_the_built_in_model_is_not_asked_and_rules_read_prose_notes_sentence_by_sentence(fake_model):
    small = fake_model('{"action_items": [{"text": "I am pleased to report a promotion", "owner": "me"}]}')
    small.capabilities = Capabilities(small=True)
    found = extract(PROSE_NOTES, small, mentor_name="Priya Shah", today=date(2026, 12, 2))  # a Wednesday
    assert small.history == [], "the built-in model invents items: it is not asked"
    assert [(i.text, i.owner, i.due) for i in found.action_items] == [
        ("send her my promotion doc draft by Friday", "me", date(2026, 12, 4)),
        ("introduce me to Tom from the platform team", "mentor", None),
    ]
    assert found.decisions == ["meet again in three weeks"]


def test_a_stronger_models_items_are_kept_only_when_the_notes_say_them_with_codes_due_dates(fake_model):
    reply = json.dumps(
        {
            "action_items": [
                {"text": "Send Priya the promotion doc draft", "owner": "me", "due": "2018-04-30"},
                {"text": "I am pleased to report that I have been selected for the promotion", "owner": "me"},
            ],
            "decisions": ["Meet again in three weeks", "Move to the platform team in January"],
        }
    )
    found = extract(PROSE_NOTES, fake_model(reply), today=date(2026, 12, 2))
    assert [(i.text, i.due) for i in found.action_items] == [("Send Priya the promotion doc draft", date(2026, 12, 4))]
    assert found.decisions == ["Meet again in three weeks"]
