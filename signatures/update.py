"""Refresh the tracker list from the Exodus public API into the user's cache.

Never leaves a half-written or invalid cache: the payload is validated, merged
with our own entries and loaded as a full knowledge base before it replaces the
previous file with os.replace. Any failure keeps the previous data.

The download is not trusted further than that. Its regular expressions are run
over strings from hostile APKs by a backtracking engine, so each is checked
before it is ever compiled (``check_regex``: a length limit, no backreferences
or lookarounds, no nested repeats, at most two repeats of variable length in one
alternative). A list that loses more than ``MAX_SHRINK`` of the Exodus trackers
in use is refused unless the caller allows it; what was added, removed and
changed is reported either way.
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
from signatures.loader import CACHE_SCHEMA, bundled_dir, load_dir, read_cache, read_toml
from signatures.model import KnowledgeBaseError
from signatures.saferegex import UnsafeRegex, check_regex

DEFAULT_URL = "https://reports.exodus-privacy.eu.org/api/trackers"
CACHE_FILE = "trackers.json"
ETAG_FILE = "trackers.etag"


MAX_SHRINK = 0.20  # share of the Exodus trackers in use a new list may lose without --allow-shrink
_TRACKER_FIELDS = ("name", "exodus_id", "vendor", "categories", "prefixes", "code_regex", "network_regex", "website")


@dataclass(frozen=True, slots=True)
class UpdateResult:
    status: Literal["updated", "unchanged", "failed"]
    message: str
    trackers: int = 0
    conflicts: tuple[str, ...] = field(default_factory=tuple)
    # against the Exodus trackers in use before: "exodus 12 (Name)", changed ones with the fields
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status != "failed"


class _Failure(Exception):
    """A one-line, user-facing reason the update did not happen."""


def _check_payload_regexes(payload: Any) -> None:
    """Every regular expression of the download checked before anything compiles it."""
    trackers = payload.get("trackers") if isinstance(payload, dict) else None
    if not isinstance(trackers, dict):
        return  # the shape check names this
    for key, item in trackers.items():
        if not isinstance(item, dict):
            continue
        for name in ("code_signature", "network_signature"):
            value = item.get(name)
            if not isinstance(value, str):
                continue
            # the code signature's plain prefixes are not regexes; the rest is kept as one
            pattern = exodus.split_code_signature(value)[1] if name == "code_signature" else value
            try:
                check_regex(pattern)
            except UnsafeRegex as exc:
                raise _Failure(f"tracker {key!r} ({item.get('name')!s:.60}): unsafe {name}: {exc}") from None


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


def _in_use(target: Path) -> dict[int, dict[str, Any]]:
    """The Exodus trackers scans use now, by Exodus id: the cached list, else the bundled one."""
    entries: list[dict[str, Any]] = []
    if target.is_file():
        try:
            entries = read_cache(target)
        except KnowledgeBaseError:
            entries = []  # a broken cache is ignored when loading too
    if not entries:
        entries = read_toml(bundled_dir(), "trackers.toml").get("sdk", [])
    return {e["exodus_id"]: e for e in entries if isinstance(e, dict) and isinstance(e.get("exodus_id"), int)}


def _changes(old: dict[int, dict[str, Any]], new: list[dict[str, Any]],
             ) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Added, removed and changed trackers ("exodus 12 (Name)"; changed ones with the fields)."""
    by_id = {e["exodus_id"]: e for e in new}

    def label(entry: dict[str, Any]) -> str:
        return f"exodus {entry['exodus_id']} ({entry.get('name', '?')})"

    added = tuple(label(by_id[i]) for i in sorted(set(by_id) - set(old)))
    removed = tuple(label(old[i]) for i in sorted(set(old) - set(by_id)))
    changed = []
    for i in sorted(set(old) & set(by_id)):
        fields = [f for f in ("id", *_TRACKER_FIELDS) if old[i].get(f) != by_id[i].get(f)]
        if fields:
            changed.append(f"{label(by_id[i])}: {', '.join(fields)}")
    return added, removed, tuple(changed)


def _parse(response: httpx.Response, url: str) -> Any:
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _Failure(f"malformed JSON from {url}: {exc}") from None


def update(url: str = DEFAULT_URL, *, cache: Path | None = None, timeout: float = 30.0, retries: int = 3,
           backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep, allow_shrink: bool = False,
           max_shrink: float = MAX_SHRINK) -> UpdateResult:
    """Fetch, check, merge and store the Exodus list; report what happened.

    A list that loses more than ``max_shrink`` of the Exodus trackers in use is refused unless
    ``allow_shrink``.
    """
    folder = cache or cache_dir()
    target, etag_file = folder / CACHE_FILE, folder / ETAG_FILE
    etag = etag_file.read_text(encoding="utf-8").strip() if etag_file.is_file() and target.is_file() else None
    try:
        response = _fetch(url, etag, timeout, retries, backoff, sleep)
        if response.status_code == 304:
            return UpdateResult("unchanged", f"tracker list unchanged since the last update ({target})")
        payload = _parse(response, url)
        _check_payload_regexes(payload)
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
            old = _in_use(target)
            added, removed, changed = _changes(old, entries)
            counts = f"{len(added)} added, {len(removed)} removed, {len(changed)} changed"
            if old and len(removed) > max_shrink * len(old) and not allow_shrink:
                raise _Failure(f"the downloaded list loses {len(removed)} of the {len(old)} Exodus trackers in use "
                               f"({len(removed) / len(old):.0%}; {counts}), more than {max_shrink:.0%}: "
                               "refused (--allow-shrink accepts it)")
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
    return UpdateResult("updated", f"stored {len(entries)} trackers in {target} (knowledge base {kb.version}): "
                        f"{counts}", len(entries), conflicts, added, removed, changed)
