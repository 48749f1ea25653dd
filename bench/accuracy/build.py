"""Build the evaluation apps and their truth, cached by content so that a second run costs seconds.

Pipeline per SDK row: download the pinned tarball, extract the vendor's files, dex them alone with D8
(the classes of that dex are the row's: class origin). Per app: write and assemble the first-party smali,
merge it with the rows' dex files (D8 again), package, sign, then derive the truth from the APK.
Each result is stored under a key that hashes everything it was made from.

    PYTHONPATH=bench python -m accuracy.build      (make accuracy runs it before scoring)
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from accuracy import apk, fetch, firstparty, tools, truth, unpack
from accuracy.catalog import AppSpec, SdkRow, load_apps, load_sdks
from accuracy.paths import HERE, PI_APIS, cache_dir

WORKERS = 2  # the project's machines have two cores


@dataclass(frozen=True)
class DexedRow:
    label: str
    dex: tuple[Path, ...]
    classes: tuple[str, ...]
    natives: tuple[tuple[str, Path], ...]
    manifests: tuple[Path, ...]


def _key(*parts: object) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _source_hash(*modules: str) -> str:
    return _key(*((HERE / m).read_text(encoding="utf-8") for m in modules))


def _made_from(row: SdkRow) -> list[object]:
    """The fields of a row that change what is built (not expected ids or versions, which only score)."""
    return [row.tarball, row.sha256, row.archives, row.native, row.init, row.context]


def dex_row(row: SdkRow, d8_jar: Path, cache: Path) -> DexedRow:
    """One row downloaded, extracted and dexed on its own (cached by the row and the dexing code)."""
    what = f"{row.label} ({row.package}@{row.package_version})"
    key = _key(_made_from(row), tools.MIN_API, tools.BUNDLETOOL_SHA256, _source_hash("unpack.py", "tools.py"))
    folder = cache / "sdk" / row.label
    stamp = folder / "dexed.json"
    if stamp.exists() and json.loads(stamp.read_text())["key"] == key:
        meta = json.loads(stamp.read_text())
        return DexedRow(row.label, tuple(Path(p) for p in meta["dex"]), tuple(meta["classes"]),
                        tuple((a, Path(p)) for a, p in meta["natives"]), tuple(Path(p) for p in meta["manifests"]))
    tarball = fetch.download(row.tarball, row.sha256,
                             cache / "downloads" / f"{row.package}-{row.package_version}.tgz", what)
    extracted = unpack.extract(row, tarball, folder / "files")
    dex = tools.d8(d8_jar, extracted.jars, folder / "dex", what)
    classes = sorted(truth.classes_in(dex))
    meta = {"key": key, "dex": [str(p) for p in dex], "classes": classes,
            "natives": [[a, str(p)] for a, p in extracted.natives], "manifests": [str(p) for p in extracted.manifests]}
    stamp.write_text(json.dumps(meta, indent=1))
    return DexedRow(row.label, tuple(dex), tuple(classes), extracted.natives, extracted.manifests)


def _origin(app_classes: set[str], rows: list[DexedRow]) -> dict[str, str]:
    origin = dict.fromkeys(app_classes, truth.FIRST_PARTY)
    for row in rows:
        for cls in row.classes:
            if cls in origin:
                raise RuntimeError(f"class {cls} is in both {origin[cls]} and {row.label}")
            origin[cls] = row.label
    return origin


def build_app(app: AppSpec, sdks: dict[str, SdkRow], dexed: dict[str, DexedRow], d8_jar: Path,
              cache: Path) -> dict[str, object]:
    """One app built, signed and given its truth (cached by everything it is made from)."""
    rows = [dexed[label] for label in app.sdks]
    key = _key(asdict(app), [_made_from(sdks[label]) for label in app.sdks], tools.BUNDLETOOL_SHA256, tools.MIN_API,
               _source_hash("firstparty.py", "apk.py", "truth.py", "build.py"), PI_APIS.read_text(encoding="utf-8"))
    out = cache / "apps" / f"{app.name}.apk"
    stamp = cache / "apps" / f"{app.name}.json"
    if out.exists() and stamp.exists() and json.loads(stamp.read_text())["key"] == key:
        return dict(json.loads(stamp.read_text()))
    work = cache / "work" / app.name
    if work.exists():
        shutil.rmtree(work)
    firstparty.write_smali(app, sdks, work / "smali")
    own_dex = work / "firstparty.dex"
    tools.run(["smali", "assemble", "--api", str(tools.MIN_API), "-o", own_dex, work / "smali"],
              f"smali for {app.name}", quiet_ok=True)
    origin = _origin(truth.classes_in([own_dex]), rows)
    merged = tools.d8(d8_jar, [own_dex, *(d for row in rows for d in row.dex)], work / "merged", f"app {app.name}")
    natives = [n for row in rows for n in row.natives]
    manifests = [m for row in rows for m in row.manifests]
    apk.package(firstparty.manifest(app, manifests), merged, natives, work / "apk", out)
    meta = {"key": key, "app": app.name, "package": app.package, "apk": str(out), "sdks": list(app.sdks),
            "on_create": list(app.on_create), "after_consent": list(app.after_consent),
            "truth": truth.app_truth(out, origin, truth.load_pi_apis())}
    stamp.write_text(json.dumps(meta, indent=1))
    shutil.rmtree(work)
    return meta


def build(log: bool = True) -> dict[str, object]:
    """Build every app; returns {"apps": [...], "failures": [...], "seconds": ...}. A row or app that
    fails is recorded with its reason and the others go on, so one broken download names itself.
    One build at a time per cache (a lock file): parallel test workers and ``make accuracy`` share it."""
    absent = tools.missing()
    if absent:
        raise tools.ToolError(f"missing: {', '.join(absent)} (Debian: apt-get install aapt smali zipalign "
                              "apksigner dexdump android-framework-res default-jre-headless)")
    cache = cache_dir()
    with (cache / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(cache, log)


def _build(cache: Path, log: bool) -> dict[str, object]:
    started = time.monotonic()
    sdks = load_sdks()
    apps = load_apps(sdks)
    d8_jar = tools.bundletool(cache / "tools")
    failures: list[dict[str, str]] = []
    dexed: dict[str, DexedRow] = {}
    needed = [sdks[label] for label in dict.fromkeys(label for app in apps for label in app.sdks)]
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = {row.label: pool.submit(dex_row, row, d8_jar, cache) for row in needed}
        for label, future in futures.items():
            try:
                dexed[label] = future.result()
            except (fetch.FetchError, unpack.UnpackError, tools.ToolError, OSError) as exc:
                failures.append({"what": label, "reason": str(exc)})
    built: list[dict[str, object]] = []
    for app in apps:
        lost = [label for label in app.sdks if label not in dexed]
        if lost:
            failures.append({"what": f"app {app.name}", "reason": f"rows failed: {', '.join(lost)}"})
            continue
        try:
            built.append(build_app(app, sdks, dexed, d8_jar, cache))
        except (tools.ToolError, RuntimeError, OSError) as exc:
            failures.append({"what": f"app {app.name}", "reason": str(exc)})
        if log and built and built[-1]["app"] == app.name:
            print(f"  built {app.name}: {Path(str(built[-1]['apk'])).stat().st_size // 1024} KiB", file=sys.stderr)
    return {"apps": built, "failures": failures, "seconds": round(time.monotonic() - started, 1)}


def main() -> int:
    result = build()
    for failure in result["failures"]:  # type: ignore[attr-defined]
        print(f"FAILED {failure['what']}: {failure['reason']}", file=sys.stderr)
    print(f"accuracy set: {len(result['apps'])} apps in {result['seconds']} s", file=sys.stderr)  # type: ignore[arg-type]
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
