"""The shared downloader: resumable, verified, bounded in time, polite to the server.

Every store client downloads through it. A file is written to ``.NAME.part`` beside its target; a
dropped connection is resumed with an HTTP ``Range`` request from the bytes already there, the whole
file's sha256 is checked against the one the store vouches for, and only then is it renamed onto its
name (``scanner.atomic.promote``): a file under its final name is always whole and verified. Requests are
retried with exponential backoff (429 and 5xx, honouring ``Retry-After``; timeouts; dropped
connections), at most ``concurrency`` run at once and at most ``rate`` start per second, all threads
together. Every request has a timeout and every file a deadline, so nothing hangs. Messages name the
app, never the URL: an API key travels in AndroZoo's query string, and ``secrets`` are scrubbed from
whatever an exception says.
"""

from __future__ import annotations

import email.utils
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import httpx

from scanner.atomic import promote
from scanner.fetch.release import FetchError
from scanner.version import __version__

PROJECT = "https://pypi.org/project/appaudit/"
RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
_T = TypeVar("_T")

logging.getLogger("httpx").setLevel(logging.WARNING)  # its INFO lines carry URLs, and URLs can carry a key


def user_agent(contact: str | None = None) -> str:
    """An honest User-Agent: who we are, where to read about us, and who runs this crawl if they said."""
    extra = f"; {contact}" if contact else ""
    return f"appaudit/{__version__} (+{PROJECT}{extra})"


@dataclass(frozen=True, slots=True)
class Limits:
    concurrency: int = 4  # downloads at once
    rate: float = 4.0  # request starts per second, all threads together (0: no limit)
    timeout: float = 30.0  # seconds to connect, and without a byte while reading
    deadline: float = 900.0  # seconds for one file, every attempt included
    retries: int = 3  # after the first attempt
    backoff: float = 1.0  # seconds before the first retry, doubled each time
    max_retry_after: float = 120.0  # the longest Retry-After honoured
    max_size: int = 4 << 30  # bytes of one file
    contact: str | None = None  # added to the User-Agent (an e-mail address or URL of the study)


class _Retry(Exception):
    """A failure worth another attempt; ``after`` is the server's Retry-After, if it sent one."""

    def __init__(self, reason: str, code: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason, self.code, self.after = reason, code, after


class _Pace:
    """At most ``rate`` request starts per second, shared by every thread."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.next = 0.0
        self.lock = threading.Lock()

    def wait(self) -> None:
        with self.lock:
            now = time.monotonic()
            start = max(now, self.next)
            self.next = start + self.interval
        if start > now:
            time.sleep(start - now)


class Downloader:
    """One HTTP client shared by every thread of a run (httpx's ``Client`` is thread-safe)."""

    def __init__(self, limits: Limits = Limits(), secrets: tuple[str, ...] = (),
                 transport: httpx.BaseTransport | None = None) -> None:
        self.limits = limits
        self.secrets = tuple(s for s in secrets if s)
        self.slots = threading.BoundedSemaphore(max(1, limits.concurrency))
        self.pace = _Pace(limits.rate)
        self.client = httpx.Client(
            timeout=httpx.Timeout(limits.timeout), follow_redirects=True, transport=transport,
            headers={"User-Agent": user_agent(limits.contact)},
            limits=httpx.Limits(max_connections=max(1, limits.concurrency) + 1))

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.client.close()

    # -- whole small files (an index) -------------------------------------------------------------

    def get(self, url: str, label: str, max_size: int, params: Mapping[str, str] | None = None) -> bytes:
        """The body of ``url``, held in memory (at most ``max_size`` bytes); ``FetchError`` otherwise."""
        def attempt() -> bytes:
            body = bytearray()
            with self._request(url, label, {}, params) as response:
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > max_size:
                        raise FetchError(label, f"larger than {max_size} bytes", "too-large")
            return bytes(body)

        return self._retrying(label, attempt, time.monotonic() + self.limits.deadline)

    # -- files to disk ----------------------------------------------------------------------------

    def download(self, url: str, target: Path, sha256: str, label: str, size: int | None = None,
                 params: Mapping[str, str] | None = None) -> bool:
        """Download ``url`` to ``target`` and check its sha256; False when ``target`` was already there
        and verified. A ``.part`` left by an earlier attempt or run is resumed."""
        if target.exists() and _sha256_of(target) == sha256:
            return False
        part = target.with_name(f".{target.name}.part")
        limit = min(self.limits.max_size, size) if size is not None else self.limits.max_size
        with self.slots:
            deadline = time.monotonic() + self.limits.deadline
            resumed = part.exists() and part.stat().st_size > 0
            self._retrying(label, lambda: self._to_part(url, part, label, limit, params), deadline)
            actual = _sha256_of(part)
            if actual != sha256 and resumed:  # the bytes kept from before may be stale: once more, whole
                part.unlink(missing_ok=True)
                self._retrying(label, lambda: self._to_part(url, part, label, limit, params), deadline)
                actual = _sha256_of(part)
        if actual != sha256:
            part.unlink(missing_ok=True)
            raise FetchError(label, f"sha256 mismatch: got {actual}, the store lists {sha256} "
                             "(the file was changed after the store signed its index, or the server is wrong)",
                             "checksum-mismatch")
        promote(part, target)
        return True

    def _to_part(self, url: str, part: Path, label: str, limit: int, params: Mapping[str, str] | None) -> None:
        have = part.stat().st_size if part.exists() else 0
        if have > limit:
            part.unlink()
            have = 0
        # identity: the bytes on disk are the bytes sent, so a Range counts the same bytes
        headers = {"Accept-Encoding": "identity", **({"Range": f"bytes={have}-"} if have else {})}
        with self._request(url, label, headers, params, tolerate=(416,) if have else ()) as response:
            if response.status_code == 416:  # nothing after what we have: it may be whole; the hash decides
                return
            append = response.status_code == 206 and _range_start(response) == have
            written = have if append else 0
            with open(part, "ab" if append else "wb") as out:
                for chunk in response.iter_raw():  # as received: a dropped connection keeps what came
                    written += len(chunk)
                    if written > limit:
                        out.close()
                        part.unlink(missing_ok=True)
                        raise FetchError(label, f"larger than the {limit} bytes expected", "too-large")
                    out.write(chunk)

    # -- the common parts -------------------------------------------------------------------------

    @contextmanager
    def _request(self, url: str, label: str, headers: dict[str, str], params: Mapping[str, str] | None,
                 tolerate: tuple[int, ...] = ()) -> Iterator[httpx.Response]:
        self.pace.wait()
        try:
            target = httpx.URL(url).copy_merge_params(params) if params else httpx.URL(url)  # keeps url's query
            with self.client.stream("GET", target, headers=headers) as response:
                if response.status_code not in tolerate:
                    _check_status(response, label)
                yield response
        except httpx.TimeoutException:
            raise _Retry(f"timed out (no answer within {self.limits.timeout:g} s)", "timeout") from None
        except httpx.TransportError as exc:
            raise _Retry(f"connection failed ({self.scrub(str(exc) or type(exc).__name__)})", "network") from None

    def _retrying(self, label: str, attempt: Callable[[], _T], deadline: float) -> _T:
        for number in range(self.limits.retries + 1):
            try:
                return attempt()
            except _Retry as failure:
                wait = failure.after if failure.after is not None else self.limits.backoff * 2 ** number
                left = deadline - time.monotonic()
                if number == self.limits.retries or wait > left or wait > self.limits.max_retry_after:
                    asked = f", the server asks to wait {failure.after:g} s" if failure.after else ""
                    tries = f" ({number + 1} attempts{asked})" if number or asked else ""
                    raise FetchError(label, failure.reason + tries, failure.code) from None
                time.sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


def _check_status(response: httpx.Response, label: str) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    reason = f"HTTP {status} {response.reason_phrase}".rstrip()
    if status in RETRY_STATUS:
        raise _Retry(reason, "rate-limited" if status == 429 else "http-error", _retry_after(response))
    code = {401: "unauthorized", 403: "forbidden", 404: "not-found", 410: "not-found"}.get(status, "http-error")
    raise FetchError(label, reason, code)


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (either form HTTP allows), or None."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _range_start(response: httpx.Response) -> int | None:
    """Where a 206's ``Content-Range: bytes START-END/TOTAL`` starts."""
    value = response.headers.get("Content-Range", "")
    unit, _, rest = value.partition(" ")
    start = rest.partition("-")[0]
    return int(start) if unit == "bytes" and start.isdigit() else None


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as data:
        while chunk := data.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
