"""Difficult-conversation planner: a fixed playbook per scenario; the model only personalises the opening line."""

from __future__ import annotations

import logging
import re
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coach.llm.capabilities import small_reply
from coach.tools import ToolOutput, guidance, write_with_model
from coach.tools.copy_data import Play, playbook_data

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from coach.guidance.retrieval import Hit, Retriever

log = logging.getLogger(__name__)
MAX_OPENING_CHARS, MAX_OPENING_WORDS, LOCAL_OPENING_TOKENS = 300, 45, 96
OPENING_QUERY = "choosing an opening line for a difficult conversation with your mentor"
# Role tags, chat-template tokens, fence markers and leftover template braces: signs the model went off-script.
_BAD_OPENING = re.compile(
    r"(?im)^\s*(system|user|assistant|mentor|mentee|coach|human|ai)\s*:|<\||\|>|\[/?INST\]|<<<|>>>|[{}]"
    r"|as an ai|language model"
)
_LABEL = re.compile(r"(?i)^\s*(opening line|opening|line)\s*:\s*")
_QUOTES = "\"'“”‘’"


class Scenario(StrEnum):
    busy_mentor = "busy_mentor"
    mismatched_expectations = "mismatched_expectations"
    changing_focus = "changing_focus"
    ending_well = "ending_well"
    asking_for_sponsorship = "asking_for_sponsorship"
    not_working = "not_working"

    @property
    def label(self) -> str:
        return PLAYBOOK[self].label


# The fixed content of each scenario is package data (coach/tools/data/playbook.yaml), checked at load.
PLAYBOOK: dict[Scenario, Play] = {Scenario(key): play for key, play in playbook_data().items()}
if set(PLAYBOOK) != set(Scenario):
    raise ValueError(f"coach/tools/data/playbook.yaml: needs exactly one play for each of {', '.join(Scenario)}")


def _one_line(text: str) -> str:
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


class ConversationRequest(BaseModel):
    """What the user tells the planner; free text is cleaned to single lines."""

    model_config = ConfigDict(extra="forbid")

    scenario: Scenario = Field(description="Which difficult conversation to plan.")
    mentor_name: str = Field(min_length=1, max_length=80, description="How you address your mentor.")
    context: str = Field(default="", max_length=1500, description="Optional: what has been happening.")
    desired_outcome: str = Field(default="", max_length=300, description="Optional: what you want afterwards.")

    @field_validator("mentor_name", "context", "desired_outcome", mode="before")
    @classmethod
    def _clean(cls, value: object) -> object:
        return _one_line(value) if isinstance(value, str) else value


def check_opening_line(text: str, mentor_name: str) -> str | None:
    """The model's opening line, cleaned, or None when it cannot be shown: empty, unfinished, too long (over two
    sentences, 45 words or 300 characters), off-script (role tags, "as an AI"), or not addressed to the mentor."""
    line = _LABEL.sub("", text.strip()).strip().strip(_QUOTES).strip()
    if not line or "\n" in line or len(line) >= MAX_OPENING_CHARS or line[-1] not in ".?!":
        return None
    if len(line.split()) > MAX_OPENING_WORDS or len(re.findall(r"[.!?]+(?=\s|$)", line)) > 2:
        return None
    if _BAD_OPENING.search(line) or mentor_name.split()[0].lower() not in line.lower():
        return None
    return line


def _opening(request: ConversationRequest, play: Play, model: BaseChatModel, hits: list[Hit]) -> tuple[str, bool]:
    template = play.opening.format(name=request.mentor_name)
    try:
        written = write_with_model(
            small_reply(model, LOCAL_OPENING_TOKENS),
            "conversation_plan",
            hits,
            scenario_label=play.label,
            aim=play.aim,
            example_opening=template,
            mentor_name=request.mentor_name,
            context=request.context or "(none given)",
            desired_outcome=request.desired_outcome or "(none given)",
        )
    except Exception:  # the plan is complete without the model; a failed call only costs the personal touch
        log.warning("Opening line: the model call failed; using the template", exc_info=True)
        return template, False
    line = check_opening_line(written, request.mentor_name)
    return (line, True) if line else (template, False)


def _escape(text: str) -> str:
    """User and model text shown in Markdown as plain text."""
    return re.sub(r"([\\`*_\[\]<>#|])", r"\\\1", text)


def _markdown(plan: dict, hits: list[Hit]) -> str:
    blocks = [
        f"### {plan['scenario_label']}: conversation plan for {_escape(plan['mentor_name'])}",
        f"**Aim.** {_escape(plan['aim'])}",
        f"**Opening line.**\n\n> {_escape(plan['opening_line'])}",
        "**Key points**\n\n" + "\n".join(f"- {p}" for p in plan["key_points"]),
        "**Phrases to avoid**\n\n" + "\n".join(f"- “{p}”" for p in plan["phrases_to_avoid"]),
        "**If they say… you could answer…**\n\n"
        + "\n".join(f"- *“{r['they_say']}”* → {r['you_answer']}" for r in plan["likely_responses"]),
        f"**Fallback.** {plan['fallback']}",
        f"**When to involve someone else.** {plan['involve']}",
        "**Sources:** " + ("; ".join(h.label for h in hits) or "none found"),
    ]
    return "\n\n".join(blocks)


def plan_conversation(request: ConversationRequest, model: BaseChatModel, retriever: Retriever) -> ToolOutput:
    """A plan for one difficult conversation: playbook content from code, a personal opening line from the model."""
    play = PLAYBOOK[request.scenario]
    scenario_hits = guidance(retriever, play.query, k=3)
    labels = {h.label for h in scenario_hits}
    opening_hits = [h for h in guidance(retriever, OPENING_QUERY, k=1) if h.label not in labels]
    hits = scenario_hits + opening_hits
    # The model sees only what it needs for one line (a small model is slow to read long prompts).
    opening, from_model = _opening(request, play, model, scenario_hits[:1] + opening_hits)
    outcome = request.desired_outcome.rstrip(".")
    aim = play.aim + (f" What you want afterwards: {outcome}." if outcome else "")
    plan = {
        "scenario": request.scenario.value,
        "scenario_label": play.label,
        "mentor_name": request.mentor_name,
        "aim": aim,
        "opening_line": opening,
        "opening_from_model": from_model,
        "key_points": list(play.key_points),
        "phrases_to_avoid": list(play.avoid),
        "likely_responses": [r.model_dump() for r in play.responses],
        "fallback": play.fallback,
        "involve": play.involve,
    }
    markdown = _markdown(plan, hits)
    return ToolOutput(markdown=markdown, data=plan, hits=hits, files={"conversation-plan.md": markdown + "\n"})
