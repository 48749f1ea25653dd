"""Batch auditing: many apps, isolated workers, resumable, one dataset at the end.

Inputs are hashed first: results are stored under the sha256, so a re-run skips
finished apps, two names for one APK are scanned once, and an interrupted run
(even ``kill -9``) loses nothing that was written — every file is renamed into
place whole. The dataset, dashboard and summary are rebuilt from the stored
results at the end of every run, so a resumed batch ends with the same outputs
as one that was never interrupted.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any

from scanner.atomic import write_atomic
from scanner.batch.isolation import WORKER, IsolatedScanner
from scanner.batch.job import Job, Row, is_done
from scanner.input.archive import expand
from signatures.model import KnowledgeBase

INPUTS_FILE = "inputs.json"


@dataclass(frozen=True, slots=True)
class BatchConfig:
    out: str
    workers: int = 1
    timeout: float = 300.0
    max_memory: int = 4096  # MB of address space per worker
    formats: tuple[str, ...] = ("json", "html")
    category: str | None = None
    config: str | None = None  # policy file
    retry_errors: bool = False
    dask: str | None = None  # scheduler address, or "local"
    worker_command: Sequence[str] = field(default=WORKER)


@dataclass(frozen=True, slots=True)
class BatchResult:
    inputs: int
    apps: int  # distinct by content
    skipped: int  # already done by an earlier run
    rows: tuple[Row, ...]  # the apps scanned in this run
    startup_s: float = 0.0  # until every worker had loaded the scanner (local runs)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.rows if r.status == "error")


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:  # the scan reports the reason; key the result by the path instead
        return "unreadable-" + hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:52]
    return digest.hexdigest()


def plan(paths: list[str], threads: int = 4) -> dict[str, str]:
    """Input path -> content sha256, hashing a few files at a time."""
    found = expand(paths)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return dict(zip(found, pool.map(_sha256, found), strict=True))


def _previous_status(out: str, sha: str) -> str | None:
    try:
        status = json.loads((Path(out) / "apps" / f"{sha}.json").read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError):
        return None
    return status if isinstance(status, str) else None


def prepare(inputs: dict[str, str], config: BatchConfig) -> list[Job]:
    """Jobs for the distinct apps not done yet (the first path names each); records the inputs."""
    first_path: dict[str, str] = {}
    for path, sha in sorted(inputs.items()):
        first_path.setdefault(sha, path)
    todo = [sha for sha in sorted(first_path) if not is_done(config.out, sha)
            or (config.retry_errors and _previous_status(config.out, sha) == "error")]
    write_atomic(Path(config.out) / INPUTS_FILE, json.dumps(inputs, indent=1, sort_keys=True) + "\n")
    for stale in Path(config.out).glob("*/.*.tmp"):  # left by a run killed mid-write
        stale.unlink(missing_ok=True)
    return [Job(first_path[sha], sha, config.out, config.formats, config.category, config.config) for sha in todo]


def run_batch(inputs: dict[str, str], config: BatchConfig, kb: KnowledgeBase,
              on_row: Callable[[Row], None] = lambda row: None, jobs: list[Job] | None = None) -> BatchResult:
    """Scan what is not done yet of ``inputs`` (path -> sha256, from ``plan``)."""
    jobs = prepare(inputs, config) if jobs is None else jobs
    startup = 0.0
    if config.dask:
        from scanner.batch.cluster import run_on_dask

        rows = run_on_dask(jobs, config.dask, config.workers, config.timeout, config.max_memory,
                           config.worker_command, on_row)
    else:
        rows, startup = run_local(jobs, config, kb, on_row)
    distinct = len(set(inputs.values()))
    return BatchResult(len(inputs), distinct, distinct - len(jobs), tuple(rows), startup)


def run_local(jobs: list[Job], config: BatchConfig, kb: KnowledgeBase,
              on_row: Callable[[Row], None]) -> tuple[list[Row], float]:
    """N threads, each feeding its own isolated worker process; (rows, seconds until all workers were up)."""
    queue: Queue[Job] = Queue()
    for job in jobs:
        queue.put(job)
    rows: list[Row] = []
    lock = threading.Lock()
    count = max(1, min(config.workers, len(jobs)))
    ready = threading.Barrier(count)
    started = time.monotonic()
    startup = [0.0]

    def work() -> None:
        scanner = IsolatedScanner(kb, config.timeout, config.max_memory, config.worker_command)
        try:
            scanner.start()
            if ready.wait() == 0:
                startup[0] = time.monotonic() - started
            while True:
                try:
                    job = queue.get_nowait()
                except Empty:
                    return
                row = scanner.run(job)
                with lock:
                    rows.append(row)
                    on_row(row)
        finally:
            scanner.close()

    threads = [threading.Thread(target=work, daemon=True) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(rows, key=lambda r: r.sha256), startup[0]


def finish(out: str, kb: KnowledgeBase) -> dict[str, Any]:
    """Rebuild the dataset, summary.json and the dashboard from every stored result."""
    from reports import dataset

    folder = Path(out)
    inputs = json.loads((folder / INPUTS_FILE).read_text(encoding="utf-8"))
    frames = dataset.tables(dataset.load_results(folder, inputs))
    dataset.write_dataset(frames, folder / "dataset")
    summary = dataset.summary(frames)
    write_atomic(folder / "summary.json", json.dumps(summary, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    from reports.dashboard import render_dashboard

    write_atomic(folder / "index.html", render_dashboard(summary, frames["apps"].to_dict("records"), kb))
    return summary
