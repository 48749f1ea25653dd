"""Batch throughput: apps per minute with 1 and 2 workers, peak worker memory, re-match vs scan time.

The corpus is made of the toolchain-built fixtures, each copied many times with a
different zip comment so every copy is a distinct app (by sha256). Each run starts
from an empty output folder; all figures come from this one run, so compare ratios.
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

import signatures  # noqa: E402
from scanner.batch.coordinator import BatchConfig, finish, plan, run_batch  # noqa: E402

KB = signatures.load()

FIXTURES = ROOT / "tests" / "fixtures" / "apks"
KINDS = ("clean.apk", "sdks.apk", "preconsent.apk", "multidex.apk", "split.xapk", "provider_init.apk")
COPIES = 68  # 6 kinds x 68 = 408 apps: long enough runs for a steady rate


def make_corpus(folder: Path) -> list[str]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(COPIES):
        for kind in KINDS:
            target = folder / f"{n:03d}-{kind}"
            if not target.exists():
                shutil.copyfile(FIXTURES / kind, target)
                with zipfile.ZipFile(target, "a") as z:
                    z.comment = f"bench variant {n}".encode()
            paths.append(str(target))
    return paths


def timed_batch(corpus: Path, out: Path, workers: int) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    inputs = plan([str(corpus)])
    start = time.perf_counter()
    result = run_batch(inputs, BatchConfig(str(out), workers=workers, timeout=120, formats=("json",)), KB)
    scan = time.perf_counter() - start
    start = time.perf_counter()
    finish(str(out), KB)
    return {"apps": len(result.rows), "scan_s": scan, "startup_s": result.startup_s,
            "steady_s": scan - result.startup_s, "finish_s": time.perf_counter() - start}


def timed_rematch(out: Path, workers: int) -> float:
    from scanner.batch.rematch import rematch
    from scanner.gate.review import ScanOptions

    start = time.perf_counter()
    rematch(str(out), ("json",), ScanOptions(), KB, workers)
    return time.perf_counter() - start


def main() -> dict:
    corpus = HERE / "cache" / "corpus"
    make_corpus(corpus)
    one = timed_batch(corpus, HERE / "cache" / "batch-1", 1)
    two = timed_batch(corpus, HERE / "cache" / "batch-2", 2)
    re = timed_rematch(HERE / "cache" / "batch-2", 2)
    worker_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    figures = {
        "apps": one["apps"],
        "apps_per_min_1": one["apps"] / one["steady_s"] * 60,
        "apps_per_min_2": two["apps"] / two["steady_s"] * 60,
        "speedup": one["steady_s"] / two["steady_s"],
        "end_to_end_speedup": (one["scan_s"] + one["finish_s"]) / (two["scan_s"] + two["finish_s"]),
        "worker_startup_s": two["startup_s"],
        "finish_s": two["finish_s"],
        "worker_peak_rss_mb": worker_peak,
        "rematch_s": re,
        "rematch_fraction": re / two["steady_s"],  # both with 2 workers
    }
    print(json.dumps(figures))
    return figures


if __name__ == "__main__":
    main()
