"""Checks on real processes for the no-orphans tests: is a pid alive, and does a child end with its killed parent."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def alive(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    return status.exists() and "zombie" not in status.read_text().lower()


def ends_with_killed_parent(parent: subprocess.Popen, child: int, within: float = 10.0) -> bool:
    """SIGKILL `parent` and wait up to `within` seconds for `child` to be gone."""
    parent.kill()
    parent.wait(within)
    deadline = time.monotonic() + within
    while alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not alive(child)
