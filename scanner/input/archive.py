"""What the user pointed at: APKs, split bundles, folders and list files.

``expand`` turns command-line paths into the list of app files to scan;
``open_app`` opens one of them and, for split bundles (XAPK, APKS, APKM: zips
of APKs), finds the base APK and its splits so they are analysed as one app.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import BundleError, InputNotFound, NotAnApk
from scanner.input.safezip import DEFAULT_LIMITS, SafeZip, ZipLimits

APP_SUFFIXES = (".apk", ".xapk", ".apks", ".apkm")
LIST_SUFFIXES = (".txt", ".lst", ".list")
MANIFEST = "AndroidManifest.xml"


@dataclass(frozen=True, slots=True)
class Split:
    """One APK of an app: the base, or a configuration/feature split."""

    name: str
    zip: SafeZip


@dataclass(frozen=True, slots=True)
class AppArchive:
    """An opened app: its base APK and the splits installed beside it."""

    path: str
    format: str  # apk | xapk | apks | apkm
    sha256: str
    size: int
    base: Split
    splits: tuple[Split, ...]

    @property
    def apks(self) -> tuple[Split, ...]:
        return (self.base, *self.splits)


def expand(paths: list[str]) -> list[str]:
    """Resolve folders (recursively) and list files into app paths, in stable order.

    Missing paths are kept, so that scanning them yields a clear error result.
    """
    found: list[str] = []
    seen: set[str] = set()

    def add(path: str) -> None:
        if path not in seen:
            seen.add(path)
            found.append(path)

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in APP_SUFFIXES:
                    add(str(child))
        elif path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
            for item in expand(_listed(path)):
                add(item)
        else:
            add(str(path))
    return found


def _listed(list_file: Path) -> list[str]:
    """The paths a ``.txt`` list names, one per line (``#`` comments), relative to the list's folder."""
    out = []
    for line in list_file.read_text(encoding="utf-8", errors="replace").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(str(Path(line) if Path(line).is_absolute() else list_file.parent / line))
    return out


def read_input(path: str) -> bytes:
    p = Path(path)
    if not p.exists():
        raise InputNotFound(path, "no such file")
    if not p.is_file():
        raise InputNotFound(path, "not a regular file")
    try:
        return p.read_bytes()
    except OSError as exc:
        raise InputNotFound(path, f"cannot be read: {exc.strerror}") from None


def open_app(path: str, limits: ZipLimits = DEFAULT_LIMITS) -> AppArchive:
    """Open an APK or split bundle; raise a ScanFailure naming the reason otherwise."""
    data = read_input(path)
    digest = hashlib.sha256(data).hexdigest()
    outer = SafeZip(data, path, limits)
    if MANIFEST in outer:
        return AppArchive(path, "apk", digest, len(data), Split(Path(path).name, outer), ())
    apk_names = sorted(n for n in outer.names() if n.lower().endswith(".apk") and "/" not in n.strip("/"))
    if not apk_names:
        raise NotAnApk(path, f"zip has no {MANIFEST} and holds no APKs: not an Android app")
    fmt, base_name = _bundle_layout(outer, apk_names, path)
    splits = {name: SafeZip(outer.read(name), f"{path}!{name}", limits) for name in apk_names}
    base = splits.pop(base_name)
    if MANIFEST not in base:
        raise BundleError(path, f"base APK {base_name!r} has no {MANIFEST}")
    return AppArchive(
        path, fmt, digest, len(data), Split(base_name, base),
        tuple(Split(n, z) for n, z in sorted(splits.items())),
    )


def _bundle_layout(outer: SafeZip, apk_names: list[str], path: str) -> tuple[str, str]:
    """Tell the bundle format apart by its metadata file and pick the base APK."""
    if "manifest.json" in outer:
        fmt = "xapk"
        base = _xapk_base(outer, path)
        if base in apk_names:
            return fmt, base
    elif "info.json" in outer:
        fmt = "apkm"
    else:
        fmt = "apks"
    if "base.apk" in apk_names:
        return fmt, "base.apk"
    candidates = [n for n in apk_names if not n.startswith(("split_", "config."))]
    if len(candidates) != 1:
        raise BundleError(path, f"cannot tell the base APK among {', '.join(apk_names)}")
    return fmt, candidates[0]


def _xapk_base(outer: SafeZip, path: str) -> str | None:
    try:
        meta = json.loads(outer.read("manifest.json"))
    except ValueError as exc:
        raise BundleError(path, f"manifest.json is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        return None
    for item in meta.get("split_apks") or []:
        if isinstance(item, dict) and item.get("id") == "base" and isinstance(item.get("file"), str):
            return str(item["file"])
    package = meta.get("package_name")
    return f"{package}.apk" if isinstance(package, str) else None
