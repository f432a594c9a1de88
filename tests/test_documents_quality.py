"""Retrieval on documents nobody wrote for this app (bench/documents), uploaded beside the built-in guidance, and the
questions people ask most (bench/common_questions*.jsonl, the second set never tuned on): regression floors under what
was measured.

The issue asks for recall@3 ≥ 0.9 on the documents' held-out questions and recall@1 ≥ 0.9 on the common questions;
neither is reached yet (docs/benchmarks.md), so these floors sit just under the measurements to stop a slide."""

from __future__ import annotations

import pytest

from bench.documents_eval import (
    COMMON_FILE,
    COMMON_HELD_OUT_FILE,
    MORE_SETS,
    OWNER,
    compare,
    load_set_questions,
    load_span_questions,
    recall_and_pages,
    upload_bench_documents,
)
from bench.evaluation import evaluate, load_questions
from bench.scope import evaluation_questions_turned_away

DOCUMENT_FLOOR = 0.76  # small-to-big recall@3 on the held-out (odd-line) questions: measured 0.78
COMMON_FLOOR = 0.85  # hybrid recall@1: measured 0.875
COMMON_HELD_OUT_FLOOR = 0.71  # hybrid recall@1 on the later, never-tuned set: measured 0.73
# The uploader's general questions still find the built-in section in the top 3 beside their own documents: 0.98.
UPLOADER_COMMON_FLOOR = 0.95
# The later sets of documents in other layouts, each its own user's: (small-to-big recall@3, share of the answers
# found in a PDF cited at their page), measured (0.78, 1.0), (0.75, 1.0) and, held out, (0.73, 0.94).
MORE_SETS_FLOORS = {"documents2": (0.75, 1.0), "documents3": (0.72, 1.0), "documents4": (0.70, 0.9)}


@pytest.fixture(scope="module")
def with_documents(copied_coach):
    data = copied_coach.settings.data_dir
    upload_bench_documents(copied_coach.index, data)
    for name, folder in MORE_SETS.items():
        upload_bench_documents(copied_coach.index, data, folder, owner=name)
    return copied_coach


def test_the_blind_documents_question_set_is_split_in_halves():
    development, held_out = load_span_questions("development"), load_span_questions("held-out")
    assert len(development) == len(held_out) == 64
    assert {q.doc for q in held_out} == {"handbook.pdf", "essay.txt", "faq.html"}


def test_held_out_questions_find_the_answer_in_the_top_3(with_documents):
    scores = compare(with_documents.retriever, load_span_questions("held-out"))
    assert scores["small-to-big (hybrid)"] >= DOCUMENT_FLOOR, scores
    assert scores["small-to-big (hybrid)"] >= scores["hybrid"], "returning the section must not lose answers"


def test_the_commonest_questions_find_their_section_first(with_documents):
    scores = evaluate(with_documents.retriever, load_questions(COMMON_FILE), "hybrid")
    assert scores.questions >= 40
    assert scores.recall_at_1 >= COMMON_FLOOR, scores


def test_the_held_out_common_questions_find_their_section_first(with_documents):
    scores = evaluate(with_documents.retriever, load_questions(COMMON_HELD_OUT_FILE), "hybrid")
    assert scores.questions >= 56
    assert scores.recall_at_1 >= COMMON_HELD_OUT_FLOOR, scores


def test_the_uploaders_own_documents_do_not_push_the_guidance_out_of_general_answers(with_documents):
    scores = evaluate(with_documents.retriever, load_questions(COMMON_FILE), "hybrid", owner=OWNER)
    assert scores.recall_at_3 >= UPLOADER_COMMON_FLOOR, scores


@pytest.mark.parametrize("name", MORE_SETS)
def test_documents_in_other_layouts_are_found_and_cited_at_their_page(with_documents, name):
    questions = load_set_questions(MORE_SETS[name])
    assert len(questions) >= 72 and len({q.doc for q in questions}) >= 3
    recall, on_page = recall_and_pages(with_documents.retriever, questions, owner=name)
    recall_floor, page_floor = MORE_SETS_FLOORS[name]
    assert recall >= recall_floor, recall
    assert on_page >= page_floor, "a found answer in a PDF is cited at the page it is on"


@pytest.mark.parametrize("path", [COMMON_FILE, COMMON_HELD_OUT_FILE], ids=["development", "held-out"])
def test_common_question_labels_name_real_sections(with_documents, path):
    stored = with_documents.index.collection.get(include=["metadatas"])["metadatas"]
    known = {f"{m['source']}#{m['section'].split(' > ')[-1]}" for m in stored}
    for question in load_questions(path):
        assert question.relevant <= known, question


def test_no_evaluation_question_is_turned_away_as_off_topic(with_documents):
    assert evaluation_questions_turned_away(with_documents.retriever) == []
