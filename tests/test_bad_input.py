"""Odd, empty, huge and hostile input, through the chat logic and through the real page (gradio_client): each gets a
clear message or comes back as plain text, nothing raises, and the conversation so far stays as it was."""

from __future__ import annotations

import httpx
import pytest
from gradio_client import Client

from coach.chat.answer import MAX_QUESTION_CHARS, Exchange
from coach.chat.turn import PROBLEM, SOURCES, Reply, reply

HISTORY = [Exchange("user", "How do I find a mentor?"), Exchange("assistant", "Start with alumni networks.")]
HUGE = ("My mentor keeps cancelling our meetings and I do not know what to do. " * 1500)[:100_000]
MARKUP = (
    "<script>alert('x')</script> <img src=x onerror=alert(1)> **bold** _it_ [link](javascript:alert(1)) "
    "| a | table |\n# Heading\n```\ncode\n``` How do I find a mentor?"
)
SCRIPTS = "مرشدي مشغول دائما 🙂 — 我的导师总是取消 — שלום 👩🏽‍💻 — Ментор занят — how do I find time?"
AGENDA_FORM = "🧭 Meeting agenda"


def chat(coach, message: str, history: list[Exchange] = HISTORY) -> list[Reply]:
    """The final replies to one message; the history passed in must come back untouched."""
    before = list(history)
    updates = list(reply(coach, message, history))
    assert history == before, "the conversation so far is kept as it was"
    return updates[-1]


def then(history: list[Exchange], message: str, replies: list[Reply]) -> list[Exchange]:
    return [*history, Exchange("user", message), *(Exchange("assistant", r.content, r.title) for r in replies)]


# --- Through the chat logic ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message", ["", "   ", "\n\t  \n", "\x00\x07\x1b\x7f"], ids=["empty", "spaces", "blank", "control"]
)
def test_an_empty_or_whitespace_only_message_gets_a_clear_message_and_no_model_call(make_coach, echo_model, message):
    coach = make_coach(echo_model())
    (problem,) = chat(coach, message)
    assert problem.title == PROBLEM and problem.content.startswith("⚠️ Your message is empty.")
    assert "for example" in problem.content, "says what to type instead"
    assert coach.answerer.model.sent == []


def test_a_100_kb_message_is_refused_with_its_size_and_the_limit(make_coach, echo_model):
    coach = make_coach(echo_model())
    (problem,) = chat(coach, HUGE)
    assert problem.title == PROBLEM
    assert f"{len(HUGE.strip()):,} characters" in problem.content and f"{MAX_QUESTION_CHARS:,}" in problem.content
    assert "Shorten it" in problem.content
    assert coach.answerer.model.sent == []


def test_control_characters_are_dropped_before_the_model_sees_the_message(make_coach, echo_model):
    coach = make_coach(echo_model())
    answer, sources = chat(coach, "\x1b[31mHow do I\x00 find\x08 a mentor?\x07\u202e\r")
    sent = coach.answerer.model.sent[-1][-1].content
    assert sent == "[31mHow do I find a mentor?"
    assert answer.content.startswith("**In short:") and sources.title.startswith(SOURCES)


def test_mixed_scripts_right_to_left_text_and_emoji_reach_the_model_and_come_back_intact(make_coach, echo_model):
    coach = make_coach(echo_model())
    answer, _ = chat(coach, SCRIPTS)
    assert coach.answerer.model.sent[-1][-1].content == SCRIPTS
    assert "echo:" not in answer.content, "an echo is no guidance: the support check removes it"


def test_markdown_html_and_scripts_in_a_message_round_trip_as_text(make_coach, echo_model):
    coach = make_coach(echo_model())
    answer, _ = chat(coach, MARKUP)
    assert coach.answerer.model.sent[-1][-1].content == MARKUP, "sent as typed: the page, not the chat, escapes"
    assert "echo:" not in answer.content and "not supported by the guidance" in answer.content


def test_after_bad_input_the_conversation_carries_on_with_its_history(make_coach, echo_model):
    coach = make_coach(echo_model())
    history = then(HISTORY, "   ", chat(coach, "   "))
    history = then(history, HUGE, chat(coach, HUGE, history))
    answer, _ = chat(coach, "And how often should we meet?", history)
    sent = coach.answerer.model.sent[-1]
    assert [m.type for m in sent] == ["system", "human", "ai", "human"], "problem turns are not sent to the model"
    assert sent[1].content == "How do I find a mentor?" and sent[2].content == "Start with alumni networks."
    assert answer.content.startswith("**In short:")


# --- Tool input through the chat's forms -----------------------------------------------------------------------


@pytest.fixture
def agenda_pending(make_coach, fake_model):
    """A coach and the history after asking for an agenda: the next message is read as the agenda form."""
    coach = make_coach(fake_model("ok"))
    (form,) = chat(coach, "agenda with Sam", [])
    assert form.title == AGENDA_FORM
    return coach, then([], "agenda with Sam", [form])


@pytest.mark.parametrize("minutes", ["0", "1000", "-5", "lots"])
def test_an_absurd_meeting_length_asks_to_fix_it_and_keeps_the_form(agenda_pending, minutes):
    coach, history = agenda_pending
    (problem,) = chat(coach, f"Mentor: Sam\nMinutes: {minutes}", history)
    assert problem.content.startswith("Please fix: minutes: ")
    if minutes.lstrip("-").isdigit():
        assert f"between 15 and 240 minutes (got {minutes})" in problem.content
    assert problem.title == AGENDA_FORM, "the next message is still read as the form"
    assert f"Minutes: {minutes}" in problem.content.splitlines(), "the form keeps what was typed"


def test_a_zero_minute_meeting_named_in_the_first_message_is_explained_not_just_asked_again(make_coach, fake_model):
    (problem,) = chat(make_coach(fake_model("ok")), "agenda for a 0-minute meeting with Sam", [])
    assert problem.content.startswith("Please fix: minutes: Meeting length must be between 15 and 240 minutes")


def test_a_start_in_the_past_builds_the_agenda_with_a_warning(agenda_pending):
    coach, history = agenda_pending
    agenda, sources = chat(coach, "Mentor: Sam\nMinutes: 30\nStart: 2020-01-02 9.00", history)
    assert agenda.content.startswith("# Mentoring meeting with Sam")
    assert "> ⚠️ This meeting starts in the past (02 Jan 2020, 09:00): check the date." in agenda.content
    assert "DTSTART" in agenda.files["meeting.ics"] and sources.title.startswith(SOURCES)


def test_an_unreadable_start_asks_to_fix_it_and_keeps_what_was_typed(agenda_pending):
    coach, history = agenda_pending
    (problem,) = chat(coach, "Mentor: Sam\nMinutes: 30\nStart: whenever-ish", history)
    assert problem.content.startswith("Start must be a date and time like “next Tuesday at 3pm” or 2026-12-03 14:30")
    assert problem.title == AGENDA_FORM
    assert "Minutes: 30" in problem.content.splitlines() and "whenever-ish" in problem.content


def test_a_start_with_a_day_but_no_hour_asks_for_the_hour_and_keeps_the_form(agenda_pending):
    coach, history = agenda_pending
    (problem,) = chat(coach, "Mentor: Sam\nMinutes: 30\nStart: next Tuesday-ish", history)
    assert problem.content.startswith("What time on Tuesday")
    assert problem.title == AGENDA_FORM
    assert "Minutes: 30" in problem.content.splitlines()


# --- Through the real page -------------------------------------------------------------------------------------
# The page keeps each session's history on the server (Gradio's chat state), so each test opens its own session.


@pytest.fixture
def session(echo_page):
    """A fresh browser-like session on the shared echo page: `(client, page url, coach)`."""
    url, coach = echo_page
    return Client(url, verbose=False), url, coach


def ask_page(client: Client, message: str) -> list[dict]:
    return client.predict(message, api_name="/ask")


@pytest.mark.parametrize("message", ["", "   ", "\x00\x07", HUGE], ids=["empty", "spaces", "control", "100kB"])
def test_the_page_answers_empty_and_huge_messages_with_a_clear_message_and_carries_on(session, message):
    client, _, coach = session
    first, _ = ask_page(client, "How do I find a mentor?")
    (problem,) = ask_page(client, message)
    assert problem["metadata"]["title"] == PROBLEM
    assert problem["content"].startswith("⚠️ Your message is ")
    assert ("empty" in problem["content"]) != (message == HUGE)
    follow_up, _ = ask_page(client, "And how often should we meet?")
    sent = coach.answerer.model.sent[-1]
    assert sent[-1].content == "And how often should we meet?", "the follow-up reached the model as typed"
    # Since issue 13 the echo has no support in the guidance: the guidance's own answer is shown, and says so.
    assert follow_up["content"].startswith("**In short:** ") and "echo:" not in follow_up["content"]
    assert "not supported by the guidance" in follow_up["content"]
    assert sent[1].content == "How do I find a mentor?" and sent[2].content == first["content"], "history kept"


@pytest.mark.parametrize("message", [MARKUP, SCRIPTS], ids=["markup", "scripts"])
def test_the_page_returns_markup_scripts_and_emoji_as_the_exact_text(session, message):
    client, _, coach = session
    answer, sources = ask_page(client, message)
    assert coach.answerer.model.sent[-1][-1].content == message, "the model gets the message exactly as typed"
    # Since issue 13 the answer is the guidance's (the echo has no support); the page sends it exactly as the chat
    # logic wrote it: the server sends text, the chatbot sanitizes it when shown.
    answer_in_process, sources_in_process = list(reply(coach, message, []))[-1]
    assert answer["content"] == answer_in_process.content and "echo:" not in answer["content"]
    assert sources["content"] == sources_in_process.content and sources["metadata"]["title"].startswith(SOURCES)


def test_every_chatbot_and_markdown_on_the_page_sanitizes_html(session):
    _, url, _ = session
    config = httpx.get(f"{url}config", timeout=10).json()
    shown = [c for c in config["components"] if c["type"] in ("chatbot", "markdown")]
    assert sum(c["type"] == "chatbot" for c in shown) >= 2, "the Ask chat and the rehearsal"
    assert all(c["props"].get("sanitize_html") is True for c in shown), [c["id"] for c in shown]


def test_the_page_agenda_form_in_the_chat_explains_absurd_lengths_and_past_dates(session):
    client, _, _ = session
    (form,) = ask_page(client, "agenda with Sam")
    assert form["metadata"]["title"] == AGENDA_FORM
    (problem,) = ask_page(client, "Mentor: Sam\nMinutes: 1000")
    assert problem["content"].startswith("Please fix: minutes: Meeting length must be between 15 and 240 minutes")
    agenda, *_ = ask_page(client, "Mentor: Sam\nMinutes: 30\nStart: 2020-01-02 09:00")  # then its files, sources
    assert "⚠️ This meeting starts in the past (02 Jan 2020, 09:00)" in agenda["content"]


def test_the_page_agenda_tab_warns_about_a_start_in_the_past_and_refuses_a_zero_minute_meeting(session):
    client, _, _ = session
    past = client.predict("Sam", "2020-01-02 09:00", 30, "", "", "", "", "", api_name="/agenda")
    assert "⚠️ This meeting starts in the past" in past[0] and past[1], "the agenda and its files still come"
    zero = client.predict("Sam", "2027-01-02 09:00", 0, "", "", "", "", "", api_name="/agenda")
    assert zero[0].startswith("⚠️ ") and "between 15 and 240 minutes (got 0)" in zero[0]
