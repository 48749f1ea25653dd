"""The same per-app jobs on a Dask cluster (``--dask ADDRESS``, or ``--dask local``).

Each Dask worker thread keeps its own isolated scan worker process, so time and
memory limits hold on a cluster exactly as they do locally; results are written
to the shared output folder by the workers, as in a local run.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from scanner.batch.job import Job, Row

_local = threading.local()


def _scanner(timeout: float, max_memory: int, command: Sequence[str]):  # type: ignore[no-untyped-def]
    import signatures
    from scanner.batch.isolation import IsolatedScanner

    scanner = getattr(_local, "scanner", None)
    if scanner is None or (scanner.timeout, scanner.command[:-2]) != (timeout, list(command)):
        # a Dask worker is an entry point of its own: it loads the knowledge base once
        scanner = _local.scanner = IsolatedScanner(signatures.load(), timeout, max_memory, command)
    return scanner


def dask_job(job: Job, timeout: float, max_memory: int, command: Sequence[str]) -> Row:
    """Runs on a Dask worker: the job, in that worker's isolated scan process."""
    return _scanner(timeout, max_memory, command).run(job)


def run_on_dask(jobs: list[Job], config, on_row: Callable[[Row], None]) -> list[Row]:  # type: ignore[no-untyped-def]
    from dask.distributed import Client, LocalCluster, as_completed

    cluster = None
    if config.dask == "local":
        cluster = LocalCluster(n_workers=max(1, config.workers), threads_per_worker=1, processes=True,
                               dashboard_address=None)
        client = Client(cluster)
    else:
        client = Client(config.dask)
    rows: list[Row] = []
    try:
        futures = [client.submit(dask_job, job, config.timeout, config.max_memory, list(config.worker_command),
                                 pure=False) for job in jobs]
        for future in as_completed(futures):
            row = future.result()
            rows.append(row)
            on_row(row)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return sorted(rows, key=lambda r: r.sha256)
