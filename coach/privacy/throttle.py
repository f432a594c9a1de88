"""Log-in throttling: after a few failed log-ins for an account or from an address, every further attempt for it
waits, twice as long after each failure (up to a ceiling), and each failure is logged — never the password.

Gradio calls the `auth` callable with the user name and password only; the client's address comes from a small
ASGI middleware (`ClientAddress`) that notes it for the request in a context variable.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

log = logging.getLogger("coach.login")
client_address: ContextVar[str] = ContextVar("client_address", default="unknown")
FORGET_AFTER_S = 15 * 60  # failures older than this no longer count
MAX_TRACKED = 10_000  # keys kept in memory; the oldest go first


class ClientAddress:
    """ASGI middleware: sets `client_address` to the peer's address for the request it wraps."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope.get("type") == "http" and scope.get("client"):
            client_address.set(str(scope["client"][0]))
        await self.app(scope, receive, send)


@dataclass
class Failures:
    count: int = 0
    last: float = 0.0


class LoginThrottle:
    """Checks a log-in against `accounts`, waiting first when the account or the address has failed too often."""

    def __init__(
        self,
        accounts: list[tuple[str, str]],
        *,
        free_failures: int = 3,
        base_delay: float = 1.0,
        max_delay: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._passwords = dict(accounts)
        self.free_failures = free_failures
        self.base_delay = base_delay
        self.max_delay = max_delay
        self._clock = clock
        self._failures: dict[str, Failures] = {}
        self._lock = threading.Lock()

    def delay_for(self, *keys: str) -> float:
        """Seconds to wait before checking an attempt for these keys ('account:NAME', 'address:IP')."""
        now = self._clock()
        with self._lock:
            worst = max((self._current(key, now) for key in keys), default=0)
        over = worst - self.free_failures
        return 0.0 if over < 0 else min(self.base_delay * 2**over, self.max_delay)

    def _current(self, key: str, now: float) -> int:
        seen = self._failures.get(key)
        if seen is None or now - seen.last > FORGET_AFTER_S:
            return 0
        return seen.count

    def _failed(self, keys: tuple[str, ...]) -> int:
        now = self._clock()
        with self._lock:
            counts = []
            for key in keys:
                count = self._current(key, now) + 1
                self._failures.pop(key, None)  # re-inserted last: the dict stays oldest-first
                self._failures[key] = Failures(count, now)
                counts.append(count)
            while len(self._failures) > MAX_TRACKED:
                self._failures.pop(next(iter(self._failures)))
        return max(counts)

    def _succeeded(self, keys: tuple[str, ...]) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _matches(self, username: str, password: str) -> bool:
        expected = self._passwords.get(username)
        # compare against something even for an unknown account, so the time taken does not tell which exist
        return hmac.compare_digest((expected or "\0").encode(), password.encode()) and expected is not None

    async def check(self, username: str, password: str) -> bool:
        """Gradio's `auth` callable (a coroutine, so a wait never blocks the server's event loop)."""
        address = client_address.get()
        keys = (f"account:{username}", f"address:{address}")
        wait = self.delay_for(*keys)
        if wait:
            await asyncio.sleep(wait)
        if self._matches(username, password):
            self._succeeded(keys)
            return True
        failures = self._failed(keys)
        log.warning(
            "failed log-in for account %r from %s (%d recent failures); next attempt waits %.1f s",
            username[:64],
            address,
            failures,
            self.delay_for(*keys),
        )
        return False
