"""Many people at once on the real page: 20 sessions × 5 turns through gradio_client against one server whose model
echoes each message. Every answer arrives whole, in its own session, and each session's history is its own.

Since issue 13 a model's answer is shown only where the guidance supports it, so each message is a different sentence of
the built-in guidance: its echo is kept (and cited), which makes every answer different from every other."""

from __future__ import annotations

import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from gradio_client import Client

from coach.chat.router import Intent, route
from coach.chat.turn import SOURCES, reply
from coach.guidance.sentences import split_passage
from coach.guidance.sources import LIBRARY

SESSIONS, TURNS, LIMIT_SECONDS = 20, 5, 120


def guidance_sentences() -> list[str]:
    """Plain sentences of the built-in guidance that the chat answers as questions (no tool or rehearsal asked for)."""
    found: list[str] = []
    for path in sorted(Path(LIBRARY).glob("*.md")):
        for sentence in split_passage(path.read_text(encoding="utf-8")):
            text = sentence.text
            if sentence.sample or not 60 <= len(text) <= 200 or text in found:
                continue
            if route(text).intent is Intent.ASK:
                found.append(text)
    return found


def expected_answers(coach) -> dict[str, str]:
    """SESSIONS × TURNS messages and the answer each gets when asked alone, in-process: the echo, kept and cited."""
    expected = {}
    for text in guidance_sentences():
        final = list(reply(coach, text, []))[-1][0].content
        if re.fullmatch(re.escape(f"echo:{text}") + r" \[\d\]", final):
            expected[text] = final
        if len(expected) == SESSIONS * TURNS:
            return expected
    raise AssertionError(f"only {len(expected)} guidance sentences are echoed back whole")


def run_session(url: str, messages: list[str], session: int, deadline: float) -> list[tuple[int, str, list[str]]]:
    """One person's conversation: (turn, final answer, the partial answers streamed before it) per turn."""
    client = Client(url, verbose=False)
    seen = []
    for turn, text in enumerate(messages, 1):
        job = client.submit(text, api_name="/ask")
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
    expected = expected_answers(coach)
    assert len(set(expected.values())) == len(expected), "every message has its own answer"
    texts = list(expected)
    messages = {s: texts[s * TURNS : (s + 1) * TURNS] for s in range(SESSIONS)}
    asked_before = len(coach.answerer.model.history)
    started = time.monotonic()
    deadline = started + LIMIT_SECONDS
    with ThreadPoolExecutor(max_workers=SESSIONS) as pool:
        futures = {s: pool.submit(run_session, url, messages[s], s, deadline) for s in range(SESSIONS)}
        results = {s: f.result(timeout=max(1.0, deadline - time.monotonic())) for s, f in futures.items()}
    took = time.monotonic() - started
    assert took < LIMIT_SECONDS

    for session, turns in results.items():
        assert [t for t, _, _ in turns] == list(range(1, TURNS + 1)), "every answer arrives"
        for turn, answer, partial in turns:
            asked = messages[session][turn - 1]
            assert answer == expected[asked], "no answer reaches the wrong session"
            composed = partial[0]
            assert composed.startswith("**In short:** ") and composed != answer
            assert set(partial) == {composed, answer}, "no streamed update from another session"
            assert composed == next(iter(reply(coach, asked, [])))[0].content, "the composed answer to its own question"

    streamed = [len(set(partial)) for turns in results.values() for _, _, partial in turns]
    assert min(streamed) >= 2, "every answer streamed in two updates, so updates could have crossed sessions"

    own = {text: (s, t) for s, texts_of in messages.items() for t, text in enumerate(texts_of, 1)}
    calls = [sent for sent in coach.answerer.model.sent[asked_before:] if sent[-1].content in own]
    assert len(calls) == SESSIONS * TURNS
    for sent in calls:
        session, turn = own[sent[-1].content]
        humans = [m.content for m in sent if m.type == "human"]
        ais = [m.content for m in sent if m.type == "ai"]
        assert humans == messages[session][:turn], f"session {session} turn {turn} carries only its own earlier turns"
        assert ais == [expected[m] for m in humans[:-1]], "and its own earlier answers"
    print(f"\n{SESSIONS * TURNS} answers in {took:.1f} s ({SESSIONS * TURNS / took:.1f} answers/s)")
