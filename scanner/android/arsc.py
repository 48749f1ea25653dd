"""The few things a scan needs from ``resources.arsc``, read without parsing the whole table.

Why by hand: androguard's ``ARSCParser`` decodes every package, type and entry of the table up
front; on a store app with tens of thousands of resources in dozens of locales that is half a
second, to look up one label. A scan needs only the global string pool (URLs in resource values)
and the values of a few resource ids (the label, the network security config, manifest values
given as references). This reader walks the chunk headers once, remembers where each type chunk
of each package starts, and decodes an entry only when it is asked for. ``tests/android/
test_arsc.py`` holds it to ``aapt dump badging`` and to androguard on every fixture.

Every offset and count is checked against the chunk it sits in; anything out of bounds raises
``ArscError`` (the caller records the table as unreadable and goes on).
"""

from __future__ import annotations

import bisect
import operator
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from scanner.android.resolve import follow_references

RES_STRING_POOL, RES_TABLE, RES_TABLE_PACKAGE, RES_TABLE_TYPE = 0x0001, 0x0002, 0x0200, 0x0201
TYPE_REFERENCE, TYPE_STRING, TYPE_INT_DEC, TYPE_INT_HEX, TYPE_INT_BOOLEAN = 0x01, 0x03, 0x10, 0x11, 0x12
_UTF8 = 0x100
_SPARSE = 0x01
_ENTRY_COMPLEX, _ENTRY_COMPACT = 0x0001, 0x0008
_NO_ENTRY = 0xFFFFFFFF


class ArscError(Exception):
    """The table is malformed where a lookup needed it."""


@dataclass(frozen=True, slots=True)
class Value:
    """One configuration's value of a resource: its data type, raw data, and whether it is the default."""

    default: bool  # the configuration with no qualifier (what aapt prints without a locale)
    data_type: int
    data: int


@dataclass(frozen=True, slots=True)
class _TypeChunk:
    offset: int  # of the chunk in the file
    header_size: int
    size: int
    entry_count: int
    entries_start: int
    sparse: bool
    default: bool


class ResourceTable:
    """Lazy view of one ``resources.arsc``."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        kind, header, size = self._chunk(0)
        if kind != RES_TABLE or size > len(data):
            raise ArscError("not a resource table")
        self._pool_at: int | None = None
        self._types: dict[tuple[int, int], list[_TypeChunk]] = {}  # (package id, type id) -> chunks
        at = header
        while at + 8 <= size:
            kind, _, chunk = self._chunk(at)
            if kind == RES_STRING_POOL and self._pool_at is None:
                self._pool_at = at
            elif kind == RES_TABLE_PACKAGE:
                self._index_package(at, chunk)
            at += chunk

    def _chunk(self, at: int) -> tuple[int, int, int]:
        if at < 0 or at + 8 > len(self.data):
            raise ArscError(f"chunk header at {at} lies outside the table")
        kind, header, size = struct.unpack_from("<HHI", self.data, at)
        if header < 8 or size < header or at + size > len(self.data):
            raise ArscError(f"chunk at {at} has impossible sizes ({header}, {size})")
        return kind, header, size

    def _index_package(self, at: int, size: int) -> None:
        _, header, _ = self._chunk(at)
        if header < 12:
            raise ArscError("package header too short")
        (package_id,) = struct.unpack_from("<I", self.data, at + 8)
        inner = at + header
        while inner + 8 <= at + size:
            kind, type_header, chunk = self._chunk(inner)
            if kind == RES_TABLE_TYPE:
                self._index_type(package_id, inner, type_header, chunk)
            inner += chunk

    def _index_type(self, package_id: int, at: int, header: int, size: int) -> None:
        if header < 20 + 4:
            raise ArscError("type chunk header too short")
        type_id, flags, _, count, start = struct.unpack_from("<BBHII", self.data, at + 8)
        config_at = at + 20
        (config_size,) = struct.unpack_from("<I", self.data, config_at)
        if config_size < 4 or 20 + config_size > header:
            raise ArscError("type chunk configuration does not fit its header")
        default = not any(self.data[config_at + 4: config_at + config_size])
        chunk = _TypeChunk(at, header, size, count, start, bool(flags & _SPARSE), default)
        self._types.setdefault((package_id, type_id), []).append(chunk)

    # -- strings ---------------------------------------------------------------------------------

    @cached_property
    def _pool(self) -> _StringPool | None:
        return None if self._pool_at is None else _StringPool(self.data, self._pool_at)

    @property
    def strings(self) -> tuple[str, ...]:
        """The whole global string pool (every string value of the table), decoded."""
        pool = self._pool
        return tuple(pool.read(i) for i in range(pool.count)) if pool else ()

    def strings_containing(self, text: str) -> tuple[str, ...]:
        """The pool's strings that contain ``text``, found in the raw bytes first: a store app's pool holds
        ~10^5 strings, of which a scan wants the few with a URL in them."""
        pool = self._pool
        return tuple(pool.read(i) for i in pool.holding(text)) if pool else ()

    def string(self, index: int) -> str:
        pool = self._pool
        if pool is None or not 0 <= index < pool.count:
            raise ArscError(f"string index {index} outside the pool")
        return pool.read(index)

    # -- values ----------------------------------------------------------------------------------

    def values(self, res_id: int) -> list[Value]:
        """Every configuration's simple value of ``res_id``, the default configuration first."""
        package_id, type_id, entry = res_id >> 24, (res_id >> 16) & 0xFF, res_id & 0xFFFF
        out = [v for chunk in self._types.get((package_id, type_id), ())
               if (v := self._value(chunk, entry)) is not None]
        return sorted(out, key=lambda v: not v.default)

    def strings_of(self, res_id: int) -> list[str]:
        """The string values of ``res_id`` in every configuration (default first), references followed."""
        return self.texts_of(res_id, strings_only=True)

    def texts_of(self, res_id: int, strings_only: bool = False) -> list[str]:
        """Like ``strings_of``, plus booleans and integers as aapt prints them (``false``, ``42``, ``0x2a``)."""
        return list(dict.fromkeys(follow_references(res_id, lambda current: self._texts(current, strings_only))))

    def _texts(self, res_id: int, strings_only: bool) -> tuple[list[str], list[int]]:
        texts: list[str] = []
        references: list[int] = []
        for value in self.values(res_id):
            if value.data_type == TYPE_STRING:
                texts.append(self.string(value.data))
            elif value.data_type == TYPE_REFERENCE and value.data:
                references.append(value.data)
            elif strings_only:
                continue
            elif value.data_type == TYPE_INT_BOOLEAN:
                texts.append("true" if value.data else "false")
            elif value.data_type == TYPE_INT_DEC:
                texts.append(str(value.data - (1 << 32) if value.data >= 1 << 31 else value.data))
            elif value.data_type == TYPE_INT_HEX:
                texts.append(f"0x{value.data:x}")
        return texts, references

    def _value(self, chunk: _TypeChunk, entry: int) -> Value | None:
        offset = self._entry_offset(chunk, entry)
        if offset is None:
            return None
        at = chunk.offset + chunk.entries_start + offset
        end = chunk.offset + chunk.size
        if at + 8 > end:
            raise ArscError("entry lies outside its type chunk")
        size, flags = struct.unpack_from("<HH", self.data, at)
        if flags & _ENTRY_COMPACT:  # key in the size field, the type in the flags' high byte, data after
            (data,) = struct.unpack_from("<I", self.data, at + 4)
            return Value(chunk.default, flags >> 8, data)
        if flags & _ENTRY_COMPLEX:
            return None  # a style, array or plural: not a single value
        if size < 8 or at + size + 8 > end:
            raise ArscError("entry value lies outside its type chunk")
        _, _, data_type, data = struct.unpack_from("<HBBI", self.data, at + size)
        return Value(chunk.default, data_type, data)

    def _entry_offset(self, chunk: _TypeChunk, entry: int) -> int | None:
        base = chunk.offset + chunk.header_size
        if base + 4 * chunk.entry_count > chunk.offset + chunk.size:
            raise ArscError("entry offsets lie outside their type chunk")
        if chunk.sparse:  # sorted (entry index, offset / 4) pairs
            lo, hi = 0, chunk.entry_count
            while lo < hi:
                mid = (lo + hi) // 2
                index, quarter = struct.unpack_from("<HH", self.data, base + 4 * mid)
                if index == entry:
                    return int(quarter) * 4
                lo, hi = (mid + 1, hi) if index < entry else (lo, mid)
            return None
        if entry >= chunk.entry_count:
            return None
        (offset,) = struct.unpack_from("<I", self.data, base + 4 * entry)
        return None if offset == _NO_ENTRY else offset


class _StringPool:
    """A ``ResStringPool`` chunk: UTF-8 or UTF-16 strings behind an offset table."""

    def __init__(self, data: bytes, at: int) -> None:
        if at + 28 > len(data):
            raise ArscError("string pool header lies outside the table")
        _, header, size, count, _, flags, strings_start, _ = struct.unpack_from("<HHIIIIII", data, at)
        if header < 28 or at + size > len(data) or header + 4 * count > size or strings_start > size:
            raise ArscError("string pool sizes are impossible")
        self.data, self.at, self.size, self.count = data, at, size, count
        self.utf8, self.start = bool(flags & _UTF8), at + strings_start
        self.offsets = struct.unpack_from(f"<{count}I", data, at + header)

    def read(self, index: int) -> str:
        return self._read(self.start + self.offsets[index])

    def holding(self, text: str) -> list[int]:
        """Indices of the strings whose bytes contain ``text`` (each string's bytes follow its offset).

        The pool's bytes are searched in place, and the offsets put in order only when there is a hit and
        they are not in order already (aapt writes them in order): sorting a store app's ~10^5 offsets for
        every scan cost ~10 ms."""
        needle = text.encode("utf-8" if self.utf8 else "utf-16-le")
        lo, hi, data = self.start, self.at + self.size, self.data
        hits: list[int] = []
        at = data.find(needle, lo, hi)
        while at >= 0:
            if self.utf8 or (at - lo) % 2 == 0:  # UTF-16 text sits on even offsets
                hits.append(at - lo)
            at = data.find(needle, at + 1, hi)
        if not hits:
            return []
        offsets = self.offsets
        order: Sequence[int]
        if all(map(operator.le, offsets, offsets[1:])):
            order, starts = range(len(offsets)), offsets
        else:
            order = sorted(range(self.count), key=offsets.__getitem__)
            starts = tuple(offsets[i] for i in order)
        found: list[int] = []
        for at in hits:
            slot = bisect.bisect_right(starts, at) - 1
            if slot >= 0 and (not found or found[-1] != order[slot]):
                found.append(order[slot])
        return sorted(set(found))

    def _read(self, at: int) -> str:
        end = self.at + self.size
        if self.utf8:
            at = self._skip_length8(at, end)  # length in characters
            length, at = self._length8(at, end)  # length in bytes
            if at + length > end:
                raise ArscError("a string lies outside the pool")
            return self.data[at:at + length].decode("utf-8", errors="replace")
        if at + 2 > end:
            raise ArscError("a string lies outside the pool")
        (length,) = struct.unpack_from("<H", self.data, at)
        at += 2
        if length & 0x8000:
            if at + 2 > end:
                raise ArscError("a string lies outside the pool")
            (low,) = struct.unpack_from("<H", self.data, at)
            length, at = ((length & 0x7FFF) << 16) | low, at + 2
        if at + 2 * length > end:
            raise ArscError("a string lies outside the pool")
        return self.data[at:at + 2 * length].decode("utf-16-le", errors="replace")

    def _length8(self, at: int, end: int) -> tuple[int, int]:
        if at + 1 > end:
            raise ArscError("a string lies outside the pool")
        first = self.data[at]
        if first & 0x80:
            if at + 2 > end:
                raise ArscError("a string lies outside the pool")
            return ((first & 0x7F) << 8) | self.data[at + 1], at + 2
        return first, at + 1

    def _skip_length8(self, at: int, end: int) -> int:
        return self._length8(at, end)[1]


def parse_reference(text: str) -> int | None:
    """``@7F020000`` (how the manifest reader renders a reference) -> 0x7F020000; anything else -> None."""
    if not text.startswith("@") or text.startswith("@android:"):
        return None
    try:
        value = int(text[1:], 16)
    except ValueError:
        return None
    return value if 0 < value <= 0xFFFFFFFF else None
