"""The chat's understanding on the real page, driven through gradio_client: dates read in the browser's time zone, and
tools offered under an unsure answer that run when chosen."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from gradio_client import Client
from icalendar import Calendar

AGENDA = "agenda for a 30-minute meeting with Sam tomorrow at 3pm"
UNSURE = "My mentor Sam keeps cancelling our meetings, what should I do?"  # the classifier is unsure of this one


def ics_start(replies: list[dict]):
    """The start of the event in the .ics file the agenda's replies carry."""
    (path,) = [r["content"] for r in replies if isinstance(r["content"], str) and r["content"].endswith(".ics")]
    return Calendar.from_ical(Path(path).read_bytes()).walk("VEVENT")[0].decoded("dtstart")


@pytest.fixture
def client(echo_page) -> Client:
    """A fresh session on the module's page (its chat history is its own)."""
    return Client(echo_page[0], verbose=False)


def test_the_page_asks_the_browser_for_its_time_zone_on_load(client):
    config = httpx.get(f"{client.src}config", timeout=10).json()
    scripts = [d.get("js") or "" for d in config["dependencies"]]
    assert any("Intl.DateTimeFormat().resolvedOptions().timeZone" in js for js in scripts)
    (box,) = [c for c in config["components"] if c["props"].get("elem_id") == "browser-zone"]
    assert box["props"]["visible"] == "hidden"


def test_the_browsers_time_zone_reaches_the_agendas_ics(client):
    for zone in ("Pacific/Auckland", "America/Los_Angeles"):
        start = ics_start(client.predict(AGENDA, zone, api_name="/ask"))
        assert str(start.tzinfo) == zone and (start.hour, start.minute) == (15, 0)


def test_an_unknown_zone_from_the_browser_still_builds_the_agenda(client):
    start = ics_start(client.predict(AGENDA, "Mars/Olympus_Mons", api_name="/ask"))
    assert (start.hour, start.minute) == (15, 0), "this machine's zone stands in; the hour is the one given"


def test_an_unsure_question_is_answered_with_tools_offered_and_choosing_one_runs_it(client):
    answer, sources = client.predict(UNSURE, api_name="/ask")
    assert "[1]" in answer["content"] and sources["metadata"]["title"].startswith("📚"), "a cited answer"
    offered = {option["label"]: option["value"] for option in answer["options"]}
    assert "Plan the conversation" in offered
    # A click sends the option's value as the next message (Gradio's option_select); the session keeps the history.
    plan, *_ = client.predict(offered["Plan the conversation"], api_name="/ask")
    assert plan["metadata"]["title"] == "🧭 Difficult conversation ✓", plan["content"]
    assert "Sam" in plan["content"], "the details of the question the tool was offered under are used"


def test_a_follow_up_on_the_page_edits_the_result_it_follows_despite_the_download_after_it(client):
    replies = client.predict(AGENDA, "Europe/London", api_name="/ask")
    assert any(isinstance(r["content"], str) and r["content"].endswith(".ics") for r in replies), "files follow"
    edited, *_ = client.predict("make it 45 minutes", "Europe/London", api_name="/ask")
    assert edited["metadata"]["title"] == "🧭 Meeting agenda ✓", edited
    assert "45 minutes" in edited["content"]
