"""The APK Signing Block: where it is, its ID-value pairs, and the v2 / v3 / v3.1 signer records inside.

File layout: ``[zip entries][APK Signing Block][central directory][end of central directory]``. The block
is ``u64 size, (u64 length, u32 id, value)*, u64 size, "APK Sig Block 42"``; both sizes count everything
after the first one. A scheme's value is ``length-prefixed sequence of length-prefixed signers``, each
signer ``signed data, [v3: u32 min SDK, u32 max SDK], signatures, public key`` (all lengths u32 little
endian). Every length and count is checked against the bytes that remain before it is used: a structure
that does not add up is a ``SigningFormatError`` saying what and where, never an IndexError or
struct.error. The big sections stay memoryviews of the APK; only the small records are copied.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"APK Sig Block 42"
V2_BLOCK_ID = 0x7109871A
V3_BLOCK_ID = 0xF05368C0
V31_BLOCK_ID = 0x1B93AD61
_EOCD = b"PK\x05\x06"
_EOCD_SIZE = 22
_MAX_COMMENT = 0xFFFF


class SigningFormatError(ValueError):
    """A signing structure (zip sections, signing block, signer record, lineage) that does not add up."""


class Reader:
    """Little-endian reads from a memoryview, each bounded by what remains."""

    __slots__ = ("_view", "_at", "what")

    def __init__(self, view: memoryview, what: str) -> None:
        self._view, self._at, self.what = view, 0, what

    @property
    def remaining(self) -> int:
        return len(self._view) - self._at

    def take(self, size: int, what: str | None = None) -> memoryview:
        if size < 0 or size > self.remaining:
            raise SigningFormatError(f"{what or self.what}: needs {size} bytes at offset {self._at}, "
                                     f"only {self.remaining} remain")
        part = self._view[self._at:self._at + size]
        self._at += size
        return part

    def u32(self) -> int:
        value: int = struct.unpack("<I", self.take(4))[0]
        return value

    def u64(self) -> int:
        value: int = struct.unpack("<Q", self.take(8))[0]
        return value

    def prefixed(self, what: str | None = None) -> memoryview:
        """A u32 length, then that many bytes (``what`` names them in the error if they are not there)."""
        return self.take(self.u32(), what)

    def rest(self) -> memoryview:
        return self.take(self.remaining)


@dataclass(frozen=True, slots=True)
class ZipSections:
    cd_offset: int
    eocd_offset: int
    eocd: bytes  # the end of central directory record, comment included


@dataclass(frozen=True, slots=True)
class SigningBlock:
    offset: int  # where the block starts: the end of the zip entries
    pairs: memoryview  # the ID-value pairs


def zip_sections(data: memoryview) -> ZipSections:
    """The central directory and end record, found the way apksig finds them (no zip64)."""
    eocd = _find_eocd(data)
    if eocd < 0:
        raise SigningFormatError("no zip end of central directory record")
    cd_size, cd_offset = struct.unpack_from("<II", data, eocd + 12)
    if cd_offset > eocd or cd_offset + cd_size > eocd:
        raise SigningFormatError(f"the central directory ({cd_offset}, {cd_size} bytes) runs past the end record "
                                 f"at {eocd}")
    return ZipSections(cd_offset, eocd, bytes(data[eocd:]))


def _find_eocd(data: memoryview) -> int:
    """The end record whose comment length reaches exactly the end of the file (searched from the end)."""
    size = len(data)
    if size < _EOCD_SIZE:
        return -1
    base = max(0, size - _EOCD_SIZE - _MAX_COMMENT)
    tail = bytes(data[base:])  # at most 64 KiB
    at = len(tail) - _EOCD_SIZE
    while at >= 0:
        at = tail.rfind(_EOCD, 0, at + 4)
        if at < 0:
            break
        if struct.unpack_from("<H", tail, at + 20)[0] == len(tail) - at - _EOCD_SIZE:
            return base + at
        at -= 1
    return -1


def find_signing_block(data: memoryview, sections: ZipSections) -> SigningBlock | None:
    """The APK Signing Block just before the central directory; None when there is none.

    A block whose sizes disagree or point outside the file is a SigningFormatError; Android then
    treats the APK as having no v2/v3 signature (and falls back to v1).
    """
    cd = sections.cd_offset
    cd_size = struct.unpack_from("<I", sections.eocd, 12)[0]
    if cd + cd_size != sections.eocd_offset:
        if cd >= 24 and data[cd - 16:cd] == MAGIC:
            raise SigningFormatError("the central directory is not immediately followed by its end record")
        return None
    if cd < 32 or data[cd - 16:cd] != MAGIC:
        return None
    footer_size: int = struct.unpack_from("<Q", data, cd - 24)[0]
    if footer_size < 24 or footer_size > 0x7FFFFFFF - 8:
        raise SigningFormatError(f"APK Signing Block size out of range: {footer_size}")
    start = cd - footer_size - 8
    if start < 0:
        raise SigningFormatError(f"APK Signing Block size {footer_size} reaches before the start of the file")
    header_size: int = struct.unpack_from("<Q", data, start)[0]
    if header_size != footer_size:
        raise SigningFormatError(f"APK Signing Block sizes disagree: {header_size} at its start, "
                                 f"{footer_size} at its end")
    return SigningBlock(start, data[start + 8:cd - 24])


def scheme_block(block: SigningBlock, block_id: int) -> memoryview | None:
    """The value of the first pair with ``block_id``; a damaged pair met before it is a SigningFormatError."""
    reader = Reader(block.pairs, "APK Signing Block")
    count = 0
    while reader.remaining:
        count += 1
        if reader.remaining < 8:
            raise SigningFormatError(f"APK Signing Block entry #{count}: too short for its size field")
        size = reader.u64()
        if size < 4 or size > reader.remaining:
            raise SigningFormatError(f"APK Signing Block entry #{count}: size {size} out of range "
                                     f"({reader.remaining} bytes remain)")
        value = Reader(reader.take(size), "APK Signing Block")
        if value.u32() == block_id:
            return value.rest()
    return None


@dataclass(frozen=True, slots=True)
class SignerRecord:
    """One signer as stored; only the signature over ``signed_data`` says whether any of it is genuine."""

    signed_data: bytes
    min_sdk: int | None  # v3 / v3.1 only, outside the signed data
    max_sdk: int | None
    signatures: tuple[tuple[int, bytes], ...]  # (algorithm id, signature)
    public_key: bytes  # SubjectPublicKeyInfo, DER


@dataclass(frozen=True, slots=True)
class SignedData:
    digests: tuple[tuple[int, bytes], ...]  # (algorithm id, content digest)
    certificates: tuple[bytes, ...]  # DER, the signer's first
    min_sdk: int | None
    max_sdk: int | None
    attributes: tuple[tuple[int, bytes], ...]  # (id, value)


def parse_signers(value: memoryview, v3: bool, scheme: str) -> tuple[SignerRecord, ...]:
    outer = Reader(value, f"{scheme} block")
    signers = Reader(outer.prefixed(f"{scheme} signers"), f"{scheme} signers")
    records: list[SignerRecord] = []
    while signers.remaining:
        who = f"{scheme} signer #{len(records) + 1}"
        signer = Reader(signers.prefixed(who), who)
        signed = bytes(signer.prefixed(f"{who} signed data"))
        low, high = (signer.u32(), signer.u32()) if v3 else (None, None)
        signatures = Reader(signer.prefixed(f"{who} signatures"), f"{who} signatures")
        public_key = bytes(signer.prefixed(f"{who} public key"))
        found: list[tuple[int, bytes]] = []
        while signatures.remaining:
            record = Reader(signatures.prefixed(), f"{who} signature #{len(found) + 1}")
            found.append((record.u32(), bytes(record.prefixed())))
        records.append(SignerRecord(signed, low, high, tuple(found), public_key))
    return tuple(records)


def parse_signed_data(record: SignerRecord, v3: bool, what: str) -> SignedData:
    reader = Reader(memoryview(record.signed_data), f"{what} signed data")
    digests = Reader(reader.prefixed(), f"{what} digests")
    certificates = Reader(reader.prefixed(), f"{what} certificates")
    low, high = (reader.u32(), reader.u32()) if v3 else (None, None)
    attributes = Reader(reader.prefixed(), f"{what} additional attributes")
    found_digests: list[tuple[int, bytes]] = []
    while digests.remaining:
        digest = Reader(digests.prefixed(), f"{what} digest #{len(found_digests) + 1}")
        found_digests.append((digest.u32(), bytes(digest.prefixed())))
    certs: list[bytes] = []
    while certificates.remaining:
        certs.append(bytes(certificates.prefixed()))
    attrs: list[tuple[int, bytes]] = []
    while attributes.remaining:
        attribute = Reader(attributes.prefixed(), f"{what} attribute #{len(attrs) + 1}")
        attrs.append((attribute.u32(), bytes(attribute.rest())))
    return SignedData(tuple(found_digests), tuple(certs), low, high, tuple(attrs))
