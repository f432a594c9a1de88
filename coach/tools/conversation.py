"""Difficult-conversation planner: a fixed playbook per scenario; the model only personalises the opening line."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, field_validator

from coach.llm.capabilities import small_reply
from coach.tools import ToolOutput, guidance, write_with_model

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


@dataclass(frozen=True)
class Play:
    """The fixed content of one scenario, written from the guidance in knowledge/."""

    label: str
    query: str  # what to retrieve the supporting guidance with
    aim: str
    opening: str  # the template opening line; {name} is the mentor's name
    key_points: tuple[str, ...]
    avoid: tuple[str, ...]
    responses: tuple[tuple[str, str], ...]  # (what they might say, a way to answer)
    fallback: str


# fmt: off
PLAYBOOK: dict[Scenario, Play] = {
    Scenario.busy_mentor: Play(
        label="My mentor is always too busy",
        query="mentor keeps cancelling too busy shorter check-ins email for quick questions",
        aim="Agree a lighter format that fits your mentor's workload, so the mentoring keeps going instead of drifting"
            " through cancellations.",
        opening="{name}, I can see how busy things are for you at the moment. Could we take a few minutes to find a "
                "format for our chats that's easier to fit in?",
        key_points=(
            "Start with appreciation: you value their time and the help so far.",
            "Assume workload, not lack of interest: describe the pattern of moved sessions without blame.",
            "Offer a lighter format: a 15-minute focused check-in every couple of weeks, or quick questions by email.",
            "Take the effort off their side: you book the slots, send a short agenda and follow up with a summary.",
            "Ask openly whether the current rhythm still works for them, and make it easy to pause.",
        ),
        avoid=("You keep cancelling on me.", "I guess I'm not a priority for you.",
               "Just tell me if you can't be bothered."),
        responses=(
            ("Sorry, it's just a crazy few months.",
             "Completely understood. Would a quick 15-minute call every couple of weeks be easier until things calm "
             "down?"),
            ("I can't commit to regular meetings right now.",
             "That's fine. Could I send the odd quick question by email, and we reconnect properly next quarter?"),
            ("Monthly still works, I'll be better at keeping it.",
             "Great. I'll send the invite and a short agenda a few days before, so it's quick to prepare."),
        ),
        fallback="Switch to shorter, focused check-ins (15 minutes), or send quick questions by email. If there is "
                 "still no response, thank them for their help so far and look for additional mentors.",
    ),
    Scenario.mismatched_expectations: Play(
        label="Our expectations don't match",
        query="mismatched expectations advice doesn't fit raising a mismatch with your mentor",
        aim="Reset expectations so your sessions give you the help you need now, without blaming your mentor.",
        opening="{name}, I really value our conversations. Could we take a few minutes to talk about how our sessions "
                "are going, so I make the best use of your time?",
        key_points=(
            "Reflect first: is it their style, the content, or have you not said clearly what you need?",
            "Start with appreciation, then describe what you need in 'I' statements, not what they do wrong.",
            "Give one concrete example, such as leaving the last calls unsure what to do next.",
            "Make one small suggestion: bring a real situation each time and end with next steps.",
            "Listen: they may have had different expectations of commitment or of their role.",
        ),
        avoid=("Your advice doesn't apply to me.", "That might have worked in your day.",
               "These meetings aren't useful."),
        responses=(
            ("I thought you wanted the big picture.",
             "That has been useful. Right now I'd get the most from working through specific situations. Could we try "
             "that for the next two sessions?"),
            ("Sure, tell me what would help.",
             "More practical examples, and ending each call with one or two next steps I can act on."),
            ("I'm not sure I'm the right person for that.",
             "That's really helpful to know. Could we keep our big-picture chats, and could you suggest someone for "
             "the practical side?"),
        ),
        fallback="If the mismatch can't be fixed after a fair trial, keep your mentor for occasional big-picture chats"
                 " and find an additional mentor for your new focus, or wrap up the formal mentorship with thanks.",
    ),
    Scenario.changing_focus: Play(
        label="I want to change our focus",
        query="changing the focus of the mentorship renegotiate goals with your mentor",
        aim="Agree a new focus that fits where you are now, and check that it suits your mentor's experience.",
        opening="{name}, I've been reflecting on where I am now compared with when we started, and I'd like to talk "
                "about what's next for our mentoring.",
        key_points=(
            "Put 'reviewing our goals' on the agenda in advance, so it isn't a surprise.",
            "Recap what you have achieved together and thank them for their part in it.",
            "Explain what has changed, such as a new role or interest, and propose the new focus in one sentence.",
            "Give them room to say whether the new area suits their experience.",
            "Agree updated goals and, if needed, a new rhythm; confirm them in a short follow-up note.",
        ),
        avoid=("I don't need help with that any more.", "I've outgrown these sessions.", "I've found someone better."),
        responses=(
            ("I'd be glad to help with that.",
             "Thank you! Shall we set two or three goals for the next few months and review them in a few sessions?"),
            ("That's not really my area.",
             "Thanks for being honest. Could we keep meeting on what you know best, and could you suggest someone for "
             "the new area?"),
            ("Why the change?",
             "I've made real progress on what we started with, and now I'm facing new challenges I'd love your help "
             "with."),
        ),
        fallback="If the new focus is outside their experience, add another mentor for it, keep your current mentor in"
                 " the loop, and keep meeting on the areas they know best, perhaps less often.",
    ),
    Scenario.ending_well: Play(
        label="Ending the mentorship well",
        query="how to end a mentorship well and say thank you",
        aim="End the formal mentorship with one clear, kind conversation and a sincere thank-you, leaving the door "
            "open to stay in touch.",
        opening="{name}, I've been thinking about how far I've come since we started, and I'd like to talk about "
                "what's next for our mentoring.",
        key_points=(
            "Raise it in a meeting rather than letting contact fade.",
            "Frame it around what you achieved, and be specific about what you learned and how it helped.",
            "Explain what you are doing next, such as a new role or a mentor in a different area.",
            "Ask whether they'd be happy to stay in touch; if it wasn't working, talk about changed needs, not blame.",
            "Afterwards, send a short written thank-you note.",
        ),
        avoid=("I don't need you any more.", "This hasn't really been working.", "Let's just let it fizzle out."),
        responses=(
            ("Oh, I thought things were going well.",
             "They have, and that's why: the goal we started with is done. I'd love to stay in touch and tell you how "
             "things go."),
            ("Shall we keep going on a lighter basis?",
             "I'd like that, if it suits you too: perhaps a catch-up every few months?"),
            ("Congratulations on the progress.",
             "Thank you: so much of it came from our conversations. Could I keep you posted on how the new role goes?"),
        ),
        fallback="If a meeting isn't possible, send a short closing message: what you achieved, what you learned from "
                 "them, what you're doing next, and that you'd like to stay in touch.",
    ),
    Scenario.asking_for_sponsorship: Play(
        label="Asking my mentor to sponsor me",
        query="how to ask a mentor to become a sponsor and advocate for you",
        aim="Ask your mentor to advocate for you for one specific opportunity, and make it easy for them to say no.",
        opening="{name}, thank you for all your advice so far. There's a specific opportunity coming up that I'd like "
                "to ask your help with, if you feel comfortable.",
        key_points=(
            "Link the request to one concrete opportunity, such as a role opening next quarter.",
            "Ask for a specific action: recommend you, or mention your work on a named project to the decision-maker.",
            "Bring a short summary of your achievements so they have what they need.",
            "Make it easy to say no: they may not have influence in that area.",
            "Promise to keep them updated and to make sure your work justifies their support.",
        ),
        avoid=("Will you sponsor me?", "You owe me a recommendation.", "Can you get me promoted?"),
        responses=(
            ("I'd be happy to put your name forward.",
             "Thank you! I'll send you a short summary of my results this week and let you know how it goes."),
            ("I'm not sure I have influence there.",
             "That's completely fine. Is there someone you'd suggest I talk to, or a way to make my work more visible "
             "to them?"),
            ("I'd want to see more of your work first.",
             "That's fair. Which project would show you what you need? I'll make sure you see the results."),
        ),
        fallback="If they can't sponsor you now, ask for advice on raising your profile and on which senior people "
                 "might be natural sponsors, and keep making your results visible.",
    ),
    Scenario.not_working: Play(
        label="The mentorship isn't working",
        query="mentorship not working raising concerns gently with your mentor",
        aim="Say honestly that the sessions aren't helping as much as they could, and agree one or two concrete "
            "changes to try.",
        opening="{name}, before we start, could I take a few minutes to talk about how our sessions are going? I "
                "really value them and want to make sure I'm using your time well.",
        key_points=(
            "Reflect first on the cause: communication, goals, time, your own input, or chemistry.",
            "Raise it at the start of a meeting, in an appreciative, forward-looking tone.",
            "Focus on what you need, with a concrete example, and own your part, such as not being specific enough.",
            "Listen: they may have noticed the same thing, or have constraints you didn't know about.",
            "Agree one or two changes and give them a fair trial of two or three meetings.",
        ),
        avoid=("These sessions are a waste of time.", "You never help with anything practical.",
               "I'm thinking of finding a better mentor."),
        responses=(
            ("I've felt that too.",
             "That's a relief to hear. Could we try bringing one real situation each time and ending with action "
             "items?"),
            ("What would you like to be different?",
             "More help with concrete situations I'm facing. Could we try that for the next two sessions?"),
            ("Maybe we're just not a good fit.",
             "That's possible, and that's OK. Could we try one change for a couple of sessions and then decide "
             "together?"),
        ),
        fallback="If nothing improves after two or three sessions, keep occasional contact while you work with a "
                 "mentor whose experience fits, or end the formal arrangement with a sincere thank-you.",
    ),
}
# fmt: on


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
        "likely_responses": [{"they_say": say, "you_answer": answer} for say, answer in play.responses],
        "fallback": play.fallback,
    }
    markdown = _markdown(plan, hits)
    return ToolOutput(markdown=markdown, data=plan, hits=hits, files={"conversation-plan.md": markdown + "\n"})
