"""Loading a policy from a real HTTP server on loopback: every failure is one clear line, never a hang."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scanner.privacy_policy.errors import PolicyError, PolicyFetchError, PolicyTooLarge, PolicyUnsupported
from scanner.privacy_policy.load import FetchLimits, load_policy
from scanner.privacy_policy.model import HTML, PDF, TEXT
from scanner.privacy_policy.read import read_policy

POLICY = ("<html><body><h1>隐私政策</h1><p>我们会收集设备标识符。</p>"
          "<p>为了向您推荐附近门店，我们会在您授权后收集位置信息。</p></body></html>").encode()
LIMITS = FetchLimits(max_bytes=64 * 1024, timeout=2.0, connect_timeout=2.0, max_redirects=3)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str | None = "text/html; charset=utf-8",
              extra: dict[str, str] | None = None, length: bool = True) -> None:
        self.send_response(status)
        if ctype:
            self.send_header("Content-Type", ctype)
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: C901 -- one branch per scenario
        path = self.path
        if path == "/ok":
            self._send(200, POLICY)
        elif path == "/text":
            self._send(200, b"Privacy policy. We collect your location.", "text/plain")
        elif path == "/big":  # no Content-Length: the size is only known while streaming
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(1000):
                    self.wfile.write(b"<p>" + b"x" * 4096 + b"</p>")
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/big-declared":
            self._send(200, b"x" * (LIMITS.max_bytes + 1))
        elif path == "/slow":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            try:
                for _ in range(30):  # a byte every 0.3 s: each read is quick, the whole is not
                    self.wfile.write(b"x")
                    self.wfile.flush()
                    time.sleep(0.3)
            except (BrokenPipeError, ConnectionResetError):
                pass
        elif path == "/silent":
            time.sleep(4)
        elif path == "/redirect":
            self._send(302, b"", None, {"Location": "/ok"})
        elif path == "/loop":
            self._send(302, b"", None, {"Location": "/loop"})
        elif path == "/to-file":
            self._send(301, b"", None, {"Location": "file:///etc/passwd"})
        elif path == "/image":
            self._send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 32, "image/png")
        elif path == "/pdf":
            self._send(200, b"%PDF-1.4 broken", "application/pdf")
        else:
            self._send(404, b"not found", "text/plain")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_html_is_fetched_and_read(server: str) -> None:
    raw = load_policy(f"{server}/ok", LIMITS)
    assert raw.media_type == HTML and raw.source.kind == "url"
    policy = read_policy(raw)
    assert policy.language == "zh" and "我们会收集设备标识符。" in policy.sentences


def test_text_and_redirect(server: str) -> None:
    assert load_policy(f"{server}/text", LIMITS).media_type == TEXT
    raw = load_policy(f"{server}/redirect", LIMITS)
    assert raw.source.location == f"{server}/ok"  # where it was read, after the redirect


@pytest.mark.parametrize(("path", "error", "words"), [
    ("/big", PolicyTooLarge, "stopped reading"),
    ("/big-declared", PolicyTooLarge, "declared"),
    ("/slow", PolicyFetchError, "timed out"),
    ("/silent", PolicyFetchError, "timed out"),
    ("/loop", PolicyFetchError, "more than 3 redirects"),
    ("/to-file", PolicyFetchError, "redirects to a file: URL"),
    ("/image", PolicyUnsupported, "'image/png' is not HTML, text or PDF"),
    ("/missing", PolicyFetchError, "HTTP 404"),
])
def test_failures_are_one_clear_line(server: str, path: str, error: type[PolicyError], words: str) -> None:
    started = time.monotonic()
    with pytest.raises(error) as caught:
        load_policy(f"{server}{path}", LIMITS)
    message = str(caught.value)
    assert message.startswith(f"{server}{path}: ") and words in message and "\n" not in message
    assert time.monotonic() - started < LIMITS.timeout + 2.5  # bounded by the limit, never a hang


def test_refused_before_connecting() -> None:
    with pytest.raises(PolicyFetchError, match="ftp://example.invalid/p.html: is a ftp: URL"):
        load_policy("ftp://example.invalid/p.html", LIMITS)
    with pytest.raises(PolicyFetchError, match="^http://127.0.0.1:9/p: "):
        load_policy("http://127.0.0.1:9/p", LIMITS)  # nothing listens on the discard port


def test_broken_pdf_is_a_clear_error(server: str) -> None:
    raw = load_policy(f"{server}/pdf", LIMITS)
    assert raw.media_type == PDF
    with pytest.raises(PolicyError, match="not a readable PDF"):
        read_policy(raw)


def test_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="no such file"):
        load_policy(str(tmp_path / "nope.html"))
    binary = tmp_path / "policy.bin"
    binary.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(PolicyUnsupported, match="binary content"):
        load_policy(str(binary))
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (LIMITS.max_bytes + 1))
    with pytest.raises(PolicyTooLarge, match="over the limit"):
        load_policy(str(big), LIMITS)
