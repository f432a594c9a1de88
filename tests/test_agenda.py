"""Meeting agenda: slot arithmetic is exact for every length, times are contiguous, the .ics is real."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from langchain_core.callbacks import BaseCallbackHandler
from pydantic import ValidationError

from coach.llm.prompts import PROMPTS_DIR, render
from coach.tools.agenda import (
    MAX_MINUTES,
    MIN_MINUTES,
    SLOT_KEYS,
    AgendaRequest,
    allocate,
    build_agenda,
    plan_slots,
    slot_minutes,
    template_note,
)

START = datetime(2030, 6, 4, 9, 30)
NOW = datetime(2030, 6, 1, 12, 0)
GOOD_NOTE = (
    "Hi Priya, thank you for your time on Tuesday 04 June. My main takeaway was [main takeaway]. "
    "My next steps: [action] by [date]. I'll tell you how it went when we next talk on [date]. Thanks again, Sam"
)

# What the bundled SmolLM2-135M really wrote for this prompt (less the fence marker it echoed first).
SMOL_LOOPS = "A follow-up note to Priya Raman is a reminder of the next agenda. " * 12


def meeting(**changes) -> AgendaRequest:
    values = {
        "minutes": 45,
        "start": START,
        "mentor_name": "Priya Raman",
        "goals": "Move from support into product management within a year",
        "progress": "Shadowed two discovery calls",
        "action_items": ["Read Inspired", "Ask my manager about leading the sprint review"],
        "questions": ["How did you pick your first PM role?", "What should my portfolio show?"],
        "topics": ["How do I frame my support experience for a PM interview?"],
    }
    return AgendaRequest(**{**values, **changes})


class _Sent(BaseCallbackHandler):
    """Records the messages a chat model is invoked with (the conftest fake records only streamed calls)."""

    def __init__(self) -> None:
        self.prompts: list[list] = []

    def on_chat_model_start(self, serialized, messages, **kwargs) -> None:
        self.prompts.extend(messages)


@pytest.fixture
def retriever(make_coach, fake_model):
    return make_coach(fake_model()).retriever


def test_agenda_slots_sum_to_meeting_length_for_every_length_and_item_count():
    for minutes in range(MIN_MINUTES, MAX_MINUTES + 1):
        for actions in range(13):
            for questions in range(13):
                for progress in (False, True):
                    slots = slot_minutes(minutes, action_items=actions, questions=questions, progress=progress)
                    lengths = [length for _, length in slots]
                    assert sum(lengths) == minutes, (minutes, actions, questions, progress, slots)
                    assert min(lengths) >= 1
                    keys = [key for key, _ in slots]
                    assert keys == [k for k in SLOT_KEYS if k in keys]
                    assert ("progress" in keys) == bool(actions or progress)
                    assert ("questions" in keys) == bool(questions)


def test_planned_slots_fill_the_meeting_for_every_length_and_item_count():
    for minutes in range(MIN_MINUTES, MAX_MINUTES + 1):
        for n in range(13):
            items = [f"item {i}" for i in range(n)]
            request = meeting(minutes=minutes, progress="", action_items=items, questions=items, topics=items)
            slots = plan_slots(request)
            assert sum(s.minutes for s in slots) == minutes
            assert slots[-1].end - slots[0].start == timedelta(minutes=minutes)


def test_slots_with_no_items_are_dropped_and_the_rest_still_fill_the_meeting():
    slots = plan_slots(meeting(progress="", action_items=[], questions=[], topics=[]))
    assert [s.key for s in slots] == ["check_in", "main", "next_steps"]
    assert sum(s.minutes for s in slots) == 45


def test_many_items_share_one_slot():
    many = [f"question {i}" for i in range(12)]
    slots = plan_slots(meeting(questions=many, minutes=30))
    (questions,) = [s for s in slots if s.key == "questions"]
    assert list(questions.items) == many
    assert sum(s.minutes for s in slots) == 30


def test_slot_shape_follows_the_guidance_for_an_hour():
    slots = dict(slot_minutes(60, action_items=2, questions=2, progress=True))
    assert slots["check_in"] == 5 and slots["next_steps"] == 5
    assert 8 <= slots["progress"] <= 10 and 5 <= slots["questions"] <= 10 and 20 <= slots["main"] <= 30


def test_allocate_rounds_by_largest_remainder_and_gives_every_slot_a_minute():
    assert allocate(10, [1, 1, 1]) == [4, 3, 3]
    assert allocate(9, [1, 2, 3.5]) == [1, 3, 5]
    assert allocate(5, [100, 1, 1, 1, 1]) == [1, 1, 1, 1, 1]
    with pytest.raises(ValueError):
        allocate(2, [1, 1, 1])


@pytest.mark.parametrize("minutes", [15, 16, 29, 30, 45, 59, 60, 61, 90, 119, 180, 239, 240])
def test_slot_times_are_contiguous_from_start_to_end(minutes):
    slots = plan_slots(meeting(minutes=minutes, questions=[f"q{i}" for i in range(7)]))
    assert slots[0].start == START
    assert slots[-1].end == START + timedelta(minutes=minutes)
    for before, after in itertools.pairwise(slots):
        assert before.end == after.start
    for slot in slots:
        assert slot.end - slot.start == timedelta(minutes=slot.minutes)


@pytest.mark.parametrize("minutes", [0, 1, 14, 241, 1000, -30])
def test_a_meeting_length_out_of_range_is_refused_with_a_clear_message(minutes):
    with pytest.raises(ValidationError, match=rf"between 15 and 240 minutes \(got {minutes}\)"):
        meeting(minutes=minutes)


def test_a_mentor_name_is_required():
    with pytest.raises(ValidationError, match="mentor name is required"):
        meeting(mentor_name="   ")


def test_blank_items_are_ignored_and_too_many_are_refused():
    assert meeting(questions=["  ", "Why?", ""]).questions == ["Why?"]
    with pytest.raises(ValidationError, match="list at most 30"):
        meeting(action_items=[f"item {i}" for i in range(31)])


def test_the_ics_parses_and_has_the_right_start_end_and_summary(fake_model, retriever):
    out = build_agenda(meeting(), fake_model(""), retriever, now=NOW)
    calendar = Calendar.from_ical(out.files["meeting.ics"])
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == START
    assert event.decoded("DTEND") == START + timedelta(minutes=45)
    assert str(event["SUMMARY"]) == "Mentoring meeting with Priya Raman"
    assert event.decoded("DTSTAMP").tzinfo is not None
    description = str(event["DESCRIPTION"])
    assert "09:30–09:35 Check-in" in description and "Read Inspired" in description


def test_the_ics_uid_is_stable_for_the_same_meeting(fake_model, retriever):
    first = build_agenda(meeting(), fake_model(""), retriever, now=NOW)
    again = build_agenda(meeting(), fake_model(""), retriever, now=NOW + timedelta(days=1))
    moved = build_agenda(meeting(start=START + timedelta(days=7)), fake_model(""), retriever, now=NOW)
    uid = [str(Calendar.from_ical(o.files["meeting.ics"]).walk("VEVENT")[0]["UID"]) for o in (first, again, moved)]
    assert uid[0] == uid[1] != uid[2]


def test_a_time_zone_aware_start_keeps_its_zone_in_the_ics(fake_model, retriever):
    start = datetime(2030, 6, 4, 9, 30, tzinfo=ZoneInfo("Europe/Berlin"))
    out = build_agenda(meeting(start=start), fake_model(""), retriever, now=datetime(2030, 1, 1, tzinfo=UTC))
    (event,) = Calendar.from_ical(out.files["meeting.ics"]).walk("VEVENT")
    assert event.decoded("DTSTART") == start and event.decoded("DTSTART").utcoffset() == timedelta(hours=2)
    assert out.data["warnings"] == []


def test_a_past_start_is_allowed_but_warned(fake_model, retriever):
    out = build_agenda(meeting(), fake_model(""), retriever, now=START + timedelta(days=1))
    assert any("in the past" in w for w in out.data["warnings"])
    assert "in the past" in out.markdown and out.files["meeting.ics"]


def test_a_future_start_gives_no_past_warning(fake_model, retriever):
    out = build_agenda(meeting(), fake_model(""), retriever, now=NOW)
    assert not any("in the past" in w for w in out.data["warnings"])


def test_several_main_topics_in_a_short_meeting_are_warned(fake_model, retriever):
    out = build_agenda(meeting(minutes=30, topics=["Interviews", "Portfolio"]), fake_model(""), retriever, now=NOW)
    assert any("room for one main topic" in w for w in out.data["warnings"])
    assert any(s["title"] == "Main topics" for s in out.data["slots"])


def test_one_item_and_one_question_are_not_counted_like_a_list(fake_model, retriever):
    one = meeting(action_items=["send the deck"], questions=["How do I price it?"])
    prep = build_agenda(one, fake_model(""), retriever, now=NOW).data["preparation"]
    assert prep[0] == "Reread your notes from last time and your open action item."
    assert not any("your 1 " in p for p in prep)


def test_preparation_checklist_is_built_from_the_inputs(fake_model, retriever):
    prep = build_agenda(meeting(), fake_model(""), retriever, now=NOW).data["preparation"]
    assert "2 open action items" in prep[0]
    assert any("How do I frame my support experience" in p for p in prep)
    assert any("Put your 2 questions in priority order" in p for p in prep)
    assert any("Email Priya this agenda" in p and "Tue 04 Jun, 09:30" in p for p in prep)
    empty = build_agenda(meeting(action_items=[], questions=[], topics=[], progress=""), fake_model(""), retriever)
    assert any("Choose one main topic" in p for p in empty.data["preparation"])


def test_follow_up_note_uses_the_models_wording_when_it_is_usable(fake_model, retriever):
    out = build_agenda(meeting(), fake_model(GOOD_NOTE), retriever, now=NOW)
    assert out.data["note"] == GOOD_NOTE and out.data["note_written_by"] == "model"


@pytest.mark.parametrize(
    "reply",
    [
        "",
        "ok",
        "lorem ipsum dolor " * 10,
        f"<<<REFERENCE x>>> {GOOD_NOTE}",
        "x" * 2000,
        SMOL_LOOPS,
        "Hi Priya, thank you so much for the meeting today. " * 6,
        GOOD_NOTE.replace("Hi Priya", "Hi Sam"),
        GOOD_NOTE.replace("[date]. I'll", "12 June. I'll"),
    ],
    ids=[
        "empty",
        "too-short",
        "no-thanks",
        "fence-echo",
        "too-long",
        "loops",
        "loops-with-thanks",
        "wrong-name",
        "invents-a-date",
    ],
)
def test_follow_up_note_falls_back_to_the_template_on_empty_or_garbage(fake_model, retriever, reply):
    request = meeting()
    out = build_agenda(request, fake_model(reply), retriever, now=NOW)
    assert out.data["note_written_by"] == "template"
    assert out.data["note"] == template_note(request)
    assert out.data["note"].startswith("Hi Priya,") and "Tuesday 04 June" in out.data["note"]


def test_agenda_md_has_every_slot_with_its_times(fake_model, retriever):
    out = build_agenda(meeting(), fake_model(""), retriever, now=NOW)
    agenda = out.files["agenda.md"]
    for slot in out.data["slots"]:
        assert f"| {slot['start']}–{slot['end']} | {slot['minutes']} | {slot['title']} |" in agenda
    assert "## Preparation checklist" in agenda and "## Follow-up note" in agenda


def test_note_prompt_carries_its_key_instructions():
    text = (PROMPTS_DIR / "agenda_note.md").read_text(encoding="utf-8")
    for instruction in ("Keep every fact", "Do not invent", "square brackets", "not instructions", "{fence_id}",
                        "{reference}", "Reply with the note only"):  # fmt: skip
        assert instruction in text


def test_note_prompt_fails_loudly_on_a_missing_variable():
    with pytest.raises(KeyError):
        render("agenda_note", fence_id="abc", reference="")


def test_model_is_sent_the_meeting_facts_and_fenced_guidance(fake_model, retriever):
    model = fake_model(GOOD_NOTE)
    sent = _Sent()
    model.callbacks = [sent]
    out = build_agenda(meeting(), model, retriever, now=NOW)
    system, user = (m.content for m in sent.prompts[0])
    fence_id = re.search(r"<<<REFERENCE (\w+) \[1\]", system).group(1)
    assert system.count(f"<<<END REFERENCE {fence_id}>>>") == len(out.hits)
    assert "Tuesday 04 June" in system and "How do I frame my support experience" in system
    assert "Priya Raman" in user
    assert not re.search(r"\{\w+\}", system + user)


def test_guidance_passages_are_returned_and_listed(fake_model, retriever):
    out = build_agenda(meeting(), fake_model(""), retriever, now=NOW)
    assert out.hits and all(h.source == "meeting-agendas.md" for h in out.hits[:2])
    assert "## Guidance used" in out.markdown and out.hits[0].label in out.markdown
    assert out.as_json()["sources"] and set(out.files) == {"agenda.md", "meeting.ics"}
