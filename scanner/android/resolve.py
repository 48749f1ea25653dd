"""Following resource references (``@string/name`` pointing at another entry), for both resource-table readers.

``resources.arsc`` (APKs) and ``resources.pb`` (app bundles) store values differently, but a value that is a
reference is followed the same way: breadth first, each id once, and a chain longer than the package manager
would follow in practice is cut, so a hostile table of references in a cycle or a long chain costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable

MAX_REFERENCE_HOPS = 8

Expand = Callable[[int], tuple[list[str], list[int]]]  # resource id -> (its texts, the ids it references)


def follow_references(res_id: int, expand: Expand) -> list[str]:
    """The texts of ``res_id`` and of what it references, in the order found."""
    out: list[str] = []
    pending, seen = [res_id], set[int]()
    while pending and len(seen) < MAX_REFERENCE_HOPS:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        texts, references = expand(current)
        out += texts
        pending += references
    return out
