"""Peak memory on hostile APKs, through the CLI as a user runs it (part of ``make bench``; ``--hostile`` alone).

Two APKs shaped like the ones that used to take gigabytes:
- ``padded.apk``: a small ``classes.dex`` followed by 256 MiB of zeros at deflate level 1 (under the
  zip-bomb ratio); the dex header declares only the small size.
- ``manydex.apk``: 249 dex files (``classes.dex`` … ``classes249.dex``), each declaring just under 16 MiB
  (a real dex padded with zeros, its ``file_size`` set to match), so the zip ratio check does not apply.

For each: ``appaudit scan X -o DIR -f json`` in a fresh process, its peak RSS (``VmHWM``, which unlike
``ru_maxrss`` is not inherited across exec), the status, and the target of issue 13: peak RSS ≤ 2 × the
sum of the *declared* dex sizes + 200 MB, and never over the ``--max-memory`` cap (default 4096 MB above
what the imports mapped).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
CACHE = HERE / "cache"
CLEAN = HERE.parent / "tests" / "fixtures" / "apks" / "clean.apk"
PADDED_MIB = 256
MANY = 249
EACH = (16 << 20) - 4096  # just under the size from which the zip ratio is checked
CAP_MB = 4096

PROBE = r"""
import json, sys
from scanner.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))
print(json.dumps({"code": code, "rss_mb": hwm / 1024}))
"""


def _padded(path: Path) -> int:
    clean = zipfile.ZipFile(CLEAN)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as out:
        for name in ("AndroidManifest.xml", "resources.arsc"):
            out.writestr(name, clean.read(name))
        with out.open("classes.dex", "w") as dex:
            dex.write(clean.read("classes.dex"))
            zeros = bytes(1 << 20)
            for _ in range(PADDED_MIB):
                dex.write(zeros)
    return len(clean.read("classes.dex"))


def _manydex(path: Path) -> int:
    clean = zipfile.ZipFile(CLEAN)
    dex = bytearray(clean.read("classes.dex"))
    dex[32:36] = EACH.to_bytes(4, "little")  # header_item.file_size: the padding is part of the dex
    dex += bytes(EACH - len(dex))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name in ("AndroidManifest.xml", "resources.arsc"):
            out.writestr(name, clean.read(name))
        for i in range(1, MANY + 1):
            out.writestr("classes.dex" if i == 1 else f"classes{i}.dex", bytes(dex))
    return EACH * MANY


def _scan(apk: Path) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as out_dir:
        start = time.perf_counter()
        run = subprocess.run([sys.executable, "-c", PROBE, "scan", str(apk), "-o", out_dir, "-f", "json"],
                             capture_output=True, text=True, check=False)
        wall = time.perf_counter() - start
        result = json.loads(run.stdout.strip().splitlines()[-1])
        reports = list(Path(out_dir).glob("*.json"))
        status = json.loads(reports[0].read_text())["status"] if reports else "no report"
    return {"wall": wall, "status": status, **result}


def report() -> list[tuple[str, bool]]:
    CACHE.mkdir(exist_ok=True)
    print("\nhostile APKs, peak memory through the CLI (appaudit scan X -o DIR -f json):", flush=True)
    checks: list[tuple[str, bool]] = []
    for name, make in (("padded.apk", _padded), ("manydex.apk", _manydex)):
        apk = CACHE / name
        declared = make(apk)
        r = _scan(apk)
        target = 2 * declared / 2**20 + 200
        ok = float(r["rss_mb"]) <= min(target, CAP_MB + 300)  # +300: the imports, below the relative cap
        checks.append((f"{name}: peak RSS {float(r['rss_mb']):.0f} MB within 2 x declared dex + 200 MB "
                       f"({target:.0f} MB) and the {CAP_MB} MB cap", ok))
        print(f"  {name:12} {apk.stat().st_size / 2**20:6.1f} MB file, declared dex {declared / 2**20:7.1f} MB: "
              f"peak RSS {float(r['rss_mb']):7.0f} MB (target ≤ {target:.0f} MB and the cap) "
              f"{'PASS' if ok else 'MISS'}; status {r['status']}, exit {r['code']}, {float(r['wall']):.1f} s",
              flush=True)
    return checks


if __name__ == "__main__":
    sys.exit(0 if all(ok for _, ok in report()) else 1)
