"""Rehearsal: the mentor is driven by code (the persona's data file and the detectors), a stronger model only
rewords its move and is checked, and feedback is computed from the user's own words, with verifiable quotes."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from coach.errors import InputError
from coach.llm.capabilities import Capabilities
from coach.tools.ask_request import AskRequest, check_ask
from coach.tools.rehearsal import (
    PERSONAS,
    RUBRIC,
    Criterion,
    Persona,
    PersonaSpec,
    feedback,
    load_transcript,
    mentor_reply,
    next_move,
    persona_messages,
    quote_is_users,
    sanitize_reply,
    save_transcript,
)
from coach.tools.rehearsal.better import all_spans, details

TRANSCRIPT = [
    {"role": "mentor", "content": "I've only got five minutes, so tell me: what do you need from me?"},
    {
        "role": "user",
        "content": "Thanks for making time. I'm moving from support into product management, and your path "
        "from support into product is exactly the one I'm planning.",
    },
    {"role": "mentor", "content": "Happy to help. What exactly do you want from me?"},
    {
        "role": "user",
        "content": "Could we have a 20-minute call once a month? I'll send one focused question the day before, "
        "and share what I learn from customer tickets. Does next Tuesday at 10 work?",
    },
]
VAGUE = ["um hi", "just general stuff really", "idk, whatever works", "career stuff I guess", "ok", "sure", "yeah"]
SMALL = Capabilities(small=True)


@pytest.fixture
def retriever(make_coach, fake_model):
    return make_coach(fake_model()).retriever


def said(*user_lines: str, persona: Persona = Persona.sceptical_senior) -> list[dict]:
    """A rehearsal in which the mentor's lines are code's and the user says `user_lines`."""
    transcript = [{"role": "mentor", "content": PERSONAS[persona].canned}]
    for line in user_lines:
        transcript.append({"role": "user", "content": line})
        transcript.append({"role": "mentor", "content": next_move(persona, transcript)[1]})
    return transcript


# --- Personas as data --------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", list(Persona))
def test_every_persona_has_an_opening_a_move_per_criterion_in_several_wordings_yields_and_closes(persona):
    spec = PERSONAS[persona]
    assert spec.opening and len(spec.closes) >= 2
    assert set(spec.yields) == set(Criterion) and all(len(lines) >= 2 for lines in spec.yields.values())
    assert set(spec.moves) == set(Criterion) and all(len(set(lines)) >= 2 for lines in spec.moves.values())


def test_a_persona_file_without_a_move_for_every_criterion_is_rejected_at_load():
    raw = PERSONAS[Persona.busy_executive].model_dump()
    del raw["moves"]["reciprocity"]
    with pytest.raises(ValidationError, match="each rubric criterion"):
        PersonaSpec.model_validate(raw)


@pytest.mark.parametrize("persona", list(Persona))
def test_persona_prompt_carries_the_stay_in_character_rules(persona):
    text = persona_messages(persona, TRANSCRIPT, move="Why me?")[0].content
    for rule in ("You are the mentor", "Stay in character", "Never coach", "never give feedback",
                 "Never swap roles", "never write the other person's lines", "No stage directions", "*sighs*",
                 "(pauses)", "[laughs]", "Stay brief", "not instructions", "“Why me?”"):  # fmt: skip
        assert rule in text, f"{persona}: missing {rule!r}"
    assert PERSONAS[persona].description in text


# --- The mentor's moves --------------------------------------------------------------------------------------


def test_the_sceptical_senior_presses_on_why_me_until_the_user_gives_a_specific_reason():
    vague = said("Hi, I'd like you to mentor me.")
    assert next_move(Persona.sceptical_senior, vague)[0] is Criterion.why_this_mentor
    reason = said("I read your piece in the RIBA Journal on keeping the concrete frame at Harbour Street.")
    criterion, line = next_move(Persona.sceptical_senior, reason[:-1])
    assert criterion is Criterion.clear_specific_ask, "the reason was given: the mentor moves on to the ask"
    acknowledgements = PERSONAS[Persona.sceptical_senior].yields[Criterion.why_this_mentor]
    assert any(line.startswith(y) for y in acknowledgements), "it acknowledges the reason first"


def test_the_mentor_acknowledges_the_point_just_made_and_presses_again_on_the_one_it_asked():
    ask_only = said("hi, i want help getting ready for the staff promotion panel in march, mainly the impact section")
    criterion, line = next_move(Persona.sceptical_senior, ask_only[:-1])
    spec = PERSONAS[Persona.sceptical_senior]
    assert criterion is Criterion.why_this_mentor, "the reason is still missing: it asks again"
    assert any(line.startswith(y) for y in spec.yields[Criterion.clear_specific_ask]), line
    assert not any(line.startswith(y) for y in spec.yields[Criterion.why_this_mentor]), "no 'real answer' to no answer"


def test_the_busy_executive_asks_how_much_time_until_a_small_concrete_amount_is_named():
    ask = "I'd value your steer on how to frame the Hadoop migration business case for the CFO in April."
    assert (
        next_move(Persona.busy_executive, said(ask, persona=Persona.busy_executive)[:-1])[0] is Criterion.respects_time
    )
    timed = said(ask, "Twenty minutes once a month till June, around your diary.", persona=Persona.busy_executive)
    assert next_move(Persona.busy_executive, timed[:-1])[0] not in {
        Criterion.respects_time,
        Criterion.clear_specific_ask,
    }


@pytest.mark.parametrize("persona", list(Persona))
def test_the_mentor_never_repeats_a_line_within_a_rehearsal(persona):
    mentor = [t["content"] for t in said(*VAGUE, *VAGUE, persona=persona) if t["role"] == "mentor"]
    assert len(mentor) == len(set(mentor)) == 2 * len(VAGUE) + 1


def test_with_the_built_in_model_the_mentor_speaks_in_codes_words_without_calling_it(fake_model):
    model = fake_model(capabilities=SMALL)  # nothing queued: a call would fail
    line = mentor_reply(Persona.busy_executive, TRANSCRIPT[:2], model)
    assert line == next_move(Persona.busy_executive, TRANSCRIPT[:2])[1]
    assert model.history == []


def test_before_the_user_speaks_the_mentor_opens_without_calling_the_model(fake_model):
    model = fake_model()
    assert mentor_reply(Persona.sceptical_senior, [], model) == PERSONAS[Persona.sceptical_senior].canned
    assert model.history == []


def test_a_stronger_model_rewords_the_move_in_character(fake_model):
    model = fake_model("*checks watch* Mentor: Five minutes. So what's the actual ask?\nUser: I want...")
    assert mentor_reply(Persona.busy_executive, TRANSCRIPT[:2], model) == "Five minutes. So what's the actual ask?"
    (call,) = model.history
    assert next_move(Persona.busy_executive, TRANSCRIPT[:2])[1] in call.messages[0].content


INTRO = [{"role": "mentor", "content": "Before we go any further: why me, rather than someone else?"},
         {"role": "user", "content": "Hi Alex, I'm Sam, a payments team lead. I'd like some help."}]  # fmt: skip


@pytest.mark.parametrize(
    "bad",
    [
        "I'm Sam, the payments team's manager. Why me?",  # takes the user's name
        "As a payments team lead myself, why me?",  # takes the user's role
        "Great job on the intro! Next time, try to say why you picked me.",  # turns coach
        "I'm glad to hear that. I",  # cut off mid-sentence
        "The weather is lovely in Leeds this time of year.",  # drifts off the move
        "Before we go any further: why me, rather than someone else?",  # repeats itself
    ],
)
def test_a_rewording_that_breaks_character_is_replaced_by_codes_line(fake_model, bad):
    line = next_move(Persona.sceptical_senior, INTRO)[1]
    assert mentor_reply(Persona.sceptical_senior, INTRO, fake_model(bad)) == line


def test_a_failing_model_leaves_the_rehearsal_going_in_codes_words(failing_model):
    model = failing_model(ConnectionError("the server went away"))
    assert mentor_reply(Persona.sceptical_senior, INTRO, model) == next_move(Persona.sceptical_senior, INTRO)[1]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("*sighs* Fine, fifteen minutes.", "Fine, fifteen minutes."),
        ("(pauses) Why me, exactly?", "Why me, exactly?"),
        ("**Mentor:** I have five minutes.", "I have five minutes."),
        ("What do you need?<|im_end|>\n<|im_start|>user\nA mentor.", "What do you need?"),
        ("Fifteen minutes works.\nUser: Great, thanks! Here is my feedback.", "Fifteen minutes works."),
    ],
)
def test_stage_directions_labels_and_role_swaps_are_stripped_from_a_rewording(raw, clean):
    assert sanitize_reply(raw, Persona.busy_executive) == clean


# --- Transcript files --------------------------------------------------------------------------------------


def test_a_transcript_round_trips_through_a_json_file_with_its_persona(tmp_path):
    path = save_transcript(tmp_path / "rehearsal.json", TRANSCRIPT, Persona.sceptical_senior)
    saved = load_transcript(path)
    assert saved.persona is Persona.sceptical_senior
    assert saved.transcript == TRANSCRIPT


def test_a_bare_list_of_turns_loads_as_a_transcript(tmp_path):
    path = tmp_path / "turns.json"
    path.write_text(json.dumps(TRANSCRIPT), encoding="utf-8")
    assert load_transcript(path).transcript == TRANSCRIPT
    assert load_transcript(path).persona is None


@pytest.mark.parametrize(
    "content",
    ["not json", json.dumps([{"role": "coach", "content": "hi"}]), json.dumps({"turns": []}), json.dumps(42)],
)
def test_an_unusable_transcript_file_gets_an_input_error(tmp_path, content):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError):
        load_transcript(path)
    with pytest.raises(InputError, match="No transcript file"):
        load_transcript(tmp_path / "missing.json")


# --- Feedback ----------------------------------------------------------------------------------------------


def test_feedback_scores_every_criterion_from_the_users_words_with_a_rule_a_quote_and_its_guidance(
    retriever, fake_model
):
    out = feedback(TRANSCRIPT, Persona.busy_executive, fake_model(capabilities=SMALL), retriever)
    criteria = {c["criterion"]: c for c in out.data["criteria"]}
    assert list(criteria) == [c.value for c in Criterion]
    assert criteria["respects_time"]["score"] >= 4 and "20-minute" in criteria["respects_time"]["rule"]
    assert criteria["concrete_next_step"]["score"] == 5
    assert criteria["concrete_next_step"]["quote"] == "Does next Tuesday at 10 work?"
    for result in criteria.values():
        assert 1 <= result["score"] <= 5 and result["rule"]
        assert (result["source"], result["section"]) in {(h.source, h.section) for h in out.hits}
    assert criteria["why_this_mentor"]["source"] == "approaching-a-mentor.md"
    assert set(out.files) == {"rehearsal-feedback.md", "rehearsal-transcript.json"}


def test_every_quote_is_the_users_own_words_at_the_turn_and_offsets_given(retriever, fake_model):
    out = feedback(TRANSCRIPT, Persona.busy_executive, fake_model(capabilities=SMALL), retriever)
    quoted = [c for c in out.data["criteria"] if c["quote"]]
    assert len(quoted) >= 5
    for c in quoted:
        turn = TRANSCRIPT[c["turn"]]
        assert turn["role"] == "user" and turn["content"][c["start"] : c["end"]] == c["quote"]
        assert quote_is_users(c["quote"], TRANSCRIPT)


def test_a_score_under_four_comes_with_a_better_line_built_from_the_users_details(retriever, fake_model):
    transcript = [
        {"role": "mentor", "content": "What do you need?"},
        {"role": "user", "content": "I'd love your advice on how to price the Harwell pilot. Can we do weekly?"},
    ]
    out = feedback(transcript, Persona.busy_executive, fake_model(capabilities=SMALL), retriever)
    for c in out.data["criteria"]:
        assert bool(c["better"]) is (c["score"] < 4), c
    criteria = {c["criterion"]: c for c in out.data["criteria"]}
    assert criteria["respects_time"]["score"] == 1 and "weekly" in criteria["respects_time"]["quote"].lower()
    assert "price the Harwell pilot" in criteria["preparation"]["better"], "their own topic, reused"
    assert "try instead" in out.markdown


def test_the_same_transcript_gives_byte_identical_feedback_with_or_without_a_model(
    retriever, fake_model, failing_model
):
    first = feedback(TRANSCRIPT, Persona.busy_executive, fake_model(capabilities=SMALL), retriever)
    second = feedback(TRANSCRIPT, Persona.busy_executive, fake_model(capabilities=SMALL), retriever)
    broken = feedback(TRANSCRIPT, Persona.busy_executive, failing_model(RuntimeError("down")), retriever)
    assert first.markdown == second.markdown == broken.markdown
    assert first.files == second.files
    assert json.dumps(first.data) == json.dumps(broken.data)


def test_a_stronger_model_may_add_a_comment_but_never_a_score(retriever, fake_model):
    kind = "You name a clear, small ask and a next step; work on saying what you can offer back."
    out = feedback(TRANSCRIPT, Persona.busy_executive, fake_model(kind), retriever)
    plain = feedback(TRANSCRIPT, Persona.busy_executive, fake_model(capabilities=SMALL), retriever)
    assert out.data["comment"] == kind and f"**Overall:** {kind}" in out.markdown
    assert out.data["criteria"] == plain.data["criteria"]
    for bad in ("You deserve 5/5 on everything.", '{"score": 5}', "Your score is great", "Well, you"):
        assert feedback(TRANSCRIPT, Persona.busy_executive, fake_model(bad), retriever).data["comment"] == ""


def test_a_mentors_words_never_count_for_the_user(retriever, fake_model):
    transcript = [
        {"role": "mentor", "content": "I'll send you three dates by Friday. Twenty minutes once a month works."},
        {"role": "user", "content": "ok thanks"},
    ]
    out = feedback(transcript, Persona.busy_executive, fake_model(capabilities=SMALL), retriever)
    assert all(c["score"] == 1 and c["quote"] == "" for c in out.data["criteria"])


def test_feedback_needs_something_the_user_said(retriever, fake_model):
    with pytest.raises(InputError, match="nothing of yours"):
        feedback(TRANSCRIPT[:1], Persona.busy_executive, fake_model(), retriever)


def test_quote_matching_ignores_case_spacing_and_quote_marks_but_needs_the_users_words():
    assert quote_is_users("“Could we have a   20-MINUTE call once a month?”", TRANSCRIPT)
    assert not quote_is_users("What exactly do you want from me", TRANSCRIPT)  # the mentor said it
    assert not quote_is_users("Thanks", TRANSCRIPT)  # one word is no evidence


def test_rubric_covers_every_criterion():
    assert set(RUBRIC) == set(Criterion)


# --- One detector implementation -----------------------------------------------------------------------------


@pytest.mark.parametrize("phrase", ["half an hour", "thirty minutes", "a 30-minute call", "30 mins"])
def test_the_draft_checklist_and_the_rehearsal_read_time_the_same_way(phrase, retriever, fake_model):
    request = AskRequest(mentor_name="Priya", mentor_role="head of product", admiration="your talk",
                         goal="how to move into product", minutes=30)  # fmt: skip
    assert check_ask(f"Could we have {phrase}? Whatever suits you.", request)["time_request"]
    line = f"Could we have {phrase} once a month? Whatever suits you."
    transcript = [{"role": "mentor", "content": "Hi."}, {"role": "user", "content": line}]
    result = feedback(transcript, Persona.busy_executive, fake_model(capabilities=SMALL), retriever).data["criteria"][1]
    assert result["score"] == 5 and result["rule"].startswith("names a small, concrete time")


def test_a_better_line_does_not_take_the_users_team_for_their_topic():
    team = details(all_spans([(1, "hi, i'm sam, i'm on the payments team. i just want to get better")]))
    assert "payments team" not in team["topic"]
    asked = details(all_spans([(1, "i'd like your feedback on the rollout plan for the new ledger")]))
    assert asked["topic"] == "rollout plan for the new ledger"
