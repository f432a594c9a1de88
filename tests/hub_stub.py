"""A loopback stand-in for the Hugging Face hub, enough of its protocol for huggingface_hub through HF_ENDPOINT:

- HEAD/GET /{repo}/resolve/{revision}/{file}: X-Repo-Commit, ETag and X-Linked-Etag (the LFS sha256), X-Linked-Size,
  Accept-Ranges, and 206 partial content for `Range: bytes=N-` (what `get_hf_file_metadata` and `http_get` read);
- POST /api/models/{repo}/paths-info/{revision}: the file's size and LFS sha256 (what `HfApi.get_paths_info` reads).

It can cut the connection part-way (`cut_at`), refuse later downloads (`refuse_after_cut`) and send altered bytes
(`corrupt`), and records every request in `seen`.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote

COMMIT = "0123456789abcdef0123456789abcdef01234567"
CHUNK = 1 << 20
REPO, FILE = "test-org/tiny-coach-GGUF", "tiny-coach.gguf"
ROOT = Path(__file__).resolve().parents[1]


@dataclass
class HubStub:
    repo_id: str
    filename: str
    content: bytes
    cut_at: int | None = None  # the first download stops after this many bytes (connection closed)
    refuse_after_cut: bool = False  # later downloads get HTTP 500 (the hub going away mid-pull)
    corrupt: bool = False  # the bytes sent differ from the advertised sha256 (a bad mirror)
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, Range)
    cuts: int = 0

    def __post_init__(self) -> None:
        self.sha256 = hashlib.sha256(self.content).hexdigest()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def body(self) -> bytes:
        if not self.corrupt:
            return self.content
        altered = bytearray(self.content)
        altered[len(altered) // 2] ^= 0xFF
        return bytes(altered)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def _file_headers(self) -> None:
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("ETag", f'"{stub.sha256}"')
                self.send_header("X-Linked-Etag", f'"{stub.sha256}"')
                self.send_header("X-Linked-Size", str(len(stub.content)))
                self.send_header("Accept-Ranges", "bytes")

            def _resolve_path(self) -> bool:
                return (
                    unquote(self.path.split("?")[0]) == f"/{stub.repo_id}/resolve/main/{stub.filename}"
                    or unquote(self.path.split("?")[0]) == f"/{stub.repo_id}/resolve/{COMMIT}/{stub.filename}"
                )

            def _not_found(self) -> None:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_HEAD(self) -> None:
                stub.seen.append(("HEAD", self.path, None))
                if not self._resolve_path():
                    return self._not_found()
                self.send_response(200)
                self._file_headers()
                self.send_header("Content-Length", str(len(stub.content)))
                self.end_headers()

            def do_GET(self) -> None:
                ranged = self.headers.get("Range")
                stub.seen.append(("GET", self.path, ranged))
                if not self._resolve_path():
                    return self._not_found()
                if stub.cuts and stub.refuse_after_cut:
                    self.send_response(500)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                start = int(ranged.removeprefix("bytes=").split("-")[0]) if ranged else 0
                data = stub.body()[start:]
                self.send_response(206 if ranged else 200)
                self._file_headers()
                if ranged:
                    self.send_header("Content-Range", f"bytes {start}-{len(stub.content) - 1}/{len(stub.content)}")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                limit = len(data)
                if stub.cut_at is not None and not stub.cuts:
                    limit = max(0, stub.cut_at - start)
                    stub.cuts += 1
                for offset in range(0, limit, CHUNK):
                    self.wfile.write(data[offset : min(offset + CHUNK, limit)])
                if limit < len(data):
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)  # the cable pulled out: fewer bytes than Content-Length

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = parse_qs(self.rfile.read(length).decode())
                stub.seen.append(("POST", self.path, None))
                if unquote(self.path) not in (
                    f"/api/models/{stub.repo_id}/paths-info/{COMMIT}",
                    f"/api/models/{stub.repo_id}/paths-info/main",
                ):
                    return self._not_found()
                entries = [
                    {
                        "type": "file",
                        "path": stub.filename,
                        "size": len(stub.content),
                        "oid": hashlib.sha1(stub.content[:1024]).hexdigest(),
                        "lfs": {"oid": stub.sha256, "size": len(stub.content), "pointerSize": 135},
                    }
                    for path in form.get("paths", [])
                    if path == stub.filename
                ]
                body = json.dumps(entries).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Repo-Commit", COMMIT)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler


def write_catalog(folder: Path, sha256: str | None = None) -> Path:
    """A test-only table with one entry: the bundled model under a made-up repo id."""
    entry = {
        "name": "tiny", "title": "Tiny test model", "repo_id": REPO, "filename": FILE, "quantisation": "Q4_1",
        "size_gb": 0.1, "ram_gb": 0.3, "tokens_per_s_2_cores": 100, "speed_measured": False,
        "licence": "Apache-2.0", "chat_template": "ChatML, from the GGUF", "sha256": sha256, "rank": 1,
    }  # fmt: skip
    path = folder / "catalog.json"
    path.write_text(json.dumps({"note": "test only", "models": [entry]}), encoding="utf-8")
    return path


def coach_cli(args: list[str], data: Path, endpoint: str, catalog: Path, limit_file_bytes: int | None = None):
    env = {
        **os.environ,
        "HF_ENDPOINT": endpoint,
        "HF_HUB_OFFLINE": "1",  # what the Makefile sets for the app: the pull lifts it for itself
        "HF_HOME": str(data.parent / "hf-home"),
        "COACH_DATA_DIR": str(data),
        "COACH_MODEL_CATALOG": str(catalog),
        "NO_PROXY": "127.0.0.1,localhost",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("COACH_LOCAL_MODEL", None)

    def limit() -> None:  # a "full disk": writes past this size fail with EFBIG (Python ignores SIGXFSZ)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_file_bytes, limit_file_bytes))

    return subprocess.run(
        [sys.executable, "-m", "coach.cli", "model", *args],
        env=env, capture_output=True, text=True, timeout=120, cwd=data.parent,
        preexec_fn=limit if limit_file_bytes else None,
    )  # fmt: skip
