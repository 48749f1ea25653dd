"""Inputs: formats, folders, list files, and every hostile archive as a clear typed error."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from scanner.errors import (
    BundleError,
    CorruptZip,
    DuplicateEntry,
    InputNotFound,
    NotAnApk,
    NotAZip,
    TruncatedZip,
    ZipLimitExceeded,
)
from scanner.input.archive import expand, open_app
from scanner.input.safezip import SafeZip, ZipLimits
from tests.conftest import FIXTURES, HOSTILE


@pytest.mark.parametrize(("name", "error", "words"), [
    ("truncated.apk", TruncatedZip, "central directory"),
    ("duplicate_entry.apk", DuplicateEntry, "'classes.dex'"),
    ("zip_bomb.apk", ZipLimitExceeded, "assets/bomb.bin"),
    ("not_an_apk.apk", NotAZip, "not a zip"),
    ("empty.apk", NotAZip, "empty file"),
    ("no_manifest.apk", NotAnApk, "AndroidManifest.xml"),
])
def test_hostile_archives_fail_clearly(name: str, error: type, words: str) -> None:
    path = str(HOSTILE / name)
    with pytest.raises(error) as info:
        open_app(path)
    assert path in str(info.value) and words in str(info.value)


def test_missing_file() -> None:
    with pytest.raises(InputNotFound, match="no such file"):
        open_app("/nonexistent/app.apk")


def test_inflation_is_bounded_even_when_sizes_lie() -> None:
    """A central directory that understates an entry's size cannot make us inflate past it."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("AndroidManifest.xml", b"\x00" * 100_000)
    data = bytearray(buf.getvalue())
    cd = data.rindex(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (1000).to_bytes(4, "little")  # declared uncompressed size
    archive = SafeZip(bytes(data), "lying.apk")
    with pytest.raises(CorruptZip, match="'AndroidManifest.xml'.*CRC"):  # stopped at 1000 bytes
        archive.read("AndroidManifest.xml")


def test_entry_count_limit() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(20):
            z.writestr(f"f{i}", b"x")
    with pytest.raises(ZipLimitExceeded, match="20 zip entries"):
        SafeZip(buf.getvalue(), "many.apk", ZipLimits(max_entries=10))


def test_bundle_without_a_clear_base(tmp_path: Path) -> None:
    one = (FIXTURES / "clean.apk").read_bytes()
    path = tmp_path / "two.apks"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("a.apk", one)
        z.writestr("b.apk", one)
    with pytest.raises(BundleError, match="cannot tell the base APK"):
        open_app(str(path))


def test_expand_folders_and_list_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    for name in ("b.apk", "sub/a.xapk", "notes.md"):
        (tmp_path / name).write_bytes(b"x")
    listing = tmp_path / "list.txt"
    listing.write_text("# apps\nb.apk\n\nsub/a.xapk\nmissing.apk\n")
    assert expand([str(tmp_path / "sub"), str(tmp_path / "b.apk")]) == [
        str(tmp_path / "sub/a.xapk"), str(tmp_path / "b.apk")]
    assert expand([str(listing)]) == [str(tmp_path / "b.apk"), str(tmp_path / "sub/a.xapk"),
                                      str(tmp_path / "missing.apk")]
