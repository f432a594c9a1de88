"""The local model through Mentor Coach's LocalChatModel beside raw llama-cpp-python, same prompt and settings."""

from __future__ import annotations

import time

from langchain_core.messages import HumanMessage

from bench.common import add, interleave, median
from coach.models import build_chat_model, bundled_model_path
from coach.settings import Settings

PROMPT = "Give three tips for a first meeting with a new mentor."
MAX_TOKENS = 96
RUNS = 6
GOAL = 0.9


def bench_local_model() -> None:
    from llama_cpp import Llama

    settings = Settings(provider="local", max_answer_tokens=MAX_TOKENS, temperature=0.0, _env_file=None)
    model = build_chat_model(settings)
    raw = Llama(model_path=str(bundled_model_path()), n_ctx=settings.context_window, seed=0, verbose=False)

    def ours() -> tuple[float, float, int]:
        t0 = time.perf_counter()
        first, n = None, 0
        for _ in model.stream([HumanMessage(PROMPT)]):
            first = first or time.perf_counter() - t0
            n += 1
        return first or 0.0, time.perf_counter() - t0, n

    def baseline() -> tuple[float, float, int]:
        t0 = time.perf_counter()
        first, n = None, 0
        for part in raw.create_chat_completion(
            [{"role": "user", "content": PROMPT}], stream=True, max_tokens=MAX_TOKENS, temperature=0.0, seed=0
        ):
            if part["choices"][0]["delta"].get("content"):
                first = first or time.perf_counter() - t0
                n += 1
        return first or 0.0, time.perf_counter() - t0, n

    ours(), baseline()  # load our model (lazy) and warm both
    got = interleave(RUNS, ours=ours, base=baseline)
    a, b = got["ours"], got["base"]
    add(
        "local model tokens/s vs raw llama-cpp",
        median(n / t for _, t, n in a),
        median(n / t for _, t, n in b),
        "tok/s",
        goal=f"≥ {GOAL}×",
        ok=lambda r: r >= GOAL,
        runs=RUNS,
    )
    first_ours, first_raw = median(f for f, _, _ in a), median(f for f, _, _ in b)
    add(
        "local model first token vs raw llama-cpp",
        first_ours * 1000,
        first_raw * 1000,
        "ms",
        goal=f"≤ {1 / GOAL:.3f}× (speed ≥ {GOAL}×)",
        ok=lambda r: r <= 1 / GOAL,
        runs=RUNS,
    )
