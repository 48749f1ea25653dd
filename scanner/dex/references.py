"""Which packages of an app use which others: the code graph attribution reasons over.

Why by hand: attribution needs, per package, the other packages of the app its
code names (invoked methods, fields, types) and, per class, the app classes it
extends. That is one vectorised pass over every method's instruction starts
(``bytecode.instruction_mask``) and a few array look-ups, not a call graph; the
graph is kept at package level so it stays small enough to store in a batch
snapshot and re-match without the APK.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class CodeGraph:
    """Package-level uses and inheritance between the app's own (defined) classes.

    ``uses[p]`` holds the other defined packages whose classes code in ``p`` names (calls,
    field accesses, instantiation, casts); ``extends[p]`` the other defined packages holding
    a superclass of a class in ``p``. Names are dotted.
    """

    uses: dict[str, frozenset[str]]
    extends: dict[str, frozenset[str]]

    def users(self) -> dict[str, frozenset[str]]:
        """The reverse of ``uses``: package -> the packages whose code names it."""
        out: dict[str, set[str]] = defaultdict(set)
        for src, targets in self.uses.items():
            for dst in targets:
                out[dst].add(src)
        return {k: frozenset(v) for k, v in out.items()}


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
    uses: set[tuple[int, int]] = set()
    extends: set[tuple[int, int]] = set()
    for f in files:
        type_package = np.array([number.get(d.lstrip("["), -1) for d in f.types] or [-1], dtype=np.int64)
        class_package = np.array([number[d] for d in f.class_names] or [-1], dtype=np.int64)
        uses.update(_package_pairs(f, type_package, class_package))
        supers = f.class_defs["super"].astype(np.int64)
        known = supers < len(type_package)
        extends.update(_pairs(class_package[: len(supers)][known], type_package[supers[known]]))
    return CodeGraph(_by_name(packages, uses), _by_name(packages, extends))


def _by_name(packages: list[str], pairs: set[tuple[int, int]]) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {p: set() for p in packages}
    for src, dst in pairs:
        if src != dst:
            out[packages[src]].add(packages[dst])
    return {p: frozenset(v) for p, v in out.items()}


def _pairs(src: np.ndarray, dst: np.ndarray) -> list[tuple[int, int]]:
    """Distinct (src, dst) package numbers, dropping targets outside the app (-1)."""
    keep = dst >= 0
    keys = np.unique((src[keep] << 32) | dst[keep])
    return [(k >> 32, k & 0xFFFFFFFF) for k in keys.tolist()]


def _package_pairs(f: DexFile, type_package: np.ndarray, class_package: np.ndarray) -> list[tuple[int, int]]:
    """(using package, named package) for one dex: every instruction start, its reference, its owner type."""
    m = f.methods
    rows = np.flatnonzero(m.insns_size)
    if not len(rows):
        return []
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
