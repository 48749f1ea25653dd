"""A scan worker that misbehaves on cue, to test the batch's limits: it hangs on apps whose file
name contains "hang", allocates without bound on "hog", and dies outright on "crash"."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from scanner.batch import job as appjob
from scanner.batch import worker

_real = appjob.run_job


def _slow(job, kb):  # type: ignore[no-untyped-def]
    name = Path(job.path).name
    if "hang" in name:
        time.sleep(3600)
    if "hog" in name:
        hoard = [bytearray(256 << 20) for _ in range(64)]  # 16 GiB: past any --max-memory
        del hoard
    if "crash" in name:
        os._exit(9)
    return _real(job, kb)


appjob.run_job = _slow

if __name__ == "__main__":
    raise SystemExit(worker.main(sys.argv[1:]))
