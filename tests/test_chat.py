"""One chat turn: a grounded answer, a coaching tool reached from the chat (with a form for missing details), or a
turn of a rehearsal; the state lives in the titles of earlier messages."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import timedelta

import httpx
import openai
import pytest
from icalendar import Calendar
from langchain_core.tracers.context import collect_runs

from coach.chat.answer import Exchange
from coach.chat.turn import PROBLEM, STARTING, Reply, reply
from coach.tools.rehearsal import PERSONAS, Persona

DRAFT_FORM, AGENDA_FORM, CONVERSATION_FORM = "🧭 Draft an ask", "🧭 Meeting agenda", "🧭 Difficult conversation"
DRAFT_ANSWER = (
    "Name: Priya Shah\nRole: head of product at Northwind\nWhat I admire: your talk on rebuilding onboarding\n"
    "What I want to learn: how to move from customer support into product management"
)
SLOT_ROW = re.compile(r"^\| (\d\d:\d\d)–(\d\d:\d\d) \| (\d+) \| ([^|]+) \|", re.M)
USER_OPENING = "Thanks for making time. I'd like a 20-minute call about moving into product."


def turn(coach, message: str, history: Sequence[Exchange] = ()) -> list[list[Reply]]:
    """Every update the chat streams for one message."""
    return list(reply(coach, message, list(history)))


def final(coach, message: str, history: Sequence[Exchange] = ()) -> list[Reply]:
    return turn(coach, message, history)[-1]


def then(history: list[Exchange], message: str, replies: list[Reply]) -> list[Exchange]:
    """The history after one more turn, as the page hands it back: the user's words, then each reply."""
    return [*history, Exchange("user", message), *(Exchange("assistant", r.content, r.title) for r in replies)]


def slots(markdown: str) -> list[tuple[str, str, int, str]]:
    """(start, end, minutes, title) of each row of the agenda table."""
    return [(start, end, int(minutes), title.strip()) for start, end, minutes, title in SLOT_ROW.findall(markdown)]


def titles(replies: list[Reply]) -> list[str | None]:
    return [r.title for r in replies]


def sent_prompts(runs) -> list[str]:
    """What each invoke() call was sent, as 'System: …\\nHuman: …' text (the fake's `.sent` records stream() only)."""
    return [run.inputs["prompts"][0] for run in runs.traced_runs]


def connection_error() -> openai.APIConnectionError:
    return openai.APIConnectionError(request=httpx.Request("POST", "http://127.0.0.1:9/v1/chat/completions"))


# --- Plain questions ---------------------------------------------------------------------------------------


def test_a_question_streams_an_answer_then_its_sources(make_coach, fake_model):
    # Changed by guidance-first answers: the composed answer comes first, then the model's, support-checked and cited.
    written = "Either way, the answer is usually to adapt the format rather than give up."
    coach = make_coach(fake_model(written))
    updates = turn(coach, "My mentor keeps cancelling our meetings, what should I do?")
    answer, sources = updates[-1]
    assert re.fullmatch(re.escape(written) + r" \[\d\]", answer.content) and answer.title is None
    assert updates[0][0].content.startswith("**In short:** "), "the guidance's own answer is shown at once"
    assert sources.title.startswith("📚 Sources (")
    assert "busy-mentor.md" in sources.content


def test_titled_messages_in_the_history_are_not_sent_to_the_model(make_coach, fake_model):
    coach = make_coach(fake_model("Monthly is a good start."))
    history = then([], "How do I find a mentor?", [Reply("Start with alumni networks."), Reply("1. …", "📚 Sources")])
    history = then(history, "agenda with Sam", [Reply("Mentor: Sam\nMinutes: ", AGENDA_FORM)])
    final(coach, "How often should we meet?", history)
    sent = coach.answerer.model.sent[-1]
    assert [m.type for m in sent] == ["system", "human", "ai", "human"]
    assert sent[2].content == "Start with alumni networks."
    assert "Minutes:" not in " ".join(str(m.content) for m in sent[1:])


# --- Draft an ask from the chat ----------------------------------------------------------------------------


def test_asking_for_help_writing_to_someone_returns_the_draft_form_with_the_name_prefilled(make_coach, fake_model):
    (form,) = final(make_coach(fake_model()), "help me write to Priya Shah on LinkedIn")
    assert form.title == DRAFT_FORM
    lines = form.content.splitlines()
    assert "Name: Priya Shah" in lines
    for missing in ("Role: ", "What I admire: "):  # two things at a time, in plain words
        assert missing in lines, f"{missing!r} should be an empty line to fill in"
    assert "What I want to learn: " not in lines, "the third question waits for the next turn"
    assert "  _What is their role?_" in lines
    assert "Channel: A LinkedIn note" in lines
    assert form.open, "a form is shown open, not folded under its title"


def test_answering_the_draft_form_drafts_the_message_with_its_sources(make_coach, fake_model):
    coach = make_coach(fake_model("Sure!"))  # an unusable polish: the message built by code is used
    history = then([], "help me write to Priya Shah", final(coach, "help me write to Priya Shah"))
    draft, sources = final(coach, DRAFT_ANSWER, history)
    assert draft.title == DRAFT_FORM + " ✓"
    assert "> Hi Priya," in draft.content
    assert "your talk on rebuilding onboarding" in draft.content
    assert "how to move from customer support into product management" in draft.content
    assert "20-minute call" in draft.content
    assert "❌" not in draft.content, "every checklist item holds"
    assert "Hi Priya," in draft.files["ask.txt"]
    assert sources.title.startswith("📚 Sources") and "approaching-a-mentor.md" in sources.content


def test_the_draft_form_asks_two_things_at_a_time_until_it_can_draft(make_coach, fake_model):
    coach = make_coach(fake_model("Sure!"))
    (form,) = final(coach, "help me write an email to Priya Shah")
    filled = form.content.replace("Role: ", "Role: head of product at Northwind").replace(
        "What I admire: ", "What I admire: your talk on rebuilding onboarding"
    )
    history = then([], "help me write an email to Priya Shah", [form])
    (second,) = final(coach, filled, history)
    assert second.title == DRAFT_FORM and "What I want to learn: " in second.content.splitlines()
    draft = final(coach, "how to move from support into product", then(history, filled, [second]))[0]
    assert not draft.content.startswith("Please fix"), draft.content.split("\n")[0]
    assert "> Hi Priya," in draft.content and "20-minute call" in draft.content


def test_the_draft_form_takes_plain_answers_in_the_order_it_asked(make_coach, fake_model):
    coach = make_coach(fake_model("Sure!"))
    (form,) = final(coach, "help me write a message asking someone to mentor me")
    history = then([], "help me write a message asking someone to mentor me", [form])
    (second,) = final(coach, "Dana Lee, staff engineer at Stripe", history)
    assert (
        second.title == DRAFT_FORM
        and "Name: Dana Lee" in second.content
        and "Role: staff engineer at Stripe" in second.content
    )
    answers = "her post on scaling payment systems\nlearn how to design for failure"
    draft = final(coach, answers, then(history, "Dana Lee, staff engineer at Stripe", [second]))[0]
    assert "> Hi Dana," in draft.content and "your post on scaling payment systems" in draft.content
    assert "learn how to design for failure" in draft.content


def test_details_from_the_first_message_survive_answering_the_form(make_coach, fake_model):
    coach = make_coach(fake_model("Sure!"))
    asked = "help me write to Priya Shah on LinkedIn"
    draft, _ = final(coach, DRAFT_ANSWER, then([], asked, final(coach, asked)))
    assert "LinkedIn connection note limit" in draft.content, "the user asked for a LinkedIn note, not an email"
    assert "**Subject:**" not in draft.content


# --- Agenda from the chat ----------------------------------------------------------------------------------


def test_an_agenda_request_with_mentor_and_length_builds_the_agenda_at_once(make_coach, fake_model):
    agenda, sources = final(make_coach(fake_model("ok")), "agenda for a 30-minute meeting with Sam tomorrow at 3pm")
    assert agenda.title == AGENDA_FORM + " ✓"
    assert agenda.content.startswith("# Mentoring meeting with Sam")
    rows = slots(agenda.content)
    assert [title for *_, title in rows] == ["Check-in", "Main topic", "Next steps & new action items"]
    assert sum(minutes for _, _, minutes, _ in rows) == 30
    assert all(rows[i][1] == rows[i + 1][0] for i in range(len(rows) - 1)), "slots follow each other"
    event = Calendar.from_ical(agenda.files["meeting.ics"]).walk("VEVENT")[0]
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=30)
    assert agenda.files["agenda.md"] == agenda.content
    assert sources.title.startswith("📚 Sources") and "meeting-agendas.md" in sources.content


def test_an_agenda_request_without_a_length_asks_for_the_minutes(make_coach, fake_model):
    (form,) = final(make_coach(fake_model()), "Can you make an agenda for my meeting with Sam?")
    assert form.title == AGENDA_FORM
    assert "Mentor: Sam" in form.content.splitlines()
    assert "Minutes: " in form.content.splitlines()


def test_answering_the_agenda_form_puts_each_item_in_its_slot(make_coach, fake_model):
    coach = make_coach(fake_model("ok"))
    history = then([], "agenda with Sam", final(coach, "agenda with Sam"))
    answer = (
        "Mentor: Sam\nMinutes: 45\nWhen: tomorrow at 10am\nOpen action items: send my CV; book the demo\n"
        "Questions: How should I price the pilot?\nMain topic: moving into product"
    )
    agenda, _ = final(coach, answer, history)
    rows = {title: minutes for _, _, minutes, title in slots(agenda.content)}
    assert set(rows) == {"Check-in", "Progress on action items", "Main topic", "Questions",
                         "Next steps & new action items"}  # fmt: skip
    assert sum(rows.values()) == 45
    assert "send my CV<br>book the demo" in agenda.content
    assert "| moving into product |" in agenda.content


def test_an_impossible_length_asks_to_fix_it_and_keeps_the_form_pending(make_coach, fake_model):
    coach = make_coach(fake_model("ok"))
    history = then([], "agenda with Sam", final(coach, "agenda with Sam"))
    (problem,) = final(coach, "Mentor: Sam\nMinutes: 1000\nWhen: 2026-12-09 10:00", history)
    assert problem.content.startswith("Please fix: minutes: Meeting length must be between 15 and 240 minutes")
    assert problem.title == AGENDA_FORM, "the next message is still read as the form"
    assert "Minutes: 1000" in problem.content.splitlines(), "the form shows what was entered"
    asked = "Mentor: Sam\nMinutes: 1000\nWhen: 2026-12-09 10:00"
    agenda, _ = final(coach, "Minutes: 30", then(history, asked, [problem]))
    assert sum(minutes for _, _, minutes, _ in slots(agenda.content)) == 30


# --- Difficult conversation from the chat ------------------------------------------------------------------


def test_wanting_to_end_things_with_a_mentor_opens_the_conversation_form_for_ending_well(make_coach, fake_model):
    (form,) = final(make_coach(fake_model()), "how do I tell my mentor I want to end things")
    assert form.title == CONVERSATION_FORM
    assert "What is going on: I want to end the mentorship well" in form.content.splitlines()
    assert "Mentor: " in form.content.splitlines()
    assert "ending_well" not in form.content, "choices in plain words"


def test_completing_the_conversation_form_plans_the_conversation(make_coach, fake_model):
    coach = make_coach(fake_model("ok"))
    asked = "how do I tell my mentor I want to end things"
    (form,) = final(coach, asked)
    filled = form.content.replace("Mentor: ", "Mentor: Sam").replace("Context: ", "Context: I start a new role")
    plan, sources = final(coach, filled, then([], asked, [form]))
    assert plan.content.startswith("### Ending the mentorship well: conversation plan for Sam")
    assert "**Opening line.**\n\n> Sam, " in plan.content
    assert "**Phrases to avoid**" in plan.content and "**Fallback.**" in plan.content
    assert plan.files["conversation-plan.md"].startswith(plan.content)
    assert sources.title.startswith("📚 Sources") and "ending-a-mentorship.md" in sources.content


def test_an_unknown_scenario_asks_to_fix_it(make_coach, fake_model):
    coach = make_coach(fake_model("ok"))
    asked = "how do I tell my mentor I want to end things"
    (problem,) = final(coach, "What is going on: quitting\nMentor: Sam", then([], asked, final(coach, asked)))
    assert problem.content.startswith("Please fix: scenario:")
    assert "ending_well" in problem.content and problem.title == CONVERSATION_FORM
    assert problem.options, "the plain-word choices are offered under the form"


# --- Rehearsal in the chat ---------------------------------------------------------------------------------


def test_practising_with_a_sceptical_senior_starts_a_rehearsal_in_character(make_coach, fake_model):
    intro, opener = final(make_coach(fake_model()), "let's practise with a sceptical senior")
    assert intro.title == "🎭 Rehearsal" and "Sceptical senior leader" in intro.content and "end" in intro.content
    assert opener.title == "🎭 Sceptical senior leader"
    assert opener.content == PERSONAS[Persona.sceptical_senior].canned


def test_a_turn_in_the_rehearsal_gets_the_mentors_reply_titled_with_the_persona(make_coach, fake_model):
    coach = make_coach(fake_model("*frowns* Why me, though, and why now?"))
    asked = "let's practise with a sceptical senior"
    history = then([], asked, final(coach, asked))
    with collect_runs() as runs:
        (mentor,) = final(coach, USER_OPENING, history)
    assert mentor.title == "🎭 Sceptical senior leader"
    assert mentor.content == "Why me, though, and why now?", "stage directions are cut"
    (prompt,) = sent_prompts(runs)
    assert "Sceptical senior leader" in prompt.split("\nAI: ")[0]
    assert prompt.endswith(f"Human: {USER_OPENING}"), "the user's words are the last turn the mentor sees"
    assert f"AI: {PERSONAS[Persona.sceptical_senior].canned}" in prompt


def test_end_gives_feedback_on_the_users_words_with_sources(make_coach, fake_model, scorer_reply):
    coach = make_coach(fake_model("Why me, though?", scorer_reply("a 20-minute call about moving into product")))
    asked = "let's practise with a sceptical senior"
    history = then([], asked, final(coach, asked))
    history = then(history, USER_OPENING, final(coach, USER_OPENING, history))
    result, sources = final(coach, "end", history)
    assert result.content.startswith("### Feedback on your rehearsal with the sceptical senior leader")
    assert "| Criterion | Score | Why | Your words | Guidance |" in result.content
    row = next(line for line in result.content.splitlines() if line.startswith("| Respects their time |"))
    assert "20-minute" in row, "the score rests on the time the user named"
    assert "(your turn 1)" in result.content, "the quote names the user's own turn, not counting the mentor's lines"
    assert "Rehearsal started" not in result.content, "the coach's own notes are not part of the transcript"
    assert set(result.files) == {"rehearsal-feedback.md", "rehearsal-transcript.json"}
    saved = json.loads(result.files["rehearsal-transcript.json"])
    assert [t["role"] for t in saved["transcript"]] == ["mentor", "user", "mentor"]
    assert sources.title.startswith("📚 Sources")


def test_ending_a_rehearsal_before_speaking_says_there_is_nothing_to_score(make_coach, fake_model):
    coach = make_coach(fake_model())
    asked = "let's practise with a busy executive"
    (notice,) = final(coach, "stop", then([], asked, final(coach, asked)))
    assert "ended before you said anything" in notice.content
    assert notice.title is None, "the rehearsal is over: the next message is an ordinary one"


def test_after_the_feedback_the_next_message_is_an_ordinary_question(make_coach, fake_model, scorer_reply):
    coach = make_coach(fake_model("Go on.", scorer_reply("a 20-minute call"), "Meet monthly to start with."))
    asked = "let's practise with a busy executive"
    history = then([], asked, final(coach, asked))
    history = then(history, USER_OPENING, final(coach, USER_OPENING, history))
    history = then(history, "end", final(coach, "end", history))
    answer, sources = final(coach, "How often should we meet?", history)
    assert answer.title is None and answer.content.startswith(("Meet monthly to start with. [", "**In short:** "))
    assert sources.title.startswith("📚 Sources")


def test_a_failed_mentor_reply_does_not_end_the_rehearsal(make_coach, fake_model):
    coach = make_coach(fake_model("Fine. What exactly do you need from me?"))
    asked = "let's practise with a sceptical senior"
    history = then([], asked, final(coach, asked))
    history = then(history, USER_OPENING, [Reply("⚠️ Cannot reach the model server.", PROBLEM)])
    replies = final(coach, USER_OPENING, history)
    assert titles(replies) == ["🎭 Sceptical senior leader"], "trying again continues the rehearsal"
    assert replies[0].content == "Fine. What exactly do you need from me?"


def test_a_start_up_notice_left_in_the_chat_does_not_end_the_rehearsal(make_coach, fake_model):
    coach = make_coach(fake_model("Fine. What exactly do you need from me?"))
    asked = "let's practise with a sceptical senior"
    history = then([], asked, final(coach, asked))
    history = then(history, USER_OPENING, [Reply("The coach is still starting…", STARTING)])  # stopped while waiting
    replies = final(coach, USER_OPENING, history)
    assert titles(replies) == ["🎭 Sceptical senior leader"], "asking again continues the rehearsal"


# --- Failures ----------------------------------------------------------------------------------------------


def test_an_unreachable_model_server_gives_a_problem_message_and_keeps_the_partial_answer(make_coach, failing_model):
    coach = make_coach(failing_model(connection_error(), partial="Offer shorter check-ins"))
    updates = turn(coach, "My mentor keeps cancelling, what should I do?")
    answer, sources, problem = updates[-1]
    assert answer.content.startswith("**In short:** "), "the guidance's own answer stays; the model's never arrived"
    assert sources.title.startswith("📚 Sources")
    assert problem.title == PROBLEM
    assert problem.content.startswith("⚠️ Cannot reach the model server")


def test_a_model_that_fails_before_answering_gives_only_a_problem_message(make_coach, failing_model):
    coach = make_coach(failing_model(RuntimeError("boom")))
    answer, _, problem = final(coach, "My mentor keeps cancelling, what should I do?")
    assert answer.content.startswith("**In short:** ") and problem.title == PROBLEM
    assert problem.content.startswith("⚠️ Something went wrong while answering (RuntimeError)")


def test_an_empty_message_gets_a_clear_problem_message(make_coach, fake_model):
    (problem,) = final(make_coach(fake_model()), "   ")
    assert problem.title == PROBLEM and "empty" in problem.content


@pytest.mark.parametrize(
    ("message", "form_answer", "heading"),
    [
        ("agenda for a 30-minute meeting with Sam at 14.30", None, "# Mentoring meeting with Sam"),
        ("help me write to Priya Shah", DRAFT_ANSWER, "> Hi Priya,"),
        ("how do I tell my mentor I want to end things", "Mentor: Sam", "conversation plan"),
    ],
    ids=["agenda", "draft_ask", "conversation"],
)
def test_tools_reached_from_the_chat_stay_complete_when_the_model_server_is_down(
    message, form_answer, heading, make_coach, failing_model
):
    coach = make_coach(failing_model(connection_error()))
    replies = final(coach, message)
    if form_answer:
        replies = final(coach, form_answer, then([], message, replies))
    assert PROBLEM not in titles(replies), replies[0].content
    assert heading in replies[0].content


def test_a_short_follow_up_that_points_back_is_searched_with_the_question_before_it(make_coach, fake_model):
    coach = make_coach(fake_model())
    first = "My mentor is really busy and keeps cancelling on me. How do I handle it?"
    history = then([], first, final(coach, first))
    prompt = coach.answerer.passages("what should I actually say to her?", history=history)
    assert prompt.question.startswith(first) and prompt.question.endswith("what should I actually say to her?")
    assert [h.source for h in prompt.hits[:2]] == ["busy-mentor.md"] * 2, [h.label for h in prompt.hits]
    alone = coach.answerer.passages("what should I actually say to my mentor about our goals?", history=history)
    assert alone.question == "what should I actually say to my mentor about our goals?", "no pointing back"
    standalone = coach.answerer.passages("is it rude to stop meeting with my mentor?", history=history)
    assert standalone.question == "is it rude to stop meeting with my mentor?", "a dummy 'it' points nowhere"
