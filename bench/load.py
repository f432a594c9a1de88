"""Load: many sessions at once on the real page, each turn checked, with throughput and latency percentiles.

`python -m bench.load [--sessions 50] [--turns 10] [--model-delay 0.005]`

The coach's page runs in its own process (so the load generator does not share its interpreter) over knowledge/
indexed in a temp folder, with a model that echoes each message and the number of turns it was sent, streamed in
four pieces `--model-delay` seconds apart. Each session is a thread speaking Gradio's queue protocol over its own
HTTP connection (no gradio_client: its 50 ms polling would dominate), so the figures are the server's. Not a test,
and not part of `make bench` (bench/run.py); run it by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import PYTHON, ROOT, child_env, free_port, percentile, queue_turn, stop

PIECES = 4


def echo_model(delay: float):
    """A chat model answering "echo:<last message> (<n> turns)", streamed in PIECES chunks `delay` s apart."""
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

    class Echo(BaseChatModel):
        @property
        def _llm_type(self) -> str:
            return "bench-echo"

        def _text(self, messages) -> str:
            humans = [m for m in messages if m.type == "human"]
            return f"echo:{humans[-1].content} ({len(humans)} turns)"

        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            return ChatResult(generations=[ChatGeneration(message=AIMessage(content=self._text(messages)))])

        def _stream(self, messages, stop=None, run_manager=None, **kwargs):
            text = self._text(messages)
            size = -(-len(text) // PIECES)
            for start in range(0, len(text), size):
                time.sleep(delay)
                yield ChatGenerationChunk(message=AIMessageChunk(content=text[start : start + size]))

    return Echo()


def serve(port: int, data_dir: Path, delay: float) -> None:
    """The child: index knowledge/ (first run only), then serve the page with the echo model until killed."""
    from coach.service import build_coach
    from coach.settings import Settings
    from coach.ui.page import serve as serve_page

    settings = Settings(data_dir=data_dir, provider="fake", port=port, _env_file=None)
    serve_page(settings, build_coach(settings, model=echo_model(delay)), block=True)


@dataclass
class Session:
    latencies: list[float] = field(default_factory=list)  # seconds, submit → last update
    first_updates: list[float] = field(default_factory=list)  # seconds, submit → first streamed update
    wrong: list[str] = field(default_factory=list)


def message(session: int, turn: int) -> str:
    return f"session {session} turn {turn}: how often should we talk?"


def run_session(url: str, fn_index: int, session: int, turns: int) -> Session:
    """One person's conversation, turn after turn, in Gradio's queue protocol (join, then read the event stream)."""
    import httpx

    result, session_hash = Session(), uuid.uuid4().hex
    with httpx.Client(base_url=url, timeout=120) as http:
        for turn in range(1, turns + 1):
            sent = message(session, turn)
            start = time.perf_counter()
            first, output = queue_turn(http, "", fn_index, session_hash, [sent, None])
            result.latencies.append(time.perf_counter() - start)
            result.first_updates.append(first if first is not None else result.latencies[-1])
            answer = (output or {}).get("data", [[{}]])[0][0].get("content", "")
            if answer != f"echo:{sent} ({turn} turns)":
                result.wrong.append(f"session {session} turn {turn}: {str(answer)[:120]!r}")
    return result


def start_child(port: int, data_dir: Path, delay: float, log) -> subprocess.Popen:
    args = [PYTHON, "-m", "bench.load", "--serve", str(port), "--data", str(data_dir), "--model-delay", str(delay)]
    return subprocess.Popen(args, cwd=ROOT, env=child_env(), stdout=log, stderr=subprocess.STDOUT)


def wait_for_page(url: str, child: subprocess.Popen, timeout: float = 600) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"the page exited with {child.returncode}")
        try:
            with urllib.request.urlopen(f"{url}config", timeout=2) as response:
                return json.load(response)
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--model-delay", type=float, default=0.005, help="seconds between the model's 4 chunks")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        serve(args.serve, args.data, args.model_delay)
        return 0

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryDirectory(prefix="coach-load-") as tmp, (Path(tmp) / "page.log").open("wb") as log:
        child = start_child(port, Path(tmp) / "data", args.model_delay, log)
        try:
            config = wait_for_page(url, child)
            fn_index = next(d["id"] for d in config["dependencies"] if d.get("api_name") == "ask")
            run_session(url, fn_index, 10_000, 1)  # warm up: the ONNX session, Chroma, Gradio's queue
            print(f"{args.sessions} sessions × {args.turns} turns against {url} …", flush=True)
            start = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.sessions) as pool:
                sessions = list(pool.map(lambda s: run_session(url, fn_index, s, args.turns), range(args.sessions)))
            wall = time.perf_counter() - start
        finally:
            stop(child)
    latencies = [x for s in sessions for x in s.latencies]
    firsts = [x for s in sessions for x in s.first_updates]
    wrong = [w for s in sessions for w in s.wrong]
    answers = len(latencies)
    print(f"answers: {answers} in {wall:.1f} s → throughput {answers / wall:.1f} answers/s")
    print(
        f"latency (submit → complete answer): p50 {percentile(latencies, 50) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    print(
        f"first streamed update: p50 {percentile(firsts, 50) * 1000:.0f} ms, p95 {percentile(firsts, 95) * 1000:.0f} ms"
    )
    print(f"wrong or missing answers: {len(wrong)}")
    for line in wrong[:10]:
        print("  ", line)
    print(
        f"model: {PIECES} chunks {args.model_delay * 1000:.0f} ms apart; "
        f"machine: {os.cpu_count()} CPUs, {platform.platform()}"
    )
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
