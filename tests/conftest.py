"""Shared fixtures: settings in a temp dir, a queue-able fake chat model, a small knowledge folder, and real
servers (Chroma, app processes) started on free loopback ports."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from langchain_core.language_models import BaseChatModel

from coach.guidance.embedding import LocalMiniLM
from coach.guidance.sources import LIBRARY
from coach.llm.fake import MockChatModel
from coach.service import Coach, build_coach
from coach.settings import Settings

# gradio_client looks up a hub host when created, and chromadb/gradio phone home unless told not to.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

KNOWLEDGE = LIBRARY
PR_SET_PDEATHSIG = 1  # linux/prctl.h


@pytest.fixture
def fake_model():
    """Call with the replies to queue: `model = fake_model("first answer", "second answer")`; every call, streamed
    or not, is in `model.history` (`model.sent` holds just the messages)."""

    def make(*replies: str, **options) -> MockChatModel:
        return MockChatModel(**options).enqueue(*replies)

    return make


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", knowledge_dir=KNOWLEDGE, provider="fake", _env_file=None)


@pytest.fixture
def small_knowledge(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    (folder / "busy.md").write_text(
        "# Busy mentor\n\n## When the mentor keeps cancelling\n"
        "Offer shorter check-ins of fifteen minutes, or send quick questions by email.\n\n"
        "## Checking the cadence\nAsk whether meeting monthly still suits both of you.\n",
        encoding="utf-8",
    )
    (folder / "sponsor.txt").write_text(
        "A sponsor advocates for you when you are not in the room.\n\n"
        "Alumni networks are a good place to look for mentors.\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="session")
def indexed_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Chroma folder with the real knowledge/ indexed once for the whole session (read-only use)."""
    data = tmp_path_factory.mktemp("indexed")
    settings = Settings(data_dir=data, knowledge_dir=KNOWLEDGE, provider="fake", _env_file=None)
    build_coach(settings).sync()
    return data


@pytest.fixture(scope="module")
def copied_coach(indexed_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Coach:
    """A coach (fake model) over its own copy of the indexed store, for a module that adds documents to it."""
    data = tmp_path_factory.mktemp("copied")
    shutil.copytree(indexed_store / "chroma", data / "chroma")
    settings = Settings(data_dir=data, knowledge_dir=KNOWLEDGE, provider="fake", _env_file=None)
    return build_coach(settings, MockChatModel())


@pytest.fixture
def make_coach(indexed_store: Path):
    """A coach over the shared indexed store with the given chat model."""

    def make(model, **overrides) -> Coach:
        settings = Settings(
            data_dir=indexed_store, knowledge_dir=KNOWLEDGE, provider="fake", _env_file=None, **overrides
        )
        return build_coach(settings, model=model)

    return make


@pytest.fixture(scope="session")
def embedder():
    """One offline MiniLM for the session: loading the ONNX model once keeps the tests quick."""
    return LocalMiniLM()


def find_free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """Call for a free loopback port: `port = free_port()`."""
    return find_free_port


@dataclass
class ServerProcess:
    """A server started by the tests: its process, the URL it answers on, and its log file."""

    name: str
    process: subprocess.Popen
    url: str
    ready_url: str
    log_path: Path

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]

    def wait_ready(self, timeout: float = 120) -> None:
        """Poll `ready_url` until it answers 200; fail with the log if the process exits or takes too long."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.ready_url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"{self.name} did not answer {self.ready_url} within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


Launch = Callable[..., ServerProcess]


def die_with_pytest() -> None:
    """In a server child: the kernel SIGKILLs it when pytest dies, even by SIGKILL, so no server outlives a run.
    (Session fixtures start servers from pytest's main thread, which lives as long as pytest.)"""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


@pytest.fixture(scope="session")
def launch_server(tmp_path_factory: pytest.TempPathFactory):
    """Start a server process logging to a file (never an undrained pipe); all still running stop at the end.

    `launch_server(name, args, url=..., ready_path="/", env=None, cwd=None, timeout=120, wait=True)`; with
    `wait=False` it returns at once, to start several together and then call `server.wait_ready()` on each.
    """
    started: list[ServerProcess] = []
    logs = tmp_path_factory.mktemp("server-logs")

    def launch(
        name: str,
        args: Sequence[str],
        *,
        url: str,
        ready_path: str = "/",
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        timeout: float = 120,
        wait: bool = True,
    ) -> ServerProcess:
        log_path = logs / f"{name}-{uuid.uuid4().hex[:6]}.log"
        with log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(
                list(args), stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd, preexec_fn=die_with_pytest
            )
        server = ServerProcess(name=name, process=process, url=url, ready_url=url + ready_path, log_path=log_path)
        started.append(server)
        if wait:
            server.wait_ready(timeout)
        return server

    yield launch
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def chroma_server(launch_server: Launch, tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of a real Chroma server (`chroma run`) on a free loopback port, data in a temp folder, for the session."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if chroma is None:
        pytest.fail("The `chroma` command is missing: it comes with the chromadb package (`make setup`).")
    port = find_free_port()
    server = launch_server(
        "chroma",
        [
            chroma,
            "run",
            "--path",
            str(tmp_path_factory.mktemp("chroma-server")),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        url=f"http://127.0.0.1:{port}",
        ready_path="/api/v2/heartbeat",
        timeout=60,
    )
    return server.url


def unique_collection(prefix: str = "t") -> str:
    """A collection name no other test uses (Chroma wants 3-512 of [a-zA-Z0-9._-], alphanumeric at both ends)."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["disk", "server"])
def store_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], Settings]:
    """Settings for a fresh, empty store called `name`: a Chroma folder on disk, or a collection on the Chroma server.

    Tests that take it run twice, once per backend, and must behave the same on both.
    """

    url = request.getfixturevalue("chroma_server") if request.param == "server" else None

    def make(name: str = "store") -> Settings:
        common = {"data_dir": tmp_path / name, "knowledge_dir": KNOWLEDGE, "provider": "fake", "_env_file": None}
        if url:
            return Settings(chroma_url=url, collection=unique_collection(name), **common)
        return Settings(**common)

    return make


@pytest.fixture
def store_settings(store_backend: Callable[[str], Settings]) -> Settings:
    """Settings for one fresh store, on disk or on the Chroma server (the test runs once for each)."""
    return store_backend("store")


@pytest.fixture
def failing_model():
    """Call with the error to raise: `failing_model(RuntimeError("boom"), partial="Offer shorter")` streams
    `partial` word by word, then raises (invoke() raises at once)."""

    def make(error: Exception, partial: str = "") -> MockChatModel:
        return MockChatModel(error=error, partial=partial)

    return make


def until_started(url: str, **client_options) -> str:
    """Wait until the page at `url`, which is served before its coach has started, has it ready; its status line."""
    from gradio_client import Client

    return Client(url, verbose=False, **client_options).predict(api_name="/status")


@pytest.fixture(scope="session")
def wait_until_started() -> Callable[..., str]:
    """Call with a page's URL (and gradio_client options such as `auth`) to wait until its coach has started:
    `status_line = wait_until_started(app.local_url)`."""
    return until_started


@pytest.fixture
def served(make_coach, fake_model, indexed_store):
    """Start the page on a free port; yields `start(*replies, model=None) -> (gradio_client.Client, coach)`,
    with a fake model queued with `replies` (or the given `model`)."""
    from gradio_client import Client

    from coach.ui.page import serve

    apps = []

    def start(*replies: str, model: BaseChatModel | None = None):
        coach = make_coach(model or fake_model(*replies))
        settings = Settings(data_dir=indexed_store, provider="fake", port=0, _env_file=None)
        app = serve(settings, coach, block=False)
        apps.append(app)
        until_started(app.local_url)
        return Client(app.local_url, verbose=False), coach

    yield start
    for app in apps:
        app.close()


@pytest.fixture
def scorer_reply():
    """Call with words the user said: `scorer_reply("a 20-minute call")` is a valid rehearsal-feedback reply that
    scores every criterion 4/5 quoting them."""
    import json

    from coach.tools.rehearsal import Criterion

    def make(quote: str, score: int = 4, one_thing: str = "Propose a date for the first call.") -> str:
        scores = {c.value: {"score": score, "quote": quote} for c in Criterion}
        return json.dumps({**scores, "one_thing_to_change": one_thing})

    return make


# --- An OpenAI-compatible server on loopback that misbehaves on purpose -------------------------------------


@dataclass
class Behaviour:
    """How the stub answers one request: a whole `body` with `status`, or an SSE stream of `chunks` (cut off after
    `cut_after` chunks when set), or no answer at all (`hang`)."""

    status: int = 200
    body: bytes | None = None
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    chunks: Sequence[str] = ()
    cut_after: int | None = None
    hang: bool = False
    tool_call: tuple[str, dict] | None = None  # (name, arguments): the stream carries this one tool call


@dataclass
class Seen:
    """One request the stub received."""

    at: float  # time.monotonic()
    path: str
    headers: dict[str, str]  # names in lower case
    body: dict


def sse_chunk(content: str, index: int = 0) -> bytes:
    """One `chat.completion.chunk` event carrying `content`."""
    chunk = {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "stub",
        "choices": [{"index": 0, "delta": {"role": "assistant", "content": content}, "finish_reason": None}],
    }
    return f"data: {json.dumps(chunk)}\n\n".encode()


def sse_tool_call(name: str, arguments: dict) -> bytes:
    """One `chat.completion.chunk` event carrying a whole tool call."""
    function = {"name": name, "arguments": json.dumps(arguments)}
    call = {"index": 0, "id": "call_stub", "type": "function", "function": function}
    chunk = {
        "id": "chatcmpl-stub",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "stub",
        "choices": [{"index": 0, "delta": {"role": "assistant", "tool_calls": [call]}, "finish_reason": "tool_calls"}],
    }
    return f"data: {json.dumps(chunk)}\n\n".encode()


class OpenAIStub:
    """`POST /v1/chat/completions` on a free loopback port; request n gets `behaviours[min(n, last)]`.

    Threads are daemons with a socket timeout, and `stop()` releases hanging requests, so nothing outlives a test.
    """

    def __init__(self, *behaviours: Behaviour) -> None:
        self.behaviours = behaviours or (Behaviour(chunks=["Hello", " there."]),)
        self.seen: list[Seen] = []
        self.released = threading.Event()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 10  # an idle keep-alive connection is dropped after this

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with contextlib.suppress(ValueError):
                    raw = json.loads(raw)
                stub.seen.append(
                    Seen(
                        time.monotonic(),
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        raw if isinstance(raw, dict) else {},
                    )
                )
                stub._answer(self, stub.behaviours[min(len(stub.seen), len(stub.behaviours)) - 1])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def _answer(self, h: BaseHTTPRequestHandler, b: Behaviour) -> None:
        if b.hang:
            self.released.wait(30)
            h.close_connection = True
            return
        if b.body is not None:
            h.send_response(b.status)
            for name, value in {"Content-Type": b.content_type, **b.headers}.items():
                h.send_header(name, value)
            h.send_header("Content-Length", str(len(b.body)))
            h.end_headers()
            h.wfile.write(b.body)
            return
        h.send_response(b.status)
        h.send_header("Content-Type", "text/event-stream")
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        events = [sse_chunk(c) for c in b.chunks] + [b"data: [DONE]\n\n"]
        if b.tool_call:
            events = [sse_tool_call(*b.tool_call), b"data: [DONE]\n\n"]
        for n, event in enumerate(events):
            if b.cut_after is not None and n == b.cut_after:
                h.wfile.flush()
                h.connection.shutdown(socket.SHUT_RDWR)  # the socket closes mid-answer, no final chunk
                h.close_connection = True
                return
            h.wfile.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
            h.wfile.flush()
            time.sleep(0.01)
        h.wfile.write(b"0\r\n\r\n")

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def openai_stub():
    """Call with one dict of `Behaviour` fields per request to start a misbehaving OpenAI-compatible server:
    `stub = openai_stub({"status": 429, "body": b"{}", "headers": {"Retry-After": "1"}}, {"chunks": ["Hi"]})`
    (the last one answers every later request). `stub.url` is its base URL, `stub.seen` the requests it got; all
    are stopped at the end of the test."""
    stubs: list[OpenAIStub] = []

    def start(*behaviours: dict) -> OpenAIStub:
        stubs.append(OpenAIStub(*(Behaviour(**b) for b in behaviours)))
        return stubs[-1]

    yield start
    for stub in stubs:
        stub.stop()


@pytest.fixture
def echo_model():
    """Call for a model that answers "echo:" + the last human message: `echo_model(pieces=4, delay=0.01)`."""
    return lambda **options: MockChatModel(echo=True, **options)


@pytest.fixture(scope="module")
def echo_page(indexed_store: Path):
    """The real page on a free loopback port, answering with an echoing MockChatModel (4 chunks, 5 ms apart), shared by
    a module's tests; yields `(local_url, coach)`."""
    from coach.ui.page import serve

    coach = build_coach(
        Settings(data_dir=indexed_store, knowledge_dir=KNOWLEDGE, provider="fake", _env_file=None),
        model=MockChatModel(echo=True, delay=0.005),
    )
    app = serve(Settings(data_dir=indexed_store, provider="fake", port=0, _env_file=None), coach, block=False)
    until_started(app.local_url)
    yield app.local_url, coach
    app.close()
