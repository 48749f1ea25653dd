"""Shared helpers: an isolated user cache, a writable copy of the data, a loopback HTTP server."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import signatures
from signatures.loader import bundled_dir

SNAPSHOT = Path(__file__).parent / "data" / "exodus_trackers_api.json"
ETAG = '"exodus-snapshot-1"'


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own XDG cache and a fresh process-wide knowledge base."""
    cache_home = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache_home))
    signatures._load_default.cache_clear()
    yield cache_home / "appaudit"
    signatures._load_default.cache_clear()


@pytest.fixture(scope="session")
def kb() -> signatures.KnowledgeBase:
    """The bundled knowledge base, loaded from the package data folder (no cache)."""
    return signatures.load(Path(str(bundled_dir())))


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled data folder, to break on purpose."""
    target = tmp_path / "data"
    shutil.copytree(str(bundled_dir()), target)
    return target


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n" + text.strip() + "\n")


@dataclass
class Recorder:
    """What the loopback server saw and how it should answer."""

    requests: list[tuple[str, str | None]] = field(default_factory=list)
    slow_seconds: float = 1.5
    routes: dict[str, tuple[int, bytes]] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    recorder: Recorder

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        rec = self.recorder
        inm = self.headers.get("If-None-Match")
        rec.requests.append((self.path, inm))
        if self.path == "/slow":
            time.sleep(rec.slow_seconds)
        if self.path in ("/trackers", "/slow"):
            if inm == ETAG:
                self.send_response(304)
                self.send_header("ETag", ETAG)
                self.end_headers()
                return
            body = SNAPSHOT.read_bytes()
            self.send_response(200)
            self.send_header("ETag", ETAG)
        elif self.path in self.recorder.routes:
            status, body = rec.routes[self.path]
            self.send_response(status)
        else:
            status, body = 404, b"not found"
            self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self.wfile.write(body)


@dataclass
class Server:
    base: str
    recorder: Recorder

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture
def server() -> Iterator[Server]:
    """A real HTTP server on 127.0.0.1 (port chosen by the OS) in a background thread."""
    recorder = Recorder()
    recorder.routes = {
        "/malformed": (200, b'{"trackers": {"1": {"id": 1, '),
        "/wrong-shape": (200, b'{"trackers": [{"id": 1, "name": "x"}]}'),
        "/error": (500, b'{"detail": "internal error"}'),
    }
    handler = type("Handler", (_Handler,), {"recorder": recorder})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{httpd.server_address[1]}", recorder)
    finally:
        httpd.shutdown()
        httpd.server_close()
