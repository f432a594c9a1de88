"""The `coach` command as a user runs it: a real process, a real store in a temp folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from coach.llm.fake import FAKE_REPLY


def run_coach(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args], capture_output=True, text=True, timeout=120, env=env
    )


def fake_env(tmp_path, knowledge) -> dict[str, str]:
    """The fake chat model, a fresh data folder and a small knowledge folder."""
    return {
        **os.environ,
        "COACH_PROVIDER": "fake",
        "COACH_DATA_DIR": str(tmp_path / "data"),
        "COACH_KNOWLEDGE_DIR": str(knowledge),
    }


def test_ask_streams_the_answer_then_lists_its_sources(tmp_path, small_knowledge):
    env = fake_env(tmp_path, small_knowledge)
    done = run_coach("ask", "My mentor keeps cancelling, what do I do?", env=env)
    assert done.returncode == 0, done.stderr
    answer, _, sources = done.stdout.partition("Sources:")
    assert FAKE_REPLY not in answer and "[1]" in answer, "the guidance's own answer; the fake's is unsupported"
    assert "[1] busy.md › Busy mentor > When the mentor keeps cancelling" in sources


def test_ask_with_an_empty_question_fails_with_a_message(tmp_path, small_knowledge):
    env = fake_env(tmp_path, small_knowledge)
    done = run_coach("ask", "  ", env=env)
    assert done.returncode == 2
    assert "empty" in done.stderr and "Traceback" not in done.stderr


def test_missing_knowledge_folder_is_reported_not_a_traceback(tmp_path):
    env = {**os.environ, "COACH_PROVIDER": "fake", "COACH_DATA_DIR": str(tmp_path / "data")}
    done = run_coach("index", "--source", str(tmp_path / "nowhere"), env=env)
    assert done.returncode == 2
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr
    assert "Writing the index" not in done.stderr, "a missing folder is no failed write"


ASK_JSON_KEYS = {"intent", "confidence", "replies", "sources"}


def cli_env_for(tmp_path, knowledge, **extra: str) -> dict[str, str]:
    env = {**os.environ, "COACH_DATA_DIR": str(tmp_path / "data"), "COACH_KNOWLEDGE_DIR": str(knowledge), **extra}
    return {k: v for k, v in env.items() if not k.startswith("OPENAI_") or k in extra}


def test_ask_json_prints_the_turn_the_page_would_run(tmp_path, small_knowledge):
    env = cli_env_for(tmp_path, small_knowledge, COACH_PROVIDER="fake")
    done = run_coach("ask", "--json", "How do I find a mentor?", env=env)
    assert done.returncode == 0, done.stderr
    turn = json.loads(done.stdout)
    assert set(turn) >= ASK_JSON_KEYS
    assert turn["intent"] == "ask" and 0.5 <= turn["confidence"] <= 1.0
    assert [r["title"] for r in turn["replies"]] == [None] and "[1]" in turn["replies"][0]["content"]
    assert len(turn["sources"]) == 1 and "busy.md › Busy mentor" in turn["sources"][0]


def test_ask_json_routes_an_unsure_message_by_one_tool_call_request(tmp_path, small_knowledge, openai_stub):
    stub = openai_stub({"chunks": ["(no tool)"]}, {"chunks": ["Offer a shorter slot."]})
    server = {"OPENAI_BASE_URL": stub.url, "OPENAI_API_KEY": "sk-test", "COACH_MAX_RETRIES": "0"}
    env = cli_env_for(tmp_path, small_knowledge, COACH_PROVIDER="openai", **server)
    done = run_coach("ask", "--json", "My mentor Sam keeps cancelling our meetings, what should I do?", env=env)
    assert done.returncode == 0, done.stderr
    turn = json.loads(done.stdout)
    routing = [seen for seen in stub.seen if seen.body.get("tools")]
    assert len(routing) == 1, "routed once, not once for the intent and again for the replies"
    assert len(stub.seen) == 2, "the routing request, then the answer"
    assert turn["intent"] == "ask" and [r["title"] for r in turn["replies"]] == [None]
    assert "[1]" in turn["replies"][0]["content"], "the answer is the guidance's, cited"
    assert [s["label"] for s in turn["suggestions"]] == ["Plan the conversation"]
    assert "coach plan-conversation" in turn["suggestions"][0]["command"]


def test_ask_json_runs_the_tool_a_clear_request_names(tmp_path, small_knowledge):
    env = cli_env_for(tmp_path, small_knowledge, COACH_PROVIDER="fake")
    message = "agenda for a 30-minute meeting with Sam tomorrow at 3pm"
    done = run_coach("ask", "--json", "--tz", "Asia/Tokyo", message, env=env)
    assert done.returncode == 0, done.stderr
    turn = json.loads(done.stdout)
    assert turn["intent"] == "agenda" and turn["replies"][0]["title"] == "🧭 Meeting agenda ✓"
    assert turn["replies"][0]["content"].startswith("# Mentoring meeting with Sam")
    assert "15:00–15:30 (30 minutes)" in turn["replies"][0]["content"]


def test_ask_turns_away_a_question_the_guidance_does_not_cover(tmp_path, small_knowledge):
    env = fake_env(tmp_path, small_knowledge)
    done = run_coach("ask", "what is the capital of france?", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("That is outside the mentoring guidance I have") and "Sources:" not in done.stdout
