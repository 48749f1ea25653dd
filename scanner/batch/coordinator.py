"""Batch auditing: many apps, isolated workers, resumable, one dataset at the end.

Inputs are hashed first: results are stored under the sha256, so a re-run skips
finished apps, two names for one APK are scanned once, and an interrupted run
(even ``kill -9``) loses nothing that was written — every file is renamed into
place whole. The dataset, dashboard and summary are rebuilt from every result
stored in the output folder at the end of every run, so a resumed batch ends with
the same outputs as one that was never interrupted, and batches run into one
folder add up.

Nothing is lost: every input ends as exactly one row (ok, partial or error). An
input that is not a regular file (a FIFO, a folder named like an app, a dangling
link, a folder that cannot be listed) is an error row, never a hang or a gap; a
worker, a dispatcher thread or a writer that fails costs that one app, as its
error row. The exit code and the final line of a run are counted from its rows.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any

from scanner.atomic import write_atomic
from scanner.batch.isolation import WORKER, IsolatedScanner
from scanner.batch.job import INTERNAL, Job, Row, failure_row, printable
from scanner.batch.origins import origins_beside, record_origins
from scanner.batch.store import DAMAGED, UNREADABLE, DamagedResult, Warn, read_result, record_inputs
from scanner.input.archive import APP_SUFFIXES, expand
from signatures.model import KnowledgeBase


def _quiet(note: str) -> None:
    """The default ``warn``: the command line passes one that prints."""


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
    lang: str = "en"  # the HTML and Markdown reports' language, and the dashboard's


@dataclass(frozen=True, slots=True)
class Prepared:
    jobs: list[Job]  # the apps to scan now
    earlier: tuple[Row, ...] = ()  # the apps an earlier run finished, from their stored results


@dataclass(frozen=True, slots=True)
class BatchResult:
    inputs: int
    apps: int  # distinct by content
    skipped: int  # already done by an earlier run
    rows: tuple[Row, ...]  # the apps scanned in this run
    startup_s: float = 0.0  # until every worker had loaded the scanner (local runs)
    earlier: tuple[Row, ...] = ()  # the apps done by an earlier run, as stored

    @property
    def all_rows(self) -> tuple[Row, ...]:
        """One row per distinct app of this run's inputs: what its exit code and final line count."""
        return tuple(sorted((*self.rows, *self.earlier), key=lambda r: r.sha256))

    @property
    def failed(self) -> int:
        return sum(1 for r in self.all_rows if r.status == "error")


def _path_key(path: str) -> str:
    """The key of an input that is not a readable regular file: its result is stored under its path."""
    return UNREADABLE + hashlib.sha256(path.encode("utf-8", "surrogatepass")).hexdigest()[:52]


def _sha256(path: str) -> str:
    try:  # non-blocking: opening a FIFO for reading would otherwise wait for a writer forever
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:  # the scan reports the reason
        return _path_key(path)
    digest = hashlib.sha256()
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO, a device, a folder
            return _path_key(path)
        with open(fd, "rb", closefd=False) as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError:
        return _path_key(path)
    finally:
        os.close(fd)
    return digest.hexdigest()


def discover(paths: list[str]) -> list[str]:
    """Every input of a batch: the apps ``expand`` finds, and what a folder walk would pass over but the user
    must hear about — entries named like an app that are not regular files (a FIFO, a dangling link, a
    folder holding no app) and folders that cannot be listed. Each becomes an error row."""
    found = expand(paths)
    known = set(found)
    for raw in paths:
        if os.path.isdir(raw):
            for path in _passed_over(raw, known):
                known.add(path)
                found.append(path)
    return found


def _named_like_an_app(folder: str, known: set[str]) -> bool:
    """A folder named like an app in which no app was found."""
    inside = folder + os.sep
    return Path(folder).suffix.lower() in APP_SUFFIXES and not any(p.startswith(inside) for p in known)


def _passed_over(top: str, known: set[str]) -> list[str]:
    missed: list[str] = [str(Path(top))] if _named_like_an_app(str(Path(top)), known) else []

    def unreadable(exc: OSError) -> None:
        if exc.filename is not None:
            missed.append(str(Path(os.fsdecode(exc.filename))))

    for folder, dirs, files in os.walk(top, onerror=unreadable):  # like rglob: symbolic links not followed
        base = Path(folder)
        missed += [str(base / name) for name in files
                   if Path(name).suffix.lower() in APP_SUFFIXES and str(base / name) not in known]
        missed += [str(base / name) for name in dirs if _named_like_an_app(str(base / name), known)]
    return sorted(set(missed) - known)


def plan(paths: list[str], threads: int = 4) -> dict[str, str]:
    """Input path -> content sha256, hashing a few files at a time."""
    found = discover(paths)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return dict(zip(found, pool.map(_sha256, found), strict=True))


def prepare(inputs: dict[str, str], config: BatchConfig, warn: Warn = _quiet) -> Prepared:
    """Jobs for the distinct apps not done yet (the first path names each), and the rows of those done;
    records the inputs. A damaged stored result is named and its app scanned again."""
    first_path: dict[str, str] = {}
    for path, sha in sorted(inputs.items()):
        first_path.setdefault(sha, path)
    todo: list[str] = []
    earlier: list[Row] = []
    for sha, path in sorted(first_path.items()):
        row = _stored_row(config.out, sha, path, warn)
        if row is None or (config.retry_errors and row.status == "error"):
            todo.append(sha)
        else:
            earlier.append(row)
    record_inputs(config.out, inputs, warn)
    record_origins(config.out, origins_beside(inputs, warn), warn)
    for stale in Path(config.out).glob("*/.*.tmp"):  # left by a run killed mid-write
        stale.unlink(missing_ok=True)
    jobs = [Job(first_path[sha], sha, config.out, config.formats, config.category, config.config, config.lang)
            for sha in todo]
    return Prepared(jobs, tuple(earlier))


def _stored_row(out: str, sha: str, path: str, warn: Warn) -> Row | None:
    """The row of an app stored whole by an earlier run; None when it is to be scanned (again)."""
    try:
        stored = read_result(out, sha, [printable(path)])
    except DamagedResult as exc:
        warn(f"{exc}; scanning {printable(path)} again")
        return None
    if stored is None:
        return None
    row = stored.row(sha, path)
    if row.code == DAMAGED:  # a re-match found its facts damaged
        warn(f"{row.error}; scanning {printable(path)} again")
        return None
    return row


def run_batch(inputs: dict[str, str], config: BatchConfig, kb: KnowledgeBase,
              on_row: Callable[[Row], None] = lambda row: None, prepared: Prepared | None = None,
              warn: Warn = _quiet) -> BatchResult:
    """Scan what is not done yet of ``inputs`` (path -> sha256, from ``plan``)."""
    prepared = prepare(inputs, config, warn) if prepared is None else prepared
    jobs = prepared.jobs
    startup = 0.0
    if config.dask:
        from scanner.batch.cluster import run_on_dask

        rows = run_on_dask(jobs, config.dask, config.workers, config.timeout, config.max_memory,
                           config.worker_command, on_row, kb)
    else:
        rows, startup = run_local(jobs, config, kb, on_row)
    distinct = len(set(inputs.values()))
    return BatchResult(len(inputs), distinct, distinct - len(jobs), tuple(rows), startup, prepared.earlier)


def run_local(jobs: list[Job], config: BatchConfig, kb: KnowledgeBase,
              on_row: Callable[[Row], None]) -> tuple[list[Row], float]:
    """N threads, each feeding its own isolated worker process; (rows, seconds until all workers were up).

    Every job ends as a row: a failure of the worker, of this process's own code or of a writer is that
    app's error row, and the thread goes on with the next job.
    """
    pool = _LocalPool(jobs, config, kb, on_row)
    threads = [threading.Thread(target=pool.work, daemon=True) for _ in range(pool.count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for job in jobs:  # a thread that died anyway: its apps are still rows
        if job.sha256 not in pool.rows:
            pool.record(failure_row(job, INTERNAL, "internal error: the batch lost this app's scan", kb))
    return sorted(pool.rows.values(), key=lambda r: r.sha256), pool.startup


class _LocalPool:
    def __init__(self, jobs: list[Job], config: BatchConfig, kb: KnowledgeBase,
                 on_row: Callable[[Row], None]) -> None:
        self.queue: Queue[Job] = Queue()
        for job in jobs:
            self.queue.put(job)
        self.config, self.kb, self.on_row = config, kb, on_row
        self.rows: dict[str, Row] = {}
        self.lock = threading.Lock()
        self.count = max(1, min(config.workers, len(jobs)))
        self.ready = threading.Barrier(self.count)
        self.started = time.monotonic()
        self.startup = 0.0

    def record(self, row: Row) -> None:
        with self.lock:
            self.rows[row.sha256] = row
            self.on_row(row)

    def work(self) -> None:
        config = self.config
        scanner = IsolatedScanner(self.kb, config.timeout, config.max_memory, config.worker_command)
        try:
            try:
                scanner.start()
            except (OSError, RuntimeError):
                pass  # each job then gets a start of its own, and an error row if that fails too
            finally:
                if self.ready.wait() == 0:
                    self.startup = time.monotonic() - self.started
            while True:
                try:
                    job = self.queue.get_nowait()
                except Empty:
                    return
                self.record(_one(scanner, job, self.kb))
        finally:
            scanner.close()


def _one(scanner: IsolatedScanner, job: Job, kb: KnowledgeBase) -> Row:
    try:
        return scanner.run(job)
    except Exception as exc:  # noqa: BLE001 -- a bug here must cost this app, not the apps queued behind it
        return failure_row(job, INTERNAL, f"internal error in the batch: {type(exc).__name__}: {exc}", kb)


def finish(out: str, kb: KnowledgeBase, rows: Iterable[Row] = (), warn: Warn = _quiet,
           lang: str = "en") -> dict[str, Any]:
    """Rebuild the dataset, summary.json and the dashboard from every result stored in ``out`` (every batch
    run into it), with ``rows`` whose result could not be stored; a damaged result is named (``warn``) and
    shown as an error."""
    from reports import dataset
    from scanner.batch.store import load_all, read_inputs

    folder = Path(out)
    frames = dataset.to_frames(load_all(folder, read_inputs(folder, warn), kb, rows, warn))
    # written beside the tables, not one of them: summary() reads only the tables
    dataset.write_dataset({**frames, "sdk_list": dataset.store_sdk_list(frames)}, folder / "dataset")
    summary = dataset.summary(frames)
    write_atomic(folder / "summary.json", _json(summary))
    from reports.dashboard import render_dashboard

    write_atomic(folder / "index.html", render_dashboard(summary, frames["apps"].to_dict("records"), kb,
                                                         lang=lang))
    return summary


def _json(doc: dict[str, Any]) -> str:
    import json

    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
