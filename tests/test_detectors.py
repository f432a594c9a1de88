"""The shared detectors read phrasing they were not written from: time in words and unusual units, reasons given
indirectly, offers phrased as actions, over-asking that "whatever works" does not excuse."""

from __future__ import annotations

import pytest

from coach.tools.detect import amounts
from coach.tools.detect.criteria import assess


def _score(criterion: str, *turns: str) -> int:
    return assess(list(enumerate(turns)))[criterion].score


@pytest.mark.parametrize(
    ("text", "minutes", "rhythm", "end"),
    [
        ("Could we grab a coffee each quarter?", [], True, False),
        ("Maybe ten minutes after standup on Fridays?", [10], True, False),
        ("Just one lunch before the summer.", [], False, True),
        ("lunch once or twice a year", [], True, False),
    ],
)
def test_time_is_read_in_words_and_unusual_units(text, minutes, rhythm, end):
    assert [a.minutes for a in amounts.durations(text)] == minutes
    assert bool(amounts.frequency(text)) is rhythm
    assert bool(amounts.horizon(text)) is end


def test_weekly_is_over_asking_only_when_it_is_about_meeting():
    assert amounts.too_often("Could we meet for an hour every week?")
    assert not amounts.too_often("I kept my log every week instead of cramming.")


def test_an_hour_every_week_scores_low_even_with_whatever_works():
    assert _score("respects_time", "Could we do an hour every week? Whatever works for you.") == 1


def test_a_small_bounded_flexible_ask_scores_high():
    assert _score("respects_time", "Ten minutes after standup on Fridays, until the end of March? Skip any week.") >= 4


def test_an_indirect_reason_counts_and_being_on_a_list_does_not():
    assert _score("why_this_mentor", "Ever since your keynote on pricing I've wanted to ask you about it.") >= 3
    assert _score("why_this_mentor", "You were on the mentors list, so I picked you.") == 1


def test_an_offer_phrased_as_an_action_counts_as_giving_back():
    assert _score("reciprocity", "I could run your team's pilot survey next month.") >= 4
    assert _score("reciprocity", "Thanks for your time, I know you're busy.") == 1


def test_closing_the_loop_on_earlier_advice_counts_and_vague_offers_stay_low():
    told = "Last time you said to write the status update instead of meeting. I did it in March and it worked."
    assert _score("reciprocity", told) >= 4
    assert _score("reciprocity", "I'm happy to keep it really short.") == 1
    assert _score("reciprocity", "Let me know if I can ever help with anything.") == 2
    assert _score("reciprocity", "Thank you so much, this was amazing!") == 1


def test_a_small_one_off_ask_is_bounded_and_a_reported_amount_is_no_ask():
    assert _score("respects_time", "One thirty-minute conversation, at a time of your choosing.") == 5
    assert _score("respects_time", "The team got back three hours a week. Could I have 15 minutes on Friday?") >= 4


def test_a_commitment_in_any_words_with_a_time_is_a_concrete_step():
    assert _score("concrete_next_step", "I'll revise by next Wednesday and send you only the diff.") == 5
    assert _score("concrete_next_step", "I'll reach out sometime.") <= 2


def test_a_denied_offer_note_or_step_is_not_counted():
    assert _score("reciprocity", "Not really, I'm pretty junior so I can't really offer anything in return.") == 1
    assert _score("preparation", "Honestly I don't have an agenda or anything.") == 1
    assert _score("preparation", "I was going to write an agenda but I didn't get round to it.") == 1
    assert _score("concrete_next_step", "No idea what the next step is.") == 1


def test_a_courtesy_negation_does_not_hide_what_was_said():
    assert _score("preparation", "I've put together a one-pager so you don't have to read the whole deck.") >= 3
    assert _score("concrete_next_step", "It wouldn't need a meeting - I'll send you three bullets tonight.") == 5


def test_an_offer_put_off_is_vague_and_a_vague_opening_spelled_out_is_an_offer():
    assert _score("reciprocity", "I could send you an update at some point maybe.") <= 2
    spelled = "If there's ever anything I can do, review a doc, talk to your team about the architect track, I'm glad."
    assert _score("reciprocity", spelled) >= 4
    useful = "Our team built a dashboard your ops people wanted. I can get them access if that's useful."
    assert _score("reciprocity", useful) >= 4


def test_details_typed_in_lower_case_count_as_specific():
    reason = "you sat on the staff calibration panel twice and you wrote the promotion criteria doc everyone quotes"
    assert _score("why_this_mentor", reason) >= 4
    assert _score("why_this_mentor", "you're so successful, honestly an inspiration") == 1


def test_one_hour_once_is_concrete_but_an_hour_a_week_is_a_big_ask():
    assert _score("respects_time", "i'd love maybe an hour? just one, sometime next fortnight, whatever suits you") == 4
    assert amounts.frequency("just like an hour a week for a bit")
    assert _score("respects_time", "i don't need much of your time, just like an hour a week for a bit") == 1


def test_thanks_that_credits_them_with_an_outcome_is_specific_and_a_hedged_promise_is_vague():
    credit = "thank you — you being on those calls when it went sideways is half the reason it turned round"
    assert _score("reciprocity", credit) == 3
    assert _score("reciprocity", "and i'll give back for sure, somehow") <= 2
    assert _score("concrete_next_step", "and i'll give back for sure, somehow. let's do a next step at some point") <= 2


def test_a_thing_on_its_way_with_a_day_is_a_step_and_denied_or_boasted_preparation_is_not():
    assert _score("concrete_next_step", "will do, it'll be in your inbox by thursday lunchtime") == 5
    assert (
        _score("preparation", "i haven't really got anything written down yet, i was going to see what you thought")
        == 1
    )
    assert _score("preparation", "no, i mean, i've got loads of results, tons, i'm very results driven") == 1
    assert (
        _score("preparation", "i've got a rough timeline sketched out, i'll mail it over before, and four questions")
        >= 4
    )
