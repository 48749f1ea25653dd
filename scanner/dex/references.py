"""Which packages of an app use which others: the code graph attribution reasons over.

Why by hand: attribution needs, per package, the other packages of the app its
code names (invoked methods, fields, types) and, per class, the app classes it
extends. That is one vectorised pass over every method's instruction starts
(``bytecode.instruction_mask``) and a few array look-ups, not a call graph; the
graph is kept at package level so it stays small enough to store in a batch
snapshot and re-match without the APK.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from scanner.dex import bytecode
from scanner.dex.file import DexFile

_REF_KINDS = np.zeros(256, dtype=np.uint8)
for _op in bytecode.INVOKE_OPS:
    _REF_KINDS[_op] = bytecode.METHOD
for _op in bytecode.FIELD_OPS:
    _REF_KINDS[_op] = bytecode.FIELD
for _op in bytecode.TYPE_OPS:
    _REF_KINDS[_op] = bytecode.TYPE


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
    uses: list[np.ndarray] = []
    extends: list[np.ndarray] = []
    for f in files:
        type_package = np.array([number.get(d.lstrip("["), -1) for d in f.types] or [-1], dtype=np.int64)
        class_package = np.array([number[d] for d in f.class_names] or [-1], dtype=np.int64)
        uses.append(_package_pairs(f, type_package, class_package))
        supers = f.class_defs["super"].astype(np.int64)
        known = supers < len(type_package)
        extends.append(_pairs(class_package[: len(supers)][known], type_package[supers[known]]))
    return CodeGraph(tuple(packages), _rows(uses), _rows(extends))


def _rows(parts: list[np.ndarray]) -> np.ndarray:
    """Distinct (src, dst) rows of several key arrays, without self edges."""
    if not parts:
        return _NO_EDGES
    keys = np.unique(np.concatenate(parts))
    rows = np.stack([keys >> 32, keys & 0xFFFFFFFF], axis=1)
    kept: np.ndarray = rows[rows[:, 0] != rows[:, 1]]
    return kept


def _pairs(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Distinct (src, dst) package numbers as int64 keys, dropping targets outside the app (-1)."""
    keep = dst >= 0
    keys: np.ndarray = np.unique((src[keep] << 32) | dst[keep])
    return keys


def _package_pairs(f: DexFile, type_package: np.ndarray, class_package: np.ndarray) -> np.ndarray:
    """(using package, named package) keys for one dex: every instruction start, its reference, its owner type."""
    m = f.methods
    rows = np.flatnonzero(m.insns_size)
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    units = f.units
    starts = m.insns_start[rows].astype(np.int64)
    ends = np.minimum(starts + m.insns_size[rows].astype(np.int64), len(units))
    pcs = np.flatnonzero(bytecode.instruction_mask(units, starts, ends))
    pcs = pcs[pcs + 1 < len(units)]
    kinds = _REF_KINDS[units[pcs] & 0xFF]
    pcs, kinds = pcs[kinds != 0], kinds[kinds != 0]
    index = units[pcs + 1].astype(np.int64)
    type_of = np.full(len(pcs), -1, dtype=np.int64)
    for kind, table in ((bytecode.METHOD, f.method_ids), (bytecode.FIELD, f.field_ids)):
        sel = (kinds == kind) & (index < len(table))
        type_of[sel] = table["cls"][index[sel]]
    sel = (kinds == bytecode.TYPE) & (index < len(type_package))
    type_of[sel] = index[sel]
    order = np.argsort(starts, kind="stable")
    slot = np.searchsorted(starts[order], pcs, side="right") - 1
    valid = (type_of >= 0) & (slot >= 0)
    owners = m.class_def[rows[order[slot[valid]]]].astype(np.int64)
    inside = owners < len(class_package)
    return _pairs(class_package[owners[inside]], type_package[type_of[valid][inside]])
