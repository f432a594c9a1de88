"""The tool subcommands of `coach` as a user runs them: a real process, a real index in a temp folder, and the fake
provider, whose fixed reply the tools cannot use, so what they print must stand on the code's own templates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise

import pytest
from icalendar import Calendar

from coach.guidance.sources import LIBRARY
from coach.llm.fake import FAKE_REPLY
from coach.tools.rehearsal import PERSONAS, Criterion, Persona, save_transcript

SAID = [
    "Thanks for making time. I'm moving from support into product, and your path is the one I'm planning.",
    "Could we have a 20-minute call next month? I'll send one focused question the day before.",
]
QUOTE = "a 20-minute call next month"
MENTOR = "Fine. What exactly do you want from me?"
COMMENT = "You made a clear, small request; next time, say what you could offer in return."
DRAFT_ASK = ("draft-ask", "--name", "Priya Shah", "--role", "head of product", "--admire", "your onboarding talk",
             "--goal", "how to move from support into product")  # fmt: skip
TRANSCRIPT = [
    {"role": "mentor", "content": PERSONAS[Persona.busy_executive].canned},
    {"role": "user", "content": SAID[0]},
    {"role": "mentor", "content": MENTOR},
    {"role": "user", "content": SAID[1]},
]


def run_coach(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args], capture_output=True, text=True, timeout=180, env=env, input=stdin
    )


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Environment for the fake provider over the real knowledge/, indexed once for this module."""
    env = {
        **os.environ,
        "COACH_PROVIDER": "fake",
        "COACH_DATA_DIR": str(tmp_path_factory.mktemp("cli-data")),
        "COACH_KNOWLEDGE_DIR": str(LIBRARY),
    }
    done = run_coach("index", env=env)
    assert done.returncode == 0, done.stderr
    return env


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def failed_readably(done: subprocess.CompletedProcess, expected: str) -> None:
    assert done.returncode == 2, done.stderr
    assert any(line.startswith("error: ") and expected in line for line in done.stderr.splitlines()), done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


# --- Draft an ask ------------------------------------------------------------------------------------------


def test_draft_ask_json_has_a_complete_message_its_checklist_and_sources(cli_env):
    done = ok(run_coach(*DRAFT_ASK, "--minutes", "15", "--json", env=cli_env))
    data = json.loads(done.stdout)
    assert data["message"].startswith("Hi Priya,")
    assert "your onboarding talk" in data["message"] and "15-minute call" in data["message"]
    assert FAKE_REPLY not in data["message"] and data["written_by"] == "template"
    assert data["checklist"] == dict.fromkeys(data["checklist"], True)
    assert {"why_this_person", "what_to_learn", "time_request", "flexibility"} <= set(data["checklist"])
    assert data["sources"] and all(s["source"].endswith(".md") and s["section"] for s in data["sources"])
    assert data["sources"][0]["source"] == "approaching-a-mentor.md"


def test_draft_ask_variants_json_has_three_different_messages(cli_env):
    done = ok(run_coach(*DRAFT_ASK, "--variants", "--json", env=cli_env))
    variants = json.loads(done.stdout)["variants"]
    assert [v["variant"] for v in variants] == ["warmer", "shorter", "formal"]
    assert len({v["message"] for v in variants}) == 3
    assert all(all(v["checklist"].values()) for v in variants)


def test_draft_ask_with_an_impossible_length_exits_2_with_a_readable_message(cli_env):
    done = run_coach(*DRAFT_ASK, "--minutes", "1000", env=cli_env)
    failed_readably(done, "Please fix: minutes: Ask for 5 to 60 minutes (got 1000)")


# --- Agenda ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [15, 50, 240])
def test_agenda_slots_sum_to_the_meeting_length_and_out_writes_markdown_and_calendar(cli_env, tmp_path, minutes):
    out = tmp_path / "out"
    args = ["agenda", "--mentor", "Sam Lee", "--minutes", str(minutes), "--start", "2026-12-03 14:30",
            "--action", "send my CV", "--action", "book the demo", "--question", "How do I price the pilot?",
            "--topic", "moving into product", "--json", "--out", str(out)]  # fmt: skip
    done = ok(run_coach(*args, env=cli_env))
    data = json.loads(done.stdout)
    assert sum(slot["minutes"] for slot in data["slots"]) == minutes
    assert all(slot["minutes"] >= 1 for slot in data["slots"])
    assert all(a["end"] == b["start"] for a, b in pairwise(data["slots"])), "each slot starts as the last ends"
    assert data["slots"][0]["start"] == "14:30"
    assert data["note_written_by"] == "template" and data["note"].startswith("Hi Sam,")
    assert data["sources"] and data["sources"][0]["source"] == "meeting-agendas.md"
    assert sorted(p.name for p in out.iterdir()) == ["agenda.md", "meeting.ics"]
    markdown = (out / "agenda.md").read_text(encoding="utf-8")
    assert markdown.startswith("# Mentoring meeting with Sam Lee") and "send my CV<br>book the demo" in markdown
    event = Calendar.from_ical((out / "meeting.ics").read_bytes()).walk("VEVENT")[0]
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=minutes)
    assert f"wrote {out / 'meeting.ics'}" in done.stderr


@pytest.mark.parametrize(("zone", "hours"), [("UTC", 0), ("Asia/Kolkata", 5.5), ("America/New_York", -4)])
def test_the_calendar_event_starts_at_the_meetings_instant_in_the_users_time_zone(cli_env, tmp_path, zone, hours):
    out = tmp_path / "out"
    env = {**cli_env, "TZ": zone}
    args = ["agenda", "--mentor", "Sam", "--minutes", "30", "--start", "2027-07-02 14:30", "--json", "--out", str(out)]
    done = ok(run_coach(*args, env=env))
    meant = datetime(2027, 7, 2, 14, 30, tzinfo=timezone(timedelta(hours=hours)))
    assert datetime.fromisoformat(json.loads(done.stdout)["start"]) == meant
    start = Calendar.from_ical((out / "meeting.ics").read_bytes()).walk("VEVENT")[0].decoded("dtstart")
    assert start.tzinfo is not None, "a floating time would move with whoever opens the invite"
    assert start.astimezone(UTC) == meant.astimezone(UTC)


def test_agenda_with_an_impossible_length_exits_2_with_a_readable_message(cli_env, tmp_path):
    args = ["agenda", "--mentor", "Sam", "--minutes", "1000", "--start", "2026-12-03 14:30", "--out", str(tmp_path)]
    done = run_coach(*args, env=cli_env)
    failed_readably(done, "Please fix: minutes: Meeting length must be between 15 and 240 minutes (got 1000)")
    assert not list(tmp_path.iterdir()), "nothing is written for a meeting that cannot be planned"


def test_agenda_with_an_unreadable_start_exits_2_with_the_expected_format(cli_env):
    done = run_coach("agenda", "--mentor", "Sam", "--minutes", "30", "--start", "whenever-ish", env=cli_env)
    failed_readably(done, "Start must be a date and time like “next Tuesday at 3pm” or 2026-12-03 14:30")


def test_agenda_with_a_day_but_no_hour_exits_2_asking_for_the_hour(cli_env):
    done = run_coach("agenda", "--mentor", "Sam", "--minutes", "30", "--start", "next Tuesday", env=cli_env)
    failed_readably(done, "What time on Tuesday")


# --- Difficult conversation --------------------------------------------------------------------------------


def test_plan_conversation_json_for_a_busy_mentor_is_the_full_playbook(cli_env):
    done = ok(run_coach("plan-conversation", "--scenario", "busy_mentor", "--mentor", "Sam", "--json", env=cli_env))
    plan = json.loads(done.stdout)
    assert plan["scenario"] == "busy_mentor" and plan["mentor_name"] == "Sam"
    assert plan["opening_line"].startswith("Sam, ") and plan["opening_from_model"] is False
    assert len(plan["key_points"]) == 5 and len(plan["phrases_to_avoid"]) == 3
    assert all(r["they_say"] and r["you_answer"] for r in plan["likely_responses"])
    assert plan["fallback"]
    assert "busy-mentor.md" in {s["source"] for s in plan["sources"]}


def test_plan_conversation_with_an_unknown_scenario_is_refused_by_the_parser(cli_env):
    done = run_coach("plan-conversation", "--scenario", "quitting", "--mentor", "Sam", env=cli_env)
    assert done.returncode == 2 and "invalid choice: 'quitting'" in done.stderr
    assert "Traceback" not in done.stderr


# --- Rehearsal with the fake model -------------------------------------------------------------------------


def test_interactive_rehearse_plays_the_mentor_for_each_line_and_saves_the_transcript(cli_env, tmp_path):
    saved = tmp_path / "rehearsal.json"
    typed = f"{SAID[0]}\n\n{SAID[1]}\n/end\nnever read\n"  # a blank line is skipped; reading stops at /end
    done = run_coach("rehearse", "--persona", "sceptical_senior", "--transcript", str(saved), env=cli_env, stdin=typed)
    assert "Traceback" not in done.stderr
    label = PERSONAS[Persona.sceptical_senior].label
    lines = [line for line in done.stdout.splitlines() if line.startswith(f"{label}: ")]
    assert lines[0] == f"{label}: {PERSONAS[Persona.sceptical_senior].canned}" and len(lines) == 3
    assert all(FAKE_REPLY not in line for line in lines), "a drifting reply is replaced by code's line"
    turns = json.loads(saved.read_text(encoding="utf-8"))
    assert turns["persona"] == "sceptical_senior"
    assert [(t["role"], t["content"]) for t in turns["transcript"]] == [
        ("user", SAID[0]),
        ("mentor", lines[1].removeprefix(f"{label}: ")),
        ("user", SAID[1]),
        ("mentor", lines[2].removeprefix(f"{label}: ")),
    ]
    assert "### Feedback on your rehearsal with the sceptical senior leader" in done.stdout


def test_feedback_needs_no_model_and_is_byte_identical_each_time(cli_env, tmp_path):
    path = save_transcript(tmp_path / "rehearsal.json", TRANSCRIPT, Persona.busy_executive)
    first = ok(run_coach("rehearse", "--transcript", str(path), "--feedback", "--json", env=cli_env))
    second = ok(run_coach("rehearse", "--transcript", str(path), "--feedback", "--json", env=cli_env))
    assert first.stdout == second.stdout
    data = json.loads(first.stdout)
    assert [c["criterion"] for c in data["criteria"]] == [c.value for c in Criterion]
    for c in data["criteria"]:
        assert c["quote"] == "" or TRANSCRIPT[c["turn"]]["content"][c["start"] : c["end"]] == c["quote"]


@pytest.mark.parametrize("typed", ["/end", "end", "Done."])
def test_rehearse_ended_before_speaking_prints_only_the_opening(cli_env, typed):
    done = ok(run_coach("rehearse", "--persona", "busy_executive", env=cli_env, stdin=f"{typed}\n"))
    assert done.stdout.strip() == f"Busy executive: {PERSONAS[Persona.busy_executive].canned}"


def test_feedback_on_a_missing_transcript_file_exits_2(cli_env, tmp_path):
    done = run_coach("rehearse", "--transcript", str(tmp_path / "none.json"), "--feedback", env=cli_env)
    failed_readably(done, "No transcript file at")


# --- Rehearsal feedback from a model that can score: the OpenAI-compatible stub on loopback ------------------


def stub_env(cli_env: dict[str, str], url: str) -> dict[str, str]:
    """The CLI's environment pointed at the stub, through the real openai client."""
    return {
        **cli_env,
        "COACH_PROVIDER": "openai",
        "OPENAI_BASE_URL": url,
        "OPENAI_API_KEY": "test-key",
        "OPENAI_MODEL": "stub",
        "COACH_MAX_RETRIES": "0",
        "NO_PROXY": "127.0.0.1,localhost",
    }


def test_rehearse_feedback_json_scores_a_saved_transcript_on_every_criterion(
    cli_env, openai_stub, scorer_reply, tmp_path
):
    stub = openai_stub({"chunks": [scorer_reply(QUOTE)]}, {"chunks": [COMMENT]})
    path = save_transcript(tmp_path / "rehearsal.json", TRANSCRIPT, Persona.busy_executive)
    env = stub_env(cli_env, stub.url)
    faked = json.loads(ok(run_coach("rehearse", "--transcript", str(path), "--feedback", "--json", env=env)).stdout)
    data = json.loads(ok(run_coach("rehearse", "--transcript", str(path), "--feedback", "--json", env=env)).stdout)
    assert data["persona"] == "busy_executive"
    assert [c["criterion"] for c in data["criteria"]] == [c.value for c in Criterion]
    assert data["criteria"] == faked["criteria"], "the scores are code's, whatever the model replies"
    assert faked["comment"] == "" and data["comment"] == COMMENT, "a JSON 'score' is no comment; a sentence is"
    assert any(c["quote"] == "Could we have a 20-minute call next month?" for c in data["criteria"])
    assert all(c["source"].endswith(".md") for c in data["criteria"])
    assert data["sources"]
    assert all(SAID[1] not in json.dumps(request.body) for request in stub.seen), "the model never sees your turns"


def test_interactive_rehearse_ends_with_feedback_on_the_users_words(cli_env, openai_stub, scorer_reply):
    stub = openai_stub({"chunks": [MENTOR]}, {"chunks": [MENTOR]}, {"chunks": [COMMENT]})
    lines = "\n".join([*SAID, "/end", ""])
    done = ok(run_coach("rehearse", "--persona", "busy_executive", env=stub_env(cli_env, stub.url), stdin=lines))
    mentor_lines = [line for line in done.stdout.splitlines() if line.startswith("Busy executive: ")]
    assert mentor_lines[:2] == [
        f"Busy executive: {PERSONAS[Persona.busy_executive].canned}",
        f"Busy executive: {MENTOR}",
    ]
    moves = [line for lines in PERSONAS[Persona.busy_executive].moves.values() for line in lines]
    assert any(mentor_lines[2].endswith(move) for move in moves), "a repeated line is replaced by the persona's move"
    feedback = done.stdout.split("### Feedback on your rehearsal with the busy executive", 1)[1]
    assert feedback.count("/5 |") == len(Criterion) and "“Could we have a 20-minute call next month?”" in feedback
    assert f"**Overall:** {COMMENT}" in feedback
    assert len(stub.seen) == 3, "two mentor replies, then one comment"
