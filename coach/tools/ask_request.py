"""An ask to a mentor: what the mentee gives (`AskRequest`), the limits of each channel, and the checklist a
message must pass, computed from its text by the shared detectors, never taken from a model."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from coach.tools.ask_wording import addressed, as_goal, with_article
from coach.tools.detect import lexicon
from coach.tools.detect.amounts import durations
from coach.tools.detect.terms import mentions as _mentions
from coach.tools.detect.terms import terms as _terms

AskKind = Literal["first_conversation", "micro_mentoring", "ongoing"]
Channel = Literal["email", "linkedin"]
Variant = Literal["standard", "warmer", "shorter", "formal"]

# Short emails get read: a busy person decides from the first screen whether to answer (~200 words).
EMAIL_BODY_LIMIT = 1200
# LinkedIn caps the note on a connection request: commonly 200 characters on a free account, 300 with Premium.
# We write that note, not an InMail or a message to an existing connection (longer limits), because a cold first
# ask usually goes with a request. 200 by default, so the note fits whichever account the user has.
LINKEDIN_NOTE_LIMIT = 200
LINKEDIN_PREMIUM_NOTE_LIMIT = 300
LIMITS: dict[str, int] = {"email": EMAIL_BODY_LIMIT, "linkedin": LINKEDIN_NOTE_LIMIT}
FIRST_CONTACT = ("first_conversation", "micro_mentoring")
ELEMENTS = ("why_this_person", "what_to_learn", "time_request", "flexibility")
DEFAULT_VARIANTS: tuple[Variant, ...] = ("warmer", "shorter", "formal")
_LEADS = {"how", "what", "why", "when", "where", "which", "whether", "your", "the", "a", "an", "about", "to", "more"}
_MAX_LEN = {"mentor_name": 80, "mentor_role": 100, "admiration": 250, "goal": 250, "your_name": 80, "your_role": 100}


class AskRequest(BaseModel):
    """What the mentee wants to ask, and how."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    mentor_name: str = Field(description="The person you are writing to, e.g. 'Priya Raman'.")
    mentor_role: str = Field(description="Their role, as it would follow 'your work as', e.g. 'head of product'.")
    admiration: str = Field(
        description="What you admire in their work, as it would follow 'I admire', e.g. 'your ProductCamp talk'."
    )
    goal: str = Field(description="What you want to learn, as it would follow 'I'd love to learn', e.g. 'how you…'.")
    ask_kind: AskKind = Field("first_conversation", description="One first chat, one focused question, or ongoing.")
    minutes: int = Field(20, description="The time you ask for, in minutes (5–60): small and concrete.")
    channel: Channel = Field(
        "email", description="'email' or 'linkedin' (a connection note: 200 characters, 300 with Premium)."
    )
    linkedin_premium: bool = Field(False, description="LinkedIn Premium: allow a 300-character note instead of 200.")
    variant: Variant = Field("standard", description="Tone: standard, warmer, shorter or formal.")
    your_name: str | None = Field(None, description="Your name, for the introduction and the sign-off.")
    your_role: str | None = Field(None, description="Your role, as it would follow 'I'm Sam,', e.g. 'a support lead'.")

    @field_validator(*_MAX_LEN)
    @classmethod
    def _text(cls, value: str | None, info: ValidationInfo) -> str | None:
        name = info.field_name
        value = (value or "") if name.endswith("name") else (value or "").rstrip(" .;:,!")
        if not value:
            if name.startswith("your_"):
                return None
            raise ValueError(f"{name.replace('_', ' ')} is required: the message is built from it.")
        if len(value) > _MAX_LEN[name]:
            raise ValueError(
                f"{name.replace('_', ' ')} is {len(value)} characters; keep it under {_MAX_LEN[name]} so the "
                "message stays short."
            )
        if name == "goal":
            value = as_goal(value)
        if name == "admiration":
            value = addressed(value, str(info.data.get("mentor_name") or ""))
        if name == "your_role":
            value = with_article(value)
        if name in ("admiration", "goal") and value.split()[0].lower() in _LEADS:
            value = value[0].lower() + value[1:]  # it continues a sentence: "I'd love to learn how…"
        return value

    @field_validator("minutes")
    @classmethod
    def _minutes(cls, value: int) -> int:
        if not 5 <= value <= 60:
            raise ValueError(f"Ask for 5 to 60 minutes (got {value}): a small, concrete request is easier to accept.")
        return value

    @property
    def limit(self) -> int:
        if self.channel == "linkedin" and self.linkedin_premium:
            return LINKEDIN_PREMIUM_NOTE_LIMIT
        return LIMITS[self.channel]


# ---- the checklist: computed from the text by the shared detectors (coach/tools/detect), as in rehearsals ----


def key_terms(request: AskRequest) -> dict[str, set[str]]:
    """The words that show each phrase is in a text, minus those the phrases and the role share."""
    admired, learn, role = _terms(request.admiration), _terms(request.goal), _terms(request.mentor_role)
    return {"admiration": (admired - learn - role) or admired, "goal": (learn - admired - role) or learn}


def check_ask(text: str, request: AskRequest) -> dict[str, bool]:
    """Which required elements the message carries. `no_big_commitment` is only checked for first contact."""
    found, key = _terms(text), key_terms(request)
    names = [n for n in re.findall(r"\w+", request.mentor_name) if len(n) > 1]
    named = any(re.search(rf"\b{re.escape(n)}\b", text, re.I) for n in names)
    numbers = [amount.minutes for amount in durations(text)]
    checks = {
        "why_this_person": (named or _mentions(found, _terms(request.mentor_role)))
        and _mentions(found, key["admiration"]),
        "what_to_learn": _mentions(found, key["goal"]),
        "time_request": bool(numbers) and set(numbers) == {request.minutes},
        "flexibility": bool(lexicon.FLEXIBLE.search(text)),
    }
    if request.ask_kind in FIRST_CONTACT:
        checks["no_big_commitment"] = not lexicon.COMMITMENT.search(text)
    checks["within_limit"] = len(text) <= request.limit
    return checks
