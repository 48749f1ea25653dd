"""Which packages of an app use which others: the code graph attribution reasons over.

Why by hand: attribution needs, per package, the other packages of the app its
code names (invoked methods, fields, types) and, per class, the app classes it
extends. That is the reference instructions of one vectorised walk of every
method (``DexFile.code_layout``, shared with the search for given references)
and a few array look-ups, not a call graph; the graph is kept at package level
so it stays small enough to store in a batch snapshot and re-match without the APK.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from scanner.dex import bytecode
from scanner.dex.arrays import distinct
from scanner.dex.file import DexFile

_NO_EDGES = np.zeros((0, 2), dtype=np.int64)


@dataclass(frozen=True, slots=True, eq=False)
class CodeGraph:
    """Package-level uses and inheritance between the app's own (defined) packages.

    ``uses`` rows are (package, package it names) — calls, field accesses, instantiation, casts —
    and ``extends`` rows (package, package holding a superclass of one of its classes), as indices
    into ``packages`` (dotted names). Kept as arrays: a large app has ~10^5 edges, and attribution
    only ever looks at the few that touch a package the knowledge base does not settle.
    """

    packages: tuple[str, ...] = ()
    uses: np.ndarray = field(default_factory=lambda: _NO_EDGES)
    extends: np.ndarray = field(default_factory=lambda: _NO_EDGES)

    @staticmethod
    def of(uses: Mapping[str, Iterable[str]], extends: Mapping[str, Iterable[str]] | None = None) -> CodeGraph:
        """A graph from named edges (tests, stored snapshots)."""
        extends = extends or {}
        names = sorted({*uses, *extends, *(d for named in (uses, extends) for v in named.values() for d in v)})
        number = {p: i for i, p in enumerate(names)}

        def edges(named: Mapping[str, Iterable[str]]) -> np.ndarray:
            pairs = sorted({(number[s], number[d]) for s, targets in named.items() for d in targets if d != s})
            return np.array(pairs, dtype=np.int64).reshape(-1, 2)

        return CodeGraph(tuple(names), edges(uses), edges(extends))

    def named(self, edges: np.ndarray) -> dict[str, set[str]]:
        """Edge rows as package -> the packages it points to."""
        out: dict[str, set[str]] = {}
        for src, dst in edges.tolist():
            out.setdefault(self.packages[src], set()).add(self.packages[dst])
        return out

    def touching(self, edges: np.ndarray, packages: Iterable[str], column: int) -> np.ndarray:
        """The rows of ``edges`` whose ``column`` (0: source, 1: target) is one of ``packages``."""
        index = {p: i for i, p in enumerate(self.packages)}
        mask = np.zeros(len(self.packages) + 1, dtype=bool)
        mask[[index[p] for p in packages if p in index]] = True
        selected: np.ndarray = edges[mask[edges[:, column]]] if len(edges) else edges
        return selected


def dotted(descriptor: str) -> str:
    return descriptor[1:-1].replace("/", ".") if descriptor.startswith("L") and descriptor.endswith(";") else ""


def package_of(class_name: str) -> str:
    return class_name.rpartition(".")[0]


def code_graph(files: Iterable[DexFile]) -> CodeGraph:
    """Build the graph over all loaded dex files (classes defined in any of them count as the app's)."""
    files = list(files)
    package_by_descriptor = {d: package_of(dotted(d)) for f in files for d in f.class_names}
    packages = sorted(set(package_by_descriptor.values()))
    index = {p: i for i, p in enumerate(packages)}
    number = {d: index[p] for d, p in package_by_descriptor.items()}
    uses: list[tuple[np.ndarray, np.ndarray]] = []
    extends: list[tuple[np.ndarray, np.ndarray]] = []
    for f in files:
        type_package = np.array([number.get(d.lstrip("["), -1) for d in f.types] or [-1], dtype=np.int64)
        class_package = np.array([number[d] for d in f.class_names] or [-1], dtype=np.int64)
        # made distinct per dex: a dex's raw pairs (one per reference instruction, ~0.4M) are let go before
        # the next dex's are found, instead of all dex files' held at once (+56 MB peak on a 6-dex app)
        rows = _rows([_package_pairs(f, type_package, class_package)], len(packages))
        uses.append((rows[:, 0], rows[:, 1]))
        supers = f.class_defs["super"].astype(np.int64)
        known = supers < len(type_package)
        extends.append((class_package[: len(supers)][known], type_package[supers[known]]))
    return CodeGraph(tuple(packages), _rows(uses, len(packages)), _rows(extends, len(packages)))


_BITMAP_MAX = 1 << 24  # packages squared up to which edges are made distinct in a bitmap (16 MiB at most)


def _rows(parts: list[tuple[np.ndarray, np.ndarray]], n_packages: int) -> np.ndarray:
    """Distinct (src, dst) rows of several (src, dst) package arrays, sorted, without self edges and without
    targets outside the app (-1).

    Up to ``_BITMAP_MAX`` package pairs, a bitmap over them replaces ``distinct`` (a sort or hash of every
    edge found, ~10^5 per dex): ~5x cheaper, and its set bits come out sorted as (src, dst) keys do. The pairs
    are marked part by part, in their own integer width: no joined int64 copy of ~10^5 pairs per dex, whose fresh
    memory cost more than the marking.
    """
    if not parts:
        return _NO_EDGES
    inside = [(src[keep], dst[keep]) for src, dst in parts for keep in (dst >= 0,)]
    if n_packages * n_packages <= _BITMAP_MAX and all(not len(src) or int(src.min()) >= 0 for src, _ in inside):
        seen = np.zeros(n_packages * n_packages, dtype=bool)
        for src, dst in inside:  # below 2**24 pairs, an index fits in 32 bits
            seen[src.astype(np.int32) * np.int32(n_packages) + dst] = True
        keys = np.flatnonzero(seen)
        rows = np.stack([keys // n_packages, keys % n_packages], axis=1).astype(np.int64)
    else:
        src = np.concatenate([p[0] for p in inside]).astype(np.int64)
        dst = np.concatenate([p[1] for p in inside]).astype(np.int64)
        keys = distinct((src << 32) | dst)
        rows = np.stack([keys >> 32, keys & 0xFFFFFFFF], axis=1)
    kept: np.ndarray = rows[rows[:, 0] != rows[:, 1]]
    return kept


def _package_pairs(f: DexFile, type_package: np.ndarray,
                   class_package: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(using package, named package) of every reference instruction of one dex (the walk: ``f.code_layout``)."""
    layout, units = f.code_layout, f.units
    empty = np.zeros(0, dtype=np.int64)
    if not len(layout.order):
        return empty, empty
    # the package each (kind, index) names, in one table: a method's or field's class, or the type itself
    # (strings name none); looked up for every reference at once, then only those naming an app package kept
    named = np.full((bytecode.STRING_JUMBO + 1) << 16, -1, dtype=np.int32)  # package numbers fit in 32 bits
    for kind, classes in ((bytecode.METHOD, f.method_ids["cls"]), (bytecode.FIELD, f.field_ids["cls"])):
        classes = classes[: 1 << 16].astype(np.int64)  # instructions hold 16-bit indices
        named[(kind << 16):(kind << 16) + len(classes)] = type_package[classes] if len(f.types) else -1
    named[(bytecode.TYPE << 16):(bytecode.TYPE << 16) + min(len(type_package), 1 << 16)] = type_package[: 1 << 16]
    dst = named[layout.keys()]
    if len(dst) and layout.refs[-1] + 1 >= len(units):  # the file's last unit: no index follows it
        dst[-1] = -1
    keep = np.flatnonzero(dst >= 0)
    pcs, dst = layout.refs[keep], dst[keep]
    # the package of the class defining the method each instruction is in
    owners = f.methods.class_def[layout.order].astype(np.int64)
    owner_package = np.where(owners < len(class_package), class_package[np.minimum(owners, len(class_package) - 1)],
                             -1)
    slot = np.searchsorted(layout.starts, pcs, side="right") - 1
    src = owner_package[np.maximum(slot, 0)]
    placed = (slot >= 0) & (src >= 0)
    return src[placed], dst[placed]
