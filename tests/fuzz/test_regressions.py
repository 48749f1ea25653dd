"""Crashes the fuzz campaign found, one test each, kept as regression tests now that the readers are fixed.

A new crash is added here as ``xfail(strict=True)`` naming the bug, with its signature in ``KNOWN_BUGS``
(targets.py), until the fix lands; then both go.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from scanner.android.apk import read_apk_facts
from scanner.dex.file import DexFile
from scanner.errors import DexFormatError, ScanFailure
from scanner.input.archive import open_app
from scanner.input.safezip import SafeZip
from tests.fuzz.mutate import entry, fixture_bytes, signing_block

SUBJECT = bytes.fromhex("303c310b30090603")  # the fixture certificate's Name: SEQUENCE { SET { SEQUENCE { OID ...


def test_malformed_certificate_name_in_signing_block_is_a_problem(tmp_path: Path) -> None:
    intact = tmp_path / "intact.apk"
    intact.write_bytes(fixture_bytes("release_v2.apk"))
    sound = read_apk_facts(open_app(str(intact)))
    assert sound.problems == () and "v2" in sound.signing.schemes  # the premise: the block reads today
    data = bytearray(fixture_bytes("release_v2.apk"))
    start, end = signing_block(bytes(data)) or (0, 0)
    hits = 0
    at = data.find(SUBJECT, start, end)
    while at >= 0:  # first RDN: SET (0x31) -> SEQUENCE (0x30), same length ("tag should have been 17")
        data[at + 2] = 0x30
        hits += 1
        at = data.find(SUBJECT, at + 1, end)
    assert hits
    apk = tmp_path / "bad-name.apk"
    apk.write_bytes(bytes(data))
    facts = read_apk_facts(open_app(str(apk)))
    assert {p.code for p in facts.problems} == {"signing-block-unreadable"}  # nothing else is lost
    assert facts.signing.schemes[:1] == ("v1",)  # the JAR signature is still reported


def _central_directory_entry(data: bytes, name: bytes) -> int:
    at = data.find(b"PK\x01\x02")
    while at >= 0:
        (name_len,) = struct.unpack_from("<H", data, at + 28)
        if data[at + 46:at + 46 + name_len] == name:
            return at
        at = data.find(b"PK\x01\x02", at + 1)
    raise AssertionError(f"no central directory entry {name!r}")


def test_zip_entry_needing_a_newer_zip_version_is_a_scan_failure(tmp_path: Path) -> None:
    data = bytearray(fixture_bytes("clean.apk"))
    struct.pack_into("<H", data, _central_directory_entry(bytes(data), b"AndroidManifest.xml") + 6, 127)
    apk = tmp_path / "zip-version.apk"
    apk.write_bytes(bytes(data))
    with pytest.raises(ScanFailure):
        open_app(str(apk))


def test_encrypted_zip_entry_is_a_scan_failure() -> None:
    data = bytearray(fixture_bytes("clean.apk"))
    flags = _central_directory_entry(bytes(data), b"AndroidManifest.xml") + 8
    data[flags] |= 1
    z = SafeZip(bytes(data), "encrypted.apk")
    with pytest.raises(ScanFailure):
        z.read("AndroidManifest.xml")
    with pytest.raises(ScanFailure):
        z.read_prefix("AndroidManifest.xml", 36)


def test_map_item_offset_past_the_end_is_a_dex_format_error() -> None:
    data = bytearray(entry("sdks.apk", "classes.dex"))
    (map_off,) = struct.unpack_from("<I", data, 0x34)
    (n,) = struct.unpack_from("<I", data, map_off)
    for i in range(n):
        item = map_off + 4 + 12 * i
        if struct.unpack_from("<H", data, item)[0] == 0x2000:  # TYPE_CLASS_DATA_ITEM
            struct.pack_into("<I", data, item + 8, len(data) + 16)
    with pytest.raises(DexFormatError):
        _ = DexFile(bytes(data), "classes.dex", "map.apk").methods
