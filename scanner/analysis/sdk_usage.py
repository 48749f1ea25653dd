"""What an embedded SDK does in this app, beyond being there: is it called, started at launch, switched off?

Regulators ask apps to start SDKs only after the user agrees, and an SDK the app
never calls differs from one it starts in ``Application.onCreate``. Each answer
keeps its evidence: the package edge, the launch path, the manifest switch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from scanner.analysis.index import CodeIndex
from scanner.analysis.ownership import APP, Ownership
from scanner.analysis.reachability import PreConsent
from scanner.android.manifest import MetaData
from scanner.dex.arrays import distinct
from scanner.dex.references import CodeGraph
from scanner.model import Evidence
from signatures.model import TrackerSignature

_EVIDENCE_MAX = 5


@dataclass(frozen=True, slots=True)
class Start:
    """The first step into an SDK's code on a launch path: ``caller`` (outside the SDK) -> ``callee``."""

    caller: str
    callee: str


def launch_starts(reach: PreConsent, owners: Ownership, index: CodeIndex) -> dict[str, Start]:
    """SDK id -> where launch code (Application, providers) first enters it.

    Code outside the SDK entering it counts (the app, unattributed code, a wrapping SDK).
    An SDK's own provider is started by Android itself; that counts only when the SDK's
    launch code then uses a catalogued API (many providers are plain FileProviders).
    """
    first: dict[str, Start] = {}
    for method in sorted(reach.parents):
        sdk = owners.of_method(method).sdk
        uses_api = index.uses_of_kind(method, "method") or index.uses_of_kind(method, "field")
        if sdk is None or sdk in first or not uses_api:
            continue
        entry = reach.path(method)[0]
        if owners.of_method(entry).sdk == sdk:  # the SDK's own provider, started by Android
            first[sdk] = Start(entry, entry)
    for method, parent in sorted(reach.parents.items()):
        if parent is None:
            continue
        owner = owners.of_method(method).sdk
        if owner is not None and owners.of_method(parent).sdk != owner:
            first.setdefault(owner, Start(parent, method))
    return first


def init_entry(reach: PreConsent, sdk: TrackerSignature, start: Start) -> str:
    """The SDK's documented init method on a launch path when one is reached, else the first SDK method."""
    for method in sorted(reach.parents):
        if method.partition("(")[0] in sdk.init_methods:
            return method
    return start.callee


def called_by_app(graph: CodeGraph, owners: Ownership) -> dict[str, tuple[Evidence, ...]]:
    """SDK id -> (app package -> SDK package) edges: the app's own code names the SDK's code.

    Each SDK keeps its first ``_EVIDENCE_MAX`` edges ordered by (app package, SDK package) name, in the order
    the SDKs first appear there. Done on the edge arrays: a store-sized app has ~13k app -> SDK edges and
    only ~35 become evidence, so naming every edge (``graph.named``) and making an ``Evidence`` for each took
    ~10 ms of the scan; sorting and picking rows in NumPy takes ~1.5 ms (bench/cache/store.apk).
    """
    names = graph.packages
    size = len(names)
    if not size or not len(graph.uses):
        return {}
    number: dict[str, int] = {}  # SDK id -> its place in ``sdks``
    sdks: list[str] = []
    from_app = np.zeros(size, dtype=bool)
    target_sdk = np.full(size, -1, dtype=np.int64)  # package -> the number of the SDK owning it, -1: none
    for i, package in enumerate(names):
        owner = owners.packages.get(package)
        if owner is None:
            continue
        if owner.party == APP:
            from_app[i] = True
        elif owner.sdk is not None:
            target_sdk[i] = number.setdefault(owner.sdk, len(number))
            if len(sdks) < len(number):
                sdks.append(owner.sdk)
    uses = graph.uses
    rows = uses[from_app[uses[:, 0]] & (target_sdk[uses[:, 1]] >= 0)]
    if not len(rows):
        return {}
    by_name = np.array(sorted(range(size), key=names.__getitem__), dtype=np.int64)
    rank = np.empty(size, dtype=np.int64)
    rank[by_name] = np.arange(size)
    # one key per edge, ordered by app package then SDK package name; an edge listed twice is one edge
    keys = distinct(rank[rows[:, 0]] * size + rank[rows[:, 1]])
    rows = np.stack((by_name[keys // size], by_name[keys % size]), axis=1)
    of_row = target_sdk[rows[:, 1]]
    picked = sorted((positions.tolist(), sdks[k]) for k in range(len(sdks))
                    if len(positions := np.flatnonzero(of_row == k)[:_EVIDENCE_MAX]))
    return {sdk: tuple(Evidence("dex", names[src], names[dst]) for src, dst in rows[positions].tolist())
            for positions, sdk in picked}


def switched_off(sdk: TrackerSignature, meta_data: Iterable[MetaData]) -> tuple[Evidence, ...]:
    """The documented manifest switches (``key=value``) this app sets that turn the SDK's collection off."""
    values = {m.name: (m.value or "").strip().lower() for m in meta_data}
    out = []
    for switch in sdk.disable_switches:
        key, _, value = switch.partition("=")
        if values.get(key) == value.strip().lower():
            out.append(Evidence("manifest", "meta-data", f"{key}={values[key]}"))
    return tuple(out)
