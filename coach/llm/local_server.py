"""The local model's own process: llama-cpp-python's OpenAI-compatible server on a private Unix socket.

Started and watched by `coach.llm.supervisor`; a native crash here (segfault, abort, OOM kill) ends this process
only, never the page. Run as `python -m coach.llm.local_server --model FILE --socket PATH [...]`.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time

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
    from llama_cpp.server.app import create_app
    from llama_cpp.server.settings import ModelSettings, ServerSettings

    # No chat_format: llama-cpp-python then formats turns with the GGUF's own tokenizer.chat_template.
    model = ModelSettings(
        model=args.model,
        model_alias=MODEL_ALIAS,
        n_ctx=args.n_ctx,
        n_threads=args.threads or max(1, os.cpu_count() or 1),
        n_threads_batch=args.threads or max(1, os.cpu_count() or 1),
        seed=0,
        verbose=False,
    )
    app = create_app(server_settings=ServerSettings(host="127.0.0.1", port=0), model_settings=[model])
    report_loaded_model()
    uvicorn.run(app, uds=args.socket, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
