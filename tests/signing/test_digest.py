"""Content digests against plain re-computations (helpers.py) and against digests apksigner wrote."""

from __future__ import annotations

import hashlib
import random
import struct

import pytest

from scanner.android.signing.block import (
    V2_BLOCK_ID,
    find_signing_block,
    parse_signed_data,
    parse_signers,
    scheme_block,
    zip_sections,
)
from scanner.android.signing.digest import ContentDigests, DigestKind, chunked_digest, verity_digest, verity_root
from tests.conftest import FIXTURES
from tests.fuzz.mutate import signing_block as mutate_signing_block
from tests.signing.helpers import SIGNING, plain_chunked, plain_verity_root

MIB = 1 << 20


def noise(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


@pytest.mark.parametrize("sizes", [(0, 0, 22), (1, 5, 22), (MIB, MIB - 1, 22), (2 * MIB + 3, 70_000, 40)])
@pytest.mark.parametrize("name", ["sha256", "sha512"])
def test_chunked_digest_equals_the_plain_computation(sizes: tuple[int, int, int], name: str) -> None:
    parts = tuple(noise(n, i) for i, n in enumerate(sizes))
    new = hashlib.sha256 if name == "sha256" else hashlib.sha512
    assert chunked_digest(new, [memoryview(p) for p in parts]) == plain_chunked(name, parts)


def test_verity_of_one_short_page_by_hand() -> None:
    data = b"a" * 5000  # two pages, the second zero-padded; one level of two digests; the root over it
    salt = bytes(8)
    pages = [data[:4096], data[4096:] + bytes(3192)]
    level = b"".join(hashlib.sha256(salt + p).digest() for p in pages)
    assert verity_root([data]) == hashlib.sha256(salt + level + bytes(4096 - 64)).digest()
    assert verity_digest([data[:1000], data[1000:]]) == verity_root([data]) + struct.pack("<Q", 5000)


@pytest.mark.parametrize("sizes", [(1,), (4096,), (4097,), (8192, 5000, 22), (129 * 4096,), (600 * 1024, 333, 22),
                                   (40 * MIB // 10,)])
def test_verity_root_equals_the_plain_tree(sizes: tuple[int, ...]) -> None:
    """One page, exact pages, a page across sections, 129 pages (two levels), a three-level tree."""
    parts = [noise(n, n) for n in sizes]
    assert verity_root([memoryview(p) for p in parts]) == plain_verity_root(b"".join(parts))


def _digests(path: str) -> tuple[ContentDigests, dict[int, bytes]]:
    data = memoryview((FIXTURES / path).read_bytes())
    sections = zip_sections(data)
    block = find_signing_block(data, sections)
    bounds = mutate_signing_block(bytes(data))  # found independently: from the EOCD's offset and the magic
    assert bounds is not None and (block.offset if block else None, sections.cd_offset) == bounds
    value = scheme_block(block, V2_BLOCK_ID) if block else None
    assert value is not None and int.from_bytes(value[:4], "little") == len(value) - 4  # one length-prefixed list
    (record,) = parse_signers(value, False, "v2")
    written = dict(parse_signed_data(record, False, "v2").digests)
    return ContentDigests(data, block.offset, sections.cd_offset, sections.eocd_offset, sections.eocd), written


def test_digests_equal_those_apksigner_wrote() -> None:
    """verity.apk was signed with ``--verity-enabled``: apksigner wrote a chunked SHA-256 and a verity digest."""
    digests, written = _digests("signing/verity.apk")
    assert set(written) == {0x0103, 0x0421}
    assert digests.get(DigestKind.SHA256) == written[0x0103]
    assert digests.get(DigestKind.VERITY) == written[0x0421]
    assert digests.verity_misalignment() is None
    clean, written = _digests("clean.apk")
    assert clean.get(DigestKind.SHA256) == written[0x0103]


def test_each_kind_is_computed_once() -> None:
    digests, _ = _digests("clean.apk")
    first = digests.get(DigestKind.SHA512)
    digests.sections = ()  # a second computation would now give another value
    assert digests.get(DigestKind.SHA512) is first


def test_a_block_off_the_page_grid_is_no_place_for_verity() -> None:
    data = memoryview((SIGNING / "tampered_dex.apk").read_bytes())  # rebuilt by zipfile, block kept
    sections = zip_sections(data)
    block = find_signing_block(data, sections)
    assert block is not None and block.offset % 4096
    digests = ContentDigests(data, block.offset, sections.cd_offset, sections.eocd_offset, sections.eocd)
    assert "not on a 4 KiB boundary" in (digests.verity_misalignment() or "")
