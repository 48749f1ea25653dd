"""``make bench``: start-up of the command line, then speed and memory of the facts extraction on a
large synthetic multi-dex APK. ``--startup-only`` measures the start-up alone (seconds, not minutes).

Every approach runs in its own process (peak RSS is per approach) in the same run, and
figures are reported as ratios against the floor measured here: the machine is shared
and noisy, so only same-run ratios mean anything.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

import startup  # bench/startup.py, beside this script

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


def main() -> int:
    startup_checks = startup.report()  # first, so that it shows before the minutes of the big-APK part
    if "--startup-only" in sys.argv:
        return 0
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
        *startup_checks,
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
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
