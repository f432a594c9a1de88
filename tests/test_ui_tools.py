"""The tool panels of the real page, served on loopback and driven through gradio_client like a browser would."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from coach.tools.rehearsal import PERSONAS, Persona

ASK = ("Priya Shah", "head of product at Northwind", "your talk on rebuilding onboarding",
       "how to move from customer support into product")  # fmt: skip
SLOT_ROW = re.compile(r"^\| (\d\d:\d\d)–(\d\d:\d\d) \| (\d+) \| ([^|]+) \|", re.M)
SAID = "Thanks for making time. Could we have a 20-minute call about moving into product?"


def draft_inputs(name=ASK[0], channel="email", minutes=20):
    """The draft panel's inputs in order: name, role, admiration, goal, kind, channel, minutes, your name, role."""
    return (name, *ASK[1:], "first_conversation", channel, minutes, "Sam Lee", "support lead")


def agenda_inputs(mentor="Sam", start="2026-12-03 14:30", minutes=45, actions="", questions="", topics=""):
    """The agenda panel's inputs in order: mentor, start, minutes, goals, progress, actions, questions, topics."""
    return (mentor, start, minutes, "", "", actions, questions, topics)


def slot_minutes(markdown: str) -> dict[str, int]:
    return {title.strip(): int(minutes) for _, _, minutes, title in SLOT_ROW.findall(markdown)}


def text_of(message: dict) -> str:
    """A chatbot message's text, whether Gradio sends it as a string or as a list of parts."""
    content = message["content"]
    return content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)


# --- Draft an ask ------------------------------------------------------------------------------------------


def test_draft_ask_returns_the_checked_message_and_a_downloadable_file(served):
    client, _ = served("Sure!")
    markdown, message, files, sources = client.predict(*draft_inputs(), api_name="/draft_ask")
    assert message.startswith("Hi Priya,\n\nI'm Sam Lee, a support lead.")
    assert "your talk on rebuilding onboarding" in message and "20-minute call" in message
    assert message.endswith("Sam Lee")
    for item in ("why this person", "what to learn", "time request", "flexibility", "within limit"):
        assert f"✅ {item}" in markdown
    subject = "Question about how to move from customer support into product"
    assert f"**Subject:** {subject}" in markdown
    (path,) = files
    assert Path(path).name == "ask.txt"
    assert Path(path).read_text(encoding="utf-8") == f"Subject: {subject}\n\n{message}\n"
    assert "approaching-a-mentor.md" in sources


def test_a_linkedin_draft_fits_the_connection_note_without_a_subject(served):
    client, _ = served("Sure!")
    markdown, message, _, _ = client.predict(*draft_inputs(channel="linkedin"), api_name="/draft_ask")
    assert len(message) <= 200  # a free account's limit; 300 with Premium is stated beside it
    assert "**Subject:**" not in markdown and "/ 200 characters (LinkedIn connection note limit)" in markdown
    assert "Premium allows 300" in markdown
    assert "Priya" in message and "20-minute" in message


def test_variants_are_three_different_drafts_of_the_same_ask(served):
    client, _ = served("Sure!", "Sure!", "Sure!")
    markdown, messages, _, _ = client.predict(*draft_inputs(), api_name="/draft_ask_variants")
    assert [line for line in markdown.splitlines() if line.startswith("### ")] == [
        "### Warmer",
        "### Shorter",
        "### Formal",
    ]
    drafts = messages.split("\n\n---\n\n")
    assert len(set(drafts)) == 3
    assert drafts[2].startswith("Dear Priya Shah,")
    assert all("20-minute call" in d and "onboarding" in d for d in drafts)


# --- Agenda ------------------------------------------------------------------------------------------------


def test_agenda_returns_the_time_boxed_table_the_markdown_and_a_calendar_event(served):
    client, _ = served("ok")
    inputs = agenda_inputs(actions="send my CV\nbook the demo", questions="How should I price it?")
    markdown, files, sources = client.predict(*inputs, api_name="/agenda")
    assert markdown.startswith("# Mentoring meeting with Sam\n\nThursday 03 December 2026, 14:30–15:15 (45 minutes)")
    minutes = slot_minutes(markdown)
    assert set(minutes) == {"Check-in", "Progress on action items", "Main topic", "Questions",
                            "Next steps & new action items"}  # fmt: skip
    assert sum(minutes.values()) == 45
    by_name = {Path(f).name: Path(f) for f in files}
    assert set(by_name) == {"agenda.md", "meeting.ics"}
    assert by_name["agenda.md"].read_text(encoding="utf-8").strip() == markdown.strip()
    event = Calendar.from_ical(by_name["meeting.ics"].read_bytes()).walk("VEVENT")[0]
    start = datetime(2026, 12, 3, 14, 30).astimezone()
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") == start + timedelta(minutes=45)
    assert str(event["summary"]) == "Mentoring meeting with Sam"
    assert "send my CV" in str(event["description"])
    assert "meeting-agendas.md" in sources


# --- Difficult conversation --------------------------------------------------------------------------------


def test_plan_conversation_returns_the_plan_and_a_file(served):
    client, _ = served("ok")
    inputs = ("busy_mentor", "Sam", "She cancelled twice", "")  # situation, mentor, context, outcome
    markdown, files, sources = client.predict(*inputs, api_name="/plan_conversation")
    assert markdown.startswith("### My mentor is always too busy: conversation plan for Sam")
    assert "> Sam, I can see how busy things are for you" in markdown
    for part in ("**Key points**", "**Phrases to avoid**", "**If they say… you could answer…**", "**Fallback.**"):
        assert part in markdown
    (path,) = files
    assert Path(path).name == "conversation-plan.md"
    assert Path(path).read_text(encoding="utf-8") == markdown + "\n"
    assert "busy-mentor.md" in sources


# --- Rehearsal ---------------------------------------------------------------------------------------------


def test_a_rehearsal_starts_in_character_answers_each_turn_and_ends_with_scored_feedback(served, scorer_reply):
    client, _ = served("Why me, though?", scorer_reply("a 20-minute call about moving into product"))
    chat, result, files = client.predict("sceptical_senior", api_name="/rehearse_start")
    assert [text_of(m) for m in chat] == [PERSONAS[Persona.sceptical_senior].canned]
    assert result == "" and not files

    chat, said, *_ = client.predict("sceptical_senior", chat, SAID, api_name="/rehearse_turn")
    assert said == "", "the text box is cleared"
    assert [(m["role"], text_of(m)) for m in chat[1:]] == [("user", SAID), ("assistant", "Why me, though?")]

    feedback, files = client.predict("sceptical_senior", chat, api_name="/rehearse_feedback")
    assert feedback.startswith("### Feedback on your rehearsal with the sceptical senior leader")
    assert "| Criterion | Score | Why | Your words | Guidance |" in feedback
    assert feedback.count(" | “") >= 2 and "(your turn 1)" in feedback, "scores quote the user's own words"
    by_name = {Path(f).name: Path(f) for f in files}
    assert set(by_name) == {"rehearsal-feedback.md", "rehearsal-transcript.json"}
    saved = json.loads(by_name["rehearsal-transcript.json"].read_text(encoding="utf-8"))
    assert saved["persona"] == "sceptical_senior"
    assert [t["role"] for t in saved["transcript"]] == ["mentor", "user", "mentor"]
    assert saved["transcript"][1]["content"] == SAID

    ended, said, typed_end, _ = client.predict("sceptical_senior", chat, "end", api_name="/rehearse_turn")
    assert ended == chat and said == "", "typing end sends nothing to the mentor"
    table = [line for line in feedback.splitlines() if line.startswith("|")]
    assert [line for line in typed_end.splitlines() if line.startswith("|")] == table, "the button's scores, as code's"


def test_feedback_before_the_user_has_spoken_says_so(served):
    client, _ = served()
    chat, _, _ = client.predict("busy_executive", api_name="/rehearse_start")
    feedback, files = client.predict("busy_executive", chat, api_name="/rehearse_feedback")
    assert feedback.startswith("⚠️ There is nothing of yours to give feedback on yet")
    assert not files


# --- Bad input ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_name", "inputs", "expected"),
    [
        ("/agenda", agenda_inputs(minutes=0), "between 15 and 240 minutes"),
        ("/agenda", agenda_inputs(mentor=""), "mentor name is required"),
        ("/agenda", agenda_inputs(start="whenever-ish"), "Start must be a date and time like “next Tuesday at 3pm”"),
        ("/draft_ask", draft_inputs(name=""), "mentor_name"),
        ("/plan_conversation", ("busy_mentor", "", "", ""), "mentor_name"),
    ],
    ids=["agenda-minutes-0", "agenda-no-mentor", "agenda-unreadable-start", "draft-no-mentor", "plan-no-mentor"],
)
def test_bad_input_gets_a_readable_warning_instead_of_an_error(served, api_name, inputs, expected):
    client, _ = served()
    result = client.predict(*inputs, api_name=api_name)
    assert result[0].startswith("⚠️ "), result[0]
    assert expected in result[0]
    assert not any(result[1:]), "no result and no files"


# --- The chat reaches the tools ----------------------------------------------------------------------------


def test_the_chat_routes_an_agenda_request_to_the_agenda_tool(served):
    client, _ = served("ok")
    agenda, markdown_file, ics_file, sources = client.predict(
        "agenda for a 30-minute meeting with Sam tomorrow at 3pm", api_name="/ask"
    )
    assert agenda["content"].startswith("# Mentoring meeting with Sam")
    assert markdown_file["content"].endswith("agenda.md"), "the chat offers the tool's files too"
    with open(ics_file["content"], "rb") as handle:
        assert Calendar.from_ical(handle.read()).walk("VEVENT")
    assert sum(slot_minutes(agenda["content"]).values()) == 30
    assert sources["metadata"]["title"].startswith("📚 Sources")
    assert "meeting-agendas.md" in sources["content"]


def test_the_agenda_tab_reads_the_start_in_the_browsers_time_zone(served):
    client, _ = served("ok")
    inputs = [*agenda_inputs(), "America/New_York"]
    markdown, files, _ = client.predict(*inputs, api_name="/agenda")
    assert "14:30–15:15" in markdown
    (ics,) = [Path(f) for f in files if f.endswith(".ics")]
    start = Calendar.from_ical(ics.read_bytes()).walk("VEVENT")[0].decoded("dtstart")
    assert str(start.tzinfo) == "America/New_York" and (start.hour, start.minute) == (14, 30)
