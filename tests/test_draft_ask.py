"""Drafting an ask: the message is complete whatever the model writes, and the checklist is computed by code."""

from __future__ import annotations

import itertools
import re
from typing import get_args

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from pydantic import ValidationError

from coach.errors import InputError
from coach.guidance.sources import LIBRARY
from coach.llm.capabilities import Capabilities
from coach.llm.prompts import PROMPTS_DIR, render
from coach.tools.ask_request import (
    EMAIL_BODY_LIMIT,
    LINKEDIN_NOTE_LIMIT,
    LINKEDIN_PREMIUM_NOTE_LIMIT,
    AskKind,
    AskRequest,
    Channel,
    Variant,
    check_ask,
)
from coach.tools.draft_ask import build_skeleton, draft_ask, draft_ask_variants, subject_line

PRIYA = {
    "mentor_name": "Priya Raman",
    "mentor_role": "head of product at Contoso",
    "admiration": "your ProductCamp talk on learning from support tickets",
    "goal": "how you built your product skills before moving from support into product management",
    "your_name": "Sam",
    "your_role": "a support lead at Northwind",
}
COMPLETE = (
    "Hi Priya,\n\nI've followed your work as head of product at Contoso, and your ProductCamp talk on learning "
    "from support tickets stayed with me. I'd love to learn how you built your product skills before moving "
    "from support into product management.\n\nWould you be open to a 20-minute call in the next few weeks? "
    "I'm happy to work around your schedule.\n\nThanks,\nSam"
)

WITHOUT_GOAL = COMPLETE.replace(
    "how you built your product skills before moving from support into product management", "more about it"
)

# A faithful human rephrasing, and two replies the bundled SmolLM2-135M really gave for this request.
REPHRASED = (
    "Hello Priya,\n\nMy name is Sam and I lead support at Northwind. I was inspired by your ProductCamp talk about "
    "learning from support tickets, and your path as head of product at Contoso is one I hope to follow. I'd really "
    "value hearing how you built your product skills before moving from support into product management.\n\n"
    "Could you spare 20 minutes for a quick call sometime in the coming weeks? I'm flexible and can work around your "
    "schedule; a couple of questions over email would be great too.\n\nMany thanks,\nSam"
)
SMOL_INVENTS_AN_EVENT = (
    "Dear Sam,\n\nI hope this message finds you well.\n\nI am writing to extend an invitation to you to speak at a "
    "product development event in the coming weeks. I am very interested in your work as head of product at Contoso "
    "and would love to discuss how you have built your product skills into a product development process.\n\n"
    "I am available to discuss this further in the next few weeks. I would greatly appreciate your flexibility in "
    "scheduling.\n\nThank you for considering my request.\n\nBest regards,\nSam\n\n"
    "Your email is now in a friendly and professional tone."
)
SMOL_GREETS_THE_SENDER = (
    "Hi Sam,\n\nI'm Sam, a support lead at Northwind, and I'm happy to chat with you about your work at Contoso. "
    "I'd love to hear about your ProductCamp talk on learning from support tickets. If you have a 20-minute call in "
    "the next few weeks, I'm happy to fit around your schedule.\n\nThanks, Sam"
)


def ask(**changes) -> AskRequest:
    return AskRequest(**{**PRIYA, **changes})


class _Sent(BaseCallbackHandler):
    """Records the messages a chat model is invoked with (the conftest fake records only streamed calls)."""

    def __init__(self) -> None:
        self.prompts: list[list] = []

    def on_chat_model_start(self, serialized, messages, **kwargs) -> None:
        self.prompts.extend(messages)


def recording(model) -> _Sent:
    sent = _Sent()
    model.callbacks = [sent]
    return sent


@pytest.fixture
def retriever(make_coach, fake_model):
    return make_coach(fake_model()).retriever


def test_hand_written_complete_draft_passes_every_check():
    assert all(check_ask(COMPLETE, ask()).values())


@pytest.mark.parametrize(
    ("element", "draft"),
    [
        ("why_this_person", COMPLETE.replace("your ProductCamp talk on learning from support tickets", "your career")),
        ("what_to_learn", WITHOUT_GOAL),
        ("time_request", COMPLETE.replace("a 20-minute call", "a call")),
        ("time_request", COMPLETE.replace("a 20-minute call", "a 45-minute call")),
        ("flexibility", COMPLETE.replace(" I'm happy to work around your schedule.", "")),
        ("no_big_commitment", COMPLETE.replace("Thanks,", "Would you be my mentor for life? Thanks,")),
        ("no_big_commitment", COMPLETE.replace("Thanks,", "Could we set up regular sessions? Thanks,")),
        ("within_limit", COMPLETE + " P.S." + " I also enjoy your newsletter." * 40),
    ],
)
def test_checklist_detects_each_missing_element_in_hand_written_drafts(element, draft):
    checks = check_ask(draft, ask())
    assert checks[element] is False
    assert all(ok for name, ok in checks.items() if name != element)


def test_checklist_accepts_the_mentors_role_instead_of_the_name():
    assert check_ask(COMPLETE.replace("Hi Priya,", "Hello,"), ask())["why_this_person"]
    no_name_or_role = COMPLETE.replace("Hi Priya,", "Hello,").replace("as head of product at Contoso", "")
    assert not check_ask(no_name_or_role, ask())["why_this_person"]


def test_checklist_reads_minutes_written_as_words():
    assert check_ask(COMPLETE.replace("a 20-minute call", "a twenty-minute call"), ask())["time_request"]


def test_linkedin_checklist_holds_the_note_to_200_characters_on_a_free_account():
    note = ask(channel="linkedin")
    assert LINKEDIN_NOTE_LIMIT == 200
    assert check_ask(COMPLETE, note)["within_limit"] is False
    assert check_ask(COMPLETE[:LINKEDIN_NOTE_LIMIT], note)["within_limit"] is True
    assert check_ask(COMPLETE[: LINKEDIN_NOTE_LIMIT + 1], note)["within_limit"] is False


def test_linkedin_premium_allows_a_300_character_note():
    note = ask(channel="linkedin", linkedin_premium=True)
    assert note.limit == LINKEDIN_PREMIUM_NOTE_LIMIT == 300
    assert check_ask(COMPLETE[:300], note)["within_limit"] is True


def test_a_linkedin_draft_states_both_limits(fake_model, retriever):
    out = draft_ask(ask(channel="linkedin"), fake_model(""), retriever)
    assert "/ 200 characters" in out.markdown
    assert "free LinkedIn account allows 200" in out.markdown and "Premium allows 300" in out.markdown


def test_the_sample_linkedin_note_in_the_guidance_fits_the_free_limit():
    text = (LIBRARY / "approaching-a-mentor.md").read_text(encoding="utf-8")
    section = text.split("## Example LinkedIn message to a potential mentor", 1)[1].split("\n## ", 1)[0]
    sample = re.search(r'^"(Hi .+)"$', section, re.M).group(1)
    assert len(sample) <= LINKEDIN_NOTE_LIMIT, len(sample)
    assert "200 characters" in section and "300" in section


def test_commitment_is_not_checked_for_an_ongoing_ask():
    assert "no_big_commitment" not in check_ask(COMPLETE, ask(ask_kind="ongoing"))
    assert "no_big_commitment" in check_ask(COMPLETE, ask(ask_kind="micro_mentoring"))


@pytest.mark.parametrize(
    ("kind", "channel", "variant"),
    list(itertools.product(get_args(AskKind), get_args(Channel), get_args(Variant))),
)
def test_code_built_skeleton_passes_its_own_checklist(kind, channel, variant):
    for extra in ({}, {"your_name": None, "your_role": None}):
        request = ask(ask_kind=kind, channel=channel, variant=variant, **extra)
        text, _ = build_skeleton(request)
        assert all(check_ask(text, request).values()), text


LONGEST = {
    "mentor_name": ("Alexandra " + "Montgomery-" * 6 + "Smith")[:80],
    "mentor_role": ("vice president of engineering platforms and developer experience at " + "Contoso " * 10)[:100],
    "admiration": ("your keynote about resilient distributed databases at " + "StrangeLoop " * 30)[:250],
    "goal": ("how you grew from a backend engineer into an engineering director while " + "mentoring " * 30)[:250],
    "your_name": "Samantha Example-Person",
    "your_role": ("a senior support engineer working on " + "integrations " * 10)[:100],
}


@pytest.mark.parametrize(("channel", "variant"), list(itertools.product(get_args(Channel), get_args(Variant))))
def test_skeleton_fits_the_limit_even_with_the_longest_allowed_inputs(channel, variant):
    longest = ask(channel=channel, variant=variant, **LONGEST)
    text, _ = build_skeleton(longest)
    assert len(text) <= (EMAIL_BODY_LIMIT if channel == "email" else LINKEDIN_NOTE_LIMIT)
    assert all(check_ask(text, longest).values()), text


def test_variants_stay_distinct_even_when_shortened_to_fit(fake_model, retriever):
    out = draft_ask_variants(ask(channel="linkedin", **LONGEST), fake_model("", "", ""), retriever)
    assert len({v["message"] for v in out.data["variants"]}) == 3
    assert all(v["shortened"] and all(v["checklist"].values()) for v in out.data["variants"])
    assert "cut to fit 200 characters" in out.markdown


def test_a_good_model_reply_is_kept_word_for_word(fake_model, retriever):
    out = draft_ask(ask(), fake_model(COMPLETE), retriever)
    assert out.data["message"] == COMPLETE
    assert out.data["written_by"] == "model"
    assert all(out.data["checklist"].values())


def test_a_faithful_rephrasing_by_the_model_is_kept(fake_model, retriever):
    out = draft_ask(ask(), fake_model(REPHRASED), retriever)
    assert out.data["written_by"] == "model" and out.data["message"] == REPHRASED


@pytest.mark.parametrize(
    "reply",
    [
        SMOL_INVENTS_AN_EVENT,
        SMOL_GREETS_THE_SENDER,
        COMPLETE.replace("in the next few weeks", "on 12 May"),
        COMPLETE.replace("Hi Priya,", "Hi,"),
    ],
    ids=["invents-an-event", "greets-the-sender", "adds-a-date", "greets-nobody"],
)
def test_a_model_reply_that_strays_from_the_facts_falls_back_to_the_template(fake_model, retriever, reply):
    out = draft_ask(ask(), fake_model(reply), retriever)
    assert out.data["written_by"] == "template" and "faithful" in out.data["model_draft_failed"]
    assert all(out.data["checklist"].values())


def test_a_model_comment_about_its_own_rewrite_is_dropped(fake_model, retriever):
    out = draft_ask(ask(), fake_model(COMPLETE + "\n\nThis email is now more concise and friendly."), retriever)
    assert out.data["message"] == COMPLETE


def test_a_model_reply_that_drops_an_element_is_patched(fake_model, retriever):
    dropped = COMPLETE.replace(" I'm happy to work around your schedule.", "")
    out = draft_ask(ask(), fake_model(dropped), retriever)
    assert out.data["written_by"] == "model, patched"
    assert out.data["model_draft_failed"] == ["flexibility"]
    assert out.data["message"].startswith("Hi Priya,") and out.data["message"].rstrip().endswith("Sam")
    assert all(out.data["checklist"].values())


def test_a_model_reply_asking_for_a_lifelong_mentor_loses_that_sentence(fake_model, retriever):
    pushy = COMPLETE.replace("Thanks,", "Will you be my mentor forever? Thanks,")
    out = draft_ask(ask(), fake_model(pushy), retriever)
    assert "forever" not in out.data["message"]
    assert all(out.data["checklist"].values())


def test_a_model_reply_over_the_linkedin_limit_falls_back_to_the_template(fake_model, retriever):
    request = ask(channel="linkedin")
    out = draft_ask(request, fake_model(COMPLETE), retriever)
    assert len(COMPLETE) > LINKEDIN_NOTE_LIMIT
    assert out.data["written_by"] == "template"
    assert out.data["message"] == build_skeleton(request)[0]
    assert out.data["length"] <= LINKEDIN_NOTE_LIMIT == out.data["limit"]
    assert all(out.data["checklist"].values())


@pytest.mark.parametrize("reply", ["", "   ", "Sure!", "<<<REFERENCE abc>>> Hi Priya " * 5, "lorem ipsum " * 30])
def test_an_empty_or_garbage_model_reply_falls_back_to_the_template(fake_model, retriever, reply):
    out = draft_ask(ask(), fake_model(reply), retriever)
    assert out.data["written_by"] == "template"
    assert all(out.data["checklist"].values())


def test_model_preamble_code_fence_and_subject_line_are_stripped(fake_model, retriever):
    wrapped = f"Here is the polished message:\n```\nSubject: Hello\n{COMPLETE}\n```"
    out = draft_ask(ask(), fake_model(wrapped), retriever)
    assert out.data["message"] == COMPLETE


def test_email_gets_a_subject_line_and_linkedin_does_not(fake_model, retriever):
    email = draft_ask(ask(), fake_model(""), retriever)
    note = draft_ask(ask(channel="linkedin"), fake_model(""), retriever)
    assert email.data["subject"] and len(email.data["subject"]) <= 80
    assert email.files["ask.txt"].startswith(f"Subject: {email.data['subject']}\n\n")
    assert note.data["subject"] is None and "Subject" not in note.markdown


def test_length_is_reported_against_the_channel_limit(fake_model, retriever):
    out = draft_ask(ask(), fake_model(COMPLETE), retriever)
    assert out.data["length"] == len(COMPLETE) and out.data["limit"] == EMAIL_BODY_LIMIT
    assert f"{len(COMPLETE):,} / {EMAIL_BODY_LIMIT:,} characters" in out.markdown


def test_variants_come_out_distinct_even_when_the_model_repeats_itself(fake_model, retriever):
    out = draft_ask_variants(ask(), fake_model(COMPLETE, COMPLETE, COMPLETE), retriever)
    messages = [v["message"] for v in out.data["variants"]]
    assert [v["variant"] for v in out.data["variants"]] == ["warmer", "shorter", "formal"]
    assert len(set(messages)) == 3
    assert all(all(v["checklist"].values()) for v in out.data["variants"])


def test_variant_templates_differ_in_tone(fake_model, retriever):
    out = draft_ask_variants(ask(channel="linkedin"), fake_model("", "", ""), retriever)
    warmer, shorter, formal = (v["message"] for v in out.data["variants"])
    assert formal.startswith("Dear Priya Raman,") and "admire" in warmer
    assert len(shorter) < len(warmer)


@pytest.mark.parametrize("variants", [[], ["warmer", "shorter", "formal", "standard"], ["warmer", "warmer"], ["loud"]])
def test_variants_must_be_one_to_three_known_and_different(fake_model, retriever, variants):
    with pytest.raises(InputError, match="one to three different variants"):
        draft_ask_variants(ask(), fake_model(), retriever, variants=variants)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mentor_name": "  "}, "mentor name is required"),
        ({"goal": ""}, "goal is required"),
        ({"admiration": "x" * 251}, "keep it under 250"),
        ({"minutes": 0}, "Ask for 5 to 60 minutes"),
        ({"minutes": 120}, "Ask for 5 to 60 minutes"),
        ({"channel": "fax"}, "'email' or 'linkedin'"),
    ],
)
def test_request_validation_explains_what_to_fix(changes, message):
    with pytest.raises(ValidationError, match=message):
        ask(**changes)


def test_draft_prompt_carries_its_key_instructions():
    text = (PROMPTS_DIR / "draft_ask.md").read_text(encoding="utf-8")
    for instruction in ("Keep every fact", "Do not add facts", "not instructions", "{fence_id}", "{reference}",
                        "Reply with the message only", "{limit} characters", "be my mentor"):  # fmt: skip
        assert instruction in text
    assert "{draft}" in (PROMPTS_DIR / "draft_ask_user.md").read_text(encoding="utf-8")


def test_draft_prompt_fails_loudly_on_a_missing_variable():
    with pytest.raises(KeyError):
        render("draft_ask", fence_id="abc", reference="")


def test_model_is_sent_the_skeleton_the_facts_and_fenced_guidance(fake_model, retriever):
    model = fake_model("")
    sent = recording(model)
    out = draft_ask(ask(channel="linkedin", variant="formal"), model, retriever)
    system, user = (m.content for m in sent.prompts[0])
    fence_id = re.search(r"<<<REFERENCE (\w+) \[1\]", system).group(1)
    assert system.count(f"<<<END REFERENCE {fence_id}>>>") == len(out.hits)
    assert "exactly 20 minutes" in system and "under 200 characters" in system and "LinkedIn" in system
    assert out.data["message"] in user
    assert not re.search(r"\{\w+\}", system + user)


def test_guidance_passages_are_returned_and_shown(fake_model, retriever):
    out = draft_ask(ask(), fake_model(""), retriever)
    assert out.hits and any(h.source == "approaching-a-mentor.md" for h in out.hits)
    assert "Guidance used" in out.markdown and out.hits[0].label in out.markdown
    assert out.as_json()["sources"][0]["source"] == out.hits[0].source


@pytest.mark.parametrize(
    ("field", "typed", "reads"),
    [
        # A goal continues "I'd love to learn" and reads in a subject line.
        ("goal", "learn to plan a large migration", "how to plan a large migration"),
        ("goal", "become a staff engineer", "how to become a staff engineer"),
        ("goal", "learn about pricing", "about pricing"),
        ("goal", "how you grew the data team", "how you grew the data team"),
        ("goal", "system design interviews", "system design interviews"),
        # What the mentee admires is said to the mentor, not about them.
        (
            "admiration",
            "how she led the move to services without a freeze",
            "how you led the move to services without a freeze",
        ),
        ("admiration", "the way he runs his team", "the way you run your team"),
        ("admiration", "Priya's keynote on pricing", "your keynote on pricing"),
        ("admiration", "how she's grown the support org", "how you've grown the support org"),
        ("admiration", "your ProductCamp talk", "your ProductCamp talk"),
    ],
)
def test_the_mentees_words_are_made_to_continue_the_messages_sentences(field, typed, reads):
    assert getattr(ask(**{field: typed}), field) == reads


def test_a_drafted_email_never_repeats_learn_or_talks_about_the_mentor_in_the_third_person():
    request = ask(
        admiration="how she led the move to services without a freeze",
        goal="learn to plan a large migration",
        your_name="Sam",
        your_role="senior engineer",
    )
    body, _ = build_skeleton(request)
    assert "learn learn" not in body and " she " not in body and "I'm Sam, a senior engineer." in body
    assert subject_line(request) == "Question about how to plan a large migration"


def test_the_built_in_model_is_not_asked_to_reword_a_draft(fake_model, retriever):
    small = fake_model("Hi Priya, I'd love a 20-minute call about product. Thanks, Sam")
    small.capabilities = Capabilities(small=True)
    output = draft_ask(ask(), small, retriever)
    assert small.history == [] and output.data["written_by"] == "template"
