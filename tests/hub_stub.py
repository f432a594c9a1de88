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
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote

COMMIT = "0123456789abcdef0123456789abcdef01234567"
CHUNK = 1 << 20


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
