"""Damaged app bundles end as a clear, typed error (or a partial result) naming the file and the reason."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner import scan
from scanner.android.protores import MAX_TABLE_BYTES
from scanner.android.protoxml import MAX_NODES, MAX_XML_BYTES
from scanner.model import Status
from tests.aab.conftest import bundle

MANIFEST = "base/manifest/AndroidManifest.xml"


def _entries(name: str) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle(name)) as z:
        return {n: z.read(n) for n in z.namelist()}


def _write(path: Path, entries: dict[str, bytes]) -> str:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():  # large entries stored: the zip's ratio limit is not what is tested
            z.writestr(name, data, zipfile.ZIP_STORED if len(data) > 1 << 20 else zipfile.ZIP_DEFLATED)
    return str(path)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _node(children: bytes) -> bytes:
    """An ``XmlNode`` whose element is ``<manifest>`` with the given encoded children (field 5)."""
    element = b"\x1a\x08manifest" + children
    return b"\x0a" + _varint(len(element)) + element


def _nested(depth: int) -> bytes:
    node = b"\x0a\x03\x1a\x01a"
    for _ in range(depth):
        element = b"\x1a\x01a\x2a" + _varint(len(node)) + node
        node = b"\x0a" + _varint(len(element)) + element
    return node


CASES: dict[str, tuple[Callable[[dict[str, bytes]], None], str, str]] = {
    # case -> (damage, error code, words the message must hold)
    "truncated manifest": (lambda e: e.update({MANIFEST: e[MANIFEST][: len(e[MANIFEST]) // 2]}),
                           "manifest-unreadable", "not a valid protocol-buffer XML document"),
    "binary XML manifest": (lambda e: e.update({MANIFEST: b"\x03\x00\x08\x00" + bytes(60)}),
                            "manifest-unreadable", MANIFEST),
    "missing base manifest": (lambda e: e.pop(MANIFEST), "bad-split-bundle", "no base module manifest"),
    "module without manifest": (lambda e: e.pop("camera/manifest/AndroidManifest.xml"), "bad-split-bundle",
                                "module 'camera'"),
    "proto bomb": (lambda e: e.update({MANIFEST: _node(b"\x2a\x00" * (MAX_XML_BYTES // 2 + 8))}),
                   "manifest-unreadable", "MiB limit"),
    "huge repeated field": (lambda e: e.update({MANIFEST: _node(b"\x2a\x00" * (MAX_NODES + 10))}),
                            "manifest-unreadable", f"more than {MAX_NODES} nodes"),
    "deep nesting": (lambda e: e.update({MANIFEST: _nested(300)}), "manifest-unreadable", "MaxDepth"),
    "damaged feature manifest": (lambda e: e.update({"camera/manifest/AndroidManifest.xml": b"\xff" * 40}),
                                 "manifest-unreadable", "camera/manifest/AndroidManifest.xml"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_damaged_bundle_is_a_clear_error(case: str, tmp_path: Path) -> None:
    damage, code, words = CASES[case]
    entries = _entries("aab_feature")
    damage(entries)
    path = _write(tmp_path / "app-release.aab", entries)
    audit = scan(path)
    assert audit.status is Status.ERROR, audit.errors
    (error,) = audit.errors
    assert error.code == code
    assert error.message.startswith(f"{path}: ") and words in error.message, error.message
    assert "internal error" not in error.message and "Traceback" not in error.message


@pytest.mark.parametrize(("damage", "words"), [
    (lambda data: data[: len(data) // 2], "not a valid resource table"),
    (lambda data: b"\x12" + _varint(MAX_TABLE_BYTES) + bytes(MAX_TABLE_BYTES), "MiB limit for resource table"),
])
def test_damaged_resource_table_leaves_a_partial_result(damage: Callable[[bytes], bytes], words: str,
                                                        tmp_path: Path) -> None:
    entries = _entries("aab_base")
    entries["base/resources.pb"] = damage(entries["base/resources.pb"])
    audit = scan(_write(tmp_path / "app.aab", entries))
    assert audit.status is Status.PARTIAL
    unreadable = [e for e in audit.errors if e.code == "resources-unreadable"]
    assert unreadable and "base/resources.pb cannot be parsed" in unreadable[0].message
    assert words in unreadable[0].message
    assert any(e.code == "label-unresolved" for e in audit.errors)
    assert audit.app is not None and audit.app.package == "org.appaudit.fixture.aab"  # the rest was read


def test_aab_suffix_without_a_bundle_says_so(tmp_path: Path) -> None:
    path = _write(tmp_path / "other.aab", {"readme.txt": b"hello"})
    audit = scan(path)
    assert audit.status is Status.ERROR and audit.errors[0].code == "bad-split-bundle"
    assert "base/manifest/AndroidManifest.xml" in audit.errors[0].message
