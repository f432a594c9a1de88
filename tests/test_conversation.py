"""Difficult-conversation planner: playbook content from code, a personal opening line from the model (or not)."""

from __future__ import annotations

import pytest
from langchain_core.tracers.context import collect_runs
from pydantic import ValidationError

from coach.tools.conversation import PLAYBOOK, ConversationRequest, Scenario, check_opening_line, plan_conversation

GOOD_LINE = "Priya, I really value our chats. Could we find a lighter format that fits your diary better?"
# The guidance file each scenario's playbook is written from; it must be among the sources shown.
GROUNDED_IN = {
    Scenario.busy_mentor: "busy-mentor.md",
    Scenario.mismatched_expectations: "mismatched-expectations.md",
    Scenario.changing_focus: "changing-focus.md",
    Scenario.ending_well: "ending-a-mentorship.md",
    Scenario.asking_for_sponsorship: "mentor-vs-sponsor.md",
    Scenario.not_working: "when-it-is-not-working.md",
}


def request(scenario: Scenario = Scenario.busy_mentor, **changes) -> ConversationRequest:
    values = {"scenario": scenario, "mentor_name": "Priya", "context": "", "desired_outcome": ""}
    return ConversationRequest(**{**values, **changes})


@pytest.fixture
def retriever(make_coach, fake_model):
    return make_coach(fake_model()).retriever


@pytest.mark.parametrize("scenario", list(Scenario))
def test_every_scenario_gives_every_plan_section_with_sources(scenario, retriever, fake_model):
    out = plan_conversation(request(scenario), fake_model(GOOD_LINE), retriever)
    plan = out.data
    for section in ("aim", "opening_line", "key_points", "phrases_to_avoid", "likely_responses", "fallback"):
        assert plan[section], f"{scenario}: {section} is empty"
    assert 2 <= len(plan["likely_responses"]) <= 3
    assert all(r["they_say"] and r["you_answer"] for r in plan["likely_responses"])
    assert out.hits, "a plan shows the guidance it rests on"
    assert GROUNDED_IN[scenario] in {h.source for h in out.hits}
    assert all(h.label in out.markdown for h in out.hits)
    assert out.as_json()["sources"]


def test_every_scenario_has_a_label_and_an_opening_template_with_the_name():
    for scenario in Scenario:
        assert scenario.label
        assert "{name}" in PLAYBOOK[scenario].opening


def test_busy_mentor_fallback_offers_short_check_ins_or_email(retriever, fake_model):
    fallback = plan_conversation(request(), fake_model(GOOD_LINE), retriever).data["fallback"]
    assert "15 minutes" in fallback
    assert "email" in fallback


def test_a_good_model_opening_line_is_used(retriever, fake_model):
    plan = plan_conversation(request(), fake_model(GOOD_LINE), retriever).data
    assert plan["opening_line"] == GOOD_LINE
    assert plan["opening_from_model"] is True


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "   \n ",
        "As an AI language model, I would suggest being polite.",
        "User: Priya, can we talk?",
        "<|im_start|>assistant Priya, can we talk?",
        "Priya, " + "could we talk about our meetings " * 12 + "?",
        "Sure! Here is an opening line:\nPriya, can we talk?",
        "Priya, <<<END REFERENCE abc>>> can we talk?",
        "Priya, could we talk about how our",
        "Could we take a few minutes to talk about how our sessions are going?",
        "Priya, thank you. I value our chats. Could we talk about our format?",
    ],
)
def test_a_bad_model_opening_line_falls_back_to_the_playbook_template(bad, retriever, fake_model):
    plan = plan_conversation(request(), fake_model(bad), retriever).data
    assert plan["opening_line"] == PLAYBOOK[Scenario.busy_mentor].opening.format(name="Priya")
    assert plan["opening_from_model"] is False


def test_a_failing_model_still_gives_the_whole_plan_with_the_template_line(retriever, fake_model):
    plan = plan_conversation(request(), fake_model(), retriever).data  # no reply queued: the call raises
    assert plan["opening_line"].startswith("Priya, ")
    assert plan["opening_from_model"] is False
    assert plan["key_points"]


def test_opening_line_check_strips_a_label_and_quotes():
    assert check_opening_line('Opening line: "Priya, could we talk?"', "Priya") == "Priya, could we talk?"
    assert check_opening_line("“Priya, could we talk?”", "Priya Shah") == "Priya, could we talk?"


def test_mentor_name_and_context_reach_the_model_only_in_the_user_turn(retriever, fake_model):
    with collect_runs() as runs:
        plan_conversation(
            request(context="She cancelled our last three calls.", desired_outcome="a format that works"),
            fake_model(GOOD_LINE),
            retriever,
        )
    system, user = runs.traced_runs[0].inputs["prompts"][0].split("\nHuman: ", 1)
    assert "She cancelled our last three calls." in user and "Priya" in user and "a format that works" in user
    assert "She cancelled" not in system and "Priya" not in system
    assert "not instructions" in system


def test_desired_outcome_is_added_to_the_aim(retriever, fake_model):
    plan = plan_conversation(
        request(desired_outcome="a 15-minute call every two weeks"), fake_model(GOOD_LINE), retriever
    )
    assert plan.data["aim"].startswith(PLAYBOOK[Scenario.busy_mentor].aim)
    assert plan.data["aim"].endswith("What you want afterwards: a 15-minute call every two weeks.")


def test_request_cleans_free_text_and_rejects_what_it_cannot_use():
    cleaned = request(mentor_name="  Priya\n\tShah ", context="line one\nline two\x00")
    assert cleaned.mentor_name == "Priya Shah"
    assert cleaned.context == "line one line two"
    with pytest.raises(ValidationError):
        request(mentor_name="   ")
    with pytest.raises(ValidationError):
        request(scenario="shouting_match")
    with pytest.raises(ValidationError):
        ConversationRequest(scenario="busy_mentor", mentor_name="Priya", mood="angry")


def test_user_text_is_shown_as_plain_text_in_the_markdown(retriever, fake_model):
    out = plan_conversation(request(mentor_name="<b>Sam</b>"), fake_model(GOOD_LINE), retriever)
    assert "<b>" not in out.markdown
    assert r"\<b\>Sam\</b\>" in out.markdown


def test_plan_comes_with_a_markdown_file_to_download(retriever, fake_model):
    out = plan_conversation(request(Scenario.ending_well), fake_model(GOOD_LINE), retriever)
    assert out.files == {"conversation-plan.md": out.markdown + "\n"}
    assert "Ending the mentorship well" in out.markdown
