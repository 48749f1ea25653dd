"""Where a scan's time goes: the CLI's ``scan`` run in this process under cProfile, after its imports.

``python bench/profile_scan.py [APK] [--formats json] [--top 40] [--sort cumulative|tottime] [--repeat N]``
(default APK: bench/cache/store.apk, made by ``make bench``). Prints the import time, the wall time of each
repeat without the profiler (the first includes loading the knowledge base), then the profile of one more
run. The profile adds overhead to every Python call, so read its shares, and time with ``make bench``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("apk", nargs="?", default=str(HERE / "cache" / "store.apk"))
    parser.add_argument("--formats", default="json")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative", choices=("cumulative", "tottime"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    import reports.json  # noqa: F401  the imports a scan needs, as the CLI makes them
    import scanner.cli.commands  # noqa: F401
    import scanner.gate.review  # noqa: F401
    from scanner.cli.main import main as cli
    print(f"imports {time.perf_counter() - start:.3f} s", file=sys.stderr)

    out = Path(tempfile.mkdtemp(prefix="appaudit-profile-"))
    argv = ["scan", args.apk, "-o", str(out), "-f", args.formats, "--max-memory", "0"]

    def once() -> None:
        shutil.rmtree(out, ignore_errors=True)
        cli(argv)  # returns the exit code; argparse's own errors would exit, and should

    for n in range(args.repeat):
        start = time.perf_counter()
        once()
        print(f"scan {n + 1}: {time.perf_counter() - start:.3f} s", file=sys.stderr)
    profile = cProfile.Profile()
    profile.runcall(once)
    pstats.Stats(profile, stream=sys.stderr).sort_stats(args.sort).print_stats(args.top)
    shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
