"""Dalvik instruction tables and the vectorised search for references in code.

Why by hand: finding which methods use a few hundred sensitive references does
not need a disassembler or a call graph. Every instruction that names a method,
field, string or type keeps that index in its second 16-bit code unit. Every
method is walked once, all in lockstep with NumPy (``code_layout``), recording
each instruction start that names a reference and its kind: the code graph
reads all of them, the search for given references looks its targets up in
them. Where code ranges overlap (hostile files), one NumPy pass over the code
units finds candidates and the methods holding them are walked to confirm each
sits on an instruction boundary (payload tables can hold look-alike words).
``make bench`` has the figures: this is ~100× cheaper than building androguard's
analysis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scanner.dex.arrays import isin

# Width in 16-bit code units of each opcode (Dalvik formats, dalvik-bytecode.html).
_WIDTHS = [1] * 256
for _op, _w in {
    0x02: 2, 0x03: 3, 0x05: 2, 0x06: 3, 0x08: 2, 0x09: 3, 0x13: 2, 0x14: 3, 0x15: 2, 0x16: 2,
    0x17: 3, 0x18: 5, 0x19: 2, 0x1A: 2, 0x1B: 3, 0x1C: 2, 0x1F: 2, 0x20: 2, 0x22: 2, 0x23: 2,
    0x24: 3, 0x25: 3, 0x26: 3, 0x29: 2, 0x2A: 3, 0x2B: 3, 0x2C: 3,
    0xFA: 4, 0xFB: 4, 0xFC: 3, 0xFD: 3, 0xFE: 2, 0xFF: 2,
}.items():
    _WIDTHS[_op] = _w
for _lo, _hi, _w in ((0x2D, 0x3D, 2), (0x44, 0x6D, 2), (0x6E, 0x72, 3), (0x74, 0x78, 3),
                     (0x90, 0xAF, 2), (0xD0, 0xE2, 2)):
    for _op in range(_lo, _hi + 1):
        _WIDTHS[_op] = _w
WIDTHS: tuple[int, ...] = tuple(_WIDTHS)

INVOKE_OPS = frozenset([*range(0x6E, 0x73), *range(0x74, 0x79), 0xFA, 0xFB])
FIELD_OPS = frozenset(range(0x52, 0x6E))  # iget*/iput* (22c) and sget*/sput* (21c)
STRING_OP, STRING_JUMBO_OP = 0x1A, 0x1B
TYPE_OPS = frozenset([0x1C, 0x1F, 0x20, 0x22, 0x23, 0x24, 0x25])  # const-class, check-cast, new-*…
CONST_4, CONST_16, CONST, CONST_HIGH16 = 0x12, 0x13, 0x14, 0x15  # the 32-bit int constant loads

METHOD, FIELD, STRING, TYPE = 1, 2, 3, 4
_KIND_OF_OP = np.zeros(256, dtype=np.uint32)
for _op in INVOKE_OPS:
    _KIND_OF_OP[_op] = METHOD
for _op in FIELD_OPS:
    _KIND_OF_OP[_op] = FIELD
_KIND_OF_OP[STRING_OP] = STRING
for _op in TYPE_OPS:
    _KIND_OF_OP[_op] = TYPE


def payload_width(units: list[int], pc: int) -> int:
    """Width of a switch or array payload at ``pc`` (they share the nop opcode)."""
    ident = units[pc]
    try:
        if ident == 0x0100:  # packed-switch-payload
            return 4 + units[pc + 1] * 2
        if ident == 0x0200:  # sparse-switch-payload
            return 2 + units[pc + 1] * 4
        if ident == 0x0300:  # fill-array-data-payload
            width, size = units[pc + 1], units[pc + 2] | (units[pc + 3] << 16)
            return 4 + (width * size + 1) // 2
    except IndexError:
        return len(units) - pc
    return 1


def instructions(units: list[int]) -> list[int]:
    """Start offsets of the instructions in one method's code units."""
    starts = []
    pc, end = 0, len(units)
    while pc < end:
        starts.append(pc)
        op = units[pc] & 0xFF
        pc += payload_width(units, pc) if op == 0 and units[pc] else WIDTHS[op]
    return starts


_WIDTH_TABLE = np.array(WIDTHS, dtype=np.int64)
_SERIAL_TAIL = 16  # methods still walking when this few remain are finished in plain Python
_PAYLOADS = (0x0100, 0x0200, 0x0300)  # packed-switch, sparse-switch, fill-array-data payload idents
STRING_JUMBO = 5  # the kind ``instruction_codes`` gives const-string/jumbo (its index is 32-bit)
# Both indexed by a whole code unit, not its opcode byte: one gather per step, where masking the opcode
# and testing for a payload ident took six passes over the walking methods (the walk is ~25% faster).
_UNIT_WIDTH = _WIDTH_TABLE[np.arange(1 << 16) & 0xFF]
_UNIT_WIDTH[list(_PAYLOADS)] = 0  # a payload: its width is read from its header
_UNIT_CODE = (1 + _KIND_OF_OP[np.arange(1 << 16) & 0xFF]).astype(np.uint8)
_UNIT_CODE[(np.arange(1 << 16) & 0xFF) == STRING_JUMBO_OP] = 1 + STRING_JUMBO


def _step(units: np.ndarray, cur: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Width of the instruction at each position in ``cur`` (``at``: its first unit, as intp), payloads included."""
    w = np.take(_UNIT_WIDTH, at)
    payload = np.flatnonzero(w == 0)
    if len(payload):
        pcs = cur[payload]
        head = [units[np.minimum(pcs + k, len(units) - 1)].astype(np.int64) for k in (1, 2, 3)]
        kind = at[payload]
        count = head[1] | (head[2] << 16)
        w[payload] = np.where(kind == 0x0100, 4 + head[0] * 2,
                              np.where(kind == 0x0200, 2 + head[0] * 4, 4 + (head[0] * count + 1) // 2))
    widths: np.ndarray = w
    return widths


def instruction_codes(units: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Mark every instruction start of the given methods (code ranges within ``units``) with 1 + the kind of
    reference it names (0: none; ``STRING_JUMBO`` for const-string/jumbo); 0 where no instruction starts.

    All methods are walked in lockstep with NumPy, one instruction per step; the few
    long methods left at the end are finished in Python, where per-step overhead is lower.
    Recording the kind as the walk goes costs one gather per step; finding it afterwards cost a
    gather, a mask and two compactions over every instruction start.
    """
    codes = np.zeros(len(units), dtype=np.uint8)
    cur, end = starts.astype(np.int64), ends.astype(np.int64)
    keep = cur < end
    cur, end = cur[keep], end[keep]
    while len(cur) > _SERIAL_TAIL:
        at = np.take(units, cur).astype(np.intp)  # take, compress: ~7% faster than [] indexing here
        codes[cur] = np.take(_UNIT_CODE, at)
        cur += _step(units, cur, at)
        keep = cur < end
        cur, end = np.compress(keep, cur), np.compress(keep, end)
    for pc, stop in zip(cur.tolist(), end.tolist(), strict=True):
        at = pc + np.array(instructions(units[pc:stop].tolist()), dtype=np.int64)
        codes[at] = _UNIT_CODE[units[at]]
    return codes


@dataclass(frozen=True, slots=True)
class CodeLayout:
    """Where one dex's code lies and which of its instructions name a reference, from one walk of every method.

    Both users of the walk share it: the code graph (every reference) and the search for given references
    (which otherwise searched the raw code units for candidates and walked their methods again to confirm them).
    """

    order: np.ndarray  # rows of ``DefinedMethods`` with code, by where their code starts (stable)
    starts: np.ndarray  # their first code unit, ascending
    ends: np.ndarray  # one past their last
    disjoint: bool  # no two code ranges overlap (identical ranges may repeat): every unit has one method
    refs: np.ndarray  # the instruction starts that name a reference, ascending
    kinds: np.ndarray  # the kind each names: METHOD, FIELD, STRING, TYPE or STRING_JUMBO
    operands: np.ndarray  # the unit after each (its index; a jumbo's low half), the file's last unit past the end

    def keys(self) -> np.ndarray:
        """``kind << 16 | operand`` of each reference: one index into a table by kind and 16-bit index."""
        keys: np.ndarray = (self.kinds.astype(np.intp) << 16) | self.operands
        return keys


def code_layout(units: np.ndarray, insns_start: np.ndarray, insns_size: np.ndarray) -> CodeLayout:
    """Walk every method with code (``insns_start``/``insns_size``: one row per defined method)."""
    with_code = np.flatnonzero(insns_size)
    order = with_code[np.argsort(insns_start[with_code], kind="stable")]
    starts = insns_start[order].astype(np.int64)
    ends = starts + insns_size[order].astype(np.int64)
    if not len(order):
        empty = np.zeros(0, np.int64)
        return CodeLayout(order, starts, ends, True, empty, np.zeros(0, np.uint8), np.zeros(0, np.uint16))
    lo, hi = int(starts[0]), int(ends.max())
    codes = instruction_codes(units[lo:hi], starts - lo, ends - lo)
    at = np.flatnonzero(codes > 1)
    same = (starts[1:] == starts[:-1]) & (ends[1:] == ends[:-1])
    disjoint = bool(np.all(same | (ends[:-1] <= starts[1:])))
    kinds: np.ndarray = codes[at] - 1
    # int32 rows and positions (a dex's units fit: the format's offsets are 32-bit byte offsets): the layout
    # lives for the whole scan, ~2.4M references on a 6-dex app, 12 MB less than int64
    refs = (at + lo).astype(np.int32)
    operands = units[np.minimum(refs + 1, len(units) - 1)]
    return CodeLayout(order.astype(np.int32), starts.astype(np.int32), ends.astype(np.int32), disjoint, refs, kinds,
                      operands)


def instruction_mask(units: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Mark every instruction start of the given methods (code ranges within ``units``)."""
    mask: np.ndarray = instruction_codes(units, starts, ends) != 0
    return mask


def reference_at(units: list[int], pc: int) -> tuple[int, int] | None:
    """(kind, index) of the reference the instruction at ``pc`` names, if any."""
    op = units[pc] & 0xFF
    if op == STRING_JUMBO_OP:
        return (STRING, units[pc + 1] | (units[pc + 2] << 16)) if pc + 2 < len(units) else None
    kind = int(_KIND_OF_OP[op])
    if kind and pc + 1 < len(units):
        return kind, units[pc + 1]
    return None


def reference_at_array(units: np.ndarray, pc: int, end: int) -> tuple[int, int] | None:
    """``reference_at`` for an instruction in the whole-file unit array, bounded by ``end``."""
    return reference_at(units[pc:min(pc + 3, end)].tolist(), 0)


def invokes(units: np.ndarray, pcs: np.ndarray, methods: list[int]) -> np.ndarray:
    """Which positions in ``pcs`` (candidates: the second unit exists) invoke one of the method indices."""
    if not methods or not len(pcs):
        return np.zeros(len(pcs), dtype=bool)
    found: np.ndarray = (_KIND_OF_OP[units[pcs] & 0xFF] == METHOD) & isin(units[pcs + 1], methods)
    return found


def candidate_positions(units: np.ndarray, targets: dict[int, set[int]]) -> np.ndarray:
    """Positions in ``units`` whose opcode and second unit match a target (kind → indices).

    Over-approximates: confirmed later against real instruction boundaries.
    """
    if len(units) < 2:
        return np.empty(0, dtype=np.int64)
    table = np.zeros(5 << 16, dtype=bool)
    for kind, indices in targets.items():
        for index in indices:
            if index < 0x10000:  # larger string indices only occur in const-string/jumbo, below
                table[(kind << 16) | index] = True
    any_index = np.asarray(table.reshape(5, 1 << 16).any(axis=0))
    # the second unit must be a wanted index: a cheap first cut, then the exact (kind, index) test
    near = np.flatnonzero(any_index[units[1:]])
    kinds = _KIND_OF_OP[units[near] & 0xFF]
    hits: np.ndarray = near[table[(kinds << 16) | units[near + 1]]]
    wanted = targets.get(STRING, set())
    if not wanted or len(units) < 3:
        return hits
    # const-string/jumbo carries a 32-bit index; it is rare, so test it apart
    jumbo_at = np.flatnonzero(units[:-2].view(np.uint8)[0::2] == STRING_JUMBO_OP)
    values = units[jumbo_at + 1].astype(np.uint32) | (units[jumbo_at + 2].astype(np.uint32) << 16)
    keep = np.fromiter((int(v) in wanted for v in values), dtype=bool, count=len(values))
    extra = jumbo_at[keep]
    return np.sort(np.concatenate([hits, extra])) if len(extra) else hits


def _signed(values: np.ndarray, bits: int) -> np.ndarray:
    """Two's-complement reading of unsigned ``bits``-wide values (int64 in, int64 out)."""
    sign = 1 << (bits - 1)
    signed: np.ndarray = (values ^ sign) - sign
    return signed


def int_literals(units: np.ndarray, pcs: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indices into ``pcs`` of the instructions loading an int constant, the constants); pcs: instruction starts.

    const/4 (11n), const/16 (21s), const (31i) and const/high16 (21h): the int constants an
    argument rule can name (the wide variants load longs and doubles). ``ends`` bounds each
    instruction's method, so a truncated last instruction yields nothing.
    """
    ops = (units[pcs] & 0xFF).astype(np.int64)
    keep = np.flatnonzero((ops >= CONST_4) & (ops <= CONST_HIGH16) & (pcs + _WIDTH_TABLE[ops] <= ends))
    at, ops = pcs[keep], ops[keep]
    last = len(units) - 1
    head = units[at].astype(np.int64)
    b = units[np.minimum(at + 1, last)].astype(np.int64)
    c = units[np.minimum(at + 2, last)].astype(np.int64)
    values = np.select([ops == CONST_4, ops == CONST_16, ops == CONST],
                       [_signed(head >> 12, 4), _signed(b, 16), _signed(b | (c << 16), 32)],
                       default=_signed(b << 16, 32))
    return keep, values
