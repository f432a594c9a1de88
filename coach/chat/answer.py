"""Grounded answering: retrieve passages, fence them into the prompt, trim history, stream the answer."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, trim_messages

from coach.chat.scope import out_of_scope
from coach.errors import InputError
from coach.llm.capabilities import count_tokens
from coach.llm.prompts import defang_template_tokens, fence_passages, new_fence_id, render

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from coach.guidance.retrieval import Hit, Retriever

MAX_QUESTION_CHARS = 6000
# Kept although not "printable": line breaks, and the joiners that emoji (👩🏽‍💻) and scripts such as Persian need.
KEEP = "\n\t\u200c\u200d"


@dataclass(frozen=True)
class Exchange:
    """One earlier turn of the conversation."""

    role: str  # "user" or "assistant"
    content: str
    title: str | None = None  # titled messages (sources, forms, notices) are not sent to the model


@dataclass
class GroundedPrompt:
    messages: list[BaseMessage]
    hits: list[Hit]
    question: str = ""  # as searched: its embedding is reused by the answer composer
    out_of_scope: bool = False  # nothing in the guidance comes near it: answered plainly, no sources, no model


def clean_question(text: str | None) -> str:
    """The question with control characters removed; raises InputError when it cannot be used."""
    text = "".join(ch for ch in (text or "") if ch in KEEP or ch.isprintable())
    text = text.strip()
    if not text:
        raise InputError("Your message is empty. Type a question, for example: “How do I ask someone to mentor me?”")
    if len(text) > MAX_QUESTION_CHARS:
        raise InputError(
            f"Your message is {len(text):,} characters; I can take up to {MAX_QUESTION_CHARS:,}. "
            "Shorten it or ask about one part at a time."
        )
    return text


# Someone named before ("what should I say to her?"); "it", "that" only in a very short question ("is that normal?"):
# "is it rude to stop meeting my mentor?" stands on its own.
_REFERS_BACK = re.compile(r"\b(?:her|him|them|his)\b", re.I)
_REFERS_BACK_BRIEFLY = re.compile(r"\b(?:it|that|this|she|he|they)\b", re.I)
FOLLOW_UP_WORDS, BRIEF_WORDS = 12, 6


def with_context(question: str, history: Sequence[Exchange]) -> str:
    """What to search for: a short question that points back ("what should I say to her?") is searched together with
    the user's previous question, which says who "her" is; anything else as it stands."""
    words = len(question.split())
    points_back = _REFERS_BACK.search(question) or (words <= BRIEF_WORDS and _REFERS_BACK_BRIEFLY.search(question))
    if words > FOLLOW_UP_WORDS or not points_back:
        return question
    previous = next((e.content for e in reversed(history) if e.role == "user" and not e.title), "")
    room = MAX_QUESTION_CHARS - len(question) - 1
    return f"{previous[:room]} {question}" if previous.strip() and room > 0 else question


def _history_messages(history: Sequence[Exchange]) -> list[BaseMessage]:
    """Earlier untitled turns as messages; role tags in them stay text (see `defang_template_tokens`)."""
    return [
        (HumanMessage if e.role == "user" else AIMessage)(defang_template_tokens(e.content))
        for e in history
        if e.content and not e.title
    ]


class Answerer:
    """Answers questions from the guidance with one chat model and one retriever."""

    def __init__(
        self, model: BaseChatModel, retriever: Retriever, *, top_k: int, context_window: int, max_answer_tokens: int
    ) -> None:
        self.model = model
        self.retriever = retriever
        self.top_k = top_k
        self.context_window = context_window
        self.max_answer_tokens = max_answer_tokens

    def _count(self, messages: list[BaseMessage]) -> int:
        return count_tokens(self.model, messages)

    def prepare(self, question: str, history: Sequence[Exchange] = (), owner: str | None = None) -> GroundedPrompt:
        """The messages to send: system prompt with fenced passages, as much recent history as fits, the question.
        `owner`'s own uploaded documents are searched beside the shared guidance."""
        question = clean_question(question)
        searched, hits, far = self._search(question, history, owner)
        fence_id = new_fence_id()
        system = SystemMessage(render("answer_system", fence_id=fence_id, reference=fence_passages(hits, fence_id)))
        current = HumanMessage(defang_template_tokens(question))  # role tags typed by the user stay text
        room = self.context_window - self.max_answer_tokens - self._count([system, current])
        past = _history_messages(history)
        kept = (
            trim_messages(
                past,
                max_tokens=room,
                token_counter=self._count,
                strategy="last",
                start_on="human",
                end_on="ai",
                allow_partial=False,
            )
            if room > 0 and past
            else []
        )
        return GroundedPrompt(messages=[system, *kept, current], hits=hits, question=searched, out_of_scope=far)

    def passages(self, question: str, owner: str | None = None, history: Sequence[Exchange] = ()) -> GroundedPrompt:
        """The passages for a question and no messages: for an answer code composes, where no model is asked (and a
        local model's server need not start just to count the prompt's tokens)."""
        searched, hits, far = self._search(clean_question(question), history, owner)
        return GroundedPrompt(messages=[], hits=hits, question=searched, out_of_scope=far)

    def _search(self, question: str, history: Sequence[Exchange], owner: str | None) -> tuple[str, list[Hit], bool]:
        """(what was searched, the passages, whether nothing comes near it)."""
        searched = with_context(question, history)
        hits = self.retriever.search(searched, k=self.top_k, owner=owner)
        return searched, hits, out_of_scope(self.retriever.closeness(searched, owner))

    def stream(self, prompt: GroundedPrompt) -> Iterator[str]:
        """The answer, piece by piece as the model produces it."""
        for chunk in self.model.stream(prompt.messages):
            if chunk.content:
                yield str(chunk.content)
