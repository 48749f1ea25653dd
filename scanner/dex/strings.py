"""A dex's string table, each string decoded from MUTF-8 when it is first asked for.

Why: a scan reads about a tenth of a dex's strings (the type descriptors, the names of the members it renders,
the strings it looks up), and decoding every one up front cost ~5 ms a store-sized dex (37k strings) and
~35 ms a 6-dex app. Where bytes and bounds were checked (``DexFile._string_spans``, vectorised) nothing is
deferred but the decoding itself, which cannot fail: bad bytes become U+FFFD (``decode_mutf8``).

Iterating decodes the rest at once, the vectorised way: most strings are ASCII, so the whole string area is
decoded once as Latin-1 (byte = character) and sliced, and only strings holding a byte >= 0x80 one by one.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import overload

import numpy as np

from scanner.dex.mutf8 import decode_mutf8


class StringTable(Sequence[str]):
    """The strings of one dex, by row (``string_ids`` order), decoded on first use and kept."""

    __slots__ = ("_data", "_starts", "_ends", "_wide", "_low", "_decoded", "_complete", "code_point_ordered")

    def __init__(self, data: bytes, starts: np.ndarray, ends: np.ndarray, wide: np.ndarray, low: int,
                 code_point_ordered: bool) -> None:
        """``starts``/``ends``: each string's first byte and its NUL (checked to lie in ``data``); ``wide``:
        whether it holds a byte >= 0x80; ``low``: the lowest first byte; ``code_point_ordered``: no string holds
        a character from U+D000 up, so Python's order of the strings is the UTF-16 order they are sorted in
        (the two differ only between a character past U+FFFF, a surrogate pair in UTF-16, and U+E000-U+FFFF)."""
        self._data, self._starts, self._ends, self._wide, self._low = data, starts, ends, wide, low
        self.code_point_ordered = code_point_ordered
        self._decoded: list[str | None] = [None] * len(starts)
        self._complete = not len(starts)

    def __len__(self) -> int:
        return len(self._decoded)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        text = self._decoded[index]  # an IndexError as a list's, which ends iteration by index
        if text is None:
            text = self._decoded[index] = self._decode(index)
        return text

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def _decode(self, row: int) -> str:
        raw = self._data[self._starts[row]:self._ends[row]]
        if not self._wide[row]:
            return raw.decode("latin-1")
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return decode_mutf8(raw)

    def _all(self) -> list[str]:
        """Every string, decoding those not asked for yet in one pass."""
        if not self._complete:
            starts, ends, low = self._starts, self._ends, self._low
            text = self._data[low:int(ends.max())].decode("latin-1")
            # map over slices: ~2x faster than a loop appending each slice (37k strings: 3 ms, not 6)
            every = list(map(text.__getitem__, map(slice, (starts - low).tolist(), (ends - low).tolist())))
            for row in np.flatnonzero(self._wide).tolist():
                every[row] = self._decode(row)
            self._decoded[:] = every
            self._complete = True
        return self._decoded  # type: ignore[return-value]  # complete: no None is left
