"""What the user pointed at: APKs, split bundles, folders and list files.

``expand`` turns command-line paths into the list of app files to scan;
``open_app`` opens one of them and, for split bundles (XAPK, APKS, APKM: zips
of APKs), finds the base APK and its splits so they are analysed as one app;
an Android App Bundle (AAB) opens as its base module and its other modules,
each read as an APK (``scanner/input/bundle.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import BundleError, InputListError, InputNotFound, NotAnApk
from scanner.input.bundle import is_bundle, module_entries
from scanner.input.safezip import DEFAULT_LIMITS, SafeZip, ZipLimits

APP_SUFFIXES = (".apk", ".xapk", ".apks", ".apkm", ".aab")
LIST_SUFFIXES = (".txt", ".lst", ".list")
MAX_LIST_DEPTH = 16  # lists of lists: deeper is surely a mistake
MANIFEST = "AndroidManifest.xml"


@dataclass(frozen=True, slots=True)
class Split:
    """One APK of an app: the base, or a configuration/feature split (in an AAB: a module)."""

    name: str
    zip: SafeZip


@dataclass(frozen=True, slots=True)
class AppArchive:
    """An opened app: its base APK and the splits installed beside it."""

    path: str
    format: str  # apk | xapk | apks | apkm | aab
    sha256: str
    size: int
    base: Split
    splits: tuple[Split, ...]
    missing: tuple[str, ...] = ()  # APKs the bundle's own metadata lists but does not hold
    container: SafeZip | None = None  # an AAB's own zip (its signature, its zip tricks); the splits are its modules

    @property
    def apks(self) -> tuple[Split, ...]:
        return (self.base, *self.splits)


def expand(paths: list[str], warn: Callable[[str], None] | None = None) -> list[str]:
    """Resolve folders (recursively) and list files into app paths, in stable order.

    Missing paths are kept, so that scanning them yields a clear error result; ``warn`` is also told
    of each one a list names, with the list and line. A list that includes itself (directly or through
    other lists), lists nested more than ``MAX_LIST_DEPTH`` deep and an unreadable list raise
    ``InputListError`` naming the list.
    """
    found: dict[str, None] = {}
    read: set[Path] = set()
    for raw in paths:
        _expand_one(Path(raw), found, read, (), warn)
    return list(found)


def _expand_one(path: Path, found: dict[str, None], read: set[Path], within: tuple[tuple[Path, Path], ...],
                warn: Callable[[str], None] | None) -> None:
    """``read``: the lists read to the end (each is read once); ``within``: the lists being read,
    outermost first, each as (path given, resolved path)."""
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if child.is_file() and child.suffix.lower() in APP_SUFFIXES:
                found.setdefault(str(child))
    elif path.is_file() and path.suffix.lower() in LIST_SUFFIXES:
        _expand_list(path, found, read, within, warn)
    else:
        found.setdefault(str(path))


def _expand_list(path: Path, found: dict[str, None], read: set[Path], within: tuple[tuple[Path, Path], ...],
                 warn: Callable[[str], None] | None) -> None:
    resolved = path.resolve()
    if resolved in read:
        return
    if any(seen == resolved for _, seen in within):
        including, including_resolved = within[-1]
        if including_resolved == resolved:
            raise InputListError(str(including), "includes itself")
        raise InputListError(str(including), f"includes {path}, which leads back to it: a cycle of lists")
    if len(within) >= MAX_LIST_DEPTH:
        raise InputListError(str(within[0][0]), f"lists nested more than {MAX_LIST_DEPTH} deep")
    for number, item in _listed(path):
        if warn is not None and not item.exists():
            warn(f"{path} line {number}: {item} does not exist")
        _expand_one(item, found, read, (*within, (path, resolved)), warn)
    read.add(resolved)


def _listed(list_file: Path) -> list[tuple[int, Path]]:
    """The paths a ``.txt`` list names, one per line (``#`` comments), relative to the list's folder."""
    try:
        text = list_file.read_bytes().decode("utf-8", errors="replace")
    except OSError as exc:
        raise InputListError(str(list_file), f"cannot be read: {exc.strerror or exc}") from None
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            out.append((number, Path(line) if Path(line).is_absolute() else list_file.parent / line))
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


def open_app(path: str, limits: ZipLimits = DEFAULT_LIMITS, data: bytes | None = None,
             sha256: str | None = None) -> AppArchive:
    """Open an APK or split bundle; raise a ScanFailure naming the reason otherwise. ``data``: the file's bytes
    if read already, and ``sha256`` their digest if known (``signing_ahead.py``: read before the child was
    forked, hashed by the child)."""
    if data is None:
        data, sha256 = read_input(path), None
    digest = sha256 or hashlib.sha256(data).hexdigest()
    outer = SafeZip(data, path, limits)
    if MANIFEST in outer:
        return AppArchive(path, "apk", digest, len(data), Split(Path(path).name, outer), ())
    if is_bundle(outer.names()) or path.lower().endswith(".aab"):
        modules = [Split(name, outer.view(files, f"{path}!{name}"))
                   for name, files in module_entries(outer.names(), path).items()]
        return AppArchive(path, "aab", digest, len(data), modules[0], tuple(modules[1:]), container=outer)
    apk_names = sorted(n for n in outer.names() if n.lower().endswith(".apk") and "/" not in n.strip("/"))
    if not apk_names:
        raise NotAnApk(path, f"zip has no {MANIFEST} and holds no APKs: not an Android app")
    fmt, base_name = _bundle_layout(outer, apk_names, path)
    splits = {name: SafeZip(outer.read(name), f"{path}!{name}", limits) for name in apk_names}
    base = splits.pop(base_name)
    if MANIFEST not in base:
        raise BundleError(path, f"base APK {base_name!r} has no {MANIFEST}")
    listed = _xapk_files(outer, path) if fmt == "xapk" else []
    return AppArchive(
        path, fmt, digest, len(data), Split(base_name, base),
        tuple(Split(n, z) for n, z in sorted(splits.items())),
        tuple(sorted({f for f in listed if f not in apk_names})),
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


def _xapk_files(outer: SafeZip, path: str) -> list[str]:
    """The APK files an XAPK's ``manifest.json`` lists under ``split_apks``."""
    try:
        meta = json.loads(outer.read("manifest.json"))
    except ValueError as exc:
        raise BundleError(path, f"manifest.json is not valid JSON: {exc}") from None
    items = meta.get("split_apks") if isinstance(meta, dict) else None
    return [str(i["file"]) for i in items or [] if isinstance(i, dict) and isinstance(i.get("file"), str)]


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
