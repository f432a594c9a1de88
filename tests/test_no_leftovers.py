"""`make test` leaves no server behind, even when pytest itself is killed: the servers the tests start die with it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import alive, ends_with_killed_parent

pytestmark = pytest.mark.slow  # a real `chroma run`

HERE = Path(__file__).resolve().parent

# Stands in for pytest: starts a Chroma server the way the `launch_server` fixture does, then waits to be killed.
FAKE_PYTEST = """
import subprocess, sys, time
from conftest import die_with_pytest
server = subprocess.Popen(
    [sys.argv[1], "run", "--path", sys.argv[2], "--host", "127.0.0.1", "--port", sys.argv[3]],
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=die_with_pytest,
)
print(server.pid, flush=True)
time.sleep(600)
"""


def test_a_killed_test_run_takes_its_chroma_server_with_it(tmp_path, free_port):
    chroma = str(Path(sys.executable).with_name("chroma"))
    env = {**os.environ, "PYTHONPATH": str(HERE)}
    runner = subprocess.Popen(
        [sys.executable, "-c", FAKE_PYTEST, chroma, str(tmp_path / "db"), str(free_port())],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        server = int(runner.stdout.readline())
        assert alive(server)
        assert ends_with_killed_parent(runner, server), "the Chroma server outlived the killed test run"
    finally:
        runner.kill()
