"""Who may change what everyone shares: the guidance index. Accounts named in COACH_ADMINS may; with log-in off,
the single local user may."""

from __future__ import annotations

from typing import TYPE_CHECKING

from coach.errors import CoachError

if TYPE_CHECKING:
    from coach.settings import Settings


class NotAllowed(CoachError):
    """The signed-in account may not do this."""


def is_admin(settings: Settings, user: str | None) -> bool:
    """Whether `user` (None: nobody signed in) may change shared things."""
    if not settings.accounts():
        return True  # one local user, on loopback
    return bool(user) and user in settings.admin_names()


def require_admin(settings: Settings, user: str | None, action: str) -> None:
    """Raise NotAllowed with a clear message unless `user` is an administrator."""
    if not is_admin(settings, user):
        raise NotAllowed(
            f"Only an administrator can {action}. Administrators are the accounts named in COACH_ADMINS; "
            "ask one of them."
        )
