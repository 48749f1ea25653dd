"""A scan worker that hangs on apps whose file name contains "hang": tests the batch's timeout."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from scanner import appjob, worker

_real = appjob.run_job


def _slow(job):  # type: ignore[no-untyped-def]
    if "hang" in Path(job.path).name:
        time.sleep(3600)
    return _real(job)


appjob.run_job = _slow

if __name__ == "__main__":
    raise SystemExit(worker.main(sys.argv[1:]))
