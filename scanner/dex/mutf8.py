"""Modified UTF-8, the string encoding of DEX files.

It differs from UTF-8 in two ways: NUL is written as ``C0 80`` and characters
outside the BMP are written as two 3-byte surrogates. Plain UTF-8 decoding
handles every other string, so this runs only for the rare ones it rejects.
"""

from __future__ import annotations

import array


def decode_mutf8(raw: bytes) -> str:
    """Decode MUTF-8 into UTF-16 units, then pair surrogates; bad bytes become U+FFFD."""
    units = array.array("H")
    i, n = 0, len(raw)
    while i < n:
        b = raw[i]
        if b < 0x80:
            units.append(b)
            i += 1
        elif b & 0xE0 == 0xC0 and i + 1 < n and raw[i + 1] & 0xC0 == 0x80:
            units.append(((b & 0x1F) << 6) | (raw[i + 1] & 0x3F))
            i += 2
        elif (b & 0xF0 == 0xE0 and i + 2 < n and raw[i + 1] & 0xC0 == 0x80
              and raw[i + 2] & 0xC0 == 0x80):
            units.append(((b & 0x0F) << 12) | ((raw[i + 1] & 0x3F) << 6) | (raw[i + 2] & 0x3F))
            i += 3
        else:
            units.append(0xFFFD)
            i += 1
    return units.tobytes().decode("utf-16-le", errors="replace")
