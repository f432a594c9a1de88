"""Rehearsal: the mentor is driven by code (persona.py, data/personas.yaml), the user's turns are read by the shared
detectors (coach/tools/detect), and feedback is computed from what the user said (feedback.py)."""

from coach.tools.rehearsal.data_files import PersonaSpec
from coach.tools.rehearsal.feedback import EVIDENCE_RULE, NO_EVIDENCE, RUBRIC, feedback, score_transcript
from coach.tools.rehearsal.names import ENDS_REHEARSAL, Criterion, Persona
from coach.tools.rehearsal.persona import (
    PERSONAS,
    in_character,
    mentor_reply,
    next_move,
    persona_messages,
    sanitize_reply,
)
from coach.tools.rehearsal.transcripts import (
    SavedTranscript,
    Transcript,
    Turn,
    check_transcript,
    load_transcript,
    quote_is_users,
    save_transcript,
)

__all__ = [
    "ENDS_REHEARSAL", "EVIDENCE_RULE", "NO_EVIDENCE", "PERSONAS", "RUBRIC", "Criterion", "Persona", "PersonaSpec",
    "SavedTranscript", "Transcript", "Turn", "check_transcript", "feedback", "in_character", "load_transcript",
    "mentor_reply", "next_move", "persona_messages", "quote_is_users", "sanitize_reply", "save_transcript",
    "score_transcript",
]  # fmt: skip
