"""The same per-app jobs on a Dask cluster (``--dask ADDRESS``, or ``--dask local``).

Each Dask worker thread keeps its own isolated scan worker process, so time and
memory limits hold on a cluster exactly as they do locally; results are written
to the shared output folder by the workers, as in a local run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from scanner.batch.job import INTERNAL, Job, Row, failure_row

if TYPE_CHECKING:
    from scanner.batch.isolation import IsolatedScanner
    from signatures.model import KnowledgeBase

_local = threading.local()


def _scanner(timeout: float, max_memory: int, command: Sequence[str]) -> IsolatedScanner:
    import signatures
    from scanner.batch.isolation import IsolatedScanner

    scanner: IsolatedScanner | None = getattr(_local, "scanner", None)
    if scanner is None or (scanner.timeout, scanner.command[:-2]) != (timeout, list(command)):
        # a Dask worker is an entry point of its own: it loads the knowledge base once
        scanner = _local.scanner = IsolatedScanner(signatures.load(), timeout, max_memory, command)
    return scanner


def dask_job(job: Job, timeout: float, max_memory: int, command: Sequence[str]) -> Row:
    """Runs on a Dask worker: the job, in that worker's isolated scan process."""
    return _scanner(timeout, max_memory, command).run(job)


def run_on_dask(jobs: list[Job], address: str, workers: int, timeout: float, max_memory: int,
                worker_command: Sequence[str], on_row: Callable[[Row], None], kb: KnowledgeBase) -> list[Row]:
    """Submit every job to the cluster at ``address`` (``local``: a local cluster of ``workers`` processes).
    A task that fails (its Dask worker lost, a bug) is that app's error row, written from here."""
    # dask ships no complete type information: its calls are typed as Any here
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if address == "local":
        cluster = LocalCluster(  # type: ignore[no-untyped-call,unused-ignore]
            n_workers=max(1, workers), threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)  # type: ignore[no-untyped-call,unused-ignore]
    else:
        client = Client(address)  # type: ignore[no-untyped-call,unused-ignore]
    rows: list[Row] = []
    try:
        futures = {client.submit(dask_job, job, timeout, max_memory, list(worker_command), pure=False): job
                   for job in jobs}
        for future in as_completed(futures):  # type: ignore[no-untyped-call,unused-ignore]
            job = futures[future]
            try:
                row: Row = future.result()
            except Exception as exc:  # noqa: BLE001 -- one lost task is one app's error row, not the batch's end
                row = failure_row(job, INTERNAL, f"the Dask task failed: {type(exc).__name__}: {exc}", kb)
            rows.append(row)
            on_row(row)
    finally:
        client.close()  # type: ignore[no-untyped-call,unused-ignore]
        if cluster is not None:
            cluster.close()
    return sorted(rows, key=lambda r: r.sha256)
