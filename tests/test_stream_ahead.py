"""The local model server's token stream runs one token ahead of sending (coach.llm.local_server.stream_ahead):
everything arrives in order, failures surface where the server expects them, and leaving early stops the work."""

from __future__ import annotations

import asyncio
import threading

import pytest

from coach.llm.local_server import stream_ahead


def test_every_item_arrives_in_order():
    async def collect():
        return [item async for item in stream_ahead(iter(range(50)))]

    assert asyncio.run(collect()) == list(range(50))


def test_a_failure_while_generating_is_raised_to_the_reader_after_what_came_before():
    def failing():
        yield "a"
        yield "b"
        raise ValueError("decode failed")

    async def collect(seen: list[str]):
        async for item in stream_ahead(failing()):
            seen.append(item)

    seen: list[str] = []
    with pytest.raises(ValueError, match="decode failed"):
        asyncio.run(collect(seen))
    assert seen == ["a", "b"]


def test_leaving_early_stops_generation_and_waits_until_it_has_stopped():
    produced, closed, may_go_on = [], threading.Event(), threading.Event()

    def tokens():
        try:
            for n in range(1000):
                produced.append(n)
                yield n
                if n == 2:
                    may_go_on.wait(5)  # hold the producer until the reader has left
        finally:
            closed.set()

    async def take_two():
        chunks = stream_ahead(tokens())
        got = [await anext(chunks), await anext(chunks)]
        may_go_on.set()
        await chunks.aclose()
        return got

    assert asyncio.run(take_two()) == [0, 1]
    assert closed.is_set()  # the generator was closed before aclose returned: the model is free again
    assert len(produced) <= 4  # at most a token or so ahead, not the whole answer


def test_a_failure_while_closing_still_ends_the_stream_for_the_reader():
    class Tokens:
        def __init__(self) -> None:
            self.items = iter(["a"])

        def __iter__(self):
            return self

        def __next__(self) -> str:
            return next(self.items)

        def close(self) -> None:
            raise RuntimeError("cleanup failed")

    async def collect(seen: list[str]):
        async for item in stream_ahead(Tokens()):
            seen.append(item)

    seen: list[str] = []
    with pytest.raises(RuntimeError, match="cleanup failed"):
        asyncio.run(asyncio.wait_for(collect(seen), timeout=5))
    assert seen == ["a"]
