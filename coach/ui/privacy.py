"""What the page needs for privacy, in one place: the private download folder and its cleaning, the log-in check
with throttling, the administrator check, and the "Your data" panel."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from coach.privacy import downloads
from coach.privacy.downloads import Sweeper
from coach.privacy.roles import require_admin
from coach.privacy.throttle import ClientAddress, LoginThrottle
from coach.ui.my_data import my_data_panel

if TYPE_CHECKING:
    from coach.settings import Settings

__all__ = [
    "Sweeper",
    "app_kwargs",
    "delete_cache",
    "login_check",
    "my_data_panel",
    "require_admin",
    "use_private_folder",
]


def use_private_folder(settings: Settings) -> Path:
    """The data directory's private folder (0700) as where download files and Gradio's copies go."""
    return downloads.use_private_folder(settings.private_tmp)


def delete_cache(settings: Settings) -> tuple[int, int]:
    """Gradio's own cleaning of the files it made (every `frequency` s, those older than `age` s); the Sweeper
    cleans the rest of the folder, its empty folders and what a previous run left."""
    age = max(1, round(settings.download_max_age))
    return max(1, min(age // 2, 60)), age


def login_check(settings: Settings):
    """Gradio's `auth` callable: the accounts of COACH_USERS, throttled after repeated failures."""
    return LoginThrottle(
        settings.accounts(),
        free_failures=settings.login_free_failures,
        base_delay=settings.login_base_delay,
        max_delay=settings.login_max_delay,
    ).check


def app_kwargs() -> dict[str, Any]:
    """Options for the page's FastAPI app: a middleware that tells the log-in check the client's address."""
    from starlette.middleware import Middleware

    return {"middleware": [Middleware(ClientAddress)]}
