"""The rehearsal feedback against people's scores on the held-out transcripts (bench/transcripts_heldout, written
blind by someone else and never read while writing the detectors): strong approaches score above weak ones."""

from __future__ import annotations

from bench.rehearsal import HELD_OUT, evaluate

MIN_GAP = 1.5


def test_held_out_strong_transcripts_never_score_below_a_weak_one_of_the_same_persona():
    agreement = evaluate(HELD_OUT)
    assert len(agreement.scores) >= 25
    assert len(agreement.same_persona_inversions()) == 0  # counts only: the held-out files stay unread


def test_held_out_strong_transcripts_score_at_least_one_and_a_half_points_above_weak_ones():
    assert evaluate(HELD_OUT).gap >= MIN_GAP
