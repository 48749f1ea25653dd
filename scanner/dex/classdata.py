"""Decode every class's method list in one vectorised pass over the LEB128 class data.

A class_data_item is a run of ULEB128 numbers (field and method counts, then
index deltas, access flags and code offsets). Decoding each number in a Python
loop costs ~1 µs; decoding the whole run with NumPy (terminator bytes mark where
numbers end, ``reduceat`` sums the 7-bit groups) makes it a few array passes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from scanner.errors import DexFormatError

_CLASS_DATA_ITEM = 0x2000



class DexFile(Protocol):
    """The tables of one dex file that class data decoding reads (``scanner.dex.file.DexFile`` has them);
    a protocol, so this module needs nothing from the module that uses it."""

    label: str
    name: str
    data: bytes

    @property
    def u8(self) -> np.ndarray: ...

    @property
    def map_off(self) -> int: ...

    @property
    def class_defs(self) -> np.ndarray: ...

    @property
    def method_ids(self) -> np.ndarray: ...

    @property
    def field_ids(self) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class DefinedMethods:
    """Methods defined in one dex, as parallel arrays (one row per method, code or not)."""

    class_def: np.ndarray  # index into class_defs
    method_idx: np.ndarray  # index into method_ids
    access_flags: np.ndarray
    insns_start: np.ndarray  # first code unit in the file (0 when abstract/native)
    insns_size: np.ndarray  # code length in units (0 when abstract/native)

    def __len__(self) -> int:
        return len(self.method_idx)


# The longest ULEB128 a dex may hold (a 32-bit value); a longer run is hostile, read by ``_uleb_run_long``.
_ULEB_MAX = 5


def _uleb_run(u8: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values of a run of ULEB128 numbers and the byte offset where each starts.

    Byte k of every value is added in pass k, over the values that long: no index array per byte, whose
    fresh memory cost more in page faults than the arithmetic (a store-sized dex's class data: 6.8 -> 4.0 ms in
    a new process)."""
    ends = np.flatnonzero((u8 & 0x80) == 0)
    if not len(ends):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    extra = ends - starts  # each value's bytes after its first
    if int(extra.max()) >= _ULEB_MAX:
        return _uleb_run_long(u8[: ends[-1] + 1], starts, extra + 1)
    values = (u8[starts] & 0x7F).astype(np.int64)
    for k in range(1, _ULEB_MAX):
        longer = np.flatnonzero(extra >= k)
        if not len(longer):
            break
        values[longer] |= (u8[starts[longer] + k] & 0x7F).astype(np.int64) << (7 * k)
    return values, starts


def _uleb_run_long(u8: np.ndarray, starts: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``_uleb_run`` where some value runs past 5 bytes: every byte summed at its shift, capped at 56 bits."""
    group = np.repeat(np.arange(len(starts)), lengths)
    shift = (np.arange(len(u8)) - starts[group]) * 7
    shift = np.minimum(shift, 56)
    values = np.add.reduceat((u8 & 0x7F).astype(np.int64) << shift, starts)
    return values, starts


def _segment_cumsum(values: np.ndarray, segment_starts: np.ndarray) -> np.ndarray:
    """Cumulative sums that restart at each segment start (positions in ``values``)."""
    total = np.cumsum(values)
    marks = np.zeros(len(values), np.int64)
    marks[segment_starts] = 1
    which = np.cumsum(marks) - 1
    bases = total[segment_starts] - values[segment_starts]
    restarted: np.ndarray = total - bases[which]
    return restarted


def _section(dex: DexFile, item_type: int) -> tuple[int, int] | None:
    """Byte range of one map_list section (items of one type are contiguous)."""
    data, off = dex.data, dex.map_off
    if not off or off + 4 > len(data):
        return None
    (n,) = struct.unpack_from("<I", data, off)
    if off + 4 + 12 * n > len(data):
        return None
    entries = [struct.unpack_from("<HHII", data, off + 4 + 12 * i) for i in range(n)]
    starts = sorted({e[3] for e in entries} | {len(data)})
    for kind, _, _, start in entries:
        if kind == item_type:
            if start >= len(data):
                raise DexFormatError(dex.label, f"{dex.name}: a map_list section starts past the end of the file")
            return start, next(s for s in starts if s > start)
    return None


def _read_uleb(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 35:
            raise IndexError
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if byte < 0x80:
            return value, pos
        shift += 7


def _class_data_slow(dex: DexFile, offsets: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Item by item, for dex files whose class data is not one contiguous section."""
    values: list[int] = []
    first = []
    for off in offsets:
        first.append(len(values))
        try:
            head = []
            for _ in range(4):
                v, off = _read_uleb(dex.data, off)
                head.append(v)
            values.extend(head)
            for _ in range(2 * (head[0] + head[1]) + 3 * (head[2] + head[3])):
                v, off = _read_uleb(dex.data, off)
                values.append(v)
        except IndexError:
            raise DexFormatError(dex.label, f"{dex.name}: class data runs past the end of the file") from None
    return np.array(values, np.int64), np.array(first, np.int64)


def _class_data_values(dex: DexFile, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All class data numbers, and the position of each class's first number."""
    section = _section(dex, _CLASS_DATA_ITEM)
    if section and offsets.min() >= section[0] and offsets.max() < section[1]:
        # decode no further than the last class's data can reach: a section padded with zeros
        # (hostile, or just a map_list pointing at the file's end) must not cost memory per byte
        reach = 5 * (4 + 2 * len(dex.field_ids) + 3 * len(dex.method_ids))
        end = min(section[1], int(offsets.max()) + reach)
        values, starts = _uleb_run(dex.u8[section[0]:end])
        first = np.searchsorted(starts, offsets - section[0])
        inside = first < len(starts)
        if inside.all() and (starts[first] == offsets - section[0]).all():
            return values, first
    return _class_data_slow(dex, offsets.tolist())


def read_defined_methods(dex: DexFile) -> DefinedMethods:
    offsets = dex.class_defs["data"].astype(np.int64)
    with_data = np.flatnonzero(offsets)
    empty = np.zeros(0, np.int64)
    if not len(with_data):
        return DefinedMethods(empty, empty, empty, empty, empty)
    values, first = _class_data_values(dex, offsets[with_data])
    if (first + 4 > len(values)).any():
        raise DexFormatError(dex.label, f"{dex.name}: class data of a class is malformed")
    static_n, inst_n = values[first], values[first + 1]
    direct_n, virtual_n = values[first + 2], values[first + 3]
    method_base = first + 4 + 2 * (static_n + inst_n)
    count = direct_n + virtual_n
    if (method_base + 3 * count > len(values)).any() or (count > len(dex.method_ids)).any():
        raise DexFormatError(dex.label, f"{dex.name}: class data of a class is malformed")
    total = int(count.sum())
    owner = np.repeat(np.arange(len(with_data)), count)
    seq = np.arange(total) - np.repeat(np.cumsum(count) - count, count)
    rows = np.repeat(method_base, count) + 3 * seq
    diffs, flags, code_off = values[rows], values[rows + 1], values[rows + 2]
    # method indices are deltas, restarting at the first direct and first virtual method
    restart = (seq == 0) | (seq == np.repeat(direct_n, count))
    method_idx = _segment_cumsum(diffs, np.flatnonzero(restart))
    if total and (method_idx.max() >= len(dex.method_ids) or method_idx.min() < 0):
        raise DexFormatError(dex.label, f"{dex.name}: a method index in class data is out of range")
    insns_start, insns_size = _code_ranges(dex, code_off)
    return DefinedMethods(with_data[owner], method_idx, flags, insns_start, insns_size)


def _code_ranges(dex: DexFile, code_off: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    has_code = code_off > 0
    if (code_off[has_code] + 16 > len(dex.data)).any():
        raise DexFormatError(dex.label, f"{dex.name}: a code item lies outside the file")
    u8 = dex.u8
    at = code_off[has_code] + 12
    size = np.zeros(len(code_off), np.int64)
    size[has_code] = (u8[at].astype(np.int64) | (u8[at + 1].astype(np.int64) << 8)
                      | (u8[at + 2].astype(np.int64) << 16) | (u8[at + 3].astype(np.int64) << 24))
    start = np.where(has_code, (code_off + 16) // 2, 0)
    if (start * 2 + size * 2 > len(dex.data)).any():
        raise DexFormatError(dex.label, f"{dex.name}: a method's code runs past the end of the file")
    return start, size
