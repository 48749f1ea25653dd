"""A policy the user names (``--privacy-policy PATH|URL``): a file, or a URL fetched within limits.

Fetching happens only here and only for a URL. The limits hold against a hostile or broken server:
a total deadline (a server dribbling one byte a second does not beat a per-read timeout), a size cap
enforced while streaming, a bounded number of redirects to http(s) only, and an allowed content type.
Every failure is a ``PolicyError`` whose message names the URL or path and the reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from scanner.privacy_policy.errors import PolicyError, PolicyFetchError, PolicyTooLarge, PolicyUnsupported
from scanner.privacy_policy.model import HTML, PDF, TEXT, PolicySource, RawPolicy
from scanner.version import __version__

if TYPE_CHECKING:  # httpx loads only when a URL is fetched: a scan that reads no policy URL never pays for it
    import httpx

_CONTENT_TYPES = {"text/html": HTML, "application/xhtml+xml": HTML, "text/plain": TEXT, "application/pdf": PDF}
_SUFFIXES = {".html": HTML, ".htm": HTML, ".xhtml": HTML, ".txt": TEXT, ".md": TEXT, ".text": TEXT, ".pdf": PDF}


@dataclass(frozen=True, slots=True)
class FetchLimits:
    """Bounds for loading one policy; real policies are well under a megabyte."""

    max_bytes: int = 5 << 20
    timeout: float = 20.0  # seconds for the whole fetch, redirects included
    connect_timeout: float = 10.0
    max_redirects: int = 5


DEFAULT_LIMITS = FetchLimits()


def is_url(text: str) -> bool:
    return "://" in text[:16]


def load_policy(where: str, limits: FetchLimits = DEFAULT_LIMITS, *,
                transport: httpx.BaseTransport | None = None) -> RawPolicy:
    """Load ``where``: an http(s) URL is fetched, anything else is read as a file path."""
    if is_url(where):
        return fetch(where, limits, transport=transport)
    return read_file(Path(where), limits)


def sniff(data: bytes) -> str | None:
    """The media type the bytes show: PDF magic, an HTML tag near the start, or decodable text."""
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(b"%pdf-"):
        return PDF
    if head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<div", b"<p", b"<h1")):
        return HTML
    if b"\x00" in data[:4096]:
        return None
    return TEXT


def read_file(path: Path, limits: FetchLimits = DEFAULT_LIMITS) -> RawPolicy:
    where = str(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise PolicyError(where, "not a file")
        if size > limits.max_bytes:
            raise PolicyTooLarge(where, f"{size} bytes, over the limit of {limits.max_bytes}")
        with path.open("rb") as handle:
            data = handle.read(limits.max_bytes + 1)
    except FileNotFoundError:
        raise PolicyError(where, "no such file") from None
    except OSError as exc:
        raise PolicyError(where, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > limits.max_bytes:
        raise PolicyTooLarge(where, f"larger than the limit of {limits.max_bytes} bytes")
    media = _SUFFIXES.get(path.suffix.lower()) or sniff(data)
    if media is None:
        raise PolicyUnsupported(where, "not HTML, text or PDF (binary content)")
    return RawPolicy(PolicySource("file", where), data, media)


def fetch(url: str, limits: FetchLimits = DEFAULT_LIMITS, *, transport: httpx.BaseTransport | None = None) -> RawPolicy:
    """GET ``url`` following at most ``max_redirects`` redirects, each to http or https only."""
    _check_scheme(url, url)
    deadline = time.monotonic() + limits.timeout
    import httpx

    timeout = httpx.Timeout(limits.timeout, connect=limits.connect_timeout)
    headers = {"User-Agent": f"appaudit/{__version__} (privacy-policy check)", "Accept": "text/html, text/plain, "
               "application/pdf;q=0.9, */*;q=0.1"}
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, headers=headers, transport=transport) as client:
            current = url
            for _ in range(limits.max_redirects + 1):
                with client.stream("GET", current) as response:
                    if response.is_redirect:
                        location = response.headers.get("location", "")
                        if not location:
                            raise PolicyFetchError(url, f"HTTP {response.status_code} redirect without a Location")
                        current = urljoin(current, location)
                        _check_scheme(url, current)
                        continue
                    return _body(url, current, response, limits, deadline)
            raise PolicyFetchError(url, f"more than {limits.max_redirects} redirects")
    except httpx.TimeoutException:
        raise PolicyFetchError(url, f"timed out (limit {limits.timeout:g} s)") from None
    except httpx.InvalidURL as exc:
        raise PolicyFetchError(url, f"invalid URL ({exc})") from None
    except httpx.HTTPError as exc:
        raise PolicyFetchError(url, f"{type(exc).__name__}: {exc}") from None


def _check_scheme(url: str, target: str) -> None:
    scheme = urlsplit(target).scheme.lower()
    if scheme not in ("http", "https"):
        what = "redirects to" if target != url else "is"
        raise PolicyFetchError(url, f"{what} a {scheme or 'relative'}: URL; only http and https are fetched")


def _body(url: str, final: str, response: httpx.Response, limits: FetchLimits, deadline: float) -> RawPolicy:
    if response.status_code != 200:
        raise PolicyFetchError(url, f"HTTP {response.status_code} {response.reason_phrase}".rstrip())
    declared = response.headers.get("content-type", "").split(";")[0].strip().lower()
    media = _CONTENT_TYPES.get(declared)
    if declared and media is None:
        raise PolicyUnsupported(url, f"content type {declared!r} is not HTML, text or PDF")
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > limits.max_bytes:
        raise PolicyTooLarge(url, f"{length} bytes declared, over the limit of {limits.max_bytes}")
    chunks, total = [], 0
    for chunk in response.iter_bytes():
        total += len(chunk)
        if total > limits.max_bytes:
            raise PolicyTooLarge(url, f"more than {limits.max_bytes} bytes (stopped reading)")
        if time.monotonic() > deadline:
            raise PolicyFetchError(url, f"timed out (limit {limits.timeout:g} s)")
        chunks.append(chunk)
    data = b"".join(chunks)
    media = media or sniff(data)
    if media is None:
        raise PolicyUnsupported(url, "no content type and the content is not HTML, text or PDF")
    return RawPolicy(PolicySource("url", final), data, media)
