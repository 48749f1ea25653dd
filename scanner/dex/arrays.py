"""Set operations on the readers' integer arrays, without ``np.unique``.

``np.unique`` asks ``np.ma.is_masked`` first, which imports ``numpy.ma`` on its first call: ~5.5 ms of a scan's
start, for a check that never applies to the plain arrays the readers build. ``np.isin`` calls it too whenever
the values tested for span a wide range (string indices, say): it then also sorts the whole array tested, where
a binary search in the few values wanted is enough.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def distinct_sorted(ordered: np.ndarray) -> np.ndarray:
    """The distinct values of an array already sorted, in order."""
    if not len(ordered):
        return ordered
    kept: np.ndarray = ordered[np.r_[True, ordered[1:] != ordered[:-1]]]
    return kept


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values of a 1-D array, sorted: what ``np.unique(values)`` gives."""
    return distinct_sorted(np.sort(values))  # equal values need no stable order: the default sort, ~8x faster


# A lookup table of the wanted values' range is used while it is at most this many times the values tested
# (``np.isin``'s own bound): one pass, no search. Up to ``_FEW`` wanted values, one comparison pass each beats a
# binary search per value tested (~50 ns each, a branch mispredicted per level).
_TABLE_RATIO = 6
_FEW = 16


def isin(values: np.ndarray, wanted: np.ndarray | Sequence[int]) -> np.ndarray:
    """For each of the integers ``values``, whether it is one of ``wanted``: what ``np.isin(values, wanted)``
    gives. A table over the wanted range when that is small, a pass per wanted value when they are few, else a
    binary search in the sorted wanted values."""
    chosen = distinct(np.asarray(wanted, dtype=np.int64).ravel())
    if not len(chosen) or not values.size:
        return np.zeros(values.shape, dtype=bool)
    low, high = int(chosen[0]), int(chosen[-1])
    if high - low <= _TABLE_RATIO * (values.size + len(chosen)):
        table = np.zeros(high - low + 1, dtype=bool)
        table[chosen - low] = True
        found = np.zeros(values.shape, dtype=bool)
        inside = (values >= low) & (values <= high)
        found[inside] = table[np.subtract(values[inside], low, dtype=np.intp, casting="unsafe")]
        return found
    if len(chosen) <= _FEW:
        each: np.ndarray = values == chosen[0]
        for value in chosen[1:]:
            each |= values == value
        return each
    if values.dtype.kind in "iu":  # searched in the values' own type (a mixed search converts every value)
        limits = np.iinfo(values.dtype)
        chosen = chosen[(chosen >= limits.min) & (chosen <= limits.max)].astype(values.dtype)
        if not len(chosen):
            return np.zeros(values.shape, dtype=bool)
    at = np.searchsorted(chosen, values)
    np.minimum(at, len(chosen) - 1, out=at)
    hit: np.ndarray = chosen[at] == values
    return hit
