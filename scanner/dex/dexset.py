"""DEX facts of an app: every loaded ``classes*.dex``, and where code uses given references.

Android loads ``classes.dex``, ``classes2.dex``, ``classes3.dex``… and stops at the
first missing number, so a ``classes5.dex`` after a gap is never run; it is
reported as ignored rather than analysed (what Android sees is what counts).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from scanner.dex import bytecode
from scanner.dex.arrays import distinct_sorted, isin
from scanner.dex.file import DexFile

_METHOD_REF = re.compile(r"^(L[^;]+;)->([^(:]+)(\([^)]*\)\S+)$")
_FIELD_REF = re.compile(r"^(L[^;]+;)->([^(:]+):(\S+)$")


@dataclass(frozen=True, slots=True, order=True)
class CallSite:
    """A method whose code uses a reference (method invoked, field read or written, string, type)."""

    caller: str  # Lpkg/Cls;->name(args)ret
    target: str  # a method or field reference, a string constant, or a type descriptor
    kind: str  # method | field | string | type
    dex: str


@dataclass(frozen=True, slots=True)
class CodeScan:
    """What one bytecode pass found: call sites, and the int constants of the methods that need them.

    ``literals`` covers only the callers of the ``literals_of`` methods (an int-deciding API's
    argument is a constant loaded in the caller), so the pass does not decode every method.
    """

    sites: tuple[CallSite, ...]
    literals: dict[str, frozenset[int]]  # caller -> the ints it loads (const/4, /16, const, /high16)


@dataclass(frozen=True, slots=True)
class ClassInfo:
    name: str
    superclass: str | None
    interfaces: tuple[str, ...]
    access_flags: int
    dex: str


def _site_key(site: CallSite) -> tuple[str, str, str, str]:
    return site.caller, site.target, site.kind, site.dex


_KIND_NAMES = {bytecode.METHOD: "method", bytecode.FIELD: "field",
               bytecode.STRING: "string", bytecode.TYPE: "type"}


class DexSet:
    """All dex files of one app, queried together."""

    def __init__(self, files: list[DexFile]) -> None:
        self.files = files

    @property
    def class_count(self) -> int:
        return sum(len(f.class_defs) for f in self.files)

    @property
    def method_count(self) -> int:
        return sum(len(f.methods) for f in self.files)

    def class_names(self) -> list[str]:
        return [name for f in self.files for name in f.class_names]

    def classes(self) -> list[ClassInfo]:
        out = []
        for f in self.files:
            flags = f.class_defs["flags"].tolist()
            for i, name in enumerate(f.class_names):
                out.append(ClassInfo(name, f.superclass(i), f.interfaces(i), flags[i], f.name))
        return out

    def code_size_by_class(self) -> dict[str, int]:
        """Code units per class (0: no method has code) — tells a real SDK from a stub."""
        sizes: dict[str, int] = {}
        for f in self.files:
            m = f.methods
            totals = np.bincount(m.class_def, weights=m.insns_size, minlength=len(f.class_defs))
            for name, units in zip(f.class_names, totals.tolist(), strict=True):
                sizes.setdefault(name, int(units))
        return sizes

    @cached_property
    def superclasses(self) -> dict[str, str | None]:
        table: dict[str, str | None] = {}
        for f in self.files:
            for i, name in enumerate(f.class_names):
                table.setdefault(name, f.superclass(i))
        return table

    def resolve(self, ref: str) -> str | None:
        """The defined method a call to ``ref`` runs: its own class first, then up the superclasses."""
        m = _METHOD_REF.match(ref)
        if not m:
            return None
        cls, name, proto = m.groups()
        seen = 0
        while cls and seen < 64:  # bounded: hostile dex files can make cycles
            if self._locate(cls, name, proto) is not None:
                return f"{cls}->{name}{proto}"
            cls, seen = self.superclasses.get(cls), seen + 1
        return None

    def _locate(self, cls: str, name: str, proto: str) -> tuple[DexFile, int] | None:
        """The dex and row of a method with code; the first dex wins, as in Android."""
        for f in self.files:
            row = f.method_with_code(cls, name, proto)
            if row is not None:
                return f, row
        return None

    def strings(self) -> list[str]:
        """Distinct strings of all dex files (computed once). In no particular order: every user
        selects from them into a set or a sorted result, and sorting 10^5 strings costs more than that."""
        return self._strings

    @cached_property
    def _strings(self) -> list[str]:
        if len(self.files) == 1:
            return list(dict.fromkeys(self.files[0].strings))  # a dex's string table is sorted and distinct
        return list(set().union(*(f.strings for f in self.files)))

    def strings_holding(self, needles: Iterable[str]) -> list[str]:
        """Distinct strings that may hold one of ``needles`` (as a substring): every string that does, and a
        few that do not, so callers still test each. A byte search of each dex's string data: with
        ``StringPatterns.select`` on the result, ~40% cheaper than that on every string."""
        needles = tuple(needles)
        if not needles:
            return []
        return self._distinct_rows([f.string_rows_holding(needles) for f in self.files])

    def strings_led_by_digit(self) -> list[str]:
        """Distinct strings whose first character may be a digit (every one that is, and a few that are not)."""
        return self._distinct_rows([f.string_rows_led_by_digit() for f in self.files])

    def _distinct_rows(self, rows: list[np.ndarray]) -> list[str]:
        chosen = {f.strings[i] for f, picked in zip(self.files, rows, strict=True) for i in picked.tolist()}
        return list(chosen)

    def call_sites(self, methods: Iterable[str] = (), fields: Iterable[str] = (),
                   strings: Iterable[str] = (), types: Iterable[str] = ()) -> list[CallSite]:
        """Every (caller, target) pair where a caller's bytecode uses one of the targets."""
        return list(self.scan(methods, fields, strings, types).sites)

    def scan(self, methods: Iterable[str] = (), fields: Iterable[str] = (), strings: Iterable[str] = (),
             types: Iterable[str] = (), literals_of: Iterable[str] = ()) -> CodeScan:
        """``call_sites``, plus the int constants of every method that invokes one of ``literals_of``.

        ``literals_of`` are searched as methods too. A caller defined in several dex files
        gets the union of its constants (its sites are kept per dex).
        """
        wanted_literals = frozenset(literals_of)
        wanted = (tuple(dict.fromkeys((*methods, *sorted(wanted_literals)))), tuple(fields), tuple(strings),
                  tuple(types))
        found: set[CallSite] = set()
        literals: dict[str, set[int]] = defaultdict(set)
        for f in self.files:
            sites, ints = _scan_file(f, *wanted, wanted_literals)
            found.update(sites)
            for caller, values in ints.items():
                literals[caller].update(values)
        return CodeScan(tuple(sorted(found, key=_site_key)),
                        {c: frozenset(v) for c, v in sorted(literals.items()) if v})

    def invoke_edges(self, callers: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """The methods each given caller invokes directly (for reachability), sorted."""
        edges: dict[str, tuple[str, ...]] = {}
        for caller in callers:
            m = _METHOD_REF.match(caller)
            located = self._locate(*m.groups()) if m else None
            if located is None:
                continue
            f, row = located
            units = f.code_units(row)
            targets = set()
            for pc in bytecode.instructions(units):
                ref = bytecode.reference_at(units, pc)
                if ref and ref[0] == bytecode.METHOD and ref[1] < len(f.method_ids):
                    targets.add(f.method_ref(ref[1]))
            edges[caller] = tuple(sorted(targets))
        return edges


def _indices(f: DexFile, methods: tuple[str, ...], fields: tuple[str, ...],
             strings: tuple[str, ...], types: tuple[str, ...]) -> dict[int, dict[int, str]]:
    """Map each wanted reference to its index in this dex (absent ones are skipped)."""
    out: dict[int, dict[int, str]] = defaultdict(dict)
    for kind, refs in ((bytecode.METHOD, methods), (bytecode.FIELD, fields)):
        if rows := _member_indices(f, kind, refs):
            out[kind] = rows
    type_index = f.type_index
    for s in strings:
        if (row := f.string_row(s)) is not None:
            out[bytecode.STRING][row] = s
    for t in types:
        if t in type_index:
            out[bytecode.TYPE][type_index[t]] = t
    return out


def _member_indices(f: DexFile, kind: int, refs: tuple[str, ...]) -> dict[int, str]:
    """Method (or field) id rows naming wanted references; only the rows of their classes are rendered."""
    pattern, table, render = ((_METHOD_REF, f.method_ids, f.method_ref) if kind == bytecode.METHOD
                              else (_FIELD_REF, f.field_ids, f.field_ref))
    type_index = f.type_index
    classes: set[int] = set()
    wanted: set[str] = set()
    for ref in refs:
        m = pattern.match(ref)
        if m and m.group(1) in type_index:
            classes.add(type_index[m.group(1)])
            wanted.add(ref)
    if not classes:
        return {}
    rows = np.flatnonzero(isin(table["cls"], list(classes)))
    return {row: ref for row in rows.tolist() if (ref := render(row)) in wanted}


def _scan_file(f: DexFile, methods: tuple[str, ...], fields: tuple[str, ...], strings: tuple[str, ...],
               types: tuple[str, ...], literals_of: frozenset[str]) -> tuple[set[CallSite], dict[str, list[int]]]:
    """The instructions naming a target, on instruction boundaries; callers of ``literals_of`` walked whole."""
    targets = _indices(f, methods, fields, strings, types)
    if not targets:
        return set(), {}
    layout, m, units = f.code_layout, f.methods, f.units
    if not len(layout.order):
        return set(), {}
    order, starts, ends = layout.order, layout.starts, layout.ends
    hi = int(ends.max())
    literal_rows = [row for row, ref in targets.get(bytecode.METHOD, {}).items() if ref in literals_of]
    if layout.disjoint:
        positions, kinds, values = _layout_hits(units, layout, targets, hi)
        mark, base = None, 0
    else:
        positions, kinds, values, mark, base = _candidate_hits(units, layout, targets, hi, literal_rows)
    slot = np.searchsorted(starts, positions, side="right") - 1
    slots = distinct_sorted(slot)  # the callers, each rendered once
    names = dict(zip(slots.tolist(), f.method_refs(m.method_idx[order[slots]]), strict=True))
    found = {CallSite(names[s], targets[kind][value], _KIND_NAMES[kind], f.name)
             for s, kind, value in zip(slot.tolist(), kinds.tolist(), values.tolist(), strict=True)}
    wants = (kinds == bytecode.METHOD) & isin(values, literal_rows) if literal_rows else np.zeros(0, bool)
    literal_slots = distinct_sorted(slot[wants]) if literal_rows else slot[:0]
    literals: dict[str, list[int]] = {}
    if not len(literal_slots):
        return found, literals
    if mark is None:  # walk the methods that need their constants: a few, where the file holds thousands
        base = int(starts[literal_slots].min())
        top = int(ends[literal_slots].max())
        mark = bytecode.instruction_mask(units[base:top], starts[literal_slots] - base, ends[literal_slots] - base)
        region = units[base:top]
    else:
        region = units[base:hi]
    for s, value in _literals(region, mark, starts[literal_slots] - base, ends[literal_slots] - base):
        literals.setdefault(names[int(literal_slots[s])], []).append(value)
    return found, literals


def _layout_hits(units: np.ndarray, layout: bytecode.CodeLayout, targets: dict[int, dict[int, str]],
                 hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(position, kind, index) of the instructions naming a target, ascending: a look-up per reference the
    walk found (no two methods share code, so each instruction start belongs to one method)."""
    refs, kinds = layout.refs, layout.kinds
    table = np.zeros((bytecode.STRING_JUMBO + 1) << 16, dtype=bool)
    for kind, indices in targets.items():
        table[[(kind << 16) | i for i in indices if i < 0x10000]] = True
    hit = np.flatnonzero(table[layout.keys()])
    hit = hit[refs[hit] + 1 < hi]
    positions, kinds, values = refs[hit], kinds[hit].astype(np.int64), layout.operands[hit].astype(np.int64)
    wanted = targets.get(bytecode.STRING, {})
    jumbo = refs[layout.kinds == bytecode.STRING_JUMBO] if wanted else refs[:0]
    jumbo = jumbo[jumbo + 2 < hi]
    if len(jumbo):  # const-string/jumbo carries a 32-bit index; it is rare, so tested apart
        index = units[jumbo + 1].astype(np.int64) | (units[jumbo + 2].astype(np.int64) << 16)
        keep = np.fromiter((v in wanted for v in index.tolist()), dtype=bool, count=len(index))
        if keep.any():
            positions = np.concatenate([positions, jumbo[keep]])
            kinds = np.concatenate([kinds, np.full(int(keep.sum()), bytecode.STRING, np.int64)])
            values = np.concatenate([values, index[keep]])
            by = np.argsort(positions, kind="stable")
            positions, kinds, values = positions[by], kinds[by], values[by]
    return positions, kinds, values


def _candidate_hits(units: np.ndarray, layout: bytecode.CodeLayout, targets: dict[int, dict[int, str]], hi: int,
                    literal_rows: list[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """``_layout_hits`` for code ranges that overlap (hostile files): candidates by NumPy over the raw code,
    confirmed by walking the methods holding them (the ranges decide which method a position is in).
    Also the instruction starts walked, and the unit they are counted from."""
    starts, ends = layout.starts, layout.ends
    lo = int(starts[0])
    region = units[lo:hi]
    positions = bytecode.candidate_positions(region, {k: set(v) for k, v in targets.items()}) + lo
    slot = np.searchsorted(starts, positions, side="right") - 1
    inside = (slot >= 0) & (positions < ends[np.maximum(slot, 0)])
    positions, slot = positions[inside], slot[inside]
    empty = np.zeros(0, np.int64)
    if not len(positions):
        return empty, empty, empty, np.zeros(len(region), bool), lo
    # confirm candidates against the real instruction boundaries of the methods holding them
    first = np.r_[True, slot[1:] != slot[:-1]]  # positions are sorted, so slots are too
    last = np.r_[first[1:], True]
    hit_slots = slot[first]
    wants = bytecode.invokes(region, positions - lo, literal_rows)
    whole = np.bincount(np.cumsum(first) - 1, weights=wants, minlength=len(hit_slots)) > 0
    # walk each method only as far as its last candidate; one that may need its constants, to its end
    mark = bytecode.instruction_mask(region, starts[hit_slots] - lo,
                                     np.where(whole, ends[hit_slots], positions[last] + 1) - lo)
    kinds, values, kept = [], [], []
    for i, pos in enumerate(positions.tolist()):
        if not mark[pos - lo]:
            continue
        ref = bytecode.reference_at_array(units, pos, hi)
        if ref and ref[1] in targets.get(ref[0], {}):
            kept.append(i)
            kinds.append(ref[0])
            values.append(ref[1])
    return (positions[kept], np.array(kinds, np.int64), np.array(values, np.int64), mark, lo)


def _literals(region: np.ndarray, mark: np.ndarray, starts: np.ndarray,
              ends: np.ndarray) -> list[tuple[int, int]]:
    """(index into ``starts``, constant) for every int constant load in the given walked methods."""
    lengths = ends - starts
    if not len(starts) or lengths.sum() <= 0:
        return []
    # only these methods' positions (a few, where the file holds thousands of methods)
    which = np.repeat(np.arange(len(starts)), lengths)
    pcs = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(int(lengths.sum()))
    keep = mark[pcs]
    pcs, which = pcs[keep], which[keep]
    loads, values = bytecode.int_literals(region, pcs, ends[which])
    return list(zip(which[loads].tolist(), values.tolist(), strict=True))
