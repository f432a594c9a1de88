"""Chat overhead through the real Gradio server beside a bare Gradio echo app, and page start-up time."""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench import bare_app
from bench.common import PYTHON, ROOT, add, child_env, free_port, interleave, median, percentile, queue_turn, stop
from coach.llm.fake import FAKE_REPLY

QUESTION = "My mentor keeps cancelling our meetings. What should I do?"
FIRST_TOKEN_GOAL = 1.2
STARTUP_GOAL = 1.3
ROUNDS = 60
STARTUP_ROUNDS = 3


def answer_text(output: Any) -> str:
    """The answer text of one streamed output, whether a string, a message dict or a list of messages."""
    if isinstance(output, str):
        return output
    if isinstance(output, dict):
        content = output.get("content")
        return answer_text(content) if content is not None else str(output.get("text") or "")
    if isinstance(output, list | tuple):
        return answer_text(output[0]) if output else ""
    return ""


class _FinePolling:
    """Stands in for the `time` module inside gradio_client.utils, whose stream reader sleeps 50 ms
    whenever no message is pending: every figure would land on a 50 ms grid. Polls every 2 ms instead."""

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        time.sleep(min(seconds, 0.002))


@contextlib.contextmanager
def fine_polling() -> Iterator[None]:
    from gradio_client import utils

    utils.time = _FinePolling()
    try:
        yield
    finally:
        utils.time = time


def first_token_seconds(client: Any) -> float:
    """Seconds from submit to the first output carrying a non-empty answer; the job is then drained."""
    start = time.perf_counter()
    job = client.submit(QUESTION, api_name="/ask")
    first = None
    for output in job:
        if answer_text(output).strip():
            first = time.perf_counter() - start
            break
    job.result()
    if first is None:
        raise RuntimeError(f"no answer streamed: {job.outputs()[-1:]}")
    return first


def first_update_seconds(http: Any, url: str, fn_index: int, session: str) -> float:
    """The same, spoken directly in Gradio's queue protocol (join, then read the event stream): the
    server's own time to the first streamed update, without gradio_client's ~50 ms of client overhead.
    One `session` per page, as a browser keeps it: Gradio builds a session's copy of the page's state on its
    first event, which a page as big as the coach's pays once per visit, not per question."""
    first, _ = queue_turn(http, url, fn_index, session, [QUESTION, []])
    if first is None:
        raise RuntimeError(f"{url} streamed no update")
    return first


def _fn_index(app: Any, api_name: str) -> int:
    return next(i for i, fn in app.fns.items() if getattr(fn, "api_name", None) == api_name)


def bench_first_token(data_dir: Path) -> None:
    """Submit → first streamed token: the coach's page (fake zero-latency model) vs the bare echo app."""
    import httpx
    from gradio_client import Client

    from coach.service import build_coach
    from coach.settings import Settings
    from coach.ui.page import serve

    settings = Settings(data_dir=data_dir, provider="fake", port=free_port(), _env_file=None)
    coach = build_coach(settings)  # provider "fake": GenericFakeChatModel, no delay
    ours = serve(settings, coach, block=False)
    bare = bare_app.build(FAKE_REPLY)
    bare.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        with fine_polling():
            ours_client = Client(ours.local_url, verbose=False)
            bare_client = Client(bare.local_url, verbose=False)
            for _ in range(3):  # warm up: the ONNX session, Chroma, the BM25 index, Gradio's queue
                first_token_seconds(ours_client), first_token_seconds(bare_client)
            final = ours_client.predict(QUESTION, api_name="/ask")
            if "Sources" not in str(final):
                raise RuntimeError(f"the question no longer gets a grounded answer with sources: {str(final)[:300]}")
            got = interleave(
                ROUNDS, ours=lambda: first_token_seconds(ours_client), bare=lambda: first_token_seconds(bare_client)
            )
        with httpx.Client(timeout=30) as http:
            ours_fn, bare_fn = _fn_index(ours, "ask"), _fn_index(bare, "ask")
            ours_session, bare_session = uuid.uuid4().hex, uuid.uuid4().hex
            first_update_seconds(http, ours.local_url, ours_fn, ours_session)  # each session's first visit
            first_update_seconds(http, bare.local_url, bare_fn, bare_session)
            protocol = interleave(
                ROUNDS,
                ours=lambda: first_update_seconds(http, ours.local_url, ours_fn, ours_session),
                bare=lambda: first_update_seconds(http, bare.local_url, bare_fn, bare_session),
            )
        retrieval = [_retrieval_ms(coach) for _ in range(ROUNDS)]
    finally:
        ours.close()
        bare.close()
    for q in (50, 95):
        add(
            f"chat first token p{q} vs bare Gradio echo app",
            percentile(got["ours"], q) * 1000,
            percentile(got["bare"], q) * 1000,
            "ms",
            goal=f"≤ {FIRST_TOKEN_GOAL}×" if q == 50 else None,
            ok=(lambda r: r <= FIRST_TOKEN_GOAL) if q == 50 else None,
            runs=ROUNDS,
        )
    # The server's own share, for finding where time goes: the bare app does no work at all, so here the ratio
    # mostly shows the question's embedding and search (the row below), not overhead.
    add(
        "  the server's share: first update p50, queue protocol without gradio_client",
        median(protocol["ours"]) * 1000,
        median(protocol["bare"]) * 1000,
        "ms",
        runs=ROUNDS,
    )
    add("  the same step in-process: Answerer.prepare (retrieval + prompt)", median(retrieval), None, "ms", runs=ROUNDS)


def _retrieval_ms(coach: Any) -> float:
    start = time.perf_counter()
    coach.answerer.prepare(QUESTION)
    return (time.perf_counter() - start) * 1000


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) a running process has used so far, from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime and stime


def seconds_until_page(args: list[str], env: dict[str, str], port: int, timeout: float = 120) -> tuple[float, float]:
    """Start `python args...` until GET / on `port` answers 200, then stop it: (wall seconds, CPU seconds)."""
    with tempfile.TemporaryFile("w+") as log:
        start = time.perf_counter()
        proc = subprocess.Popen([PYTHON, *args], cwd=ROOT, env=env, stdout=log, stderr=log, text=True)
        try:
            while True:
                if proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError(f"{' '.join(args)} exited early:\n{log.read()[-3000:]}")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                        if response.status == 200:
                            return time.perf_counter() - start, cpu_seconds(proc.pid)
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if time.perf_counter() - start > timeout:
                    raise TimeoutError(f"{' '.join(args)} did not serve the page in {timeout} s")
                time.sleep(0.05)
        finally:
            stop(proc)


def bench_startup(data_dir: Path) -> None:
    """`python -m coach.cli serve` (fake model, index already built) vs a bare Gradio app, until / is 200."""

    def ours() -> tuple[float, float]:
        port = free_port()
        env = child_env(COACH_PROVIDER="fake", COACH_DATA_DIR=str(data_dir), COACH_PORT=str(port))
        return seconds_until_page(["-m", "coach.cli", "serve"], env, port)

    def bare() -> tuple[float, float]:
        port = free_port()
        return seconds_until_page(["-m", "bench.bare_app", str(port), FAKE_REPLY], child_env(), port)

    got = interleave(STARTUP_ROUNDS, ours=ours, bare=bare)
    for n, label in ((0, "start-up until the page answers"), (1, "  the same, CPU seconds the process used")):
        add(
            f"{label} vs bare Gradio app",
            median(r[n] for r in got["ours"]),
            median(r[n] for r in got["bare"]),
            "s",
            goal=f"≤ {STARTUP_GOAL}×",
            ok=lambda r: r <= STARTUP_GOAL,
            runs=STARTUP_ROUNDS,
        )


FIRST_ANSWER_GOAL_MS = 300
DEFAULT_ROUNDS = 30


def bench_first_answer_default(data_dir: Path) -> None:
    """Submit → first visible answer text on the default setup (the bundled small model, which a question never
    starts: the answer is composed from the guidance), beside the bare Gradio echo app, both through gradio_client."""
    from gradio_client import Client

    from coach.service import build_coach
    from coach.settings import Settings
    from coach.ui.page import serve

    settings = Settings(data_dir=data_dir, port=free_port(), _env_file=None)  # provider "auto": the bundled model
    if settings.resolved_provider() != "local":
        raise RuntimeError("the default setup is the bundled local model; unset OPENAI_* to measure it")
    coach = build_coach(settings)
    ours = serve(settings, coach, block=False)
    bare = bare_app.build(FAKE_REPLY)
    bare.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        with fine_polling():
            ours_client = Client(ours.local_url, verbose=False)
            bare_client = Client(bare.local_url, verbose=False)
            for _ in range(3):  # warm up, as a page that has answered once is
                first_token_seconds(ours_client), first_token_seconds(bare_client)
            final = answer_text(ours_client.predict(QUESTION, api_name="/ask"))
            if not final.startswith("**In short:** "):
                raise RuntimeError(f"the default setup no longer gives the composed answer: {final[:300]}")
            got = interleave(
                DEFAULT_ROUNDS,
                ours=lambda: first_token_seconds(ours_client),
                bare=lambda: first_token_seconds(bare_client),
            )
        if coach.answerer.model.server.alive():
            raise RuntimeError("a question started the bundled model's server: the answer should not need it")
    finally:
        ours.close()
        bare.close()
    for q in (50, 95):
        add(
            f"first visible answer text p{q}, default setup (bundled model) vs bare Gradio echo app",
            percentile(got["ours"], q) * 1000,
            percentile(got["bare"], q) * 1000,
            "ms",
            goal=f"≤ {FIRST_ANSWER_GOAL_MS} ms" if q == 50 else None,
            ok=(lambda r: percentile(got["ours"], 50) * 1000 <= FIRST_ANSWER_GOAL_MS) if q == 50 else None,
            runs=DEFAULT_ROUNDS,
        )
