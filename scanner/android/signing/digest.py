"""Content digests of APK Signature Schemes v2 and v3: what the signatures in the block vouch for.

The digested content is three sections of the file, the APK Signing Block left out: the zip entries
before the block, the central directory, and the end of central directory record with its central
directory offset replaced by the block's offset (so that the digest does not depend on the block).

* chunked SHA-256 / SHA-512: each section cut into 1 MiB chunks; each chunk digested as
  ``0xa5, u32 length, bytes``; the result is the digest of ``0x5a, u32 chunk count, chunk digests``.
* verity (algorithms 0x0421, 0x0423, 0x0425): a SHA-256 Merkle tree over 4 KiB pages of the three
  sections in a row (the last page zero-padded), every page salted with 8 zero bytes, each level padded
  to whole pages, up to a single page; the digest is the salted hash of that page followed by the
  u64 length of the digested content.

Each kind is computed once per APK whatever the number of schemes and signers that ask for it
(``ContentDigests`` caches), with hashlib over memoryview slices: the APK is never copied.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterator, Sequence
from enum import IntEnum
from typing import Any

CHUNK = 1 << 20
PAGE = 4096
_SALT = bytes(8)
_ZERO_PAGE = bytes(PAGE)


class DigestKind(IntEnum):
    SHA256 = 1
    SHA512 = 2
    VERITY = 3

    @property
    def label(self) -> str:
        return {1: "SHA-256", 2: "SHA-512", 3: "verity (SHA-256 Merkle tree)"}[self.value]


def chunked_digest(new: Callable[[], Any], sections: Sequence[memoryview | bytes]) -> bytes:
    """The 1 MiB chunked digest (``new`` makes a hashlib object: sha256 or sha512)."""
    count = sum(-(-len(s) // CHUNK) for s in sections)
    top = new()
    top.update(b"\x5a" + struct.pack("<I", count & 0xFFFFFFFF))
    for section in sections:
        view = memoryview(section)
        for at in range(0, len(view), CHUNK):
            piece = view[at:at + CHUNK]
            chunk = new()
            chunk.update(b"\xa5" + struct.pack("<I", len(piece)))
            chunk.update(piece)
            top.update(chunk.digest())
    return bytes(top.digest())


def _pages(sections: Sequence[memoryview | bytes]) -> Iterator[memoryview | bytes]:
    """The sections in a row as 4 KiB pages; only a page that straddles two sections is copied."""
    carry = b""
    for section in sections:
        view = memoryview(section)
        at = 0
        if carry:
            at = PAGE - len(carry)
            carry += bytes(view[:at])
            if len(carry) < PAGE:
                continue
            yield carry
            carry = b""
        whole = at + (len(view) - at) // PAGE * PAGE
        for start in range(at, whole, PAGE):
            yield view[start:start + PAGE]
        carry = bytes(view[whole:])
    if carry:
        yield carry + bytes(PAGE - len(carry))


def _salted(page: memoryview | bytes) -> bytes:
    h = hashlib.sha256(_SALT)
    h.update(page)
    return h.digest()


def verity_root(sections: Sequence[memoryview | bytes]) -> bytes:
    """The root hash of the 4 KiB SHA-256 Merkle tree over the sections in a row."""
    level = b"".join(_salted(page) for page in _pages(sections))
    while len(level) > PAGE:
        level = b"".join(_salted(page) for page in _pages([level]))
    return _salted(level + bytes(PAGE - len(level)))


def verity_digest(sections: Sequence[memoryview | bytes]) -> bytes:
    return verity_root(sections) + struct.pack("<Q", sum(len(s) for s in sections))


class ContentDigests:
    """The digests of one APK's content, each kind computed on first request and kept."""

    def __init__(self, data: memoryview, block_offset: int, cd_offset: int, eocd_offset: int, eocd: bytes) -> None:
        patched = eocd[:16] + struct.pack("<I", block_offset) + eocd[20:]
        self.sections: tuple[memoryview | bytes, ...] = (
            data[:block_offset], data[cd_offset:eocd_offset], patched)
        self.block_offset = block_offset
        self.block_size = cd_offset - block_offset
        self._done: dict[DigestKind, bytes] = {}

    def get(self, kind: DigestKind) -> bytes:
        if kind not in self._done:
            if kind is DigestKind.VERITY:
                self._done[kind] = verity_digest(self.sections)
            else:
                self._done[kind] = chunked_digest(
                    hashlib.sha256 if kind is DigestKind.SHA256 else hashlib.sha512, self.sections)
        return self._done[kind]

    def verity_misalignment(self) -> str | None:
        """Why the verity digest cannot apply here (Android requires a page-aligned block), or None."""
        if self.block_offset % PAGE:
            return f"the APK Signing Block starts at {self.block_offset}, not on a 4 KiB boundary"
        if self.block_size % PAGE:
            return f"the APK Signing Block is {self.block_size} bytes, not a multiple of 4 KiB"
        return None
