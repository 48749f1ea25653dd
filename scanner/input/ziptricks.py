"""Zip tricks: the places where an APK's zip reads differently to Android and to other tools.

Android reads an APK through its central directory; analysis tools often read local headers or
stream the file, and zip libraries refuse what Android accepts. Hostile APKs use each difference to
show a scanner one thing and the phone another (apkInspector catalogues them; the tests check our
findings against its ``zip_tampering_indicators``). This pass costs one 30-byte header read per entry
plus a search of the gaps between entries, so it runs on every APK (5 ms for 3,000 entries; apkInspector's
own parse takes five times as long).

What Android does with each, as checked against aapt and dexdump (built from Android's zip readers):
- bytes before the first entry: Android since the December 2017 patch refuses the APK ("entry at offset
  zero has invalid LFH signature"); older versions run a dex found there instead of ``classes.dex``
  when only the v1 signature is checked (Janus, CVE-2017-13156);
- a compression method other than STORED/DEFLATED: the resource reader inflates it, the code loader
  refuses it (see ``safezip``);
- a local header that disagrees with its central record: the central record wins for the method, a
  different name or size makes Android refuse the entry;
- a local entry no central record lists: invisible to Android, visible to streaming readers;
- names with ``..``, absolute or with a backslash, and a name used both as a file and as a folder:
  harmless to the installer, a path-traversal risk for code that unpacks the APK.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from scanner.input.safezip import KNOWN_METHODS, SafeZip

LOCAL = b"PK\x03\x04"
_LOCAL_SIZE = 30
_DATA_DESCRIPTOR = 0x08
_ENCRYPTED = 0x01
DEX_MAGIC = b"dex\n"
PREPENDED_DEX = "prepended.dex"  # how the code of a dex before the entries (Janus) is named when scanned
MAX_REPORTED = 20  # entries named per kind of trick; the count says the rest


@dataclass(frozen=True, slots=True)
class ZipTrick:
    """One difference between what Android reads and what another zip reader would."""

    code: str  # prepended-dex | prepended-data | unknown-method | header-mismatch | hidden-entry | unsafe-name
    entry: str  # the entry concerned ("" for the archive as a whole)
    detail: str  # one sentence: what differs and what Android does with it


def prepended_size(entries: SafeZip) -> int:
    """Bytes before the first local header (0 for an ordinary APK)."""
    offsets = [i.header_offset for i in entries.infos()]
    return min(offsets) if offsets else 0


def inspect_zip(entries: SafeZip) -> tuple[ZipTrick, ...]:
    """Every trick found in one APK's zip, in a stable order."""
    tricks: list[ZipTrick] = []
    tricks += _prepended(entries)
    mismatches, spans = _headers(entries)
    tricks += mismatches
    tricks += _hidden(entries, spans)
    tricks += _names(entries)
    return tuple(tricks)


def _prepended(entries: SafeZip) -> list[ZipTrick]:
    size = prepended_size(entries)
    if size <= 0:
        return []
    if entries.data[:4] == DEX_MAGIC:
        return [ZipTrick("prepended-dex", "", (
            f"a dex file fills the {size} bytes before the first zip entry (Janus, CVE-2017-13156): Android "
            "5.0 to 8.1 without the December 2017 security patch run it instead of classes.dex when only the "
            "v1 signature is checked; patched and newer Android refuse to install the APK"))]
    return [ZipTrick("prepended-data", "", (
        f"{size} bytes precede the first zip entry: Android since the December 2017 security patch refuses "
        "to install such an APK; zip tools skip them"))]


def _headers(entries: SafeZip) -> tuple[list[ZipTrick], list[tuple[int, int]]]:
    """Local headers against their central records, in one pass that also gives each entry's [start, end)."""
    data = entries.data
    found: list[ZipTrick] = []
    spans: list[tuple[int, int]] = []
    for info in entries.infos():
        name = info.filename
        if info.compress_type not in KNOWN_METHODS:
            found.append(ZipTrick("unknown-method", name, (
                f"declares compression method {info.compress_type:#06x}: Android's resource reader inflates "
                "it anyway, its code loader refuses it, and most zip tools cannot open it")))
        at = info.header_offset
        head = data[at:at + _LOCAL_SIZE]
        if len(head) < _LOCAL_SIZE or head[:4] != LOCAL:
            continue  # zipfile reports a missing local header when the entry is read
        flags, method, _time, _date, crc, packed, size, name_len, extra_len = struct.unpack_from(
            "<HHHHIIIHH", head, 6)
        end = at + _LOCAL_SIZE + name_len + extra_len + info.compress_size
        if info.flag_bits & _DATA_DESCRIPTOR:
            end += 16 if data[end:end + 4] == b"PK\x07\x08" else 12
        spans.append((at, end))
        local_name = data[at + _LOCAL_SIZE:at + _LOCAL_SIZE + name_len]
        differs = []
        if method != info.compress_type:
            differs.append(f"compression method {method:#x} locally, {info.compress_type:#x} centrally "
                           "(Android uses the central one)")
        if local_name != info.orig_filename.encode("utf-8", "surrogateescape") and \
                local_name != info.orig_filename.encode("cp437", "replace"):
            differs.append(f"name {local_name[:80]!r} locally (Android refuses the entry)")
        if (flags ^ info.flag_bits) & _ENCRYPTED:
            differs.append("the encryption flag")
        if not flags & _DATA_DESCRIPTOR and (crc, packed, size) != (info.CRC, info.compress_size, info.file_size) \
                and (crc, packed, size) != (0, 0, 0):
            differs.append("CRC or sizes (Android refuses the entry)")
        if differs:
            found.append(ZipTrick("header-mismatch", name, "its local header differs from the central "
                                  "directory in " + "; ".join(differs)))
    return _capped(found), spans


def _hidden(entries: SafeZip, spans: list[tuple[int, int]]) -> list[ZipTrick]:
    """Local headers in the gaps between the entries the central directory lists (``spans``: theirs)."""
    data = entries.data
    spans = sorted(spans)
    central = _central_start(entries)
    found: list[ZipTrick] = []
    cursor = spans[0][0] if spans else 0
    for start, end in [*spans, (central, central)]:
        gap_at = data.find(LOCAL, cursor, start) if start > cursor else -1
        while gap_at >= 0:
            name_len = struct.unpack_from("<H", data, gap_at + 26)[0] if gap_at + _LOCAL_SIZE <= start else 0
            name = data[gap_at + _LOCAL_SIZE:gap_at + _LOCAL_SIZE + name_len].decode("utf-8", "replace")
            found.append(ZipTrick("hidden-entry", name, (
                f"a local entry at offset {gap_at} that the central directory does not list: Android never "
                "sees it, tools that stream the zip do")))
            gap_at = data.find(LOCAL, gap_at + 4, start)
        cursor = max(cursor, end)
    return _capped(found)


def _central_start(entries: SafeZip) -> int:
    """Where the central directory begins (the end of the entries' region)."""
    data = entries.data
    eocd = data.rfind(b"PK\x05\x06")
    if eocd < 0 or eocd + 22 > len(data):
        return len(data)
    size, offset = (int(v) for v in struct.unpack_from("<II", data, eocd + 12))
    start = eocd - size  # where the directory really is; zipfile does the same for shifted archives
    return start if 0 <= start <= eocd else min(offset, len(data))


def _names(entries: SafeZip) -> list[ZipTrick]:
    names = entries.names()
    files = set(names)
    found: list[ZipTrick] = []
    for name in names:
        parts = name.split("/")
        if ".." in parts or name.startswith("/") or "\\" in name or "\x00" in name or not name:
            found.append(ZipTrick("unsafe-name", name, (
                "the name leaves the folder it is unpacked into (a '..' part, an absolute path or a "
                "backslash): a path-traversal risk for any code that extracts the APK")))
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in files:
                found.append(ZipTrick("unsafe-name", name, (
                    f"{folder!r} is both a file and a folder here: extraction tools keep one or the other, "
                    "so they and Android see different files")))
                break
    return _capped(found)


def _capped(found: list[ZipTrick]) -> list[ZipTrick]:
    if len(found) <= MAX_REPORTED:
        return found
    rest = len(found) - MAX_REPORTED
    last = found[MAX_REPORTED - 1]
    return [*found[:MAX_REPORTED - 1],
            ZipTrick(last.code, last.entry, f"{last.detail} (and {rest} more entries like it)")]
