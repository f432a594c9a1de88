"""Guidance-first answers: composed from passage sentences, every sentence cited, and a stronger model's answer
support-checked sentence by sentence (coach/chat/compose.py, guided.py, support.py)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from bench import support as calibration
from bench.evaluation import EVAL_SETS, load_questions
from coach.chat import support
from coach.chat.compose import CROSSES_A_LINE, DUPLICATE, MAX_STEPS, MIN_STEPS, compose
from coach.chat.guided import answers, check_answer
from coach.chat.sentence_kind import is_action
from coach.chat.turn import reply
from coach.guidance.embedding import LocalMiniLM
from coach.guidance.sentences import split_text
from coach.llm.capabilities import Capabilities
from coach.llm.fake import MockChatModel

BUSY = "My mentor is really busy and keeps cancelling on me. How do I handle it?"
CITED = re.compile(r"\[(\d+)\]$")
STEP = re.compile(r"^\d+\. ")
SUPPORTED = "When a mentor keeps cancelling, adapt the format rather than give up, and make the mentorship lighter."
INVENTED = "Offer your mentor a gift of money so that they feel obliged to keep your meetings."


def composed_for(coach, question: str):
    prompt = coach.answerer.prepare(question)
    passages = coach.sentences.of(h.text for h in prompt.hits)
    return prompt, passages, compose(np.asarray(coach.retriever.query_vector(prompt.question)[0]), passages)


def answer_lines(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines() if line.strip()]


def test_a_composed_answer_has_a_gist_three_to_five_steps_and_a_citation_on_every_sentence(make_coach):
    coach = make_coach(MockChatModel())
    prompt, _, composed = composed_for(coach, BUSY)
    lines = answer_lines(composed.markdown())
    assert lines[0].startswith("**In short:** ")
    assert MIN_STEPS <= sum(bool(STEP.match(line)) for line in lines) <= MAX_STEPS
    for line in lines:
        for sentence in split_text(line):
            number = CITED.search(sentence)
            assert number, f"uncited: {sentence}"
            assert 1 <= int(number.group(1)) <= len(prompt.hits)


def test_the_busy_mentor_question_gets_steps_from_busy_mentor_guidance_and_nothing_invented(make_coach):
    coach = make_coach(MockChatModel())
    prompt, _, composed = composed_for(coach, BUSY)
    from_busy = [p for p in composed.steps if prompt.hits[p.source - 1].source == "busy-mentor.md"]
    assert len(from_busy) >= 2
    assert composed.say is not None and prompt.hits[composed.say.source - 1].source == "busy-mentor.md"
    assert "gift" not in composed.markdown().lower() and "money" not in composed.markdown().lower()


def test_sample_wording_is_kept_whole_as_the_guidance_has_it(make_coach):
    coach = make_coach(MockChatModel())
    prompt, _, composed = composed_for(coach, "how do I cold message someone on linkedin without being weird")
    assert composed.say is not None
    assert f'"{composed.say.text}"' in prompt.hits[composed.say.source - 1].text  # the whole quote, marks and all


def test_no_point_of_a_composed_answer_repeats_another(make_coach):
    coach = make_coach(MockChatModel())
    for question in (BUSY, "what should I put on the agenda for our first meeting?"):
        _, passages, composed = composed_for(coach, question)
        vectors = {s.text: v for p in passages for s, v in zip(p.sentences, p.vectors, strict=True)}
        points = [vectors[p.text] for p in (composed.gist, *composed.steps)]
        assert len({p.text for p in composed.points}) == len(composed.points)
        for i, a in enumerate(points):
            assert all(float(a @ b) < DUPLICATE for b in points[i + 1 :])


@pytest.mark.parametrize("set_name", list(EVAL_SETS))
def test_every_composed_sentence_on_the_retrieval_questions_is_cited_and_passes_the_support_check(make_coach, set_name):
    coach = make_coach(MockChatModel())
    for question in load_questions(EVAL_SETS[set_name]):
        prompt, passages, composed = composed_for(coach, question.text)
        markdown = composed.markdown()
        assert composed.gist is not None and len(composed.steps) >= MIN_STEPS, question.text
        for line in answer_lines(markdown):
            assert all(CITED.search(s) for s in split_text(line)), (question.text, line)
        checked = check_answer(markdown, passages, [h.text for h in prompt.hits], coach.index.embedder)
        assert checked.removed == (), (question.text, checked.removed)
        optional = composed.steps[MIN_STEPS:]
        assert all(is_action(step.text) for step in optional), (question.text, "a step past the third is background")


def test_a_stronger_models_invented_sentence_is_removed_and_the_answer_says_so(make_coach):
    model = MockChatModel().enqueue(f"{SUPPORTED} {INVENTED}")
    coach = make_coach(model)
    updates = [replies[0].content for replies in reply(coach, BUSY, [])]
    first, final = updates[0], updates[-1]
    assert first.startswith("**In short:** "), "the composed answer is shown at once, before the model's"
    assert SUPPORTED in final and re.search(re.escape(SUPPORTED) + r" \[\d\]", final)
    assert "gift" not in final and "1 sentence removed: not supported by the guidance" in final
    assert not any("gift" in u for u in updates), "the unchecked text is never shown"


def test_a_stronger_model_whose_answer_is_all_unsupported_leaves_the_guidance_answer(make_coach):
    coach = make_coach(MockChatModel().enqueue(INVENTED))
    final = list(reply(coach, BUSY, []))[-1][0].content
    assert final.startswith("**In short:** ") and "gift" not in final
    assert "not supported by the guidance" in final


def test_the_built_in_small_model_is_never_asked_and_its_words_never_shown(make_coach):
    model = MockChatModel(capabilities=Capabilities(small=True), default="a gift of money, a gift of time")
    coach = make_coach(model)
    prompt = coach.answerer.prepare(BUSY)
    shown = list(answers(coach, prompt))
    assert len(shown) == 1 and "gift" not in shown[0] and model.history == []


class CountingMiniLM(LocalMiniLM):
    """The real embedding model, recording every batch it is asked to embed."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def __call__(self, input: list[str]):
        self.calls.append(list(input))
        return super().__call__(input)


def test_a_question_costs_one_query_embedding(make_coach):
    coach = make_coach(MockChatModel(capabilities=Capabilities(small=True)))
    coach.index.embedder = counting = CountingMiniLM()  # before the sentence bank opens, so it is counted too
    coach.warm_up()
    counting.calls.clear()
    replies = list(reply(coach, "How often should I meet my mentor?", []))[-1]
    assert replies[0].content.startswith("**In short:** ")
    assert counting.calls == [["How often should I meet my mentor?"]]


def test_the_support_check_holds_its_precision_and_recall_on_the_held_out_sentences(make_coach):
    halves = calibration.measure(make_coach(MockChatModel()))
    assert calibration.calibrate(halves["development"]) == (support.WORD_WEIGHT, support.THRESHOLD), (
        "the shipped weight and threshold are the development half's calibration"
    )
    held_out = calibration.figures(halves["held-out"])
    assert held_out.precision >= 0.8 and held_out.recall >= 0.65, held_out


@pytest.mark.parametrize(
    "question",
    [
        "my mentor made an inappropriate comment about my appearance, what should I do",
        "I think my mentor is bullying me in our sessions",
    ],
)
def test_behaviour_that_crosses_a_line_is_answered_with_where_to_take_it_and_no_script_to_say(make_coach, question):
    coach = make_coach(MockChatModel())
    prompt = coach.answerer.prepare(question)
    passages = coach.sentences.of(h.text for h in prompt.hits)
    vector = np.asarray(coach.retriever.query_vector(prompt.question)[0])
    composed = compose(vector, passages, question)
    assert composed.gist is not None and re.search(r"\bHR\b|programme office", composed.gist.text), composed.gist
    assert composed.say is None, "no 'you could say' wording for harassment"
    ordinary = compose(vector, passages, "my mentor and I disagree about my goals")
    assert ordinary.gist is not None


@pytest.mark.parametrize(
    ("question", "crosses"),
    [
        ("he threatened to report me if I didn't cover for him", True),
        ("my mentor keeps making inappropriate jokes about my accent", True),
        ("is it inappropriate to ask my mentor for a referral?", False),
        ("I feel threatened by a peer who got promoted", False),
    ],
)
def test_only_behaviour_that_crosses_a_line_changes_the_gist(question, crosses):
    assert bool(CROSSES_A_LINE.search(question)) is crosses
