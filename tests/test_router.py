"""Chat messages are routed to the right tool, with the details they already carry."""

from __future__ import annotations

import pytest

from coach.chat.router import Intent, minutes_in, name_in, route


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("Help me write to Priya Shah on LinkedIn", Intent.DRAFT_ASK),
        ("Can you draft a cold email to a director I admire?", Intent.DRAFT_ASK),
        ("How should I reach out to someone I met at a conference?", Intent.DRAFT_ASK),
        ("Agenda for my meeting with Sam on Friday", Intent.AGENDA),
        ("Help me prepare for our next mentoring session", Intent.AGENDA),
        ("How do I tell my mentor I want to change focus?", Intent.CONVERSATION),
        ("I need to end my mentorship with Jo gracefully", Intent.CONVERSATION),
        ("Let's practise asking my mentor to sponsor me", Intent.REHEARSE),
        ("Can we role-play a call with a busy VP?", Intent.REHEARSE),
        ("My mentor keeps cancelling our meetings, what should I do?", Intent.ASK),
        ("What is micro-mentoring?", Intent.ASK),
        ("How often should we meet?", Intent.ASK),
    ],
)
def test_messages_route_to_their_tool(message, intent):
    assert route(message).intent is intent


def test_draft_request_keeps_name_and_channel():
    details = route("help me write to Priya Shah on LinkedIn").details
    assert details == {"mentor_name": "Priya Shah", "channel": "linkedin"}


def test_conversation_request_names_its_scenario():
    assert route("how do I tell my mentor I'm ending things").details["scenario"] == "ending_well"
    assert route("how do I ask my mentor to vouch for me for a promotion").details["scenario"] == (
        "asking_for_sponsorship"
    )
    assert "scenario" not in route("how do I tell my mentor something awkward").details


def test_rehearsal_picks_a_persona_or_defaults_to_the_busy_executive():
    assert route("let's practise with a sceptical senior").details["persona"] == "sceptical_senior"
    assert route("let's rehearse").details["persona"] == "busy_executive"


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("a 30-minute call", 30),
        ("45 mins", 45),
        ("an hour", 60),
        ("half an hour", 30),
        ("1.5 hours", 90),
        ("soon", None),
    ],
)
def test_meeting_lengths_are_read_from_text(text, minutes):
    assert minutes_in(text) == minutes


def test_names_need_a_capital_and_skip_pronouns():
    assert name_in("meeting with Dr. Ada Lovelace") == "Dr. Ada Lovelace"
    assert name_in("meeting with my mentor") is None
    assert name_in("write to I don't know who") is None
