"""Fusing a search's legs by score (coach/guidance/fusion.py): plain numbers in, ranked passage ids out."""

from __future__ import annotations

import pytest

from coach.guidance.fusion import OWN_DOCUMENT_LEAD, fuse, lead, scaled


def test_scaling_maps_the_best_to_one_and_the_lowest_to_zero():
    assert scaled({"a": 0.8, "b": 0.5, "c": 0.2}) == pytest.approx({"a": 1.0, "b": 0.5, "c": 0.0})


def test_scaling_from_a_floor_keeps_the_lowest_above_zero():
    assert scaled({"a": 4.0, "b": 1.0}, floor=0.0) == pytest.approx({"a": 1.0, "b": 0.25})


def test_one_score_or_equal_scores_all_count_fully():
    assert scaled({"a": 0.3}) == {"a": 1.0}
    assert scaled({"a": 0.3, "b": 0.3}) == {"a": 1.0, "b": 1.0}
    assert scaled({}) == {}


def test_a_wide_lead_in_one_leg_outweighs_narrow_leads_in_two():
    # By rank alone B wins (first in two legs); by score A does: its lead in the text leg is wide, B's are narrow.
    text = {"A": 0.90, "B": 0.50, "C": 0.10}
    phrasing = {"A": 0.50, "B": 0.51, "C": 0.10}
    words = {"A": 1.0, "B": 1.1}
    assert [i for i, _ in fuse(text, phrasing, words)] == ["A", "B", "C"]


def test_a_passage_without_phrasings_counts_its_text_in_their_place():
    # D is a user's document paragraph (no everyday phrasings), G a guidance section with them.
    text = {"D": 0.70, "G": 0.60, "H": 0.20}
    phrasing = {"G": 0.55, "H": 0.50}
    ranked = dict(fuse(text, phrasing))
    assert ranked["D"] == pytest.approx(2.0)  # best text twice, not best text plus nothing
    assert list(ranked) == ["D", "G", "H"]


def test_words_alone_can_bring_a_passage_in():
    ranked = fuse({"A": 0.5, "B": 0.4}, {}, {"C": 3.0})
    assert {i for i, _ in ranked} == {"A", "B", "C"}
    assert dict(ranked)["C"] == pytest.approx(1.0)


def test_equal_scores_rank_in_a_stable_order():
    assert [i for i, _ in fuse({"b": 0.5, "a": 0.5}, {})] == ["a", "b"]


def test_a_users_own_passages_lead_by_a_small_fixed_margin():
    ranked = [("guide", 2.0), ("mine", 1.9), ("far", 1.0)]
    assert [i for i, _ in lead(ranked, {"mine"})] == ["mine", "guide", "far"]  # 1.9 + 0.15 passes 2.0
    assert [i for i, _ in lead(ranked, {"far"})] == ["guide", "mine", "far"]  # far behind stays behind
    assert dict(lead(ranked, {"mine"}))["mine"] == pytest.approx(1.9 + OWN_DOCUMENT_LEAD)
    assert lead(ranked, set()) == ranked
