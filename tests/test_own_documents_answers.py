"""Answers for a user who uploaded their programme's own documents: when their document ranks first, its rule is
the answer's gist, and general sample wording that could contradict it is not offered beside it."""

from __future__ import annotations

import re

import pytest

from bench.documents_eval import OWNER, upload_bench_documents
from coach.chat.guided import answers
from coach.llm.prompts import OWN_DOCUMENT

GIST = re.compile(r"^\*\*In short:\*\* (.*) \[(\d+)\]$", re.M)
SAY = re.compile(r'^\*\*You could say:\*\* ".*" \[(\d+)\]$', re.M)


@pytest.fixture(scope="module")
def coach(copied_coach):
    upload_bench_documents(copied_coach.index, copied_coach.settings.data_dir)
    return copied_coach


def composed(coach, question: str, owner: str | None):
    prompt = coach.answerer.passages(question, owner=owner)
    return prompt.hits, next(iter(answers(coach, prompt)))


def test_the_users_own_rule_is_the_gist_when_their_document_ranks_first(coach):
    hits, text = composed(coach, "how often should we meet?", OWNER)
    assert hits[0].owner == OWNER and hits[0].source == "faq.html"
    gist, source = GIST.search(text).groups()
    assert source == "1" and "every two weeks" in gist
    # Without the upload, the same question is answered from the general guidance.
    hits, text = composed(coach, "how often should we meet?", None)
    assert all(not h.owner for h in hits)
    assert "every two weeks" not in GIST.search(text).group(1)


def test_general_sample_wording_is_not_offered_beside_the_users_own_rule(coach):
    question = "my mentor keeps cancelling, what do I do?"
    hits, text = composed(coach, question, OWNER)
    assert hits[0].owner == OWNER
    say = SAY.search(text)
    assert say is None or hits[int(say.group(1)) - 1].owner == OWNER, text
    hits, text = composed(coach, question, None)
    say = SAY.search(text)
    assert say is not None and hits[int(say.group(1)) - 1].source == "busy-mentor.md", text


def test_a_stronger_models_prompt_marks_the_users_own_passages(coach):
    prompt = coach.answerer.prepare("how often should we meet?", owner=OWNER)
    system = prompt.messages[0].content
    labels = re.findall(r"<<<REFERENCE \w+ \[\d+\] (.*)>>>", system)
    assert len(labels) == len(prompt.hits)
    for hit, label in zip(prompt.hits, labels, strict=True):
        assert label.endswith(OWN_DOCUMENT) == bool(hit.owner), label
    assert any(h.owner for h in prompt.hits) and any(not h.owner for h in prompt.hits)
    assert "own programme's rules" in system
