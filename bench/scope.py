"""Telling questions the guidance covers from those it does not (coach/chat/scope.py), on a blind-written set.

bench/scope_questions.jsonl: 150 questions, each "in" (mentoring, as a mentee), "out" (trivia, code, recipes,
requests to ignore the rules, keyboard mashing) or "borderline" (career topics next to mentoring: a raise, a CV).
Even line numbers are development (the bars were chosen there), odd ones held out. Run `python -m bench.scope` to
print both halves, and how many of the retrieval and document evaluation questions would be turned away (none
should be).
"""

from __future__ import annotations

import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench.documents_eval import COMMON_FILE, COMMON_HELD_OUT_FILE, OWNER, load_span_questions, upload_bench_documents
from bench.evaluation import BENCH, EVAL_FILE, HELDOUT_FILE, load_questions
from coach.chat.scope import out_of_scope
from coach.guidance.retrieval import Retriever

SCOPE_FILE = BENCH / "scope_questions.jsonl"


@dataclass(frozen=True)
class ScopeQuestion:
    text: str
    scope: str  # in, out or borderline


def load_scope_questions(part: str = "all") -> list[ScopeQuestion]:
    """`part` is "development" (even lines), "held-out" (odd lines) or "all"."""
    lines = [line for line in SCOPE_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [json.loads(x) for n, x in enumerate(lines) if part == "all" or (n % 2 == 0) == (part == "development")]
    return [ScopeQuestion(r["question"], r["scope"]) for r in rows]


def turned_away(retriever: Retriever, text: str, owner: str | None = None) -> bool:
    retriever.search(text, k=4, owner=owner)
    return out_of_scope(retriever.closeness(text, owner))


def shares_turned_away(retriever: Retriever, questions: list[ScopeQuestion]) -> dict[str, float]:
    """Per scope, the share of its questions turned away."""
    shares = {}
    for scope in ("in", "out", "borderline"):
        chosen = [q for q in questions if q.scope == scope]
        shares[scope] = sum(turned_away(retriever, q.text) for q in chosen) / len(chosen)
    return shares


def evaluation_questions_turned_away(retriever: Retriever) -> list[str]:
    """The retrieval, common and document evaluation questions (documents uploaded for OWNER) turned away."""
    files = (EVAL_FILE, HELDOUT_FILE, COMMON_FILE, COMMON_HELD_OUT_FILE)
    plain = [q.text for path in files for q in load_questions(path)]
    documents = [q.text for q in load_span_questions("all")]
    return [q for q in plain if turned_away(retriever, q)] + [q for q in documents if turned_away(retriever, q, OWNER)]


def main() -> None:
    from coach.llm.fake import MockChatModel
    from coach.service import build_coach
    from coach.settings import Settings

    data = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp())
    coach = build_coach(Settings(data_dir=data, provider="fake", _env_file=None), model=MockChatModel())
    coach.sync()
    for part in ("development", "held-out"):
        print(f"{part}: share turned away per scope", shares_turned_away(coach.retriever, load_scope_questions(part)))
    upload_bench_documents(coach.index, data)
    print("evaluation questions turned away:", evaluation_questions_turned_away(coach.retriever))


if __name__ == "__main__":
    main()
