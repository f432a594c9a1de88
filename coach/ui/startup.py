"""The coach's start-up behind the page: open the index, load the model and sync the guidance in a background thread.

The page is served first, so it answers at once; every handler that needs the coach calls `Startup.wait()`, which
returns it when it is ready, or raises `StartupFailed` with the reason it could not start (also logged).
"""

from __future__ import annotations

import sys
import threading
from typing import TYPE_CHECKING

from coach.errors import CoachError, StartupFailed, describe_failure
from coach.progress import terminal_progress

if TYPE_CHECKING:
    from coach.service import Coach
    from coach.settings import Settings

STARTING_STATUS = "⏳ Starting up: opening the index, loading the model and indexing what changed in the guidance…"


class Startup:
    """One coach being started: built from the settings (or given), then synced with the knowledge folder."""

    def __init__(self, settings: Settings, coach: Coach | None = None) -> None:
        self.settings = settings
        self._coach = coach
        self._problem: str | None = None
        self._done = threading.Event()

    def start(self) -> None:
        """Run the start-up in a background thread (a daemon: it never holds the process open)."""
        threading.Thread(target=self.run, name="coach-startup", daemon=True).start()

    def run(self) -> None:
        """Build the coach (a damaged on-disk index is moved aside and rebuilt), index what changed and warm it up. A
        failure is logged as the CLI reports it (`error: …`) and kept, for the page to show."""
        try:
            if self._coach is None:
                from coach.service import build_coach  # chromadb and the model load here, after the page is up

                self._coach = build_coach(self.settings, recover=True)
            print(self._coach.sync(progress=terminal_progress("Indexing guidance")).summary(), flush=True)
            self._coach.warm_up()
        except Exception as exc:
            print(f"error: {describe_failure(exc)}", file=sys.stderr, flush=True)
            reason = str(exc) if isinstance(exc, CoachError) else f"an unexpected error ({type(exc).__name__})"
            self._problem = f"The coach could not start: {reason.rstrip('.')}. Restart the app once that is fixed."
        finally:
            self._done.set()

    @property
    def ready(self) -> bool:
        """Whether the coach has started (a handler asking now will not wait)."""
        return self._done.is_set() and self._problem is None

    def wait(self) -> Coach:
        """The coach, once it has started; raises StartupFailed saying why when it could not start."""
        self._done.wait()
        if self._problem is not None or self._coach is None:
            raise StartupFailed(self._problem or "The coach could not start.")
        return self._coach

    def status_line(self) -> str:
        """The page's status line once started (which model, how many passages), or why it could not start."""
        try:
            return self.wait().status_line()
        except CoachError as exc:
            return f"⚠️ {exc}"
