"""Methods whose whole body returns one string constant (``getVersion() { return "7.5.1"; }``).

Vendors state their SDK version that way as often as in a static field. Only methods of three or
four code units are looked at (``const-string`` or ``const-string/jumbo``, then ``return-object`` of
the same register), so the cost is a filter over the method table and a look at a few words each.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from scanner.dex.arrays import distinct, isin
from scanner.dex.file import DexFile

_CONST_STRING, _CONST_STRING_JUMBO, _RETURN_OBJECT = 0x1A, 0x1B, 0x11
_STRING = "Ljava/lang/String;"


def constant_string_methods(f: DexFile, wanted: Callable[[str], bool]) -> list[tuple[str, str, str]]:
    """(class descriptor, method name, value) of each ``String`` method named as ``wanted`` that returns a constant."""
    string_type = f.type_index.get(_STRING)
    m = f.methods
    if string_type is None or not len(m):
        return []
    rows = np.flatnonzero((m.insns_size == 3) | (m.insns_size == 4))
    ids = f.method_ids[m.method_idx[rows]]
    protos = ids["proto"].astype(np.int64)
    returns = np.full(len(rows), -1, dtype=np.int64)
    known = protos < len(f.proto_ids)
    returns[known] = f.proto_ids["ret"][protos[known]]
    keep = returns == string_type
    rows, ids = rows[keep], ids[keep]
    strings = f.strings
    names = [n for n in distinct(ids["name"]).tolist() if n < len(strings) and wanted(strings[n])]
    keep = isin(ids["name"], names)
    out = []
    for row, cls, name in zip(rows[keep].tolist(), ids["cls"][keep].tolist(), ids["name"][keep].tolist(),
                              strict=True):
        index = _returned_string(f.code_units(row))
        if index is not None and index < len(strings) and cls < len(f.types):
            out.append((f.types[cls], strings[name], strings[index]))
    return out


def _returned_string(units: list[int]) -> int | None:
    """The string index a ``const-string vA; return-object vA`` body returns, else None."""
    op, register = units[0] & 0xFF, units[0] >> 8
    if op == _CONST_STRING and len(units) == 3 and units[2] == (register << 8 | _RETURN_OBJECT):
        return units[1]
    if op == _CONST_STRING_JUMBO and len(units) == 4 and units[3] == (register << 8 | _RETURN_OBJECT):
        return units[1] | units[2] << 16
    return None
