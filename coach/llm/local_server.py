"""The local model's own process: llama-cpp-python's OpenAI-compatible server on a private Unix socket.

Started and watched by `coach.llm.supervisor`; a native crash here (segfault, abort, OOM kill) ends this process
only, never the page. Run as `python -m coach.llm.local_server --model FILE --socket PATH [...]`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, TypeVar

import anyio

T = TypeVar("T")

MODEL_ALIAS = "local"


def disable_extra_buffer_types() -> None:
    """Make every model this process loads use plain CPU buffers (llama_model_params.use_extra_bufts = False).

    llama-cpp-python's `Llama` takes no such argument: it starts from `llama_model_default_params()`, so the
    default itself is changed, before any model is loaded."""
    import llama_cpp.llama_cpp as native

    original = native.llama_model_default_params
    if getattr(original, "coach_patched", False):
        return

    def params():
        value = original()
        # llama.cpp's extra buffer types (AMX, repacked weights) segfault in decode on some Intel Xeons with the
        # bundled GGUF (ggml-org/llama.cpp#20824); off, they cost nothing measurable on AMD EPYC (docs/benchmarks.md).
        value.use_extra_bufts = False
        return value

    params.coach_patched = True  # type: ignore[attr-defined]
    native.llama_model_default_params = params


def exit_with_parent(parent: int, every: float = 0.5) -> None:
    """End this process when the app that started it is gone (killed pytest, SIGKILLed page): never an orphan.

    Polled rather than PR_SET_PDEATHSIG, which fires when the *thread* that spawned us exits."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


async def stream_ahead(iterator: Iterator[T]) -> AsyncIterator[T]:
    """The server's token stream, generated one token ahead of sending.

    llama-cpp-python's server asks a thread pool for each next token only after the previous one is sent, so every
    token waits for a round trip through the event loop, about 1 ms on 2 cores (short answers: 0.88x raw llama-cpp's
    speed with it, 0.92x without; docs/benchmarks.md). Here one thread decodes continuously. Leaving early (client
    gone, server stopping) stops it between tokens and waits for it: the next request may use the model only once
    it is idle."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[bool, Any]] = asyncio.Queue()
    stop = threading.Event()

    def deliver(finished: bool, item: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is closing: nobody is listening
            loop.call_soon_threadsafe(queue.put_nowait, (finished, item))

    def produce() -> None:
        outcome: BaseException | None = None
        try:
            for item in iterator:
                deliver(False, item)
                if stop.is_set():
                    break
            close = getattr(iterator, "close", None)
            if close is not None:
                close()
        except BaseException as exc:  # raised where the server expects it: in the publisher
            outcome = exc
        finally:  # whatever happened, the reader is told the stream is over: it never waits forever
            deliver(True, outcome)

    producer = threading.Thread(target=produce, daemon=True, name="llama-stream")
    producer.start()
    try:
        while True:
            finished, item = await queue.get()
            if finished:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(producer.join)


def default_threads() -> int:
    """Every core: llama-cpp's own default is half of them, which is slower on a small machine."""
    return max(1, os.cpu_count() or 1)


def report_loaded_model() -> None:
    """One line in the server's log saying how the loaded model was set up, read from llama.cpp's own params."""
    from llama_cpp.server import app as server_app

    llama = server_app._llama_proxy._current_model  # llama-cpp-python keeps the loaded model here
    state = "on" if llama.model_params.use_extra_bufts else "off"
    print(f"mentor-coach: model loaded; llama.cpp extra buffer types: {state}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True, help="GGUF file")
    parser.add_argument("--socket", required=True, help="Unix socket to listen on")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--parent", type=int, default=os.getppid())
    args = parser.parse_args(argv)
    exit_with_parent(args.parent)
    disable_extra_buffer_types()

    import uvicorn
    from llama_cpp.server import app as server_app
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    # No chat_format: llama-cpp-python then formats turns with the GGUF's own tokenizer.chat_template.
    model = ModelSettings(
        model=args.model,
        model_alias=MODEL_ALIAS,
        n_ctx=args.n_ctx,
        n_threads=args.threads or default_threads(),
        n_threads_batch=args.threads or default_threads(),
        seed=0,
        logits_all=False,  # the server's default keeps every prompt token's logits: 14% of a long prompt's time
        verbose=False,
    )
    server_app.iterate_in_threadpool = stream_ahead  # looked up per request by its event publisher
    app = create_app(server_settings=ServerSettings(host="127.0.0.1", port=0), model_settings=[model])
    report_loaded_model()
    uvicorn.run(app, uds=args.socket, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
