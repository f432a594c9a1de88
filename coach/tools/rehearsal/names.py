"""The personas a user can rehearse with (their copy is in data/personas.yaml)."""

from __future__ import annotations

import re
from enum import StrEnum

# What ends a rehearsal, typed on the page or in the terminal ("end", "/end", "done", "give me feedback").
ENDS_REHEARSAL = re.compile(r"^\s*/?(end|stop|finish|done|feedback|end rehearsal|give me feedback)\b[\s.!]*$", re.I)


class Persona(StrEnum):
    busy_executive = "busy_executive"
    sceptical_senior = "sceptical_senior"
    warm_but_vague = "warm_but_vague"
    sponsorship_candidate = "sponsorship_candidate"
    ending_relationship = "ending_relationship"

    @property
    def label(self) -> str:
        from coach.tools.rehearsal.persona import PERSONAS

        return PERSONAS[self].label


class Criterion(StrEnum):
    clear_specific_ask = "clear_specific_ask"
    respects_time = "respects_time"
    why_this_mentor = "why_this_mentor"
    preparation = "preparation"
    reciprocity = "reciprocity"
    concrete_next_step = "concrete_next_step"
