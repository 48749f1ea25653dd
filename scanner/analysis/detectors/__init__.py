"""The detector registry. Each module declares what it needs; the engine orders them from that.

A detector is a module with ``ID``, ``NEEDS`` (the ids of detectors whose results it
reads) and a pure ``detect(context) -> Results``. ``ALL`` lists every detector once
(a test checks that no module is left out); ``ordered()`` puts each after what it needs.
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

from scanner.analysis.detectors import (
    api_calls,
    compliance,
    endpoints,
    integrity,
    manifest,
    packers,
    permissions,
    privacy,
    trackers,
)
from scanner.analysis.detectors.base import Context, Detector, Results

ALL: tuple[Detector, ...] = (trackers, api_calls, endpoints, permissions, manifest, packers, integrity, compliance,
                             privacy)


def ordered(detectors: tuple[Detector, ...] = ALL) -> tuple[Detector, ...]:
    """A run order in which every detector comes after the detectors it needs (stable otherwise)."""
    by_id = {d.ID: d for d in detectors}
    graph: TopologicalSorter[str] = TopologicalSorter()
    for d in detectors:
        unknown = [n for n in d.NEEDS if n not in by_id]
        if unknown:
            raise ValueError(f"detector {d.ID} needs unknown detector(s) {', '.join(unknown)}")
        graph.add(d.ID, *d.NEEDS)
    try:
        graph.prepare()
    except CycleError as exc:
        raise ValueError(f"detectors need each other in a cycle: {' -> '.join(exc.args[1])}") from None
    position = {d.ID: i for i, d in enumerate(detectors)}
    order: list[str] = []
    while graph.is_active():
        ready = sorted(graph.get_ready(), key=position.__getitem__)
        order += ready
        graph.done(*ready)
    return tuple(by_id[i] for i in order)


__all__ = ["ALL", "Context", "Detector", "Results", "ordered"]
