"""The APK Signing Block reader: real blocks, a hand-assembled v3.1 block, and lengths that lie."""

from __future__ import annotations

import struct

import pytest

from scanner.android.signing.block import (
    V2_BLOCK_ID,
    V3_BLOCK_ID,
    V31_BLOCK_ID,
    SigningFormatError,
    find_signing_block,
    parse_signed_data,
    parse_signers,
    scheme_block,
    zip_sections,
)
from tests.conftest import FIXTURES
from tests.fuzz.mutate import signing_block as mutate_signing_block
from tests.signing.helpers import SIGNING, V31, Spec, cert_sha, new_key, prefixed, signed_apk, signing_block


def bounds_of(data: bytes) -> tuple[int, int]:
    """[start, end) of the signing block, found without our reader (EOCD offset, magic, trailing size)."""
    bounds = mutate_signing_block(data)
    if bounds is None:
        pytest.fail("the fixture has no APK Signing Block")
    return bounds


def block_of(data: bytes):  # type: ignore[no-untyped-def]
    view = memoryview(data)
    return find_signing_block(view, zip_sections(view))


def located(data: bytes):  # type: ignore[no-untyped-def]
    """The block our reader finds, checked to start where the independent finder (``bounds_of``) says."""
    block = block_of(data)
    if block is None:
        pytest.fail("our reader found no APK Signing Block")
    assert block.offset == bounds_of(data)[0]
    return block


def test_the_schemes_apksigner_wrote_are_found() -> None:
    data = (FIXTURES / "clean.apk").read_bytes()
    clean = block_of(data)
    assert (clean.offset if clean else None) == bounds_of(data)[0]  # where the magic and sizes say it starts
    assert scheme_block(clean, V2_BLOCK_ID) is not None and scheme_block(clean, V3_BLOCK_ID) is not None
    assert scheme_block(clean, V31_BLOCK_ID) is None
    data = (SIGNING / "v31.apk").read_bytes()
    v31 = block_of(data)
    assert (v31.offset if v31 else None) == bounds_of(data)[0]
    value = scheme_block(v31, V31_BLOCK_ID) if v31 else None
    assert value is not None and int.from_bytes(value[:4], "little") == len(value) - 4  # one length-prefixed list
    (signer,) = parse_signers(value, True, "v3.1")
    assert (signer.min_sdk, signer.max_sdk) == (33, 0x7FFFFFFF)
    assert block_of((SIGNING / "v1_only.apk").read_bytes()) is None


def test_a_hand_assembled_v31_block_reads_back() -> None:
    key, cert = new_key()
    apk = signed_apk({V31: [Spec(key, cert, min_sdk=33, max_sdk=34, attributes=[(0x1234, b"xy")])]})
    block = located(apk)
    value = scheme_block(block, V31_BLOCK_ID)
    assert value is not None and scheme_block(block, V3_BLOCK_ID) is None  # v3.1 under its own id only
    (record,) = parse_signers(value, True, "v3.1")
    assert (record.min_sdk, record.max_sdk) == (33, 34)
    assert [a for a, _ in record.signatures] == [0x0201]
    signed = parse_signed_data(record, True, "v3.1")
    assert (signed.min_sdk, signed.max_sdk) == (33, 34)
    assert [cert_sha(c) for c in signed.certificates] == [cert_sha(cert)]
    assert signed.attributes == ((0x1234, b"xy"),)


# -- lengths that lie --------------------------------------------------------------------------------------

CLEAN = (FIXTURES / "clean.apk").read_bytes()
EOCD = CLEAN.rindex(b"PK\x05\x06")
CD = struct.unpack_from("<I", CLEAN, EOCD + 16)[0]
SIZE = struct.unpack_from("<Q", CLEAN, CD - 24)[0]
START = CD - SIZE - 8


def patched(at: int, fmt: str, value: int) -> bytes:
    return CLEAN[:at] + struct.pack(fmt, value) + CLEAN[at + struct.calcsize(fmt):]


@pytest.mark.parametrize("data, words", [
    (patched(CD - 24, "<Q", SIZE + 8), "disagree"),  # the footer's size no longer matches the header's
    (patched(CD - 24, "<Q", CD + 100), "before the start"),  # a size reaching before the file
    (patched(CD - 24, "<Q", 1 << 40), "out of range"),
    (patched(START, "<Q", SIZE - 8), "disagree"),
])
def test_block_sizes_that_lie(data: bytes, words: str) -> None:
    with pytest.raises(SigningFormatError, match=words):
        block_of(data)


def test_a_pair_whose_length_lies() -> None:
    for size in (3, SIZE, 1 << 62):  # too short for an id, longer than the block, absurd
        block = located(patched(START + 8, "<Q", size))
        with pytest.raises(SigningFormatError, match="entry #1"):
            scheme_block(block, V2_BLOCK_ID)


def test_damage_after_a_pair_does_not_hide_it() -> None:
    body = struct.pack("<QI", 6, V2_BLOCK_ID) + b"ok" + struct.pack("<Q", 1 << 40)
    size = struct.pack("<Q", len(body) + 24)
    block = located(with_raw_block(size + body + size + b"APK Sig Block 42"))
    assert bytes(scheme_block(block, V2_BLOCK_ID) or b"") == b"ok"
    with pytest.raises(SigningFormatError, match="entry #2"):
        scheme_block(block, V3_BLOCK_ID)


def with_raw_block(block: bytes) -> bytes:
    unsigned = (SIGNING / "unsigned.apk").read_bytes()
    eocd = unsigned.rindex(b"PK\x05\x06")
    cd = struct.unpack_from("<I", unsigned, eocd + 16)[0]
    out = unsigned[:cd] + block + unsigned[cd:]
    at = eocd + len(block)
    return out[:at + 16] + struct.pack("<I", cd + len(block)) + out[at + 20:]


@pytest.mark.parametrize("value, words", [
    (struct.pack("<I", 100), "v2 signers"),  # the signers sequence longer than the value
    (prefixed(struct.pack("<I", 50) + b"x"), "signer #1"),  # one signer, longer than the sequence
    (prefixed(prefixed(prefixed(b"sd") + struct.pack("<I", 9))), "signatures"),  # signatures past the signer
    (prefixed(prefixed(prefixed(b"sd") + prefixed(struct.pack("<I", 1) + struct.pack("<I", 99)) + prefixed(b"k"))),
     "signature #1"),  # a signature whose bytes run past its record
])
def test_signer_records_that_lie(value: bytes, words: str) -> None:
    with pytest.raises(SigningFormatError, match=words):
        parse_signers(memoryview(value), False, "v2")


def test_v3_bounds_need_their_eight_bytes() -> None:
    with pytest.raises(SigningFormatError):
        parse_signers(memoryview(prefixed(prefixed(prefixed(b"sd") + b"\x01\x00"))), True, "v3")


def test_a_block_record_never_raises_anything_else() -> None:
    """Every truncation of a real v2 value: a record or a SigningFormatError, nothing else."""
    block = located(CLEAN)
    value = bytes(scheme_block(block, V2_BLOCK_ID) or b"")
    for cut in range(0, len(value), 7):
        try:
            for record in parse_signers(memoryview(value[:cut]), False, "v2"):
                parse_signed_data(record, False, "v2")
        except SigningFormatError:
            pass


def test_the_block_needs_an_end_record() -> None:
    with pytest.raises(SigningFormatError, match="end of central directory"):
        zip_sections(memoryview(b"PK\x03\x04" + bytes(40)))
    assert signing_block([]) .endswith(b"APK Sig Block 42")
