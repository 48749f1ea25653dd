"""Refresh the tracker list from the Exodus public API into the user's cache.

Never leaves a half-written or invalid cache: the payload is validated, merged
with our own entries and loaded as a full knowledge base before it replaces the
previous file with os.replace. Any failure keeps the previous data.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import httpx

from scanner.atomic import replacing, write_atomic
from signatures import cache_dir, exodus, forget_loaded
from signatures.loader import CACHE_SCHEMA, bundled_dir, load_dir, read_toml
from signatures.model import KnowledgeBaseError

DEFAULT_URL = "https://reports.exodus-privacy.eu.org/api/trackers"
CACHE_FILE = "trackers.json"
ETAG_FILE = "trackers.etag"


@dataclass(frozen=True, slots=True)
class UpdateResult:
    status: Literal["updated", "unchanged", "failed"]
    message: str
    trackers: int = 0
    conflicts: tuple[str, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return self.status != "failed"


class _Failure(Exception):
    """A one-line, user-facing reason the update did not happen."""


def _fetch(url: str, etag: str | None, timeout: float, retries: int, backoff: float,
           sleep: Callable[[float], None]) -> httpx.Response:
    headers = {"Accept": "application/json"}
    if etag:
        headers["If-None-Match"] = etag
    last = "no attempt made"
    with httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=True) as client:
        for attempt in range(retries + 1):
            if attempt:
                sleep(backoff * 2 ** (attempt - 1))
            try:
                response = client.get(url, headers=headers)
            except httpx.TimeoutException:
                last = f"timed out after {timeout:g} s waiting for {url}"
                continue
            except httpx.TransportError as exc:
                last = f"cannot connect to {url} ({type(exc).__name__})"
                continue
            if response.status_code >= 500:
                last = f"server error HTTP {response.status_code} from {url}"
                continue
            if response.status_code not in (200, 304):
                raise _Failure(f"unexpected HTTP {response.status_code} from {url}")
            return response
    raise _Failure(f"{last} (after {retries + 1} attempts)")


def _known_ids() -> dict[int, str]:
    doc = read_toml(bundled_dir(), "trackers.toml")
    return {e["exodus_id"]: e["id"] for e in doc.get("sdk", []) if "exodus_id" in e}


def _umbrella() -> list[str]:
    prefixes = read_toml(bundled_dir(), "meta.toml").get("validation", {}).get("umbrella_prefixes", [])
    return [str(p) for p in prefixes]


def _parse(response: httpx.Response, url: str) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Failure(f"malformed JSON from {url}: {exc}") from None


def update(url: str = DEFAULT_URL, *, cache: Path | None = None, timeout: float = 30.0, retries: int = 3,
           backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> UpdateResult:
    """Fetch, validate, merge and store the Exodus list; report what happened."""
    folder = cache or cache_dir()
    target, etag_file = folder / CACHE_FILE, folder / ETAG_FILE
    etag = etag_file.read_text(encoding="utf-8").strip() if etag_file.is_file() and target.is_file() else None
    try:
        response = _fetch(url, etag, timeout, retries, backoff, sleep)
        if response.status_code == 304:
            return UpdateResult("unchanged", f"tracker list unchanged since the last update ({target})")
        payload = _parse(response, url)
        try:
            entries, notes = exodus.convert(payload, _known_ids(), _umbrella())
        except exodus.ExodusFormatError as exc:
            raise _Failure(f"unexpected payload shape from {url}: {exc}") from None
        doc = {"schema": CACHE_SCHEMA, "url": url, "fetched": datetime.now(UTC).isoformat(timespec="seconds"),
               "sdk": entries}
        with replacing(target) as tmp:  # the new list replaces the old one only once it validates
            tmp.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True), encoding="utf-8")
            try:
                kb = load_dir(bundled_dir(), trackers_cache=tmp)
            except KnowledgeBaseError as exc:
                raise _Failure(f"downloaded list does not validate: {exc.reason} ({exc.entry})") from None
        new_etag = response.headers.get("ETag")
        if new_etag:
            write_atomic(etag_file, new_etag)
        else:
            etag_file.unlink(missing_ok=True)
    except _Failure as exc:
        kept = f"keeping {target}" if target.is_file() else "keeping the bundled list"
        return UpdateResult("failed", f"update failed: {exc}; {kept}")
    except OSError as exc:
        return UpdateResult("failed", f"update failed: cannot write {folder}: {exc.strerror or exc}")
    forget_loaded()  # this process's later scans must see the new list
    conflicts = tuple(notes) + kb.merge_notes
    return UpdateResult("updated", f"stored {len(entries)} trackers in {target} (knowledge base {kb.version})",
                        len(entries), conflicts)
