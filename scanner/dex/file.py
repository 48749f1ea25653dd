"""One DEX file: header, id tables, strings and class data, read with NumPy.

Why by hand rather than androguard's DEX objects: we need names and code
offsets, not a decoded instruction model, and reading the fixed-size tables as
NumPy arrays (and the LEB128 class data in one vectorised pass) costs a small
multiple of inflating the file, where androguard's objects cost ~40× (``make bench``
measures both on the same APK).
"""

from __future__ import annotations

import struct
from functools import cached_property

import numpy as np

from scanner.dex.classdata import DefinedMethods, read_defined_methods
from scanner.dex.mutf8 import decode_mutf8
from scanner.errors import DexFormatError

_HEADER = struct.Struct("<8sI20s20I")  # magic, checksum, signature, 20 sizes/offsets
_METHODS = np.dtype([("cls", "<u2"), ("proto", "<u2"), ("name", "<u4")])
_FIELDS = np.dtype([("cls", "<u2"), ("type", "<u2"), ("name", "<u4")])
_PROTOS = np.dtype([("shorty", "<u4"), ("ret", "<u4"), ("params", "<u4")])
_CLASS_DEFS = np.dtype([("cls", "<u4"), ("flags", "<u4"), ("super", "<u4"), ("ifaces", "<u4"),
                        ("src", "<u4"), ("annotations", "<u4"), ("data", "<u4"), ("static", "<u4")])
NO_INDEX = 0xFFFFFFFF


class DexFile:
    """Read-only view of one dex; tables are parsed up front, names on demand."""

    def __init__(self, data: bytes, name: str, label: str) -> None:
        self.name, self.label, self.data = name, label, data
        if len(data) < _HEADER.size or data[:4] != b"dex\n" or data[7] != 0:
            raise DexFormatError(label, f"{name} is not a DEX file (bad magic)")
        head = _HEADER.unpack_from(data)
        if head[5] != 0x12345678:
            raise DexFormatError(label, f"{name} has an unsupported byte order")
        (string_n, string_off, type_n, type_off, proto_n, proto_off, field_n, field_off,
         method_n, method_off, class_n, class_off) = head[9:21]
        self.map_off = head[8]
        self.u8 = np.frombuffer(data, dtype=np.uint8)
        self.string_offsets = self._table(string_off, string_n, np.dtype("<u4"), "string_ids")
        self.type_strings = self._table(type_off, type_n, np.dtype("<u4"), "type_ids")
        self.proto_ids = self._table(proto_off, proto_n, _PROTOS, "proto_ids")
        self.field_ids = self._table(field_off, field_n, _FIELDS, "field_ids")
        self.method_ids = self._table(method_off, method_n, _METHODS, "method_ids")
        self.class_defs = self._table(class_off, class_n, _CLASS_DEFS, "class_defs")
        self._check_indices()

    def _table(self, offset: int, count: int, dtype: np.dtype, what: str) -> np.ndarray:
        if count == 0:
            return np.zeros(0, dtype=dtype)
        if offset + count * dtype.itemsize > len(self.data):
            raise DexFormatError(self.label, f"{self.name}: {what} table lies outside the file")
        return np.frombuffer(self.data, dtype=dtype, count=count, offset=offset)

    def _check_indices(self) -> None:
        n_strings, n_types = len(self.string_offsets), len(self.type_strings)
        checks = (
            (self.string_offsets, len(self.data), "string data offset"),
            (self.type_strings, n_strings, "type name"),
            (self.method_ids["cls"], n_types, "method class"),
            (self.method_ids["name"], n_strings, "method name"),
            (self.method_ids["proto"], len(self.proto_ids), "method prototype"),
            (self.field_ids["cls"], n_types, "field class"),
            (self.field_ids["name"], n_strings, "field name"),
            (self.field_ids["type"], n_types, "field type"),
            (self.proto_ids["ret"], n_types, "prototype return type"),
            (self.class_defs["cls"], n_types, "class"),
        )
        for values, bound, what in checks:
            if len(values) and int(values.max()) >= bound:
                raise DexFormatError(self.label, f"{self.name}: a {what} index is out of range")

    # -- names ---------------------------------------------------------------------------------------

    @cached_property
    def strings(self) -> list[str]:
        """Every string, decoded from MUTF-8 (vectorised bounds, one slice per string)."""
        offsets = self.string_offsets.astype(np.int64)
        if not len(offsets):
            return []
        u8 = self.u8
        starts = self._string_starts(offsets)
        lo = int(starts.min())  # string data sits together, usually near the end: search only from there
        nuls = np.flatnonzero(u8[lo:] == 0) + lo
        where = np.searchsorted(nuls, starts)
        if (where >= len(nuls)).any():
            raise DexFormatError(self.label, f"{self.name}: a string runs past the end of the file")
        ends = nuls[where]
        # Most strings are ASCII: decode the whole area once as Latin-1 (byte = character) and
        # slice it; only strings holding a byte >= 0x80 are decoded one by one, as (M)UTF-8.
        hi = int(ends.max())
        area = self.data[lo:hi]
        text = area.decode("latin-1")
        high = np.concatenate(([0], np.cumsum(u8[lo:hi] >= 0x80)))
        wide = (high[ends - lo] - high[starts - lo]) > 0
        data, out = self.data, []
        for s, e, w in zip((starts - lo).tolist(), (ends - lo).tolist(), wide.tolist(), strict=True):
            if not w:
                out.append(text[s:e])
                continue
            raw = data[lo + s:lo + e]
            try:
                out.append(raw.decode("utf-8"))
            except UnicodeDecodeError:
                out.append(decode_mutf8(raw))
        return out

    def _string_starts(self, offsets: np.ndarray) -> np.ndarray:
        u8, size = self.u8, len(self.u8)
        starts = offsets.copy()
        pending = np.ones(len(offsets), dtype=bool)
        for _ in range(5):
            idx = np.flatnonzero(pending)
            if not len(idx):
                break
            inside = starts[idx] < size
            if not inside.all():
                raise DexFormatError(self.label, f"{self.name}: a string offset lies outside the file")
            cont = (u8[starts[idx]] & 0x80) != 0
            starts[idx] += 1
            pending[idx[~cont]] = False
        return starts

    @cached_property
    def string_index(self) -> dict[str, int]:
        return {s: i for i, s in enumerate(self.strings)}

    @cached_property
    def types(self) -> list[str]:
        strings = self.strings
        return [strings[i] for i in self.type_strings.tolist()]

    @cached_property
    def type_index(self) -> dict[str, int]:
        return {t: i for i, t in enumerate(self.types)}

    @cached_property
    def protos(self) -> list[str]:
        """Prototype signatures such as ``(ILjava/lang/String;)V``."""
        types, data, out = self.types, self.data, []
        for ret, params in zip(self.proto_ids["ret"].tolist(), self.proto_ids["params"].tolist(),
                               strict=True):
            args = ""
            if params:
                if params + 4 > len(data):
                    raise DexFormatError(self.label, f"{self.name}: a parameter list lies outside the file")
                (n,) = struct.unpack_from("<I", data, params)
                if params + 4 + 2 * n > len(data):
                    raise DexFormatError(self.label, f"{self.name}: a parameter list lies outside the file")
                try:
                    args = "".join(types[t] for t in struct.unpack_from(f"<{n}H", data, params + 4))
                except IndexError:
                    raise DexFormatError(
                        self.label, f"{self.name}: a parameter type is out of range") from None
            out.append(f"({args}){types[ret]}")
        return out

    def method_ref(self, index: int) -> str:
        cls, proto, name = self.method_ids[index].tolist()
        return f"{self.types[cls]}->{self.strings[name]}{self.protos[proto]}"

    def field_ref(self, index: int) -> str:
        cls, typ, name = self.field_ids[index].tolist()
        return f"{self.types[cls]}->{self.strings[name]}:{self.types[typ]}"

    @cached_property
    def class_names(self) -> list[str]:
        types = self.types
        return [types[i] for i in self.class_defs["cls"].tolist()]

    def superclass(self, class_def: int) -> str | None:
        idx = int(self.class_defs["super"][class_def])
        return None if idx == NO_INDEX or idx >= len(self.types) else self.types[idx]

    def interfaces(self, class_def: int) -> tuple[str, ...]:
        off = int(self.class_defs["ifaces"][class_def])
        if not off or off + 4 > len(self.data):
            return ()
        (n,) = struct.unpack_from("<I", self.data, off)
        if off + 4 + 2 * n > len(self.data):
            raise DexFormatError(self.label, f"{self.name}: an interface list lies outside the file")
        types = self.types
        return tuple(types[t] for t in struct.unpack_from(f"<{n}H", self.data, off + 4) if t < len(types))

    # -- code -----------------------------------------------------------------------------------------

    @cached_property
    def methods(self) -> DefinedMethods:
        return read_defined_methods(self)

    @cached_property
    def proto_index(self) -> dict[str, int]:
        return {p: i for i, p in enumerate(self.protos)}

    @cached_property
    def _code_keys(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted (class, proto, name) keys of methods with code, and their rows: a vectorised table."""
        m = self.methods
        rows = np.flatnonzero(m.insns_size)
        ids = self.method_ids[m.method_idx[rows]]
        keys = (ids["cls"].astype(np.uint64) << np.uint64(48)) | (ids["proto"].astype(np.uint64) << np.uint64(32)) \
            | ids["name"].astype(np.uint64)
        order = np.argsort(keys, kind="stable")
        return keys[order], rows[order]

    def method_with_code(self, cls: str, name: str, proto: str) -> int | None:
        """Row in ``methods`` of the method with code this dex defines under that name, if any."""
        t, n, p = self.type_index.get(cls), self.string_index.get(name), self.proto_index.get(proto)
        if t is None or n is None or p is None:
            return None
        keys, rows = self._code_keys
        key = np.uint64((t << 48) | (p << 32) | n)
        at = int(np.searchsorted(keys, key))
        return int(rows[at]) if at < len(keys) and keys[at] == key else None

    @cached_property
    def units(self) -> np.ndarray:
        """The whole file as little-endian 16-bit code units (code is 2-byte aligned)."""
        return np.frombuffer(self.data, dtype="<u2", count=len(self.data) // 2)

    def code_units(self, method: int) -> list[int]:
        """Code units of defined method number ``method`` (index into ``self.methods``)."""
        start, size = int(self.methods.insns_start[method]), int(self.methods.insns_size[method])
        units: list[int] = self.units[start:start + size].tolist()
        return units

