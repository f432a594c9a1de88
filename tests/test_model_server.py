"""The OpenAI-compatible path for real: llama-cpp-python's own server on loopback, the real openai client."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from coach.llm.models import build_chat_model, bundled_model_path
from coach.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory):
    port = free_port()
    log = (tmp_path_factory.mktemp("llama") / "server.log").open("w+")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(bundled_model_path()),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--model_alias",
            "smollm2",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            pytest.fail(f"llama_cpp.server exited: {log.read()[-2000:]}")
        try:
            if httpx.get(f"{url}/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("llama_cpp.server did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


def test_answer_streams_from_an_openai_compatible_server(llama_server, make_coach):
    settings = Settings(openai_base_url=llama_server, openai_model="smollm2", max_answer_tokens=32, _env_file=None)
    assert settings.resolved_provider() == "openai"
    coach = make_coach(build_chat_model(settings))
    prompt = coach.answerer.prepare("My mentor keeps cancelling. What should I do?")
    pieces = list(coach.answerer.stream(prompt))
    assert len(pieces) >= 3, "tokens arrive one by one over the stream"
    assert "".join(pieces).strip()
