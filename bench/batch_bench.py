"""Batch throughput: apps per minute with 1 and 2 workers, peak worker memory, re-match vs scan time.

The corpus is made of the toolchain-built fixtures, each copied many times with a
different zip comment so every copy is a distinct app (by sha256). Each run starts
from an empty output folder; all figures come from this one run, so compare ratios.

``--store APK...``: the same on the store-shaped bench APKs (bench/make_store_apk.py) instead, each
with ``STORE_COPIES`` variants that differ by one asset and are signed again (distinct apps that
verify, as store apps do; cached in bench/cache/store-corpus/), and figures per core as well.
``--prepare-store APK...`` only makes that corpus (run it first: the peak RSS reported is the largest
child process's, and apksigner's JVM would count when the corpus is made in the measuring process).
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import shutil
import subprocess
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
STORE_COPIES = 2  # variants of each store APK beside the original: 2 APKs -> 6 apps
SIGNATURE_FILES = (".SF", ".RSA", ".DSA", ".EC", "/MANIFEST.MF")


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


def store_variant(src: Path, target: Path, n: int) -> None:
    """``src`` with one more asset, v1 signature files dropped, aligned and signed again with the bench key."""
    tmp, aligned = target.with_suffix(".unsigned"), target.with_suffix(".aligned")
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(tmp, "w") as zout:
        for info in zin.infolist():
            if not (info.filename.startswith("META-INF/") and info.filename.endswith(SIGNATURE_FILES)):
                zout.writestr(info, zin.read(info), compress_type=info.compress_type, compresslevel=9)
        zout.writestr(zipfile.ZipInfo("assets/bench-variant.txt", (1980, 1, 1, 0, 0, 0)), f"variant {n}\n")
    ks = HERE / "cache" / "bench-debug.jks"
    for cmd in (["zipalign", "-f", "-p", "4", str(tmp), str(aligned)],
                ["apksigner", "sign", "--ks", str(ks), "--ks-pass", "pass:android", "--ks-key-alias", "bench",
                 "--key-pass", "pass:android", "--min-sdk-version", "21", "--v4-signing-enabled", "false",
                 "--out", str(target), str(aligned)]):
        subprocess.run(cmd, check=True, capture_output=True)
    tmp.unlink()
    aligned.unlink()


def make_store_corpus(folder: Path, apks: list[Path]) -> None:
    """The store APKs (hard links) and their variants; rebuilt when a source APK or this file changes."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder / "sources.json"
    sources = {str(a): [a.stat().st_size, a.stat().st_mtime_ns] for a in apks}
    sources["recipe"] = [STORE_COPIES, hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]]
    if stamp.exists() and json.loads(stamp.read_text()) == sources:
        return
    for old in folder.iterdir():
        old.unlink()
    for apk in apks:
        os.link(apk, folder / apk.name)
        for n in range(1, STORE_COPIES + 1):
            store_variant(apk, folder / f"{apk.stem}-v{n}.apk", n)
    stamp.write_text(json.dumps(sources))


def timed_batch(corpus: Path, out: Path, workers: int) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    inputs = plan([str(corpus)])
    start = time.perf_counter()
    result = run_batch(inputs, BatchConfig(str(out), workers=workers, timeout=120, formats=("json",)), KB)
    scan = time.perf_counter() - start
    start = time.perf_counter()
    finish(str(out), KB)
    return {"apps": len(result.rows), "statuses": sorted({r.status for r in result.rows}), "scan_s": scan,
            "startup_s": result.startup_s,
            "steady_s": scan - result.startup_s, "finish_s": time.perf_counter() - start}


def timed_rematch(out: Path, workers: int) -> float:
    from scanner.batch.rematch import rematch
    from scanner.gate.review import ScanOptions

    start = time.perf_counter()
    rematch(str(out), ("json",), ScanOptions(), KB, workers)
    return time.perf_counter() - start


def store_main(apks: list[Path]) -> dict:
    """Apps per minute (and per core) on the store-shaped APKs and their variants, 1 and 2 workers."""
    corpus = HERE / "cache" / "store-corpus"
    make_store_corpus(corpus, apks)
    one = timed_batch(corpus, HERE / "cache" / "store-batch-1", 1)
    two = timed_batch(corpus, HERE / "cache" / "store-batch-2", 2)
    cores = os.cpu_count() or 1
    figures = {
        "apps": one["apps"], "cores": cores, "statuses": sorted(set(one["statuses"]) | set(two["statuses"])),
        "apps_per_min_1": one["apps"] / one["steady_s"] * 60,
        "apps_per_min_2": two["apps"] / two["steady_s"] * 60,
        "apps_per_min_per_core_1": one["apps"] / one["steady_s"] * 60,
        "apps_per_min_per_core_2": two["apps"] / two["steady_s"] * 60 / min(2, cores),
        "end_to_end_apps_per_min_1": one["apps"] / one["scan_s"] * 60,
        "end_to_end_apps_per_min_2": two["apps"] / two["scan_s"] * 60,
        "speedup": one["steady_s"] / two["steady_s"],
        "worker_startup_s": two["startup_s"],
        "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }
    print(json.dumps(figures))
    return figures


def main() -> dict:
    for flag in ("--prepare-store", "--store"):  # prepare in another process: apksigner's JVM is not a worker
        if flag in sys.argv:
            apks = [Path(p) for p in sys.argv[sys.argv.index(flag) + 1:]]
            if flag == "--prepare-store":
                make_store_corpus(HERE / "cache" / "store-corpus", apks)
                return {}
            return store_main(apks)
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
