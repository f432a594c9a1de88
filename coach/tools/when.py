"""The one parser for a meeting's start typed by a person: ISO ('2026-12-03 14:30', '14.30') or natural words
('next Tuesday at 3pm', 'tomorrow morning', 'in two weeks at 10'), read in the user's time zone.

A start needs an hour the user gave: a date alone is kept and the hour is asked for, never invented.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coach.errors import InputError

_DOTTED_TIME = re.compile(r"\b(\d{1,2})[.:](\d{2})$")
_DAYS = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_MONTHS = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
DATE_WORDS = re.compile(
    rf"\b(day after tomorrow|today|tonight|tomorrow|(?:this |next |on )?{_DAYS}|next week|"
    rf"in (?:\d+|a|one|two|three|four|five|six) (?:days?|weeks?)|\d{{4}}-\d{{2}}-\d{{2}}|"
    rf"{_MONTHS} \d{{1,2}}(?:st|nd|rd|th)?|\d{{1,2}}(?:st|nd|rd|th)? (?:of )?{_MONTHS})\b",
    re.I,
)
TIME_WORDS = re.compile(
    r"(?:\bat\s+)?\b(\d{1,2}(?:[:.]\d{2})?\s*(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}[:.]\d{2}\b|noon|midday|midnight|"
    r"(?:in the )?(?:morning|afternoon|evening))|\bat\s+(\d{1,2})\b(?!\s*(?:min|h|%))",
    re.I,
)
PART_OF_DAY = {"morning": "9:00", "afternoon": "14:00", "evening": "18:00", "noon": "12:00", "midday": "12:00"}


@dataclass(frozen=True)
class When:
    """What a text says about a meeting's start: a day and an hour, either possibly missing."""

    day: date | None = None
    start: datetime | None = None  # set only when the text gave an hour


def user_zone(name: str | None = None) -> tzinfo:
    """The named IANA zone (the browser's, or --tz); else this machine's (TZ respected). Raises InputError."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise InputError(f"Unknown time zone “{name[:60]}”: use a name like Europe/Berlin.") from None
    try:
        import tzlocal

        return tzlocal.get_localzone()
    except Exception:
        return datetime.now().astimezone().tzinfo  # type: ignore[return-value]


def browser_zone(name: object) -> tzinfo | None:
    """The zone a browser reported, or None (this machine's) when it sent none or one this system does not know."""
    try:
        return user_zone(name) if isinstance(name, str) and 0 < len(name.strip()) <= 64 else None
    except InputError:
        return None


def next_hour(now: datetime | None = None) -> datetime:
    now = (now or datetime.now().astimezone()).replace(minute=0, second=0, microsecond=0)
    return now + timedelta(hours=1)


def _natural(text: str, zone: tzinfo, now: datetime | None) -> datetime | None:
    import dateparser

    base = (now or datetime.now(zone)).astimezone(zone).replace(tzinfo=None)
    settings = {"PREFER_DATES_FROM": "future", "RELATIVE_BASE": base, "RETURN_AS_TIMEZONE_AWARE": False}
    found = dateparser.parse(text, languages=["en"], settings=settings)
    return found.replace(tzinfo=zone) if found else None


def day_named(text: str, today: date | None = None, zone: tzinfo | None = None) -> date | None:
    """The day a note names ("by Friday", "in three weeks", "2026-12-10"), counted from `today`; None if none."""
    found = DATE_WORDS.search(text)
    if not found:
        return None
    zone = zone or user_zone()
    base = datetime.combine(today, datetime.min.time(), zone) if today else None
    when = _natural(re.sub(r"^on ", "", found.group(1), flags=re.I), zone, base)
    return when.date() if when else None


def read_when(text: str, zone: tzinfo | None = None, now: datetime | None = None) -> When:
    """The day and hour a chat message names ('… next Tuesday at 3pm'); parts it does not name stay None."""
    zone = zone or user_zone()
    day_match, time_match = DATE_WORDS.search(text), TIME_WORDS.search(text)
    if not day_match and not time_match:
        return When()
    day_text = re.sub(r"^on ", "", day_match.group(1), flags=re.I) if day_match else "today"
    if not time_match:
        found = _natural(day_text, zone, now)
        return When(day=found.date() if found else None)
    hour_text = time_match.group(1) or f"{time_match.group(2)}:00"
    hour_text = re.sub(r"^(?:in the )?", "", hour_text.lower())
    hour_text = PART_OF_DAY.get(hour_text, hour_text).replace(".", ":").replace("a:m:", "am").replace("p:m:", "pm")
    found = _natural(f"{day_text} {hour_text}", zone, now)
    return When(day=found.date(), start=found) if found else When()


def parse_start(value: object, zone: tzinfo | None = None, now: datetime | None = None) -> datetime:
    """A start in the user's zone (an aware datetime passes through); ISO or natural words. Raises InputError when
    it cannot be read or gives no hour."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone or user_zone())
    raw = str(value or "").strip()
    text = _DOTTED_TIME.sub(lambda m: f"{int(m[1]):02d}:{m[2]}", raw)
    try:
        start = datetime.fromisoformat(text)
        return start if start.tzinfo else start.replace(tzinfo=zone or user_zone())
    except ValueError:
        pass
    when = read_when(raw, zone, now)
    if when.start:
        return when.start
    if when.day:
        raise InputError(f"What time on {when.day:%A %-d %B}? Give an hour, e.g. “{raw} at 3pm”.")
    raise InputError(
        f"Start must be a date and time like “next Tuesday at 3pm” or 2026-12-03 14:30 (got “{raw[:40]}”)."
    )
