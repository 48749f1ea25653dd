"""Zip access with limits, because APKs are hostile input.

The standard library's ``zipfile`` reads the central directory the way Android's
``libziparchive`` does; what it lacks are the checks Android (or a careful
scanner) applies on top: duplicate names are rejected (Android refuses to
install such a package since they let two parsers see different files), and
inflation is bounded so a zip bomb cannot exhaust memory.

Compression methods other than STORED (0) and DEFLATED (8) are read the way Android reads them, which
differs by reader: the resource reader (libandroidfw, used for the manifest, ``resources.arsc`` and
``res/``) inflates every entry not marked STORED, so a deflated manifest that declares method 0x5a5a
installs while ``zipfile`` refuses it (an evasion seen in the wild); the code loader reads only STORED and
DEFLATED, so such a dex is not run. ``read`` follows the first, ``read_prefix`` (dex) the second; both
were checked against aapt and dexdump, which are built from those libraries.
"""

from __future__ import annotations

import copy
import hashlib
import io
import struct
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass
from typing import Any

from scanner.errors import CorruptZip, DuplicateEntry, NotAZip, TruncatedZip, ZipLimitExceeded

KNOWN_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_PIECE = 1 << 20  # streamed reads
_ENCRYPTED = 0x01  # general-purpose flag bit 0
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, RuntimeError, OSError)


@dataclass(frozen=True, slots=True)
class ZipLimits:
    """Bounds for one archive; the defaults admit every real app we have seen."""

    max_entries: int = 100_000
    max_entry_size: int = 512 << 20  # one inflated entry (a dex or an embedded split)
    max_total_size: int = 4 << 30  # sum of declared inflated sizes
    max_ratio: int = 500  # declared inflated/compressed ratio ...
    ratio_floor: int = 16 << 20  # ... checked for entries at least this large


DEFAULT_LIMITS = ZipLimits()


class SafeZip:
    """A zip archive held in memory, validated once, read with bounded inflation."""

    def __init__(self, data: bytes, label: str, limits: ZipLimits = DEFAULT_LIMITS) -> None:
        self.label = label
        self.data = data
        self.limits = limits
        self._zip = _open(data, label)
        infos = self._zip.infolist()
        if len(infos) > limits.max_entries:
            raise ZipLimitExceeded(label, f"{len(infos)} zip entries, over the limit of {limits.max_entries}")
        duplicates = sorted(name for name, n in Counter(i.filename for i in infos).items() if n > 1)
        if duplicates:
            raise DuplicateEntry(
                label,
                f"duplicate zip entry {duplicates[0]!r} (Android rejects packages with duplicate entries)",
            )
        _check_declared_sizes(infos, label, limits)
        self._infos = {i.filename: i for i in infos}

    def names(self) -> list[str]:
        return list(self._infos)

    def view(self, names: dict[str, str], label: str) -> SafeZip:
        """Some entries of this zip under other names (``{new: existing}``), read with the same data and
        limits: an app bundle's module read as the APK bundletool makes of it (``scanner/input/bundle.py``)."""
        other = copy.copy(self)
        other.label = label
        other._infos = {new: self._infos[old] for new, old in names.items()}
        return other

    def __contains__(self, name: str) -> bool:
        return name in self._infos

    def size(self, name: str) -> int:
        return self._infos[name].file_size

    def read(self, name: str) -> bytes:
        """Inflate one entry, never past its declared size or the per-entry limit."""
        info = self._infos[name]
        limit = min(info.file_size, self.limits.max_entry_size)
        if info.file_size > self.limits.max_entry_size:
            raise ZipLimitExceeded(
                self.label,
                f"entry {name!r} inflates to {info.file_size} bytes, over the limit of "
                f"{self.limits.max_entry_size}",
            )
        if info.compress_type not in KNOWN_METHODS:
            data = self._inflate_unknown(info, limit)
        else:
            try:
                with self._zip.open(info) as stream:
                    data = stream.read(limit + 1)  # one read: zipfile stops at the declared size
            except _READ_ERRORS as exc:
                # RuntimeError: the entry is marked encrypted, which Android's zip reader refuses too
                raise CorruptZip(self.label, f"cannot inflate entry {name!r}: {exc}") from None
        if len(data) > limit:
            raise ZipLimitExceeded(
                self.label, f"entry {name!r} inflates past its declared size of {info.file_size}")
        return data


    def digest(self, name: str, algorithm: str) -> bytes:
        """The hash of an entry's inflated bytes, streamed in 1 MiB pieces: memory stays flat however large
        the entry (a v1 signature check hashes every entry, and a dex may be padded to hundreds of MiB).

        Why not ``zipfile.open``: the v1 check hashes every entry of the APK, and on a 3,000-entry store
        app the per-entry file-object machinery cost as much as the inflation; this reads the entry's bytes
        where the local header says they start, a stored one without a copy.
        """
        info = self._infos[name]
        if info.file_size > self.limits.max_entry_size:
            raise ZipLimitExceeded(self.label, f"entry {name!r} inflates to {info.file_size} bytes, over the limit "
                                               f"of {self.limits.max_entry_size}")
        hasher = hashlib.new(algorithm)
        if info.compress_type not in KNOWN_METHODS or info.flag_bits & _ENCRYPTED:
            hasher.update(self.read(name))  # the unusual cases keep read()'s handling and errors
            return hasher.digest()
        packed = self._packed(info)
        if info.compress_type == zipfile.ZIP_STORED:
            if len(packed) != info.file_size:
                raise CorruptZip(self.label, f"cannot read entry {name!r}: the file ends inside it")
            hasher.update(packed)
            return hasher.digest()
        self._hash_deflated(packed, hasher, info)
        return hasher.digest()

    def _hash_deflated(self, packed: memoryview, hasher: Any, info: zipfile.ZipInfo) -> None:
        """Inflate in pieces of at most 1 MiB into ``hasher``, never past the declared size."""
        inflater, total, name = zlib.decompressobj(-15), 0, info.filename
        try:
            for at in range(0, len(packed), _PIECE):
                piece = inflater.decompress(packed[at:at + _PIECE], _PIECE)
                while True:
                    total += len(piece)
                    if total > info.file_size:
                        raise ZipLimitExceeded(
                            self.label, f"entry {name!r} inflates past its declared size of {info.file_size}")
                    hasher.update(piece)
                    if not inflater.unconsumed_tail:
                        break
                    piece = inflater.decompress(inflater.unconsumed_tail, _PIECE)
            hasher.update(rest := inflater.flush())
            total += len(rest)
        except zlib.error as exc:
            raise CorruptZip(self.label, f"cannot inflate entry {name!r}: {exc}") from None
        if total != info.file_size:
            raise CorruptZip(self.label, f"cannot inflate entry {name!r}: {total} bytes, {info.file_size} declared")

    def _packed(self, info: zipfile.ZipInfo) -> memoryview:
        """The entry's stored (compressed) bytes, found through its local header."""
        at = info.header_offset
        head = self.data[at:at + 30]
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise CorruptZip(self.label, f"entry {info.filename!r} has no local header at offset {at}")
        name_len, extra_len = struct.unpack_from("<HH", head, 26)
        start = at + 30 + name_len + extra_len
        return memoryview(self.data)[start:start + info.compress_size]

    def read_prefix(self, name: str, size: int) -> bytes:
        """The first ``size`` bytes of an entry (fewer if it is shorter), inflating no further.

        For formats whose header says how long they are (a dex): the rest is never inflated.
        """
        size = max(0, min(size, self.limits.max_entry_size))
        info = self._infos[name]
        if info.compress_type not in KNOWN_METHODS:
            raise CorruptZip(self.label, f"entry {name!r} declares compression method {info.compress_type:#06x}, "
                                         "which Android's code loader does not read (only STORED and DEFLATED)")
        try:
            with self._zip.open(info) as stream:
                return stream.read(size)
        except _READ_ERRORS as exc:
            # RuntimeError: the entry is marked encrypted, which Android's zip reader refuses too
            raise CorruptZip(self.label, f"cannot inflate entry {name!r}: {exc}") from None

    def infos(self) -> list[zipfile.ZipInfo]:
        """The central directory's records, in order (for the checks of ``scanner.input.ziptricks``)."""
        return list(self._infos.values())

    def _inflate_unknown(self, info: zipfile.ZipInfo, limit: int) -> bytes:
        """An entry whose method is neither STORED nor DEFLATED, inflated as Android's resource reader does."""
        packed = self._packed(info)
        inflater = zlib.decompressobj(-15)
        try:
            data = inflater.decompress(packed, limit + 1)
        except zlib.error as exc:
            raise CorruptZip(self.label, (
                f"cannot read entry {info.filename!r}: it declares compression method {info.compress_type:#06x}, "
                f"which Android's resource reader inflates, and it does not inflate ({exc})")) from None
        return data


def _open(data: bytes, label: str) -> zipfile.ZipFile:
    if not data:
        raise NotAZip(label, "empty file")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        if data[:4] == b"PK\x03\x04":
            raise TruncatedZip(
                label, f"zip is truncated or damaged: its central directory cannot be read ({exc})"
            ) from None
        raise NotAZip(label, "not a zip archive (an APK is a zip file)") from None
    except (OSError, ValueError, EOFError, NotImplementedError) as exc:  # e.g. "zip file version 12.7"
        raise CorruptZip(label, f"zip cannot be read: {exc}") from None


def _check_declared_sizes(infos: list[zipfile.ZipInfo], label: str, limits: ZipLimits) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size >= limits.ratio_floor:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > limits.max_ratio:
                raise ZipLimitExceeded(
                    label,
                    f"entry {info.filename!r} declares {info.file_size} bytes from {info.compress_size} "
                    f"(ratio {ratio:.0f}:1, over the limit of {limits.max_ratio}:1): a zip bomb",
                )
    if total > limits.max_total_size:
        raise ZipLimitExceeded(
            label, f"entries declare {total} inflated bytes, over the limit of {limits.max_total_size}"
        )
