"""Detectors over what a person wrote or said: how much time they ask for, how flexible they are, why they chose
this mentor, what they ask, what they bring and give, and what happens next. One implementation, used by the
rehearsal's mentor and feedback and by the draft-an-ask checklist."""
