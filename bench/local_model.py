"""The local model through Mentor Coach (its own supervised server process, reached over a Unix socket) beside raw
llama-cpp-python in-process, same prompt and settings; and the cost of turning llama.cpp's extra buffer types off."""

from __future__ import annotations

import time

from langchain_core.messages import BaseMessage, HumanMessage

from bench.common import add, interleave, median
from coach.llm.models import build_chat_model, bundled_model_path
from coach.service import Coach
from coach.settings import Settings

PROMPT = "Give three tips for a first meeting with a new mentor."
QUESTION = "My mentor keeps cancelling our meetings. What should I do?"
MAX_TOKENS = 96
RUNS = 6
SERVER_REPEAT_PENALTY = 1.1  # llama-cpp-python's server default, which the coach's requests get: same tokens both sides
GOAL = 0.9

Run = tuple[float, float, int]  # seconds to the first token, seconds in all, tokens
ROLES = {"human": "user", "ai": "assistant", "system": "system"}


def _as_dicts(messages: list[BaseMessage]) -> list[dict[str, str]]:
    return [{"role": ROLES[m.type], "content": str(m.content)} for m in messages]


def bench_local_model(coach: Coach) -> None:
    """A short prompt, and the grounded prompt the coach really sends (system prompt with fenced passages; a new
    fence code every round, as in the app, so neither side answers from llama.cpp's prompt cache alone)."""
    from llama_cpp import Llama

    from coach.llm.local_server import default_threads, disable_extra_buffer_types

    settings = Settings(provider="local", max_answer_tokens=MAX_TOKENS, temperature=0.0, _env_file=None)
    model = build_chat_model(settings)

    def load() -> Llama:
        threads = default_threads()  # as the coach's server
        return Llama(
            model_path=str(bundled_model_path()),
            n_ctx=settings.context_window,
            n_threads=threads,
            n_threads_batch=threads,
            seed=0,
            verbose=False,
        )

    with_extra = load()  # llama.cpp's default: AMX / repacked-weight buffers where the CPU has them
    disable_extra_buffer_types()
    raw = load()  # what the coach's server loads

    def ours(messages: list[BaseMessage]) -> Run:
        t0 = time.perf_counter()
        first, n = None, 0
        for chunk in model.stream(messages):
            if chunk.content:  # the stream's opening and closing chunks carry no text
                first = first or time.perf_counter() - t0
                n += 1
        return first or 0.0, time.perf_counter() - t0, n

    def in_process(llama: Llama, messages: list[BaseMessage]) -> Run:
        payload = _as_dicts(messages)
        t0 = time.perf_counter()
        first, n = None, 0
        stream = llama.create_chat_completion(
            payload, stream=True, max_tokens=MAX_TOKENS, temperature=0.0, seed=0, repeat_penalty=SERVER_REPEAT_PENALTY
        )
        for part in stream:
            if part["choices"][0]["delta"].get("content"):
                first = first or time.perf_counter() - t0
                n += 1
        return first or 0.0, time.perf_counter() - t0, n

    def baseline(messages: list[BaseMessage]) -> Run:
        return in_process(raw, messages)

    short = [HumanMessage(PROMPT)]
    ours(short), baseline(short), in_process(with_extra, short)  # start our server and warm all three
    _compare("short prompt", interleave(RUNS, ours=lambda: ours(short), base=lambda: baseline(short)))
    got = interleave(RUNS, ours=lambda: baseline(short), base=lambda: in_process(with_extra, short))
    add(
        "raw llama-cpp tokens/s, extra buffer types off (as shipped) vs on (llama.cpp's default), short prompt",
        median(r[2] / r[1] for r in got["ours"]),
        median(r[2] / r[1] for r in got["base"]),
        "tok/s",
        runs=RUNS,
    )

    # The same new prompt for both in each round: neither has seen it, whichever goes first.
    prompts = [coach.answerer.prepare(QUESTION).messages for _ in range(RUNS)]
    tokens = model.get_num_tokens_from_messages(prompts[0])  # the model's own vocabulary
    ours_next, base_next = iter(prompts), iter(prompts)
    got = interleave(RUNS, ours=lambda: ours(next(ours_next)), base=lambda: baseline(next(base_next)))
    _compare(f"grounded prompt ({tokens} tokens)", got)


def _compare(prompt: str, got: dict[str, list[Run]]) -> None:
    a, b = got["ours"], got["base"]
    add(
        f"local model tokens/s vs raw llama-cpp, {prompt}",
        median(r[2] / r[1] for r in a),
        median(r[2] / r[1] for r in b),
        "tok/s",
        goal=f"≥ {GOAL}×",
        ok=lambda r: r >= GOAL,
        runs=RUNS,
    )
    add(
        f"local model first token (through its server process) vs raw llama-cpp in-process, {prompt}",
        median(r[0] for r in a) * 1000,
        median(r[0] for r in b) * 1000,
        "ms",
        runs=RUNS,
    )
