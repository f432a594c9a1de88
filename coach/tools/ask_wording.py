"""The mentee's own words, made to continue the message's sentences: a goal reads after "I'd love to learn" and in
a subject line ("how to plan a migration", not "learn to plan a migration"), and the mentor is addressed as "you"
("how you led the move", not "how she led the move")."""

from __future__ import annotations

import re

# Verbs a goal often starts with ("become a staff engineer"): such a goal is learned as "how to become…".
_GOAL_VERBS = (
    "become|get|go|move|grow|lead|manage|run|plan|build|prepare|negotiate|switch|handle|write|design|scale|hire|present"
    "|pitch|deal|ship|navigate|balance|transition|improve|make|start|launch|land|break|step|speak|give|deliver|set up"
    "|work|think|prioriti[sz]e|delegate|influence|coach|mentor|structure|price|sell|raise|apply|learn"
)
_LEARN = re.compile(r"^(?:(?:i )?(?:want|would like|'d like|hope) )?(?:to )?learn(?:ing)?\s+", re.I)
_HOW_TO = re.compile(rf"^(?:how )?(?:to )?(?:{_GOAL_VERBS})\b", re.I)


def as_goal(text: str) -> str:
    """`text` as something to learn: "learn to plan X" and "plan X" become "how to plan X"; "learn about X" becomes
    "about X"; "learn system design" becomes "system design"."""
    goal = _LEARN.sub("", text, count=1) if _LEARN.match(text) else text
    if goal.lower().startswith(("how ", "about ", "what ", "why ", "when ", "where ", "which ", "whether ")):
        return goal
    if re.match(r"^to\s", goal, re.I) or _HOW_TO.match(goal):
        return "how to " + re.sub(r"^to\s+", "", goal, flags=re.I)
    return goal


def subject_phrase(goal: str) -> str:
    """The goal as it reads after "Question about": without a leading "about"."""
    return re.sub(r"^about\s+", "", goal, flags=re.I)


_AUXILIARY = {"has": "have", "is": "are", "was": "were", "does": "do", "doesn't": "don't", "isn't": "aren't",
              "wasn't": "weren't", "hasn't": "haven't"}  # fmt: skip
_THIRD_PERSON = re.compile(r"\b(she|he|they)\b(?:(['’])s\s+(\w+)|\s+(\w+(?:n't)?))?", re.I)
# "she's grown the team" is "has"; "she's great at it" is "is".
_PARTICIPLE = re.compile(
    r"(?:ed|en|wn)$|^(?:been|built|led|done|made|had|got|run|set|put|brought|taught|kept|held|won)$"
)
_POSSESSIVE = re.compile(r"\b(?:her|his|their)\b(?=\s+\w)", re.I)
_OBJECT = re.compile(r"\b(?:her|him|them)\b", re.I)
_REFLEXIVE = re.compile(r"\b(?:herself|himself|themselves|themself)\b", re.I)


def _plural(verb: str) -> str:
    """A present-tense verb after "you": "runs" → "run", "carries" → "carry", "teaches" → "teach"."""
    lower = verb.lower()
    if lower in _AUXILIARY:
        return _AUXILIARY[lower]
    if lower.endswith("ies") and len(lower) > 4:
        return verb[:-3] + "y"
    if lower.endswith(("ches", "shes", "sses", "xes", "zes")):
        return verb[:-2]
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is", "ous")) and len(lower) > 3:
        return verb[:-1]
    return verb


def _subject(match: re.Match[str]) -> str:
    apostrophe, after, verb = match.group(2), match.group(3), match.group(4)
    if apostrophe:
        return f"you{apostrophe}{'ve' if _PARTICIPLE.search(after.lower()) else 're'} {after}"
    return "you" + (f" {_plural(verb)}" if verb else "")


def addressed(text: str, mentor_name: str = "") -> str:
    """`text` about the mentor in the third person, turned to address them: she/he/they → you, her/his/their →
    your, their name → you. Written to them, "how she led the move" would read as about someone else."""
    names = [n for n in {mentor_name.strip(), mentor_name.strip().split(" ")[0]} if len(n) > 1]
    for name in sorted(names, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(name)}(?:'s|’s)", "your", text)
        text = re.sub(rf"\b{re.escape(name)}\b", "they", text)
    text = _THIRD_PERSON.sub(_subject, text)
    text = _POSSESSIVE.sub("your", text)
    text = _REFLEXIVE.sub("yourself", text)
    return _OBJECT.sub("you", text)


_DETERMINERS = {"a", "an", "the", "one", "my", "our", "your", "his", "her", "their", "part", "currently", "now"}
_VOWEL_LETTER_NAMES = set("AEFHILMNORSX")  # initialisms read letter by letter: "an SRE", "a UX designer"


def with_article(role: str) -> str:
    """A role as it reads after "I'm Sam,": "senior engineer" → "a senior engineer"; a title such as "head of
    product", or a role that already has its article, stays as it is."""
    first = role.split()[0]
    if first.lower() in _DETERMINERS or " of " in f" {role.lower()} ":
        return role
    if first.isupper() and len(first) > 1:
        return f"{'an' if first[0] in _VOWEL_LETTER_NAMES else 'a'} {role}"
    vowel = first[0].lower() in "aeiou" and not first.lower().startswith(("uni", "use", "eu", "one"))
    return f"{'an' if vowel else 'a'} {role}"
