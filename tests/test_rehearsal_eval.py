"""The rehearsal feedback against people's scores. bench/transcripts (115 blind-written transcripts, by four writers)
is where the detectors were developed; bench/transcripts_heldout (25 more, by someone else) was never read while
writing them: only its aggregate figures are computed here."""

from __future__ import annotations

from bench.rehearsal import DEVELOPMENT, HELD_OUT, evaluate

MIN_GAP = 1.5


def test_development_strong_transcripts_never_score_below_a_weak_one_of_the_same_persona():
    agreement = evaluate(DEVELOPMENT)
    assert len(agreement.scores) >= 115
    assert agreement.same_persona_inversions() == []


def test_held_out_strong_transcripts_never_score_below_a_weak_one_of_the_same_persona():
    agreement = evaluate(HELD_OUT)
    assert len(agreement.scores) >= 25
    assert len(agreement.same_persona_inversions()) == 0  # the count only: the files stay unread


def test_strong_transcripts_score_at_least_one_and_a_half_points_above_weak_ones_on_both_sets():
    assert evaluate(DEVELOPMENT).gap >= MIN_GAP
    assert evaluate(HELD_OUT).gap >= MIN_GAP
