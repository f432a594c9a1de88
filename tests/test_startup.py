"""The page is served before the coach has started: it answers at once, a question asked while the index is being
built is answered once it is ready, and a start-up that fails says why on the page and in the log.

Real parts throughout: the Gradio server through gradio_client, Chroma on disk in a temp folder, the real first
index of knowledge/ (a few seconds of embedding: the window the page must already answer in), the fake model.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from coach.chat.turn import PROBLEM, SOURCES, STARTING
from coach.guidance.sources import LIBRARY
from coach.llm.fake import FAKE_REPLY
from coach.settings import Settings
from coach.ui.page import serve

KNOWLEDGE = LIBRARY
QUESTION = "My mentor keeps cancelling our meetings. What should I do?"


@pytest.fixture
def page():
    """Serve the page for the given settings, as `coach serve` does (the coach built behind it); closed at the end."""
    apps = []

    def start(settings: Settings) -> str:
        apps.append(serve(settings.model_copy(update={"port": 0}), block=False))
        return apps[-1].local_url

    yield start
    for app in apps:
        app.close()


def test_a_question_asked_while_the_first_index_is_built_is_answered_once_it_is_ready(
    page, tmp_path, capsys, wait_until_started
):
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, provider="fake", _env_file=None)
    url = page(settings)
    assert httpx.get(url, timeout=10).status_code == 200, "the page answers while the guidance is being indexed"

    job = Client(url, verbose=False).submit(QUESTION, api_name="/ask")
    updates = list(job)
    answer, sources = job.result()

    (notice,) = updates[0]
    assert notice["metadata"]["title"] == STARTING and "will be answered as soon as it is ready" in notice["content"]
    # Since issue 13 the answer is the guidance's own, cited; the fake model's reply has no support and is dropped.
    assert answer["content"].startswith("**In short:** ") and answer["metadata"] == {}, "the notice gave way to it"
    assert FAKE_REPLY not in answer["content"] and "not supported by the guidance" in answer["content"]
    assert re.search(r"^1\. .+ \[\d\]$", answer["content"], re.M), "with its cited steps"
    assert sources["metadata"]["title"].startswith(SOURCES) and "busy-mentor.md" in sources["content"]
    status = wait_until_started(url)
    embedded = re.search(r"; (\d+) chunks embedded", capsys.readouterr().out)
    assert embedded and int(embedded[1]) > 100, "the start-up indexed the guidance, as it always did"
    assert "Model: fake" in status and f"Index: {embedded[1]} passages in 'guidance'" in status


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        ({"knowledge_dir": Path("nowhere")}, "does not exist; set COACH_KNOWLEDGE_DIR"),  # fails while syncing
        ({"provider": "openai", "openai_api_key": None, "openai_base_url": None}, "Set OPENAI_API_KEY"),  # building
    ],
    ids=["missing-knowledge-folder", "openai-without-a-key"],
)
def test_a_start_up_that_fails_says_why_on_the_page_and_in_the_log(
    page, tmp_path, capsys, wait_until_started, broken, reason
):
    settings = Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, provider="fake", _env_file=None)
    url = page(settings.model_copy(update={k: tmp_path / v if isinstance(v, Path) else v for k, v in broken.items()}))
    assert httpx.get(url, timeout=10).status_code == 200

    status = wait_until_started(url)
    assert status.startswith("⚠️ The coach could not start: ") and reason in status
    assert status.endswith("Restart the app once that is fixed.")
    client = Client(url, verbose=False)
    (problem,) = client.predict(QUESTION, api_name="/ask")
    assert problem["metadata"]["title"] == PROBLEM and reason in problem["content"]
    ask = ("Priya", "PM", "your talk", "product", "first_conversation", "email", 20, "", "")
    drafted, *_ = client.predict(*ask, api_name="/draft_ask")
    assert drafted.startswith("⚠️ The coach could not start") and reason in drafted
    notice, *_ = client.predict("Priya", "", "", "", "", "", api_name="/journal_add_mentor")
    assert notice.startswith("⚠️ The coach could not start"), "nothing is written while the coach is down"
    logged = capsys.readouterr().err
    assert "error: " in logged and reason in logged and "Traceback" not in logged


def test_coach_serve_logs_a_failed_start_and_its_page_shows_it(launch_server, free_port, tmp_path):
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("COACH_", "OPENAI_"))},
        "COACH_PROVIDER": "fake",
        "COACH_PORT": str(port),
        "COACH_DATA_DIR": str(tmp_path / "data"),
        "COACH_KNOWLEDGE_DIR": str(tmp_path / "nowhere"),
    }
    args = [sys.executable, "-m", "coach.cli", "serve"]
    server = launch_server("coach-serve", args, url=f"http://127.0.0.1:{port}", env=env, cwd=tmp_path)
    status = Client(server.url, verbose=False).predict(api_name="/status")
    missing = f"Knowledge folder {tmp_path / 'nowhere'} does not exist; set COACH_KNOWLEDGE_DIR"
    assert status.startswith("⚠️ The coach could not start: ") and missing in status
    (logged,) = [line for line in server.log_tail().splitlines() if line.startswith("error: ")]
    assert missing in logged, "the log line `coach serve` has always printed"
    assert server.process.poll() is None, "the page stays up to say why"
