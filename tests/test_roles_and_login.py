"""Administrator-only actions and log-in throttling, through the real server with accounts on."""

from __future__ import annotations

import logging
import time

import httpx
import pytest
from gradio_client import Client

from coach.privacy.throttle import LoginThrottle
from coach.settings import Settings
from coach.ui.page import serve

WRONG = "not-the-password-7731"


@pytest.fixture
def accounts_page(make_coach, fake_model, tmp_path, wait_until_started):
    coach = make_coach(fake_model(), journal_path=tmp_path / "journal.sqlite3")
    settings = Settings(
        data_dir=tmp_path / "data",
        provider="fake",
        port=0,
        users="alice:pw-a,bob:pw-b",
        admins="alice",
        login_free_failures=2,
        login_base_delay=0.4,
        login_max_delay=5,
        _env_file=None,
    )
    app = serve(settings, coach, block=False)
    wait_until_started(app.local_url, auth=("alice", "pw-a"))
    yield app.local_url.rstrip("/")
    app.close()


def log_in(url: str, user: str, password: str) -> tuple[bool, float]:
    """One log-in through the page's form endpoint: (accepted, seconds it took)."""
    started = time.monotonic()
    answer = httpx.post(f"{url}/login", data={"username": user, "password": password}, timeout=30)
    return answer.status_code == 200, time.monotonic() - started


def test_only_an_administrator_can_reindex(accounts_page):
    bob = Client(accounts_page, auth=("bob", "pw-b"), verbose=False)
    assert bob.predict(api_name="/reindex").startswith("⚠️ Only an administrator can re-index the guidance")
    alice = Client(accounts_page, auth=("alice", "pw-a"), verbose=False)
    done = alice.predict(api_name="/reindex")
    assert "passages" in done and "unchanged" in done and "administrator" not in done


def test_repeated_failures_for_an_account_wait_longer_each_time_and_are_logged(accounts_page, caplog):
    caplog.set_level(logging.WARNING, logger="coach.login")
    took = []
    for _ in range(4):
        accepted, seconds = log_in(accounts_page, "alice", WRONG)
        assert not accepted
        took.append(seconds)
    assert max(took[:2]) < 0.35, "the first failures are not slowed"
    assert took[2] >= 0.4 and took[3] >= 0.8, f"then each attempt waits twice as long: {took}"
    accepted, seconds = log_in(accounts_page, "alice", "pw-a")
    assert accepted and seconds >= 1.6, "the right password gets in, after the same wait"
    assert log_in(accounts_page, "alice", WRONG)[1] < 0.35, "a success clears the count"

    lines = [r.getMessage() for r in caplog.records if r.name == "coach.login"]
    assert len(lines) == 5 and all("'alice'" in line and "127.0.0.1" in line for line in lines)
    assert not any(WRONG in line or "pw-a" in line for line in caplog.text.splitlines()), "never the password"


def test_failures_from_one_address_slow_every_account_tried_from_it(accounts_page):
    for name in ("mallory", "trudy"):
        assert log_in(accounts_page, name, WRONG)[1] < 0.35
    accepted, seconds = log_in(accounts_page, "bob", WRONG)
    assert not accepted and seconds >= 0.4, "a third account from the same address waits"


def test_the_throttle_forgets_nothing_it_should_not_and_caps_the_wait():
    throttle = LoginThrottle([("a", "x")], free_failures=1, base_delay=1, max_delay=3)
    for _ in range(6):
        throttle._failed(("account:a", "address:1.2.3.4"))
    assert throttle.delay_for("account:a") == 3 and throttle.delay_for("address:9.9.9.9") == 0
