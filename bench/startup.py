"""Start-up of the command line: ``appaudit --help`` and ``appaudit --version`` in a fresh process.

Wall time of the installed console script (the one beside this interpreter, as ``make bench`` runs
it from the .venv), minimum and median of 5 runs after one untimed warm-up, with ``python -c pass``
from the same interpreter measured in the same run as the baseline: the machine is shared and noisy,
so read the figures as ratios to it. Run alone: ``python bench/startup.py`` (or ``run.py --startup-only``).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 5
TARGET_S = 0.15  # appaudit --help and --version, minimum of RUNS


def _wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def _times(cmd: list[str], runs: int = RUNS) -> dict:
    _wall(cmd)  # warm-up, not counted: the first run may read the files from disk
    walls = [_wall(cmd) for _ in range(runs)]
    return {"min": min(walls), "median": statistics.median(walls)}


def measure() -> tuple[dict[str, dict], list[tuple[str, bool]]]:
    """Figures per command line, and the PASS/MISS checks on them."""
    script = Path(sys.executable).parent / "appaudit"
    if not script.exists():
        raise SystemExit(f"{script} not found: install the project first (make install)")
    figures = {
        "python -c pass": _times([sys.executable, "-c", "pass"]),
        "appaudit --version": _times([str(script), "--version"]),
        "appaudit --help": _times([str(script), "--help"]),
    }
    checks = [(f"{name} <= {TARGET_S} s (min of {RUNS})", figures[name]["min"] <= TARGET_S)
              for name in ("appaudit --version", "appaudit --help")]
    return figures, checks


def report() -> list[tuple[str, bool]]:
    """Measure, print the figures and the checks; return the checks for a summary."""
    figures, checks = measure()
    base = figures["python -c pass"]["min"]
    print(f"start-up in a fresh process ({RUNS} runs; {Path(sys.executable).parent / 'appaudit'}):")
    print(f"  {'command':<20} {'min s':>8} {'median s':>9} {'x python':>9}")
    for name, f in figures.items():
        print(f"  {name:<20} {f['min']:>8.3f} {f['median']:>9.3f} {f['min'] / base:>9.1f}")
    for text, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
    return checks


if __name__ == "__main__":
    report()
