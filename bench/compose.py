"""Guidance-first answers: time to the composed answer in-process, and the support check's figures."""

from __future__ import annotations

import time

from bench import support as labelled
from bench.common import add, note, percentile
from bench.evaluation import load_questions
from coach.chat.turn import reply
from coach.service import Coach


def bench_compose(coach: Coach) -> None:
    """p50 of a chat turn's first visible answer (retrieval + composing) beside Answerer.prepare alone."""
    questions = [q.text for q in load_questions()]
    coach.warm_up()
    first, prepare = [], []
    for question in questions:
        start = time.perf_counter()
        next(iter(reply(coach, question, [])))
        first.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        coach.answerer.prepare(question)
        prepare.append((time.perf_counter() - start) * 1000)
    add(
        "composed answer in-process p50 vs Answerer.prepare",
        percentile(first, 50),
        percentile(prepare, 50),
        "ms",
        goal="≤ 300 ms",
        ok=lambda r: percentile(first, 50) <= 300,
        runs=len(questions),
    )
    halves = labelled.measure(coach)
    for name, items in halves.items():
        f = labelled.figures(items)
        note(
            f"support check, {name} sentences: precision / recall of 'supported'",
            f"{f.precision:.2f} / {f.recall:.2f}",
            runs=f.count,
        )
