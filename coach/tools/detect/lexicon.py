"""The phrase patterns the detectors look for, one per signal. Written for how people really talk: hedges
("kind of", "idk"), contractions with or without the apostrophe, numbers in words, and the odd typo."""

from __future__ import annotations

import re


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in parts), re.I)


I_LL = r"\bi(?:'|’)?ll\b|\bi will\b|\blet me\b"
WEEKDAY = r"mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun"
MONTH = r"jan(?:uary)?|feb(?:ruary)?|march|april|may|june|july|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"

ASK = _rx(
    r"\bi(?:'|’)?d (?:really |also |just )?(?:like|love|value|appreciate)\b",
    r"\bwhat i(?:'|’)?m (?:after|asking|hoping|looking)\b", r"\bi(?:'|’)?m (?:hoping|asking|looking) (?:for|to)\b",
    r"\bi (?:really )?(?:want|need)\b", r"\b(?:could|would|can) you\b", r"\bmy (?:ask|question|request)\b",
    r"\bthe (?:ask|request) is\b", r"\bi was hoping\b", r"\bi(?:'|’)?m after\b",
    r"\b(?:wrap up|wind down|end|close out|step back from|hand over|pause) (?:our|the|these|this)\b",
    r"\bput my name forward\b", r"\bthe part i(?:'|’)?m (?:really )?(?:unsure|stuck|struggling)\b",
    r"\bwhere i (?:keep )?(?:getting|get) stuck\b", r"\bi(?:'|’)?m (?:stuck|struggling) (?:on|with)\b", r"\b(?:vouch|advocate|speak up) for me\b", r"\b(?:sponsor|recommend|back) me\b",
)
TOPIC = _rx(
    r"\bhow (?:to|do i|i can|you)\b", r"\bwhether\b", r"\bwhich\b", r"\b(?:one|two|three) (?:thing|things|question)",
    r"\b(?:guidance|steer|read|advice|feedback|input|help|perspective) (?:on|with|about)\b(?! (?:my career|everything|stuff|things|life))",
    r"\bframe\b|\bpitch\b|\bbusiness case\b|\binterview\b|\bpromotion\b|\boffer\b|\bbudget\b|\blaunch\b|\brole\b",
)
VAGUE = _rx(
    r"\bgeneral (?:stuff|things|career|advice)\b", r"\b(?:career|work|life) stuff\b", r"\b(?:kind of|sort of|just) everything\b",
    r"\b(?:all|everything) of it\b", r"\bnot (?:really |totally |quite )?sure\b", r"\bi (?:don(?:'|’)?t|dont) (?:really )?know\b",
    r"\bidk\b|\bdunno\b", r"\b(?:figure|work) (?:it|that|things) out\b", r"\b(?:want|need|get) a mentor\b",
    r"\bhelp with my career\b", r"\bjust (?:to )?chat\b", r"\bwhatever (?:you think|comes up)\b", r"\bor keep going\b",
)
REASON = _rx(
    r"\byour (?:[\w-]+ ){0,4}(?:talk|paper|piece|post|article|blog|book|podcast|keynote|presentation|project|path|move"
    r"|journey|chart|model|panel|repository|research|thread|newsletter|course|advice|feedback|role-?play|template|work on)\b",
    r"\byou (?:wrote|said|built|made|ran|led|sat on|went|moved|left|told me|showed|gave me|did|helped|put up|spoke"
    r"|presented|were on|(?:'|’)?ve (?:been|done|seen|built|led|made)|have (?:been|done|seen))\b",
    r"\b(?:i|we) (?:read|watched|saw|heard|went round|went to|attended|listened to) (?:your|you)\b",
    r"\bbecause you\b", r"\bexactly (?:the|what i|that)\b", r"\b(?:the one|the only|one of the few) (?:person|people)\b",
    r"\bthe thing you said\b", r"\bsame (?:path|move|jump|switch)\b", r"\b(?:nobody|no one|no-one) else\b",
)
GENERIC_REASON = _rx(
    r"\byou(?:'|’)?re (?:like |really |very |so |just )*(?:the )?(?:most )?(?:senior|experienced|successful|important)\b",
    r"\byou(?:'|’)?re (?:like )?(?:a|the) (?:senior|head|director|vp|partner|boss|manager)\b", r"\bsomeone like you\b",
    r"\byou (?:probably |must )?know (?:a lot|loads|everything)\b", r"\b(?:at|here|around) (?:the company )?forever\b",
    r"\bhead of the\b", r"\bmost senior\b",
)
PREP = {
    "a written note": r"\b(?:one-?pager|one[- ]page(?:r| note| summary| brief)?|summary|agenda|deck|brief|write-?up|notes|doc)\b",
    "focused questions": r"\b(?:two|three|four|a few|2|3|4) (?:focused |specific |key |main |concrete )?(?:questions|things|points|topics|options)\b",
    "prepared beforehand": r"\bjotted\b|\bbefore i came\b|\bbeforehand\b|\bthe day before\b|\bahead of (?:time|the)\b|\bin advance\b|\bi (?:sent|emailed|shared) (?:your|you)\b|\bi(?:'|’)?ve (?:written|prepared|put together|pulled together|drafted)\b",
    "context and numbers": r"\b\d[\d,.]*\s?(?:%|percent|k\b|million|accounts|regions|people|users)|\b(?:data|figures|results|cost comparison|survey|numbers)\b",
    "a list of points": r"\b(?:one|first(?:ly)?),[^.?!]{3,}\b(?:two|second(?:ly)?),",
}
OFFER = _rx(
    r"\b(?:happy|glad|keen|more than happy) to (?:share|pass|give|send|help|talk|introduce|put|return|do|offer|onboard|lend)\b",
    r"\bi(?: can| could|(?:'|’)?d (?:\w+ )?(?:be glad to|be happy to|love to)) (?:send|share|put you|introduce|help|give|talk"
    r"|offer|pass|return|onboard|lend)\b",
    r"\bpay it forward\b", r"\b(?:one thing|something) i (?:can|could) offer\b", r"\bin return\b",
    r"\bput you (?:two|both) in touch\b", r"\bif (?:it(?:'|’)?d|it would|that would|it(?:'|’)?s|they(?:'|’)?d) (?:ever )?(?:help|be (?:useful|handy|helpful))\b",
)
UPDATE = _rx(
    r"\blet you know how (?:it|things) go(?:es)?\b", r"\bkeep you (?:posted|updated|in the loop)\b",
    r"\b(?:drop|send|give) you an update\b", r"\breport back\b", r"\bupdate you\b", r"\bshare how (?:it|things)\b",
)
THANKS = _rx(r"\bthank(?:s| you)\b", r"\bgrateful\b", r"\bappreciate\b")
ACTION = _rx(
    rf"(?:{I_LL}) (?:just |also )?(?:send|email|drop|put|book|pop|get|ping|follow up|check in|circle back|forward|share"
    r"|set up|schedule|call|message|write|bring|grab|pencil|block|come)\b",
    r"\bhow about\b", r"\bdoes (?:that|this|it|\w+(?: \w+)?(?: at [\w:.]+)?) work\b", r"\bshall (?:we|i)\b",
    r"\bcould we (?:put|book|pencil|lock|set)\b", r"\bi(?:'|’)?ve (?:sent|booked|put)\b",
)
WHEN = _rx(
    rf"\b(?:{WEEKDAY})(?:day)?\b", rf"\b(?:{MONTH})\b", r"\btoday\b|\btomorrow\b|\btonight\b|\bthis (?:week|afternoon|evening)\b",
    r"\bnext (?:week|month)\b", r"\bend of (?:the )?(?:day|week)\b|\beod\b|\bcob\b", r"\bby \d", r"\bat \d",
    r"\b\d{1,2}(?::\d\d)?\s?(?:am|pm)\b", r"\b\d{1,2}:\d\d\b", r"\bthe \d{1,2}(?:st|nd|rd|th)\b", r"\bfirst week\b",
)
VAGUE_NEXT = _rx(
    r"\blet me know\b", r"\bget back to you\b", r"\bthink about it\b", r"\bhave a think\b", r"\b(?:figure|work) it out\b",
    r"\b(?:keep|stay) in touch\b", r"\bwhenever\b", r"\bif (?:i need|something comes up)\b", r"\bplay it by ear\b",
    r"\bsee ya\b", r"\bwhen (?:you(?:'|’)?re|your) free\b",
)
FLEXIBLE = _rx(
    r"\b(?:your|their) (?:schedule|calendar|diary|availability|convenience)\b", r"\b(?:fit|work) around\b", r"\bflexib",
    r"\bwhenever (?:it )?suits\b", r"\bwhatever(?:(?:'|’)?s| is)? (?:works|suits|easiest|best)\b", r"\bworks best for you\b",
    r"\bno rush\b", r"\bwhichever(?:(?:'|’)?s| is) easiest\b", r"\b(?:skip|bump|move|decline) it\b",
    r"\bthat suits you\b", r"\bif you(?:'|’)?re up for it\b", r"\bif that(?:'|’)?s (?:ok|okay|alright) with you\b", r"\bno hard feelings\b", r"\bjust say so\b", r"\bno pressure\b", r"\bif you(?:'|’)?re (?:busy|on site|away)\b",
)
BIG_ASK = _rx(
    r"\bas (?:much|long) (?:time )?as you can\b", r"\bmore (?:often|regularly)\b", r"\bwhole (?:deck|day|afternoon)\b",
    r"\bpage by page\b", r"\bas much as\b",
)
COMMITMENT = _rx(
    r"\bbe my (?:long[- ]term |lifelong |official |permanent )?mentor\b", r"\bmentor me\b", r"\bforever\b",
    r"\blife[- ]?long\b", r"\bfor life\b", r"\b(?:ongoing|long[- ]term) mentor(?:ship|ing)?\b",
    r"\bregular (?:mentoring )?(?:sessions|meetings|calls)\b", r"\bevery (?:single )?(?:week|month)\b", r"\bweekly\b",
)
SMALL_ASK = _rx(
    r"\b(?:a )?(?:quick|short|brief) (?:note|coffee|call|chat|email|catch-?up|question)\b", r"\bnothing regular\b",
    r"\b(?:wrap up|wind down|pause) (?:our|the|these)\b",
)
