"""``make bench``: start-up of the command line; end to end through the CLI on store-shaped APKs against
the zip floor and exodus-core; then speed and memory of the facts extraction on a large synthetic multi-dex
APK, in process; then batch throughput.

Flags (``make bench ARGS="..."`` or ``.venv/bin/python bench/run.py ...``):
  --startup-only      the start-up alone (seconds, not minutes)
  --hostile           peak memory on the two hostile APKs of issue 13 alone (about 2 minutes)
  --no-hostile        skip them
  --store             start-up, the store-shaped APKs end to end and their batch throughput only: the
                      real-world part, a few minutes (less with --runs 3 --no-exodus)
  --no-store          skip the store-shaped part (the in-process figures and the fixture batch only)
  --no-store-batch    skip the batch throughput on the store-shaped APKs
  --no-androguard     skip androguard's AnalyzeAPK on big.apk (minutes)
  --no-exodus         skip exodus-core in the store-shaped part
  --runs N            runs per figure in the store-shaped part (median; default 5)
  --exodus-trackers PATH  Exodus tracker list snapshot (default ../shared/reference/exodus_trackers_api.json
                      beside the repository, or $APPAUDIT_EXODUS_TRACKERS); without it exodus-core is skipped

Every approach runs in its own process (peak RSS is per approach) in the same run, and
figures are reported as ratios against the floor measured here: the machine is shared
and noisy, so only same-run ratios mean anything. Targets print as PASS or MISS; a MISS
does not fail ``make bench`` (it is a measurement, not a test).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import hostile_bench  # bench/hostile_bench.py, beside this script
import startup  # bench/startup.py, beside this script
import store_bench  # bench/store_bench.py

HERE = Path(__file__).parent
APK = HERE / "cache" / "big.apk"
RUNS = {"floor": 5, "facts": 5, "detectors": 5, "job": 3, "rematch": 3, "androguard": 1}


def measure(mode: str, runs: int) -> dict:
    results = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, str(HERE / "measure.py"), mode, str(APK)],
                             capture_output=True, text=True, check=True).stdout
        results.append(json.loads(out.strip().splitlines()[-1]))
    best = dict(results[0])
    for key in ("wall", "facts_s", "detect_s"):
        if key in best:
            best[key] = statistics.median(r[key] for r in results)
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in results)
    return best


def store_batch(apks: list[Path]) -> None:
    """Apps per minute (and per core) on the store-shaped APKs: reported, no target (issue 14 asks for the figures)."""
    print("\nbatch of the store-shaped APKs and re-signed variants (steady state, after worker start-up):",
          flush=True)
    subprocess.run([sys.executable, str(HERE / "batch_bench.py"), "--prepare-store", *map(str, apks)], check=True)
    out = subprocess.run([sys.executable, str(HERE / "batch_bench.py"), "--store", *map(str, apks)],
                         capture_output=True, text=True, check=True).stdout
    b = json.loads(out.strip().splitlines()[-1])
    print(f"  {b['apps']} apps ({', '.join(b['statuses'])}) on {b['cores']} cores: "
          f"1 worker {b['apps_per_min_1']:.1f} apps/min ({b['apps_per_min_per_core_1']:.1f} per core), "
          f"2 workers {b['apps_per_min_2']:.1f} apps/min ({b['apps_per_min_per_core_2']:.1f} per core); "
          f"with worker start-up {b['end_to_end_apps_per_min_1']:.1f} and {b['end_to_end_apps_per_min_2']:.1f}; "
          f"speed-up {b['speedup']:.2f}x; worker start-up {b['worker_startup_s']:.2f} s; "
          f"peak worker RSS {b['worker_peak_rss_mb']:.0f} MB")


def main() -> int:
    if "--hostile" in sys.argv:
        hostile_bench.report()  # a measurement: a MISS is printed, not an exit code
        return 0
    store_bench.compile_bytecode()  # every figure is of the project as installed, its modules byte-compiled
    startup_checks = startup.report()  # first, so that it shows before the minutes of the big-APK part
    if "--startup-only" in sys.argv:
        return 0
    checks = list(startup_checks)
    if "--no-store" not in sys.argv:
        checks += store_bench.report(sys.argv[1:])
        if "--no-store-batch" not in sys.argv:
            store_batch([store_bench.CACHE / name for name, _ in store_bench.APKS])
    if "--store" not in sys.argv:
        checks += big_apk()
        if "--no-hostile" not in sys.argv:
            checks += hostile_bench.report()
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
    return 0


def big_apk() -> list[tuple[str, bool]]:
    """The synthetic multi-dex APK in process (facts, detectors, batch job, re-match, androguard), and the
    batch of fixture-like apps."""
    print(flush=True)  # before the child processes write to the same output
    subprocess.run([sys.executable, str(HERE / "make_big_apk.py"), "--out", str(APK)], check=True)
    skip_androguard = "--no-androguard" in sys.argv
    figures = {mode: measure(mode, n) for mode, n in RUNS.items()
               if not (mode == "androguard" and skip_androguard)}
    floor = figures["floor"]
    dex_mb = floor["dex_bytes"] / 2**20
    print(f"\nbench APK: {APK.stat().st_size / 2**20:.1f} MB, {dex_mb:.1f} MB of dex, "
          f"{figures['facts']['classes']} classes, {figures['facts']['methods']} methods, "
          f"{figures['facts']['references']} references searched, {figures['facts']['call_sites']} call sites")
    print(f"{'approach':<12} {'wall s':>8} {'peak MB':>8} {'x floor':>8}")
    for mode, f in figures.items():
        print(f"{mode:<12} {f['wall']:>8.3f} {f['peak_rss_mb']:>8.0f} {f['wall'] / floor['wall']:>8.1f}")
    facts, detect = figures["facts"], figures["detectors"]
    checks = [
        ("facts <= 3x floor", facts["wall"] <= 3 * floor["wall"]),
        (f"facts peak RSS <= 2x dex + 150 MB ({2 * dex_mb + 150:.0f} MB)",
         facts["peak_rss_mb"] <= 2 * dex_mb + 150),
        (f"detectors add {100 * detect['detect_s'] / detect['facts_s']:.0f}% to reading the facts in the same "
         "scan (target <= 50%)", detect["detect_s"] <= 0.5 * detect["facts_s"]),
    ]
    rematch_share = figures["rematch"]["wall"] / figures["job"]["wall"]
    checks.append((f"re-match of the stored app takes {100 * rematch_share:.0f}% of its batch scan, which "
                   "writes the same JSON (target <= 10%)", rematch_share <= 0.1))
    if "androguard" in figures:
        speedup = figures["androguard"]["wall"] / facts["wall"]
        checks.append((f"facts {speedup:.0f}x faster than androguard AnalyzeAPK (target >= 20x)", speedup >= 20))
    print("\nbatch of fixture-like apps (steady state, after the workers have loaded the scanner):")
    out = subprocess.run([sys.executable, str(HERE / "batch_bench.py")], capture_output=True, text=True,
                         check=True).stdout  # its own process: peak RSS of its workers alone
    b = json.loads(out.strip().splitlines()[-1])
    print(f"  {b['apps']} apps: {b['apps_per_min_1']:.0f} apps/min with 1 worker, {b['apps_per_min_2']:.0f} with 2; "
          f"worker start-up {b['worker_startup_s']:.2f} s; dataset and summary {b['finish_s']:.2f} s; "
          f"peak worker RSS {b['worker_peak_rss_mb']:.0f} MB")
    checks.append((f"batch speed-up with 2 workers {b['speedup']:.2f}x (target >= 1.7x; "
                   f"end to end {b['end_to_end_speedup']:.2f}x)", b["speedup"] >= 1.7))
    checks.append((f"re-match of the batch takes {100 * b['rematch_fraction']:.0f}% of its scan time "
                   "(target <= 10%; these apps scan in milliseconds)", b["rematch_fraction"] <= 0.1))
    return checks


if __name__ == "__main__":
    raise SystemExit(main())
