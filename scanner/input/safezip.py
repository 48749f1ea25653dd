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
import threading
import zipfile
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scanner.errors import CorruptZip, DuplicateEntry, NotAZip, ScanFailure, TruncatedZip, ZipLimitExceeded

KNOWN_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_PIECE = 1 << 20  # streamed reads
_ENCRYPTED = 0x01  # general-purpose flag bit 0
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, RuntimeError, OSError)
# ``digest_all``'s cost model, in units of one byte hashed (SHA-256: 0.55 ns here): inflating and hashing
# a byte costs ~6 (a store app's dex: 3.1 ns/byte), and each entry ~4.5 KiB worth of Python overhead
_INFLATE_COST, _ENTRY_COST = 6, 4608
_PARALLEL_MIN = 16 << 20  # below this much work a second thread costs more than it saves
_LARGE = 1 << 20  # entries worth a thread's attention
_KEEP_RATIO = 16  # keep_inflated: dex files inflate ~3x; a padded one (zeros) ~1000x is not kept
DigestJob = tuple[str, str]  # (entry name, hashlib algorithm)


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
        self._keep: frozenset[str] = frozenset()  # entries whose inflated bytes a digest keeps for a later read
        self._kept: dict[str, bytes] = {}

    def names(self) -> list[str]:
        return list(self._infos)

    def keep_inflated(self, names: Sequence[str]) -> None:
        """Entries the caller will read with ``read_prefix`` after a digest may have inflated them (the dex files,
        which the v1 signature check hashes first): a digest that inflates one whole keeps its bytes, so it is
        inflated once (some 45 ms of a store app's scan). Kept only at an ordinary compression ratio: a padded
        entry is left to ``read_prefix``, which inflates no further than asked. ``forget_inflated`` drops them."""
        self._keep = frozenset(self._infos[n].filename for n in names if n in self._infos)

    def inflate_to_keep(self, name: str) -> bytes | None:
        """Inflate an entry named to ``keep_inflated`` now, as a digest would: its bytes, kept for the later
        digest and ``read_prefix``; None where a digest would not keep it (not deflated, padded, damaged: the
        digest or read then inflates it and says what is wrong). The signing child inflates the dex files first
        this way, to hand them over (``scanner/android/signing_ahead.py``)."""
        info = self._infos.get(name)
        if info is None or info.filename not in self._keep:
            return None
        if (kept := self._kept.get(info.filename)) is not None:
            return kept
        try:
            packed = self._packed(info)
            if self._keepable(info, len(packed)):
                self._inflate_kept(packed, _NO_HASH, info)
        except ScanFailure:
            return None
        return self._kept.get(info.filename)

    def adopt_inflated(self, name: str, data: bytes) -> bool:
        """Take an entry's bytes inflated elsewhere (by the signing child) for ``read_prefix``, on the terms a
        digest keeps its own (``_inflate_kept``): a deflated entry at an ordinary ratio, the declared size, the
        right CRC. False, and nothing kept, otherwise: ``read_prefix`` then inflates it here."""
        info = self._infos.get(name)
        if info is None or not self._keepable(info, info.compress_size) or len(data) != info.file_size \
                or zlib.crc32(data) != info.CRC:
            return False
        self._kept[info.filename] = data
        return True

    def _keepable(self, info: zipfile.ZipInfo, packed_size: int) -> bool:
        """The terms on which inflated bytes are kept whole: a deflated entry read from the bytes alone, within
        the per-entry limit, at an ordinary ratio (a padded one is left to ``read_prefix``)."""
        return info.compress_type == zipfile.ZIP_DEFLATED and _plain(info) \
            and info.file_size <= self.limits.max_entry_size and info.file_size <= _KEEP_RATIO * packed_size

    def forget_inflated(self) -> None:
        self._keep = frozenset()
        self._kept.clear()

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
        if (kept := self._kept.get(info.filename)) is not None:  # inflated whole already, its size and CRC right
            hasher.update(kept)
            return hasher.digest()
        if not _plain(info):
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

    def digest_all(self, jobs: Sequence[DigestJob]) -> dict[DigestJob, bytes | ScanFailure]:
        """``digest`` of many entries: each job's digest, or the ScanFailure it raised.

        A job that fails otherwise is left out, so the caller asking ``digest`` again sees the error where
        it asks (a v1 check asks in zip order and stops at the first problem). With enough work in large
        entries, some of them are hashed in a worker thread (``_lanes``): zlib and hashlib release the GIL
        on large buffers, so with a core free this cuts the digests of a store app (two 8 MiB dex) from 78
        to 49 ms at the same CPU time. Each digest is computed as alone: results do not depend on the split.
        """
        found: dict[DigestJob, bytes | ScanFailure] = {}
        mine, theirs = self._lanes(jobs)
        worker = None
        if theirs:
            worker = threading.Thread(target=self._digest_lane, args=(theirs, found), daemon=True,
                                      name="safezip-digest")
            try:
                worker.start()
            except RuntimeError:  # no thread to be had (the address-space cap): one lane then
                worker, mine, theirs = None, [*mine, *theirs], []
        self._digest_lane(mine, found)
        if worker is not None:
            worker.join()
        return found

    def _lanes(self, jobs: Sequence[DigestJob]) -> tuple[list[DigestJob], list[DigestJob]]:
        """(this thread's jobs, the worker's); the worker's empty when a thread is not worth it.

        Only large entries go to the worker, and this thread does its large ones before the small ones:
        small entries hold the GIL most of their time, and mixing them into both lanes made the threads
        wait on each other (measured: 20% more CPU time for a third less gain). Large ones are dealt
        largest first to the lane with less work, the small ones counted as this thread's from the start.
        """
        costs = {job: self._digest_cost(job[0]) for job in jobs}
        large = [job for job in jobs
                 if costs[job] >= _LARGE and (info := self._infos.get(job[0])) is not None and _plain(info)]
        if not large or sum(costs.values()) < _PARALLEL_MIN:
            return list(jobs), []
        chosen = set(large)
        load, theirs = [sum(c for job, c in costs.items() if job not in chosen), 0], set()
        for job in sorted(large, key=costs.__getitem__, reverse=True):
            if load[1] < load[0]:
                theirs.add(job)
            load[job in theirs] += costs[job]
        mine = [job for job in jobs if job in chosen and job not in theirs]
        mine += [job for job in jobs if job not in chosen]
        return mine, [job for job in jobs if job in theirs]

    def _digest_cost(self, name: str) -> int:
        info = self._infos.get(name)
        if info is None:
            return 0
        return info.file_size * (_INFLATE_COST if info.compress_type != zipfile.ZIP_STORED else 1) + _ENTRY_COST

    def _digest_lane(self, jobs: list[DigestJob], found: dict[DigestJob, bytes | ScanFailure]) -> None:
        for job in jobs:
            try:
                found[job] = self.digest(*job)
            except ScanFailure as exc:
                found[job] = exc
            except Exception:  # noqa: BLE001, S112  left out: the caller's own ``digest`` call raises it
                continue

    def _hash_deflated(self, packed: memoryview, hasher: Any, info: zipfile.ZipInfo) -> None:
        """Inflate in pieces of at most 1 MiB into ``hasher``, never past the declared size; an entry to keep
        (``keep_inflated``) in one piece instead, as ``read_prefix`` will want it."""
        if info.filename in self._keep and self._keepable(info, len(packed)):
            self._inflate_kept(packed, hasher, info)
            return
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

    def _inflate_kept(self, packed: memoryview, hasher: Any, info: zipfile.ZipInfo) -> None:
        """``_hash_deflated`` for an entry to keep: inflated in one call (one buffer of the declared size plus one
        byte, never two copies), checked the same way, kept when its CRC is right (else ``read_prefix`` reads it
        through ``zipfile``, which says what is wrong)."""
        inflater, name = zlib.decompressobj(-15), info.filename
        try:
            data = inflater.decompress(packed, info.file_size + 1)
            if len(data) > info.file_size:
                raise ZipLimitExceeded(
                    self.label, f"entry {name!r} inflates past its declared size of {info.file_size}")
            if rest := inflater.flush():
                data += rest
        except zlib.error as exc:
            raise CorruptZip(self.label, f"cannot inflate entry {name!r}: {exc}") from None
        if len(data) != info.file_size:
            raise CorruptZip(self.label, f"cannot inflate entry {name!r}: {len(data)} bytes, {info.file_size} declared")
        hasher.update(data)
        if zlib.crc32(data) == info.CRC:
            self._kept[name] = data

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
        if (kept := self._kept.get(info.filename)) is not None:  # a digest inflated it whole (keep_inflated)
            return kept if size >= len(kept) else kept[:size]
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


class _NoHash:
    """The hasher of an inflation done only to keep the bytes (``inflate_to_keep``)."""

    @staticmethod
    def update(data: bytes) -> None:
        pass


_NO_HASH = _NoHash()


def _plain(info: zipfile.ZipInfo) -> bool:
    """Whether ``digest`` reads the entry from the bytes alone (not through ``zipfile``, which a worker
    thread should not share)."""
    return info.compress_type in KNOWN_METHODS and not info.flag_bits & _ENCRYPTED


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
