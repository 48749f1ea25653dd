"""Throughput of getting apps from a store: download alone, and fetch + scan (``batch --from``), 1 and 2 workers.

A 20-app F-Droid repository made by fdroidserver (as in ``tests/fetch``) served on loopback; each run is the
real CLI in a fresh process, into a fresh folder, rate limit off. Loopback has no network latency, so the
download figures are an upper bound on the client's own cost; the pipeline figures show what the scan
costs on top.

    python bench/fetch_bench.py [--apps 20] [--cache DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fetch.conftest import _load, build_repo, renamed_apks  # noqa: E402
from tests.fetch.server import StoreServer  # noqa: E402


def timed(args: list[str]) -> float:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr[-1000:]}")
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--apps", type=int, default=20)
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / "cache" / "fetch")
    opts = parser.parse_args()
    folder = opts.cache / f"repo-{opts.apps}"
    if not (folder / "repo" / "entry.jar").exists():
        build_repo(folder, renamed_apks(opts.cache / f"apks-{opts.apps}", opts.apps))
    repo = _load(folder)
    with StoreServer(repo.root) as server, tempfile.TemporaryDirectory() as scratch:
        common = ["--fingerprint", repo.fingerprint, "--rate", "0"]
        print(f"{opts.apps} apps from {server.url}")
        for n in (1, 2):
            seconds = timed(["fetch", "fdroid", server.url, "-o", f"{scratch}/fetch{n}", "--concurrency", str(n),
                             *common])
            print(f"fetch, {n} download(s) at once: {seconds:.2f} s, {opts.apps / seconds * 60:.0f} apps/min")
        for n in (1, 2):
            seconds = timed(["batch", "--from", f"fdroid:{server.url}", "-o", f"{scratch}/batch{n}", "--workers",
                             str(n), "--downloads", "2", "-f", "json", *common])
            print(f"batch --from, {n} scan worker(s): {seconds:.2f} s, {opts.apps / seconds * 60:.0f} apps/min")


if __name__ == "__main__":
    main()
