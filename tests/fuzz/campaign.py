"""A longer fuzz campaign: ``make fuzz`` (FUZZ_MINUTES per target, default 3; FUZZ_TARGETS to pick some).

Each target runs in its own process, in rounds of fresh random examples (profile ``campaign``) until its
time is up. A new crash is shrunk by hypothesis, saved under ``fuzz-findings/`` (input and traceback) and
then tolerated by signature, so the search goes on for others. Prints per target: examples executed
(shrinking included), inputs rejected with the reader's typed error, known and new crashes.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

FINDINGS = Path("fuzz-findings")


def all_targets() -> dict[str, Any]:
    """The targets of ``targets.py`` and those defined beside their CI test (they import ``targets``)."""
    from tests.fuzz import targets, test_fuzz_axml, test_signing_verifier

    found = dict(targets.TARGETS)
    for target in (test_fuzz_axml.AXML, test_signing_verifier.TARGET):
        found[target.name] = target
    return found


def _campaign(name: str, seconds: float) -> dict[str, Any]:
    from hypothesis import given, settings

    from tests.fuzz import targets

    targets.register_profiles()
    settings.load_profile("campaign")
    target = all_targets()[name]

    @given(target.strategy)
    def check(args: tuple[Any, ...]) -> None:
        targets.run(name, target.prop, target.allowed, *args)

    crashes: list[str] = []
    end = time.monotonic() + seconds
    rounds = 0
    while time.monotonic() < end:
        rounds += 1
        try:
            check()
        except BaseException as group:  # noqa: BLE001  every failure is a finding to record, then go on
            if isinstance(group, KeyboardInterrupt):
                raise
            for exc in getattr(group, "exceptions", [group]):
                sig = targets.signature(exc)
                targets.KNOWN.add(sig)
                FINDINGS.mkdir(exist_ok=True)
                stem = FINDINGS / f"{name}-{len(crashes) + 1}"
                args = targets.LAST_FAILURE.get(name, ())
                data = next((a for a in args if isinstance(a, bytes)), b"")
                stem.with_suffix(".bin").write_bytes(data)
                stem.with_suffix(".txt").write_text(
                    f"{sig}\nargs (non-bytes): {[a for a in args if not isinstance(a, bytes)]}\n\n"
                    + "".join(traceback.format_exception(exc)))
                first = (str(exc).splitlines() or [""])[0][:160]
                crashes.append(f"{sig[0]} at {sig[1]}: {first} -> {stem}.bin")
    stats = dict(targets.STATS.get(name, {}))
    return {"name": name, "rounds": rounds, "stats": stats, "crashes": crashes}


def main() -> int:
    minutes = float(os.environ.get("FUZZ_MINUTES", "3"))
    names = os.environ.get("FUZZ_TARGETS", ",".join(all_targets())).split(",")
    workers = int(os.environ.get("FUZZ_JOBS", str(os.cpu_count() or 1)))
    print(f"fuzz campaign: {minutes} min per target, {len(names)} targets, {workers} processes", flush=True)
    failed = 0
    with ProcessPoolExecutor(workers) as pool:
        for result in pool.map(_campaign, names, [minutes * 60] * len(names)):
            s = result["stats"]
            print(f"{result['name']:9} examples {s.get('examples', 0):7}  rejected (typed error) "
                  f"{s.get('rejected', 0):7}  accepted {s.get('accepted', 0):7}  known-crash hits "
                  f"{s.get('known crash', 0):5}  new crashes {len(result['crashes'])}", flush=True)
            for crash in result["crashes"]:
                print(f"    {crash}", flush=True)
            failed += len(result["crashes"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
