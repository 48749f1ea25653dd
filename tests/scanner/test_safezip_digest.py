"""SafeZip.digest: the same hash as zipfile's bytes for every entry of every fixture, and bounded on lies;
``digest_all``: the same digests and failures, in one lane or two."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
from pathlib import Path

import pytest

from scanner.errors import CorruptZip, ScanFailure, ZipLimitExceeded
from scanner.input import safezip
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


# -- digest_all: many digests at once, some in a worker thread ---------------------------------------------


@pytest.fixture
def two_lanes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``digest_all`` splits its jobs between this thread and a worker, however little the work."""
    monkeypatch.setattr(safezip, "_PARALLEL_MIN", 0)
    monkeypatch.setattr(safezip, "_LARGE", 0)


def _alone(entries: SafeZip, name: str, algorithm: str) -> bytes | str:
    try:
        return entries.digest(name, algorithm)
    except ScanFailure as exc:
        return f"{type(exc).__name__}: {exc}"


def _together(entries: SafeZip, jobs: list[tuple[str, str]]) -> dict[tuple[str, str], bytes | str]:
    return {job: found if isinstance(found, bytes) else f"{type(found).__name__}: {found}"
            for job, found in entries.digest_all(jobs).items()}


def _opens(path: Path) -> bool:
    try:
        SafeZip(path.read_bytes(), path.name)
    except ScanFailure:
        return False
    return True


@pytest.mark.parametrize("split", [False, True], ids=["one-lane", "two-lanes"])
@pytest.mark.parametrize("path", sorted(p for p in [*FIXTURES.glob("*.apk"), *FIXTURES.glob("hostile/*.apk")]
                                        if _opens(p)), ids=lambda p: p.name)
def test_digest_all_gives_what_digest_gives(request: pytest.FixtureRequest, path: Path, split: bool) -> None:
    if split:
        request.getfixturevalue("two_lanes")
    entries = SafeZip(path.read_bytes(), path.name)
    jobs = [(name, algorithm) for name in entries.names() for algorithm in ("sha1", "sha256")]
    assert _together(entries, jobs) == {job: _alone(entries, *job) for job in jobs}


def _store_shaped() -> tuple[bytes, dict[str, bytes]]:
    """Two large deflated entries (a store app's dex), a large stored one and many small ones."""
    contents = {f"classes{n}.dex": bytes(range(251)) * (12 << 10) + bytes([i]) * 4096 for i, n in enumerate(("", "2"))}
    contents["resources.arsc"] = bytes(range(256)) * (8 << 10)
    contents.update({f"res/x{i}.xml": b"<x>%d</x>" % i * (i % 50 + 1) for i in range(300)})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name, data in contents.items():
            method = zipfile.ZIP_STORED if name == "resources.arsc" else zipfile.ZIP_DEFLATED
            z.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return out.getvalue(), contents


def test_a_store_shaped_zip_is_hashed_in_two_lanes_to_the_same_digests() -> None:
    data, contents = _store_shaped()
    entries = SafeZip(data, "store.apk")
    jobs = [(name, "sha256") for name in contents]
    mine, theirs = entries._lanes(jobs)
    assert theirs and all(entries.size(name) >= safezip._LARGE for name, _ in theirs)
    assert sorted(mine + theirs) == sorted(jobs)
    found = entries.digest_all(jobs)
    assert found == {(name, "sha256"): hashlib.sha256(body).digest() for name, body in contents.items()}


def test_digest_all_keeps_each_failure_and_leaves_out_what_is_not_a_scan_failure(two_lanes: None) -> None:
    raw = _zip(b"x" * 5000, zipfile.ZIP_DEFLATED)
    central = raw.rindex(b"PK\x01\x02")
    struct.pack_into("<I", raw, central + 24, 100)  # the central directory now declares 100 bytes
    entries = SafeZip(bytes(raw), "lie.zip")
    found = entries.digest_all([("a.bin", "sha256"), ("missing.bin", "sha256")])
    assert list(found) == [("a.bin", "sha256")]  # a KeyError is for the caller's own digest() to raise
    assert isinstance(found[("a.bin", "sha256")], ZipLimitExceeded)


def _dex_like(size: int) -> bytes:
    """Bytes that deflate about as a dex does (~3x), not as zeros do."""
    import random

    rng = random.Random(7)
    words = [bytes(rng.getrandbits(8) for _ in range(rng.randint(3, 12))) for _ in range(4000)]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words)
    return bytes(out[:size])


def test_an_entry_kept_by_its_digest_reads_the_same_and_is_inflated_once() -> None:
    data = _dex_like(3 << 20)
    raw = bytes(_zip(data, zipfile.ZIP_DEFLATED))
    entries = SafeZip(raw, "app.apk")
    entries.keep_inflated(["a.bin"])
    assert entries.digest("a.bin", "sha256") == hashlib.sha256(data).digest()
    entries._zip = None  # type: ignore[assignment]  # noqa: SLF001  read_prefix must not inflate it again
    assert entries.read_prefix("a.bin", 40) == data[:40]
    assert entries.read_prefix("a.bin", len(data) + 1) == data
    entries.forget_inflated()
    with pytest.raises(AttributeError):
        entries.read_prefix("a.bin", 40)  # forgotten: back to zipfile (here removed)


def test_a_padded_entry_is_not_kept_and_a_bad_crc_still_fails_the_read() -> None:
    padded = b"dex\n035\0" + bytes(8 << 20)  # zeros: deflates ~1000x, the padding attack's shape
    entries = SafeZip(bytes(_zip(padded, zipfile.ZIP_DEFLATED)), "padded.apk")
    entries.keep_inflated(["a.bin"])
    entries.digest("a.bin", "sha256")
    assert not entries._kept  # noqa: SLF001  left to read_prefix, which inflates no further than asked

    data = _dex_like(1 << 20)
    raw = _zip(data, zipfile.ZIP_DEFLATED)
    crc_at = raw.rindex(b"PK\x01\x02") + 16  # the central directory's CRC, the one zipfile checks
    raw[crc_at:crc_at + 4] = struct.pack("<I", zipfile.crc32(data) ^ 1)
    local_crc = 14
    raw[local_crc:local_crc + 4] = struct.pack("<I", zipfile.crc32(data) ^ 1)
    entries = SafeZip(bytes(raw), "badcrc.apk")
    entries.keep_inflated(["a.bin"])
    assert entries.digest("a.bin", "sha256") == hashlib.sha256(data).digest()  # the digest is of the bytes
    with pytest.raises(CorruptZip, match="CRC"):
        entries.read_prefix("a.bin", len(data) + 1)  # as without keeping: zipfile's CRC check speaks


# --- dex inflated once, by the signing child, and handed over (scanner/android/signing_ahead.py) -------------


def test_an_entry_inflated_to_keep_is_what_zipfile_reads_and_its_digest_reuses_it() -> None:
    data = _dex_like(2 << 20)
    entries = SafeZip(bytes(_zip(data, zipfile.ZIP_DEFLATED)), "app.apk")
    assert entries.inflate_to_keep("a.bin") is None  # not named to keep_inflated
    entries.keep_inflated(["a.bin"])
    assert entries.inflate_to_keep("a.bin") == data
    entries._packed = None  # type: ignore[assignment,method-assign]  # noqa: SLF001  no second inflation
    assert entries.digest("a.bin", "sha256") == hashlib.sha256(data).digest()
    assert entries.read_prefix("a.bin", len(data) + 1) == data


def test_only_what_a_digest_would_keep_is_inflated_to_keep() -> None:
    """Stored, padded and CRC-damaged entries are left to the reads that report on them."""
    stored = SafeZip(bytes(_zip(_dex_like(1 << 16), zipfile.ZIP_STORED)), "stored.apk")
    padded = SafeZip(bytes(_zip(b"dex\n035\0" + bytes(8 << 20), zipfile.ZIP_DEFLATED)), "padded.apk")
    data = _dex_like(1 << 20)
    raw = _zip(data, zipfile.ZIP_DEFLATED)
    crc_at = raw.rindex(b"PK\x01\x02") + 16
    raw[crc_at:crc_at + 4] = struct.pack("<I", zipfile.crc32(data) ^ 1)
    bad_crc = SafeZip(bytes(raw), "badcrc.apk")
    for entries in (stored, padded, bad_crc):
        entries.keep_inflated(["a.bin"])
        assert entries.inflate_to_keep("a.bin") is None, entries.label
        assert not entries._kept  # noqa: SLF001


def test_bytes_inflated_elsewhere_are_taken_only_at_the_declared_size_and_crc() -> None:
    data = _dex_like(1 << 20)
    raw = bytes(_zip(data, zipfile.ZIP_DEFLATED))
    entries = SafeZip(raw, "app.apk")
    assert not entries.adopt_inflated("a.bin", data[:-1])  # short
    assert not entries.adopt_inflated("a.bin", data[:-1] + bytes([data[-1] ^ 1]))  # one bit off: CRC
    assert not entries.adopt_inflated("missing.bin", data)
    assert not entries._kept  # noqa: SLF001
    assert entries.adopt_inflated("a.bin", data)
    entries._zip = None  # type: ignore[assignment]  # noqa: SLF001  read_prefix reads the adopted bytes
    assert entries.read_prefix("a.bin", 40) == data[:40]
    stored = SafeZip(bytes(_zip(data, zipfile.ZIP_STORED)), "stored.apk")
    assert not stored.adopt_inflated("a.bin", data)  # nothing to save: read here as before
    padded_data = b"dex\n035\0" + bytes(8 << 20)
    padded = SafeZip(bytes(_zip(padded_data, zipfile.ZIP_DEFLATED)), "padded.apk")
    assert not padded.adopt_inflated("a.bin", padded_data)  # read_prefix inflates no further than asked
