"""Wires settings into the running parts: index → retriever → model → answerer. Built once per process."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from langchain_core.language_models import BaseChatModel

from coach.chat.answer import Answerer
from coach.errors import StoreDamaged
from coach.guidance.index import GuidanceIndex, Progress, SyncReport
from coach.guidance.retrieval import Retriever
from coach.guidance.sentence_bank import SentenceBank
from coach.guidance.store import move_aside, open_client
from coach.journal.journal import Journal
from coach.llm.capabilities import capabilities_of
from coach.llm.models import build_chat_model, describe_model
from coach.llm.plain_words import files_in_words, model_in_words
from coach.llm.prompts import load_prompt, use_prompt_overrides
from coach.settings import Settings

if TYPE_CHECKING:
    from coach.chat.intents import IntentClassifier


@dataclass
class Coach:
    settings: Settings
    index: GuidanceIndex
    retriever: Retriever
    answerer: Answerer
    model_label: str

    @cached_property
    def sentences(self) -> SentenceBank:
        """Every passage's sentence vectors, cached on disk: the answer composer and support check reuse them."""
        return SentenceBank(self.index.embedder, self.settings.data_dir / "sentences")

    @cached_property
    def journal(self) -> Journal:
        """The mentoring journal, opened on first use (index-only commands never touch it)."""
        return Journal(self.settings.journal_file, passphrase=self.settings.journal_passphrase())

    @cached_property
    def intents(self) -> IntentClassifier:
        """The intent classifier over the loaded embedding model (fitted weights cached by data hash)."""
        from coach.chat.intents import IntentClassifier

        def embed(texts: list[str]) -> list:
            # One message: the retriever keeps its vector, so answering the same question embeds it only once.
            return self.retriever.query_vector(texts[0]) if len(texts) == 1 else self.index.embedder(texts)

        return IntentClassifier(embed, cache_dir=self.settings.data_dir / "cache")

    def sync(self, folder: Path | None = None, progress: Progress | None = None) -> SyncReport:
        return self.index.sync(folder or self.settings.guidance_folders(), progress)

    def warm_up(self) -> None:
        """Open what the page uses, so its first use is as quick as the next: the journal (migrated if need be), the
        embedding model and the BM25 corpus (one search), every passage's sentence vectors, the answer prompt. The chat
        model loads on first use."""
        _ = self.journal
        self.retriever.search("warm up", k=1)
        self.sentences.of(p.text for p in self.retriever.passages())  # embedded once, then read from disk
        load_prompt("answer_system")

    def status_line(self) -> str:
        """What matters in plain words, then the details (model, index location) folded away."""
        plain = f"{model_in_words(self.settings)} · {files_in_words(self.index.source_count())}"
        return f"{plain}\n\n<details><summary>Details</summary>\n\n{self.status_details()}\n\n</details>"

    def status_details(self) -> str:
        where = self.settings.chroma_url or str(self.settings.chroma_dir)
        passages = self.index.count()
        return f"Model: {self.model_label} · Index: {passages} passages in '{self.settings.collection}' at {where}"


def open_index(settings: Settings, store_dir: Path | None = None, *, recover: bool = False) -> GuidanceIndex:
    """The guidance index. With `recover`, an on-disk store that cannot be opened is moved aside (kept, never
    deleted) and a fresh one is opened: the index is derived from the knowledge folder. A server is never touched."""
    try:
        return GuidanceIndex(open_client(settings, store_dir), settings.collection)
    except StoreDamaged as exc:
        if not recover or settings.chroma_url:
            raise
        moved = move_aside(Path(store_dir or settings.chroma_dir))
        print(f"warning: {exc}\nMoved the damaged index aside to {moved}; building a new one.", file=sys.stderr)
        return GuidanceIndex(open_client(settings, store_dir), settings.collection)


def build_coach(
    settings: Settings, model: BaseChatModel | None = None, store_dir: Path | None = None, *, recover: bool = False
) -> Coach:
    """A ready coach; pass `model` to use a given chat model (tests use fakes), `recover` to rebuild a damaged
    on-disk index instead of failing (see `open_index`)."""
    use_prompt_overrides(settings.prompts_dir)
    index = open_index(settings, store_dir, recover=recover)
    retriever = Retriever(index, mode=settings.retrieval_mode)
    chat_model = model or build_chat_model(settings)
    label = describe_model(settings) if model is None else f"{type(model).__name__}"
    answerer = Answerer(
        chat_model,
        retriever,
        top_k=settings.top_k,
        context_window=capabilities_of(chat_model).context_window or settings.context_window,
        max_answer_tokens=capabilities_of(chat_model).answer_tokens or settings.max_answer_tokens,
    )
    return Coach(settings=settings, index=index, retriever=retriever, answerer=answerer, model_label=label)
