"""Many people at once on the real page: 20 sessions × 5 turns through gradio_client against one server whose model
echoes each message. Every answer arrives whole, in its own session, and each session's history is its own."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor

from gradio_client import Client

from coach.chat.turn import SOURCES

SESSIONS, TURNS, LIMIT_SECONDS = 20, 5, 120
MESSAGE = re.compile(r"^session (\d+) turn (\d+): how often should we talk\?$")


def message(session: int, turn: int) -> str:
    return f"session {session} turn {turn}: how often should we talk?"


def run_session(url: str, session: int, deadline: float) -> list[tuple[int, str, list[str]]]:
    """One person's conversation: (turn, final answer, the partial answers streamed before it) per turn."""
    client = Client(url, verbose=False)
    seen = []
    for turn in range(1, TURNS + 1):
        job = client.submit(message(session, turn), api_name="/ask")
        while not job.done():  # bounded: a stuck server fails the test instead of hanging it
            if time.monotonic() > deadline:
                job.cancel()
                raise TimeoutError(f"session {session} turn {turn} got no answer in {LIMIT_SECONDS} s")
            time.sleep(0.01)
        partial = [update[0]["content"] for update in job.outputs() if update]
        answer, sources = job.result()
        assert sources["metadata"]["title"].startswith(SOURCES)
        seen.append((turn, answer["content"], partial))
    return seen


def test_twenty_concurrent_sessions_each_get_their_own_answers_and_keep_their_own_history(echo_page):
    url, coach = echo_page
    started = time.monotonic()
    deadline = started + LIMIT_SECONDS
    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        futures = {s: pool.submit(run_session, url, s, deadline) for s in range(SESSIONS)}
        results = {s: f.result(timeout=max(1.0, deadline - time.monotonic())) for s, f in futures.items()}
    took = time.monotonic() - started
    assert took < LIMIT_SECONDS

    for session, turns in results.items():
        assert [t for t, _, _ in turns] == list(range(1, TURNS + 1)), "every answer arrives"
        for turn, answer, partial in turns:
            assert answer == f"echo:{message(session, turn)}", "no answer reaches the wrong session"
            assert all(answer.startswith(p) for p in partial), "no streamed piece from another session"

    streamed = [len(set(partial)) for turns in results.values() for _, _, partial in turns]
    assert max(streamed) >= 3, "answers streamed in several pieces, so pieces could have crossed sessions"

    calls = [sent for sent in coach.answerer.model.sent if MESSAGE.match(str(sent[-1].content))]
    assert len(calls) == SESSIONS * TURNS
    for sent in calls:
        session, turn = map(int, MESSAGE.match(sent[-1].content).groups())
        humans = [m.content for m in sent if m.type == "human"]
        ais = [m.content for m in sent if m.type == "ai"]
        expected = [message(session, t) for t in range(1, turn + 1)]
        assert humans == expected, f"session {session} turn {turn} carries only its own earlier turns"
        assert ais == [f"echo:{m}" for m in expected[:-1]], "and its own earlier answers"
    print(f"\n{SESSIONS * TURNS} answers in {took:.1f} s ({SESSIONS * TURNS / took:.1f} answers/s)")
