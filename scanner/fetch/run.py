"""Many downloads, one outcome each: a failing app is its own error, the others go on.

Threads share one ``Downloader`` (its semaphore bounds the downloads at once, its pace the request
rate). ``fetched.json`` is written as outcomes arrive (every ``save_every``, and at the end), so a run
killed midway keeps the record of what it had, and a re-run finds verified files in place and skips them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from scanner.fetch.download import Downloader
from scanner.fetch.manifest import Failure, Origin, origin_of, record
from scanner.fetch.release import FetchError, Release


@dataclass(frozen=True, slots=True)
class Outcome:
    release: Release
    path: Path | None  # the verified file; None when it failed
    new: bool = False  # downloaded now (False: it was there already, verified)
    code: str | None = None
    error: str | None = None  # names the app and the reason


def fetch_one(release: Release, folder: Path, downloader: Downloader,
              params: Mapping[str, str] | None = None) -> Outcome:
    """Download one release into ``folder``; never raises for a failed download."""
    target = folder / release.file_name
    try:
        new = downloader.download(release.url, target, release.sha256, release.label, release.size, params)
    except FetchError as exc:
        return Outcome(release, None, code=exc.code, error=str(exc))
    except OSError as exc:  # the disk, not the server: still only this app's failure
        return Outcome(release, None, code="write-failed", error=f"{release.label}: cannot write {target}: {exc}")
    return Outcome(release, target, new)


class _Record:
    """Outcomes collected from the threads, saved to the manifest every so often."""

    def __init__(self, folder: Path, save_every: int) -> None:
        self.folder, self.save_every = folder, save_every
        self.lock = threading.Lock()
        self.fetched: dict[str, Origin] = {}
        self.failed: dict[str, Failure] = {}
        self.tried: set[str] = set()
        self.unsaved = 0

    def add(self, outcome: Outcome) -> None:
        sha = outcome.release.sha256
        with self.lock:
            self.tried.add(sha)
            if outcome.path is not None:
                self.fetched[sha] = origin_of(outcome.release, outcome.path.name)
            else:
                self.failed[sha] = Failure(origin_of(outcome.release), outcome.code or "failed", outcome.error or "")
            self.unsaved += 1
            if self.unsaved >= self.save_every:
                self.save()

    def save(self) -> None:
        record(self.folder, self.fetched, self.failed, self.tried)
        self.unsaved = 0


def fetch_all(releases: Iterable[Release], folder: str | Path, downloader: Downloader,
              params: Mapping[str, str] | None = None, on_outcome: Callable[[Outcome], None] = lambda o: None,
              save_every: int = 25) -> list[Outcome]:
    """Fetch every release into ``folder`` (at most ``concurrency`` at once); one outcome each, in order."""
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    log = _Record(target, save_every)

    def one(release: Release) -> Outcome:
        outcome = fetch_one(release, target, downloader, params)
        log.add(outcome)
        on_outcome(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=max(1, downloader.limits.concurrency)) as pool:
        outcomes = list(pool.map(one, releases))
    with log.lock:
        log.save()
    return outcomes
