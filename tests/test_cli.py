"""The `coach` command as a user runs it: a real process, a real store in a temp folder."""

from __future__ import annotations

import os
import subprocess
import sys

from coach.llm.fake import FAKE_REPLY


def run_coach(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "coach.cli", *args], capture_output=True, text=True, timeout=120, env=env
    )


def test_ask_streams_the_answer_then_lists_its_sources(tmp_path, small_knowledge):
    env = {
        **os.environ,
        "COACH_PROVIDER": "fake",
        "COACH_DATA_DIR": str(tmp_path / "data"),
        "COACH_KNOWLEDGE_DIR": str(small_knowledge),
    }
    done = run_coach("ask", "My mentor keeps cancelling, what do I do?", env=env)
    assert done.returncode == 0, done.stderr
    answer, _, sources = done.stdout.partition("Sources:")
    assert FAKE_REPLY not in answer and "[1]" in answer, "the guidance's own answer; the fake's is unsupported"
    assert "[1] busy.md › Busy mentor > When the mentor keeps cancelling" in sources


def test_ask_with_an_empty_question_fails_with_a_message(tmp_path, small_knowledge):
    env = {
        **os.environ,
        "COACH_PROVIDER": "fake",
        "COACH_DATA_DIR": str(tmp_path / "data"),
        "COACH_KNOWLEDGE_DIR": str(small_knowledge),
    }
    done = run_coach("ask", "  ", env=env)
    assert done.returncode == 2
    assert "empty" in done.stderr and "Traceback" not in done.stderr


def test_missing_knowledge_folder_is_reported_not_a_traceback(tmp_path):
    env = {**os.environ, "COACH_PROVIDER": "fake", "COACH_DATA_DIR": str(tmp_path / "data")}
    done = run_coach("index", "--source", str(tmp_path / "nowhere"), env=env)
    assert done.returncode == 2
    assert "does not exist" in done.stderr and "Traceback" not in done.stderr
    assert "Writing the index" not in done.stderr, "a missing folder is no failed write"
