"""Keeps the local model's server process alive: start on first use, restart after a crash, stop at exit.

The page and the CLI talk to it through the same OpenAI-compatible client as any other server, over a Unix socket
in a private folder (no port for other local users to reach).
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from coach.errors import ModelError

log = logging.getLogger(__name__)
READY_TIMEOUT_S = 120.0
_servers: dict[tuple, LocalModelServer] = {}
_registry_lock = threading.Lock()


def describe_exit(code: int | None) -> str:
    """'crashed (segmentation fault)', 'was killed (out of memory?)', 'exited with code 1'."""
    if code is None:
        return "is running"
    if code < 0:
        sig = signal.Signals(-code)
        if sig is signal.SIGKILL:
            return "was killed (SIGKILL: out of memory, or stopped by the system)"
        return f"crashed ({sig.name}: {signal.strsignal(sig) or sig.name})"
    return f"exited with code {code}"


class LocalModelServer:
    """One llama.cpp server process for one model file, shared by every request of this app process."""

    def __init__(self, model_path: Path, *, n_ctx: int, threads: int | None) -> None:
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.threads = threads
        self._folder: Path | None = None  # made on first start: mode 0700, private to this user
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self.restarts = 0
        self.generation = 0  # one more on every start: a request knows whether the server it used has been replaced
        self.last_crash = ""

    @property
    def folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="mentor-coach-model-"))
        return self._folder

    @property
    def socket(self) -> Path:
        return self.folder / "model.sock"

    @property
    def _log(self) -> Path:
        return self.folder / "server.log"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def http_client(self, timeout: float) -> httpx.Client:
        return httpx.Client(transport=httpx.HTTPTransport(uds=str(self.socket)), timeout=timeout)

    def ensure_running(self) -> int:
        """Start the server if it is not running (first use, or after it died between requests); its generation."""
        with self._lock:
            if not self.alive():
                if self._proc is not None:
                    self._record_crash(self._proc.returncode, "between requests")
                self._start()
            return self.generation

    def crash_since(self, generation: int) -> str | None:
        """After a failed request to server `generation`: how it died (restarting it once, whichever request
        notices first), or None when it is still the same, running server (the failure was something else)."""
        with self._lock:
            if self.generation != generation:
                return self.last_crash
            if self._proc is None:
                return None
            try:
                code = self._proc.wait(timeout=1.0)  # a dying process may need a moment to be reaped
            except subprocess.TimeoutExpired:
                return None
            self._record_crash(code, "during a request")
            self._start()
            return self.last_crash

    def _record_crash(self, code: int | None, when: str) -> None:
        self.last_crash = describe_exit(code)
        self.restarts += 1
        log.warning("local model server %s %s; restarting it", self.last_crash, when)

    def _start(self) -> None:
        if not self.model_path.is_file():
            raise ModelError(f"Local model file not found: {self.model_path}. Set COACH_LOCAL_MODEL to a GGUF file.")
        self.generation += 1
        self.socket.unlink(missing_ok=True)
        command = [
            sys.executable, "-m", "coach.llm.local_server", "--model", str(self.model_path),
            "--socket", str(self.socket), "--n-ctx", str(self.n_ctx), "--parent", str(os.getpid()),
        ]  # fmt: skip
        if self.threads:
            command += ["--threads", str(self.threads)]
        env = {k: v for k, v in os.environ.items() if k != "CONFIG_FILE"}  # llama_cpp.server would read it
        with self._log.open("wb") as log_file:
            self._proc = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, env=env,
                start_new_session=True,  # Ctrl-C in a terminal goes to the app, which stops us in order
            )  # fmt: skip
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        with self.http_client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self._proc is None or self._proc.poll() is not None:
                    how = describe_exit(self._proc and self._proc.returncode)
                    log.warning("local model server %s at start; %s", how, self.log_tail())
                    raise ModelError(
                        f"Could not load the local model {self.model_path.name}: its server {how}. "
                        "Is it a valid GGUF file?"
                    )
                if self.socket.exists():
                    try:
                        if client.get("http://local/v1/models").status_code == 200:
                            return
                    except httpx.HTTPError:
                        pass
                time.sleep(0.05)
        log.warning("local model server did not start in time; %s", self.log_tail())
        self.stop()
        raise ModelError(f"The local model did not start within {READY_TIMEOUT_S:.0f} s. Try again, or restart.")

    def log_tail(self, chars: int = 600) -> str:
        try:
            text = self._log.read_text(encoding="utf-8", errors="replace").strip()
        except OSError:
            return ""
        return f"Its log ends: {text[-chars:]}" if text else ""

    def stop(self) -> None:
        with self._lock:
            proc, self._proc = self._proc, None
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._folder is not None:
            self.socket.unlink(missing_ok=True)

    def close(self) -> None:
        """Stop the process and remove its private folder (socket and log)."""
        self.stop()
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None


def shared_server(model_path: Path, *, n_ctx: int, threads: int | None) -> LocalModelServer:
    """The one server for these parameters in this process (every coach built here shares it)."""
    key = (str(Path(model_path).resolve()), n_ctx, threads)
    with _registry_lock:
        if key not in _servers:
            _servers[key] = LocalModelServer(Path(model_path), n_ctx=n_ctx, threads=threads)
        return _servers[key]


@atexit.register
def stop_all() -> None:
    for server in list(_servers.values()):
        server.close()
