"""``batch --from STORE``: fetch and scan in one pipeline, with bounded disk use.

Download threads (the ``Downloader``'s concurrency) hand each verified APK to the scan workers through a
queue of ``workers`` places; a full queue holds the downloads back, so at most concurrency + 2 × workers
APKs are on disk at once. Each APK is deleted once its results are stored (``--keep-apks`` keeps them).
The store's sha256 is known before downloading, so resume covers both stages: an app whose result is
stored is neither downloaded nor scanned again, a half-downloaded one is resumed (``.part``), and one
downloaded but not scanned is found in place, verified, and scanned. A failed download is that app's
error row (code ``fetch-…``), like a failed scan; the others go on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Queue

from scanner.batch.coordinator import BatchConfig, BatchResult, prepare
from scanner.batch.isolation import IsolatedScanner
from scanner.batch.job import INTERNAL, Job, Row, failure_row
from scanner.batch.origins import record_origins
from scanner.batch.store import Warn
from scanner.fetch.download import Downloader
from scanner.fetch.manifest import Failure, Origin, origin_of, record
from scanner.fetch.release import Release
from scanner.fetch.run import fetch_one
from signatures.model import KnowledgeBase

DOWNLOADS = "downloads"


@dataclass(frozen=True, slots=True)
class Source:
    releases: tuple[Release, ...]
    downloader: Downloader
    keep_apks: bool = False
    params: Mapping[str, str] | None = None  # added to each download request (AndroZoo's key)


def run_pipeline(source: Source, config: BatchConfig, kb: KnowledgeBase,
                 on_row: Callable[[Row], None] = lambda row: None, warn: Warn = lambda note: None) -> BatchResult:
    folder = Path(config.out) / DOWNLOADS
    folder.mkdir(parents=True, exist_ok=True)
    by_sha: dict[str, Release] = {}
    for release in source.releases:
        by_sha.setdefault(release.sha256, release)
    inputs = {str(folder / r.file_name): sha for sha, r in by_sha.items()}
    prepared = prepare(inputs, config, warn)
    record_origins(config.out, {sha: origin_of(r, r.file_name) for sha, r in by_sha.items()}, warn)
    flow = _Flow(source, config, kb, on_row, folder)
    flow.run(prepared.jobs, by_sha)
    rows = sorted(flow.rows.values(), key=lambda r: r.sha256)
    return BatchResult(len(inputs), len(inputs), len(inputs) - len(prepared.jobs), tuple(rows), 0.0,
                       prepared.earlier)


class _Flow:
    def __init__(self, source: Source, config: BatchConfig, kb: KnowledgeBase, on_row: Callable[[Row], None],
                 folder: Path) -> None:
        self.source, self.config, self.kb, self.on_row, self.folder = source, config, kb, on_row, folder
        self.ready: Queue[Job | None] = Queue(maxsize=max(1, config.workers))
        self.rows: dict[str, Row] = {}
        self.lock = threading.Lock()
        self.fetched: dict[str, Origin] = {}
        self.failed: dict[str, Failure] = {}

    def record(self, row: Row) -> None:
        with self.lock:
            self.rows[row.sha256] = row
            self.on_row(row)

    def run(self, jobs: Sequence[Job], releases: Mapping[str, Release]) -> None:
        scanners = [threading.Thread(target=self.scan, daemon=True)
                    for _ in range(max(1, min(self.config.workers, len(jobs))))]
        for thread in scanners:
            thread.start()
        try:
            with ThreadPoolExecutor(max_workers=max(1, self.source.downloader.limits.concurrency)) as pool:
                list(pool.map(lambda job: self.fetch(job, releases[job.sha256]), jobs))
        finally:
            for _ in scanners:
                self.ready.put(None)
            for thread in scanners:
                thread.join()
            record(self.folder, self.fetched, self.failed, [j.sha256 for j in jobs])
        for job in jobs:  # a thread that died anyway: its apps are still rows
            if job.sha256 not in self.rows:
                self.record(failure_row(job, INTERNAL, "internal error: the batch lost this app", self.kb))

    def fetch(self, job: Job, release: Release) -> None:
        try:
            outcome = fetch_one(release, self.folder, self.source.downloader, self.source.params)
        except Exception as exc:  # noqa: BLE001 -- a bug here must cost this app, not the others
            self.record(failure_row(job, INTERNAL, f"internal error while fetching: {type(exc).__name__}: {exc}",
                                    self.kb))
            return
        with self.lock:
            if outcome.path is None:
                self.failed[job.sha256] = Failure(origin_of(release), outcome.code or "failed", outcome.error or "")
            else:
                self.fetched[job.sha256] = origin_of(release, outcome.path.name)
        if outcome.path is None:
            reason = self.source.downloader.scrub(outcome.error or "download failed")
            self.record(failure_row(job, f"fetch-{outcome.code}", f"not downloaded: {reason}", self.kb))
            return
        self.ready.put(job)  # waits while the scan workers are busy: the disk holds only so many APKs

    def scan(self) -> None:
        config = self.config
        scanner = IsolatedScanner(self.kb, config.timeout, config.max_memory, config.worker_command)
        try:
            while (job := self.ready.get()) is not None:
                try:
                    row = scanner.run(job)
                except Exception as exc:  # noqa: BLE001 -- a bug here must cost this app, not the queue
                    row = failure_row(job, INTERNAL, f"internal error in the batch: {type(exc).__name__}: {exc}",
                                      self.kb)
                if not self.source.keep_apks:
                    Path(job.path).unlink(missing_ok=True)
                self.record(row)
        finally:
            scanner.close()
