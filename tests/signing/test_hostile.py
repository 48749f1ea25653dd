"""Hostile input: damaged signing blocks and JAR signature files give a verdict and a reason, never a crash.

Seeded random edits (bit flips, boundary values in u32/u64 fields, cuts) of the signing block of every
block-signed fixture and of the .SF / .RSA of a v1 one; tests/fuzz/test_signing_verifier.py runs the
same property under hypothesis for longer.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
from pathlib import Path

import pytest

from scanner.android.signing import verify_signatures
from scanner.errors import ScanFailure
from scanner.input.safezip import SafeZip
from tests.conftest import FIXTURES
from tests.signing.helpers import SIGNING, apksigner, verdict

BOUNDARY = (0, 1, 3, 4, 7, 8, 0x7F, 0xFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)


def block_range(data: bytes) -> tuple[int, int]:
    eocd = data.rindex(b"PK\x05\x06")
    cd = struct.unpack_from("<I", data, eocd + 16)[0]
    return cd - struct.unpack_from("<Q", data, cd - 24)[0] - 8, cd


def mutate(data: bytes, low: int, high: int, rng: random.Random) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(low, high - 4)
        kind = rng.randrange(3)
        if kind == 0:
            out[at] ^= 1 << rng.randrange(8)
        elif kind == 1:
            out[at:at + 4] = struct.pack("<I", rng.choice(BOUNDARY))
        else:
            del out[at:at + rng.randint(1, 16)]
            out[at:at] = bytes(len(data) - len(out))  # keep the length: offsets after the block stay valid
    return bytes(out)


def outcome(data: bytes) -> str:
    try:
        apk = SafeZip(data, "hostile.apk")
    except ScanFailure:
        return "zip refused"
    result = verify_signatures(apk, 21, 36, target_sdk=33)
    assert result.verified == (result.reason is None)
    assert all((r.scheme is None) == (r.reason is not None) for r in result.trusted)
    return "verified" if result.verified else "refused"


@pytest.mark.parametrize("name", ["clean.apk", "signing/v31.apk", "signing/rotation.apk", "signing/verity.apk",
                                  "signing/ec.apk", "signing/dsa.apk"])
def test_damaged_signing_blocks(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    low, high = block_range(data)
    rng = random.Random(name)
    seen = {outcome(mutate(data, low, high, rng)) for _ in range(150)}
    assert "refused" in seen  # and nothing raised


def test_damaged_jar_signature_files() -> None:
    data = (SIGNING / "jar_signed_attrs.apk").read_bytes()
    rng = random.Random(7)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        originals = {n: z.read(n) for n in z.namelist()}
    for _ in range(120):
        name = rng.choice(["META-INF/RELEASE.SF", "META-INF/RELEASE.RSA", "META-INF/MANIFEST.MF"])
        content = mutate(originals[name], 0, len(originals[name]), rng)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as z:
            for entry, body in originals.items():
                z.writestr(entry, content if entry == name else body)
        assert outcome(out.getvalue()) in ("refused", "verified")


@pytest.mark.android_tools("apksigner")
def test_a_block_whose_sizes_disagree_is_ignored_as_android_does(tmp_path: Path) -> None:
    """Android treats an unreadable signing block as absent: v1 decides, and its .SF says v2 and v3 were there."""
    data = (FIXTURES / "clean.apk").read_bytes()
    start, cd = block_range(data)
    size = struct.unpack_from("<Q", data, cd - 24)[0]
    broken = data[:start] + struct.pack("<Q", size + 8) + data[start + 8:]
    path = tmp_path / "sizes.apk"
    path.write_bytes(broken)
    result = verdict(path)
    assert [(r.min_sdk, r.max_sdk, r.scheme) for r in result.trusted] == [(21, 23, "v1"), (24, 36, None)]
    assert "says the APK is also signed with v2" in (result.reason or "")
    assert [c.scheme for c in result.schemes] == ["v1"]
    assert not apksigner(str(path)).verifies and apksigner(str(path), 21, 23).verifies


def test_an_unsigned_apk_with_a_damaged_block_says_so() -> None:
    data = (SIGNING / "v2_only.apk").read_bytes()
    start, cd = block_range(data)
    broken = data[:start] + struct.pack("<Q", 12345) + data[start + 8:]
    result = verify_signatures(SafeZip(broken, "x.apk"), 24)
    assert not result.verified and "the APK Signing Block is damaged" in (result.reason or "")
    assert "disagree" in (result.reason or "")
