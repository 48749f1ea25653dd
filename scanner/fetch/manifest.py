"""``fetched.json``: beside the downloads, where each file came from, keyed by its sha256.

``appaudit batch`` reads it for the apps it scans from that folder, so the dataset says which store,
repository, package, version and URL each row came from. Keyed by content: a file replaced after
fetching has another sha256 and simply has no origin. Runs into one folder add up; the failures of
the latest run are listed too (an app fetched later leaves that list). Written atomically, keys sorted.
No secret is ever written: a ``Release``'s URL holds none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scanner.atomic import write_atomic
from scanner.fetch.release import SHA256, Release

MANIFEST = "fetched.json"
SCHEMA = "appaudit-fetched/1"


class ManifestError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Origin:
    store: str
    repo: str
    package: str
    version_code: int | None
    version_name: str | None
    source_url: str
    file: str | None = None  # the file name in the folder (None for a failure)
    size: int | None = None
    added: str | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    origin: Origin
    code: str
    error: str


def origin_of(release: Release, file: str | None = None) -> Origin:
    return Origin(release.store, release.repo, release.package, release.version_code, release.version_name,
                  release.url, file, release.size, release.added)


def read_manifest(folder: str | Path) -> tuple[dict[str, Origin], dict[str, Failure]]:
    """(sha256 -> origin of each fetched file, sha256 -> the failures); empty when there is no manifest."""
    target = Path(folder) / MANIFEST
    try:
        doc = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, {}
    except (OSError, ValueError) as exc:
        raise ManifestError(f"{target}: cannot be read ({exc})") from None
    try:
        if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} manifest")
        apps = {sha: Origin(**entry) for sha, entry in doc["apps"].items() if SHA256.fullmatch(sha)}
        failed = {sha: Failure(Origin(**entry["origin"]), str(entry["code"]), str(entry["error"]))
                  for sha, entry in doc.get("failed", {}).items() if SHA256.fullmatch(sha)}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ManifestError(f"{target}: not a fetch manifest ({exc})") from None
    return apps, failed


def record(folder: str | Path, fetched: dict[str, Origin], failed: dict[str, Failure],
           tried: Iterable[str] = ()) -> Path:
    """Add this run's files and failures to the folder's manifest. ``tried``: every sha256 this run
    attempted, so a failure of an earlier run that did not fail again leaves the list."""
    try:
        apps, earlier = read_manifest(folder)
    except ManifestError:
        apps, earlier = {}, {}  # rewritten whole from what is on disk now
    apps.update(fetched)
    done = set(apps) | set(tried)
    failures = {sha: f for sha, f in earlier.items() if sha not in done}
    failures.update({sha: f for sha, f in failed.items() if sha not in fetched})
    doc: dict[str, Any] = {
        "schema": SCHEMA,
        "apps": {sha: asdict(o) for sha, o in sorted(apps.items())},
        "failed": {sha: {"origin": asdict(f.origin), "code": f.code, "error": f.error}
                   for sha, f in sorted(failures.items())},
    }
    return write_atomic(Path(folder) / MANIFEST, json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
