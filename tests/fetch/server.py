"""A real HTTP server on loopback that serves a folder (with Range) and can misbehave on purpose.

``Reply`` says what one request gets; ``StoreServer.rules`` maps a URL path to a function of the request
number (1 for the first request of that path) that returns a ``Reply``, or None to serve the file as it is:
replaced bytes, a status, a delay, or a connection dropped halfway. Every request is logged (path, query,
headers, start time), and the number of requests in flight is tracked (``peak``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | None = None  # None: the file at the path
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering
    cut: float | None = None  # send this fraction of the body, then drop the connection


@dataclass
class Request:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    at: float


Rule = Callable[[int, Request], Reply | None]


class StoreServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, root: Path | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root
        self.rules: dict[str, Rule] = {}
        self.log: list[Request] = []
        self.lock = threading.Lock()
        self.counts: dict[str, int] = {}
        self.active = 0
        self.peak = 0
        self.hold = 0.0  # seconds every answer waits, to make concurrency visible
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> StoreServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    def requests_for(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path == path]

    def answer(self, request: Request) -> Reply:
        """The reply to ``request``: its rule's, else the file (404 when missing)."""
        with self.lock:
            self.counts[request.path] = number = self.counts.get(request.path, 0) + 1
        rule = self.rules.get(request.path)
        reply = rule(number, request) if rule else None
        if reply is None:
            reply = Reply()
        if reply.body is None and reply.status == 200:
            target = (self.root / request.path.lstrip("/")) if self.root else None
            if target is None or not target.is_file():
                return Reply(404, b"not found")
            reply.body = target.read_bytes()
        return reply


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: StoreServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 -- the base class's name
        pass

    def do_GET(self) -> None:  # noqa: N802 -- the base class's name
        parts = urlsplit(self.path)
        request = Request(unquote(parts.path), parse_qs(parts.query), dict(self.headers), time.monotonic())
        server = self.server
        with server.lock:
            server.log.append(request)
            server.active += 1
            server.peak = max(server.peak, server.active)
        try:
            reply = server.answer(request)
            time.sleep(reply.delay + server.hold)
            self._send(reply, request.headers.get("Range"))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout): nothing to answer
        finally:
            with server.lock:
                server.active -= 1

    def _send(self, reply: Reply, wanted: str | None) -> None:
        body = reply.body or b""
        status, headers = reply.status, dict(reply.headers)
        if status == 200 and wanted and wanted.startswith("bytes=") and wanted.endswith("-"):
            start = int(wanted[6:-1])
            if start >= len(body):
                status, headers["Content-Range"], body = 416, f"bytes */{len(body)}", b""
            else:
                status, headers["Content-Range"] = 206, f"bytes {start}-{len(body) - 1}/{len(body)}"
                body = body[start:]
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if reply.cut is not None:
            self.wfile.write(body[:int(len(body) * reply.cut)])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)
