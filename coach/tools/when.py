"""The one parser for a meeting's start typed by a person ('2026-12-03 14:30', '2026-12-03 14.30', ISO 8601)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from coach.errors import InputError

_DOTTED_TIME = re.compile(r"\b(\d{1,2})[.:](\d{2})$")


def next_hour(now: datetime | None = None) -> datetime:
    now = (now or datetime.now().astimezone()).replace(minute=0, second=0, microsecond=0)
    return now + timedelta(hours=1)


def parse_start(value: object) -> datetime:
    """A start in local time (an aware datetime passes through); '14.30' reads as 14:30. Raises InputError."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.astimezone()
    text = _DOTTED_TIME.sub(lambda m: f"{int(m[1]):02d}:{m[2]}", str(value or "").strip())
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"Start must be a date and time like 2026-12-03 14:30 (got “{str(value)[:40]}”).") from None
    return start if start.tzinfo else start.astimezone()
