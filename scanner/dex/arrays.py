"""Distinct values of integer arrays, without ``np.unique``.

``np.unique`` asks ``np.ma.is_masked`` first, which imports ``numpy.ma`` on its first call: ~5.5 ms of a scan's
start, for a check that never applies to the plain arrays the readers build. A sort and a neighbour test
give the same sorted values.
"""

from __future__ import annotations

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
