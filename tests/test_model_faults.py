"""Model servers that misbehave, reached for real: a stub OpenAI-compatible server on loopback, the real `openai`
client inside the ChatOpenAI that `build_chat_model` builds, and the chat's `reply()`. Every failure reaches the user
as one clear "⚠️" message saying what happened and what to do, with no traceback and no key; nothing raises."""

from __future__ import annotations

import json
import re
import time

import pytest

from coach.chat.answer import Exchange
from coach.chat.turn import PROBLEM, SOURCES, Reply, reply
from coach.errors import describe_failure
from coach.llm.models import build_chat_model, bundled_model_path
from coach.settings import Settings

KEY = "sk-test-FAULTS-7f3a9c1e5b"
QUESTION = "My mentor keeps cancelling our meetings, what should I do?"
HISTORY = [Exchange("user", "How do I find a mentor?"), Exchange("assistant", "Start with alumni networks.")]
SUPPORTED = "Either way, the answer is usually to adapt the format rather than give up."  # busy-mentor.md's words
COMPOSED = re.compile(r"\*\*In short:\*\* .+ \[\d+\]\n\n(\d\. .+ \[\d+\]\n){2,4}\d\. .+ \[\d+\]")  # 3-5 cited steps


def openai_coach(make_coach, base_url: str, *, timeout: float = 5.0, retries: int = 0):
    settings = Settings(
        openai_base_url=base_url, openai_api_key=KEY, request_timeout=timeout, max_retries=retries, _env_file=None
    )
    return make_coach(build_chat_model(settings))


def ask(coach) -> list[list[Reply]]:
    """Every update of one chat turn; the history passed in must come back untouched."""
    history = list(HISTORY)
    updates = list(reply(coach, QUESTION, history))
    assert history == HISTORY, "the conversation so far is kept as it was"
    return updates


def problem_of(replies: list[Reply]) -> str:
    """The one problem message of a final update, checked to be safe to show."""
    problems = [r for r in replies if r.title == PROBLEM]
    assert len(problems) == 1, replies
    text = problems[0].content
    assert text.startswith("⚠️ ")
    assert "Traceback" not in text and 'File "' not in text, "no traceback text"
    assert KEY not in text and KEY[-8:] not in text, "never the key"
    return text


def error_body(status: int, message: str) -> bytes:
    return json.dumps({"error": {"message": message, "type": "error", "code": status}}).encode()


# --- Cannot connect --------------------------------------------------------------------------------------------


def test_a_closed_port_says_the_server_cannot_be_reached_and_names_its_address(make_coach, free_port):
    port = free_port()  # nothing listens there
    updates = ask(openai_coach(make_coach, f"http://127.0.0.1:{port}/v1"))
    text = problem_of(updates[-1])
    assert text.startswith(f"⚠️ Cannot reach the model server at http://127.0.0.1:{port}.")
    assert "OPENAI_BASE_URL" in text, "says what to check"


def test_a_server_that_never_answers_times_out_after_the_request_timeout(make_coach, openai_stub):
    stub = openai_stub({"hang": True})
    started = time.monotonic()
    updates = ask(openai_coach(make_coach, stub.url, timeout=1.0, retries=1))
    took = time.monotonic() - started
    text = problem_of(updates[-1])
    assert "did not answer in time" in text and "COACH_REQUEST_TIMEOUT" in text
    assert len(stub.seen) == 2, "one try and one retry"
    assert 2.0 <= took < 6.0, f"two 1-second timeouts and a short back-off, not {took:.1f} s"


# --- The server says no ----------------------------------------------------------------------------------------


def test_a_wrong_key_says_the_key_was_rejected_without_retrying_or_showing_it(make_coach, openai_stub):
    stub = openai_stub({"status": 401, "body": error_body(401, f"Incorrect API key provided: {KEY}")})
    updates = ask(openai_coach(make_coach, stub.url, retries=2))
    text = problem_of(updates[-1])
    assert f"The model server at {stub.url.removesuffix('/v1')} rejected the API key (401)" in text
    assert "Check OPENAI_API_KEY" in text
    assert stub.seen[0].headers["authorization"] == f"Bearer {KEY}", "the key was sent, and echoed back"
    assert len(stub.seen) == 1, "a rejected key is not retried"


def test_rate_limiting_waits_retry_after_between_a_bounded_number_of_retries(make_coach, openai_stub):
    stub = openai_stub({"status": 429, "body": error_body(429, "Rate limit reached"), "headers": {"Retry-After": "1"}})
    updates = ask(openai_coach(make_coach, stub.url, retries=2))
    text = problem_of(updates[-1])
    assert "rate-limiting requests (429)" in text and "Retry" in text
    assert len(stub.seen) == 3, "the first try and exactly max_retries=2 retries"
    gaps = [later.at - earlier.at for earlier, later in zip(stub.seen, stub.seen[1:], strict=False)]
    assert all(0.9 <= gap <= 1.6 for gap in gaps), f"each retry waits the 1 s the server asked for: {gaps}"


def test_a_rate_limit_that_clears_delivers_the_answer_after_waiting(make_coach, openai_stub):
    # Since guidance-first answers (issue 13) the model's answer is support-checked and cited: a guidance sentence.
    stub = openai_stub(
        {"status": 429, "body": error_body(429, "Rate limit reached"), "headers": {"Retry-After": "1"}},
        {"chunks": ["Either way, the answer is usually ", "to adapt the format ", "rather than give up."]},
    )
    updates = ask(openai_coach(make_coach, stub.url, retries=2))
    answer, sources = updates[-1]
    assert re.fullmatch(re.escape(SUPPORTED) + r" \[\d\]", answer.content) and sources.title.startswith(SOURCES)
    assert COMPOSED.match(updates[0][0].content), "the guidance's own answer was shown while the model was waited for"
    assert len(stub.seen) == 2 and 0.9 <= stub.seen[1].at - stub.seen[0].at <= 1.6


def test_a_server_error_is_retried_then_reported_with_its_status(make_coach, openai_stub):
    stub = openai_stub({"status": 500, "body": error_body(500, "Internal error")})
    updates = ask(openai_coach(make_coach, stub.url, retries=1))
    text = problem_of(updates[-1])
    assert "answered with an error (500)" in text and "Try again" in text
    assert len(stub.seen) == 2, "one try and max_retries=1 retry"


# --- The answer goes wrong on the way --------------------------------------------------------------------------


def test_a_stream_that_breaks_mid_answer_keeps_the_guidance_answer_and_says_it_was_cut_off(make_coach, openai_stub):
    # Changed by issue 13: the guidance's own answer is on screen at once; the model's unchecked words never are.
    stub = openai_stub({"chunks": ["Offer ", "shorter ", "check-ins ", "and ", "never arrives"], "cut_after": 3})
    updates = ask(openai_coach(make_coach, stub.url, retries=2))
    kept, sources, _ = updates[-1]
    assert COMPOSED.match(kept.content) and kept.content == updates[0][0].content, "the composed answer stays on screen"
    assert kept.title is None and sources.title.startswith(SOURCES)
    assert not any("Offer shorter" in u[0].content for u in updates), "the cut-off words were never shown"
    text = problem_of(updates[-1])
    assert "connection broke before the answer was finished" in text and "press Retry" in text
    assert "The guidance's own answer is kept above" in text
    assert len(stub.seen) == 1, "a stream that already started is not silently restarted"


WRONG_SHAPES = {
    "html-page": {"body": b"<html><body>Welcome to nginx!</body></html>", "content_type": "text/html"},
    "json-without-choices": {"body": b'{"id": "x", "object": "chat.completion"}'},
    "stream-of-non-json": {"body": b"data: this is not json\n\n", "content_type": "text/event-stream"},
    "stream-without-choices": {
        "body": b'data: {"id": "x", "object": "chat.completion.chunk"}\n\ndata: [DONE]\n\n',
        "content_type": "text/event-stream",
    },
}


@pytest.mark.parametrize("shape", WRONG_SHAPES.values(), ids=WRONG_SHAPES.keys())
def test_an_answer_in_the_wrong_shape_says_the_server_is_not_speaking_the_openai_api(make_coach, openai_stub, shape):
    stub = openai_stub(shape)
    updates = ask(openai_coach(make_coach, stub.url))
    text = problem_of(updates[-1])
    assert text.startswith(f"⚠️ The model server at {stub.url} sent ")
    assert "OPENAI_BASE_URL" in text and "OPENAI_MODEL" in text, "says what to check"
    # Since issue 13 the guidance's own answer is shown first and stays; no empty model answer replaces it.
    composed = updates[0][0]
    assert COMPOSED.match(composed.content)
    shown = [(r.content, r.title) for r in updates[-1]]
    assert shown == [(composed.content, None), (updates[0][1].content, updates[0][1].title), (text, PROBLEM)], (
        "no empty answer is shown"
    )


# --- The local model -------------------------------------------------------------------------------------------


def local_coach(make_coach, gguf):
    return make_coach(build_chat_model(Settings(provider="local", local_model=gguf, _env_file=None)))


def local_model_problem(coach) -> str:
    """Since issue 13 a question is answered from the guidance without the built-in model: the answer comes, with
    no problem; the model's own failure is what a caller that does ask it (a tool wording its text) would report."""
    (answer, sources), *_ = reversed(ask(coach))
    assert COMPOSED.match(answer.content) and sources.title.startswith(SOURCES), "answered without the model"
    with pytest.raises(Exception) as failure:
        coach.answerer.model.invoke("Hello")
    text = describe_failure(failure.value)
    assert text and "Traceback" not in text
    return text


def test_a_missing_local_model_file_names_the_file_and_the_variable_to_set(make_coach, tmp_path):
    missing = tmp_path / "no-such-model.gguf"
    text = local_model_problem(local_coach(make_coach, missing))
    assert str(missing) in text and "COACH_LOCAL_MODEL" in text


CORRUPT = {
    "text-file": b"this is not a model\n" * 100,
    "gguf-magic-then-junk": b"GGUF\x03\x00\x00\x00" + b"\xff" * 4000,
    "empty": b"",
    "truncated-real-model": None,  # the first 2 MB of the bundled model
}


@pytest.mark.parametrize("content", CORRUPT.values(), ids=CORRUPT.keys())
def test_a_corrupt_local_model_file_says_it_is_not_a_valid_gguf(make_coach, tmp_path, content):
    if content is None:
        with bundled_model_path().open("rb") as real:
            content = real.read(2_000_000)
    corrupt = tmp_path / "broken.gguf"
    corrupt.write_bytes(content)
    text = local_model_problem(local_coach(make_coach, corrupt))
    assert "Could not load the local model broken.gguf" in text and "valid GGUF file" in text
