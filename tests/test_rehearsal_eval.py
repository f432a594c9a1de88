"""The rehearsal feedback against people's scores on held-out transcripts (bench/transcripts/*_2.json, written
blind and never used to write the detectors): strong approaches score above weak ones."""

from __future__ import annotations

from bench.rehearsal import HELD_OUT, evaluate

MIN_GAP = 1.5


def test_held_out_strong_transcripts_never_score_below_a_weak_one_of_the_same_persona():
    agreement = evaluate(HELD_OUT)
    assert len(agreement.scores) >= 15
    same_persona = [
        inversion
        for inversion in agreement.inversions()
        if inversion.split("_strong_")[0] == inversion.split(" < ")[1].split("_weak_")[0]
    ]
    assert same_persona == []


def test_held_out_strong_transcripts_score_at_least_one_and_a_half_points_above_weak_ones():
    assert evaluate(HELD_OUT).gap >= MIN_GAP
