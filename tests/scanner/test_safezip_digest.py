"""SafeZip.digest: the same hash as zipfile's bytes for every entry of every fixture, and bounded on lies."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from pathlib import Path

import pytest

from scanner.errors import CorruptZip, ZipLimitExceeded
from scanner.input.safezip import SafeZip
from tests.conftest import FIXTURES


@pytest.mark.parametrize("path", sorted(p for p in FIXTURES.glob("*.apk")), ids=lambda p: p.name)
def test_same_digest_as_the_bytes_zipfile_reads(path: Path) -> None:
    entries = SafeZip(path.read_bytes(), path.name)
    with zipfile.ZipFile(path) as z:
        for name in entries.names():
            assert entries.digest(name, "sha256") == hashlib.sha256(z.read(name)).digest(), name


def _zip(data: bytes, method: int) -> bytearray:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("a.bin"), data, compress_type=method)
    return bytearray(out.getvalue())


def test_a_large_deflated_entry_is_hashed_in_pieces() -> None:
    data = bytes(range(256)) * (3 << 14)  # 12 MiB: several 1 MiB pieces of output
    entries = SafeZip(bytes(_zip(data, zipfile.ZIP_DEFLATED)), "big.zip")
    assert entries.digest("a.bin", "sha1") == hashlib.sha1(data).digest()  # noqa: S324  a v1 digest algorithm


def test_an_entry_that_inflates_past_its_declared_size_is_refused() -> None:
    raw = _zip(b"x" * 5000, zipfile.ZIP_DEFLATED)
    central = raw.rindex(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, 100)  # the central directory now declares 100 bytes
    with pytest.raises(ZipLimitExceeded, match="past its declared size"):
        SafeZip(bytes(raw), "lie.zip").digest("a.bin", "sha256")


def test_damaged_deflate_data_is_a_corrupt_zip() -> None:
    raw = _zip(bytes(range(256)) * 64, zipfile.ZIP_DEFLATED)
    raw[40:60] = b"\xff" * 20  # inside the deflate stream of the only entry
    with pytest.raises(CorruptZip):
        SafeZip(bytes(raw), "bad.zip").digest("a.bin", "sha256")
