"""Retrieval quality on the labelled questions in bench/retrieval_eval.jsonl: a regression floor."""

from __future__ import annotations

import pytest

from coach.evaluation import evaluate, load_questions

# Measured 2026-11-26 with all-MiniLM-L6-v2 (int8) on 60 questions, 42 of them worded to avoid the guidance's
# own key words: recall@3 hybrid 0.83, BM25 0.77, dense 0.72 (each with the sections' everyday phrasings).
# The floors sit a little under the measurement so that a real regression fails the build and noise does not.
FLOORS = {"hybrid": 0.78, "bm25": 0.70, "dense": 0.65}


@pytest.mark.parametrize("mode", sorted(FLOORS))
def test_recall_at_3_stays_above_its_floor(make_coach, fake_model, mode):
    coach = make_coach(fake_model())
    scores = evaluate(coach.retriever, load_questions(), mode)
    assert scores.questions >= 40
    assert scores.recall_at_3 >= FLOORS[mode], scores


def test_eval_labels_name_real_sections(make_coach, fake_model):
    coach = make_coach(fake_model())
    stored = coach.index.collection.get(include=["metadatas"])["metadatas"]
    known = {f"{m['source']}#{m['section'].split(' > ')[-1]}" for m in stored}
    for question in load_questions():
        assert question.relevant <= known, question
