"""One DEX file: header, id tables, strings and class data, read with NumPy.

Why by hand rather than androguard's DEX objects: we need names and code
offsets, not a decoded instruction model, and reading the fixed-size tables as
NumPy arrays (and the LEB128 class data in one vectorised pass) costs a small
multiple of inflating the file, where androguard's objects cost ~40× (``make bench``
measures both on the same APK).
"""

from __future__ import annotations

import bisect
import struct
from collections.abc import Callable, Iterable
from functools import cached_property

import numpy as np

from scanner.dex.arrays import distinct, isin
from scanner.dex.bytecode import CodeLayout, code_layout
from scanner.dex.classdata import DefinedMethods, read_defined_methods
from scanner.dex.strings import StringTable
from scanner.errors import DexFormatError

_HEADER = struct.Struct("<8sI20s20I")  # magic, checksum, signature, 20 sizes/offsets
_METHODS = np.dtype([("cls", "<u2"), ("proto", "<u2"), ("name", "<u4")])
_FIELDS = np.dtype([("cls", "<u2"), ("type", "<u2"), ("name", "<u4")])
_PROTOS = np.dtype([("shorty", "<u4"), ("ret", "<u4"), ("params", "<u4")])
_CLASS_DEFS = np.dtype([("cls", "<u4"), ("flags", "<u4"), ("super", "<u4"), ("ifaces", "<u4"),
                        ("src", "<u4"), ("annotations", "<u4"), ("data", "<u4"), ("static", "<u4")])
NO_INDEX = 0xFFFFFFFF
_STRING = "Ljava/lang/String;"
# encoded_value types (dex format, "encoding"): fixed-width ones -> their most bytes; and the rest
_WIDTH = {0x00: 1, 0x02: 2, 0x03: 2, 0x04: 4, 0x06: 8, 0x10: 4, 0x11: 8,
          0x15: 4, 0x16: 4, 0x17: 4, 0x18: 4, 0x19: 4, 0x1A: 4, 0x1B: 4}
_VALUE_STRING, _ARRAY, _ANNOTATION, _NULL, _BOOLEAN = 0x17, 0x1C, 0x1D, 0x1E, 0x1F
_MAX_DEPTH = 8  # arrays and annotations nest; real static values barely do
_STRING_TAIL = 1 << 12  # bytes after the last string's start where its NUL is looked for first
_NEEDLE_HEAD = 8  # needles often share a head (content://…): one search finds them all
_VALUE_BUDGET = 1 << 18  # encoded values and static fields one dex may make us step over (classes can share them)


def _utf16(text: str) -> bytes:
    """The order string_ids are sorted in: by UTF-16 code units (a supplementary character, a surrogate pair,
    sorts below U+E000-U+FFFF, unlike in Python's code point order; a lone surrogate MUTF-8 may hold stays)."""
    return text.encode("utf-16-be", "surrogatepass")


class _Malformed(Exception):
    """Class data or static values that do not decode: skip that class."""


class _Exhausted(Exception):
    """The value budget is spent: stop reading static values in this dex."""


class _Cursor:
    """Bounded reading of LEB128 numbers and encoded values: every count is checked against the
    bytes left before anything is looped over or allocated."""

    def __init__(self, data: bytes, pos: int, budget: list[int]) -> None:
        self.data, self.pos, self.budget = data, pos, budget

    def uleb(self) -> int:
        value = shift = 0
        while True:
            if self.pos >= len(self.data) or shift > 28:
                raise _Malformed
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                return value
            shift += 7

    def count(self, item_bytes: int = 1) -> int:
        """A number of items that follow, each at least ``item_bytes`` long."""
        n = self.uleb()
        if n * item_bytes > len(self.data) - self.pos:
            raise _Malformed
        return n

    def value(self, depth: int = 0) -> tuple[int, int]:
        """Step over one encoded_value: (its type, its payload as an unsigned number; 0 for nested ones)."""
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise _Exhausted
        if self.pos >= len(self.data):
            raise _Malformed
        kind, arg = self.data[self.pos] & 0x1F, self.data[self.pos] >> 5
        self.pos += 1
        width = _WIDTH.get(kind)
        if width is not None:
            end = self.pos + arg + 1
            if arg >= width or end > len(self.data):
                raise _Malformed
            payload = int.from_bytes(self.data[self.pos:end], "little")
            self.pos = end
            return kind, payload
        if (kind == _NULL and arg == 0) or (kind == _BOOLEAN and arg <= 1):
            return kind, arg
        if arg or depth >= _MAX_DEPTH or kind not in (_ARRAY, _ANNOTATION):
            raise _Malformed
        if kind == _ANNOTATION:
            self.uleb()  # type_idx
        for _ in range(self.count(2 if kind == _ANNOTATION else 1)):
            if kind == _ANNOTATION:
                self.uleb()  # name_idx
            self.value(depth + 1)
        return kind, 0


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
    def strings(self) -> StringTable:
        """Every string, by row; each decoded from MUTF-8 when first read (``scanner/dex/strings.py``). The
        bounds of all of them are checked here, so a damaged table fails now, not in a later query."""
        if not len(self.string_offsets):
            return StringTable(self.data, np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, bool), 0, True)
        return StringTable(self.data, *self._string_spans)

    @cached_property
    def _string_spans(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, bool]:
        """Each string's data (first byte, its NUL), whether it holds a byte >= 0x80, the lowest first byte, and
        whether no string holds a character from U+D000 up (lead byte 0xED or more): then Python's order of the
        strings is the format's UTF-16 order (``StringTable.code_point_ordered``)."""
        offsets = self.string_offsets.astype(np.int64)
        u8 = self.u8
        starts = self._string_starts(offsets)
        lo = int(starts.min())  # string data sits together, usually near the end: search only from there
        # and first up to just past the last string's start: the code usually follows the string data, and
        # its NULs (1.6M in a 8 MiB dex, against 37k strings) made the search ~8x slower. A string whose NUL
        # lies further is looked for again in the rest of the file.
        ends = None
        for hi in (min(len(u8), int(starts.max()) + _STRING_TAIL), len(u8)):
            nuls = np.flatnonzero(u8[lo:hi] == 0) + lo
            where = np.searchsorted(nuls, starts)
            if not (where >= len(nuls)).any():
                ends = nuls[where]
                break
        if ends is None:
            raise DexFormatError(self.label, f"{self.name}: a string runs past the end of the file")
        # bytes >= 0x80 are rare: their positions, not a running count over the whole area (~4x cheaper)
        high = np.flatnonzero(u8[lo:int(ends.max())] >= 0x80) + lo
        wide = np.searchsorted(high, ends) > np.searchsorted(high, starts)
        return starts, ends, wide, lo, not (u8[high] >= 0xED).any()

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

    def string_rows_holding(self, needles: Iterable[str]) -> np.ndarray:
        """Rows of the strings that may hold one of ``needles``: each one that does, and a few that do not.

        A byte search of the string data (``bytes.find``, ~0.3 ms a needle per MiB) rather than a test of
        every decoded string. Exact for ASCII strings, whose bytes are their characters (a needle's first
        ``_NEEDLE_HEAD`` characters are looked for); every string holding a byte >= 0x80 is returned, so a
        needle that is not ASCII, or holds a NUL (``C0 80`` in MUTF-8), is found in them by the caller.
        """
        if not len(self.string_offsets):
            return np.zeros(0, np.int64)
        starts, ends, wide, lo, _ = self._string_spans
        heads = {n[:_NEEDLE_HEAD].encode("ascii") for n in needles if n.isascii() and "\0" not in n}
        if b"" in heads:
            return np.arange(len(starts))
        # a string holding a head holds any head it contains: look only for the shortest
        heads = {h for h in heads if not any(o != h and o in h for o in heads)}
        data, hi, hits = self.data, int(ends.max()), []
        for head in sorted(heads):
            at = data.find(head, lo, hi)
            while at >= 0:
                hits.append(at)
                at = data.find(head, at + 1, hi)
        found = np.sort(np.array(hits, dtype=np.int64))
        # a hit holds no NUL, so it lies in a string when it starts between the string's first byte and its NUL
        holds = np.searchsorted(found, ends) > np.searchsorted(found, starts)
        return np.flatnonzero(holds | wide)

    def string_rows_led_by_digit(self) -> np.ndarray:
        """Rows of the strings whose first character may be a digit: those led by an ASCII digit, and every
        string holding a byte >= 0x80 (its first character may be a digit of another script)."""
        if not len(self.string_offsets):
            return np.zeros(0, np.int64)
        starts, _, wide, _, _ = self._string_spans
        first = self.u8[starts]  # an empty string's is its NUL
        return np.flatnonzero(((first >= 0x30) & (first <= 0x39)) | wide)

    def string_row(self, text: str) -> int | None:
        """The row of ``text`` in the string table, or None. A binary search: the format keeps string_ids sorted
        by their UTF-16 code units (Android's verifier refuses a dex that does not, and in a file that breaks the
        rule a lookup may find nothing). A scan looks up a few hundred strings at most, where a table of every
        string cost ~2.3 ms a store-sized dex (37k strings) to build."""
        strings = self.strings
        if strings.code_point_ordered:  # the same order, by plain comparisons (~2x cheaper a lookup)
            at = bisect.bisect_left(strings, text)
        else:
            at = bisect.bisect_left(strings, _utf16(text), key=_utf16)
        return at if at < len(strings) and strings[at] == text else None

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

    def method_refs(self, indices: np.ndarray) -> list[str]:
        """``method_ref`` of each index: the table rows read at once, not one NumPy scalar each (~4x cheaper)."""
        ids = self.method_ids[indices]
        types, strings, protos = self.types, self.strings, self.protos
        return [f"{types[c]}->{strings[n]}{protos[p]}"
                for c, p, n in zip(ids["cls"].tolist(), ids["proto"].tolist(), ids["name"].tolist(), strict=True)]

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

    # -- static values ---------------------------------------------------------------------------------

    def static_strings(self, wanted: Callable[[str], bool]) -> list[tuple[int, int, str]]:
        """(field index, access flags, value) of each static String field defined here whose name passes
        ``wanted`` and whose initial value (the class's ``static_values_off``) is a string constant.

        Lazy and cheap: names are tested once per distinct name of a String field, and only the classes
        defining a wanted field are decoded, each up to its last wanted field. A class whose class data or
        static values do not decode is skipped; a budget bounds the values stepped over in the file.
        """
        fields = self._wanted_string_fields(wanted)
        if not len(fields):
            return []
        owners = distinct(self.field_ids["cls"][fields])
        defs = self.class_defs
        chosen = np.flatnonzero(isin(defs["cls"], owners) & (defs["static"] != 0) & (defs["data"] != 0))
        wanted_set, budget, out = set(fields.tolist()), [_VALUE_BUDGET], []
        for class_def in chosen.tolist():
            try:
                out += self._class_static_strings(class_def, wanted_set, budget)
            except _Malformed:
                continue
            except _Exhausted:
                break
        return out

    def _wanted_string_fields(self, wanted: Callable[[str], bool]) -> np.ndarray:
        strings = self.strings
        at = self.string_row(_STRING)
        if at is None:
            return np.zeros(0, np.int64)
        string_types = np.flatnonzero(self.type_strings == at)
        typed = isin(self.field_ids["type"], string_types)
        names = [n for n in distinct(self.field_ids["name"][typed]).tolist() if wanted(strings[n])]
        return np.flatnonzero(typed & isin(self.field_ids["name"], names))

    def _class_static_strings(self, class_def: int, wanted: set[int],
                              budget: list[int]) -> list[tuple[int, int, str]]:
        cls, data_off, values_off = (int(self.class_defs[k][class_def]) for k in ("cls", "data", "static"))
        head = _Cursor(self.data, data_off, budget)
        static_n = head.count(2)  # each static field: two numbers (index delta, access flags)
        budget[0] -= static_n  # classes may share class data too
        if budget[0] < 0:
            raise _Exhausted
        for _ in range(3):
            head.uleb()  # instance fields, direct and virtual methods
        field_cls, index, picked = self.field_ids["cls"], 0, {}
        for position in range(static_n):
            index += head.uleb()
            flags = head.uleb()
            if index >= len(field_cls) or int(field_cls[index]) != cls:
                raise _Malformed  # a field of another class, or none
            if index in wanted:
                picked[position] = (index, flags)
        if not picked:
            return []
        values = _Cursor(self.data, values_off, budget)
        size = min(values.count(), max(picked) + 1)  # fields past the array's end keep their default
        out = []
        for position in range(size):
            kind, payload = values.value()
            if position in picked and kind == _VALUE_STRING:
                if payload >= len(self.string_offsets):
                    raise _Malformed
                out.append((*picked[position], self.strings[payload]))
        return out

    # -- code -----------------------------------------------------------------------------------------

    @cached_property
    def methods(self) -> DefinedMethods:
        return read_defined_methods(self)

    @cached_property
    def code_layout(self) -> CodeLayout:
        """Every method walked once: where code lies and which instructions name a reference."""
        m = self.methods
        return code_layout(self.units, m.insns_start, m.insns_size)

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
        t, n, p = self.type_index.get(cls), self.string_row(name), self.proto_index.get(proto)
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

