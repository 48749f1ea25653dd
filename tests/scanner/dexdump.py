"""Parse Debian's ``dexdump -d`` output: an independent reading of a dex to cross-check ours."""

from __future__ import annotations

import re
import subprocess
from collections import defaultdict
from dataclasses import dataclass, field

_CLASS = re.compile(r"^  Class descriptor  : '(.+)'$")
_SUPER = re.compile(r"^  Superclass        : '(.+)'$")
_IFACE = re.compile(r"^    #\d+\s+: '(.+)'$")
_NAME = re.compile(r"^      name          : '(.+)'$")
_TYPE = re.compile(r"^      type          : '(.+)'$")
_INSN = re.compile(r"\|[0-9a-f]{4}: (\S+) .*, (\S+) // (method|field|string|type)@([0-9a-f]+)$")
_STRING = re.compile(r'\|[0-9a-f]{4}: const-string(?:/jumbo)? v\d+, "(.*)" // string@[0-9a-f]+$')
_REF = re.compile(r"^(L[^;]+;)\.([^:]+):(.+)$")
# const/4, /16 and /high16 print "#int <decimal>"; const (31i) prints "#float <guess> // #<8 hex digits>"
_INT = re.compile(r"\|[0-9a-f]{4}: const(?:/4|/16|/high16) v\d+, #int (-?\d+) // #[0-9a-f]+$")
_CONST = re.compile(r"\|[0-9a-f]{4}: const v\d+, #float \S+ // #([0-9a-f]{8})$")


@dataclass
class DexDump:
    classes: dict[str, tuple[str | None, tuple[str, ...]]] = field(default_factory=dict)
    methods: set[str] = field(default_factory=set)  # defined methods, our reference format
    uses: dict[str, set[tuple[str, str]]] = field(default_factory=lambda: defaultdict(set))
    literals: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))  # 32-bit int constants loaded


def to_ref(dexdump_ref: str, kind: str) -> str:
    """``Lp/C;.name:(I)V`` -> ``Lp/C;->name(I)V``; ``Lp/C;.f:I`` -> ``Lp/C;->f:I``."""
    m = _REF.match(dexdump_ref)
    assert m, dexdump_ref
    cls, name, sig = m.groups()
    return f"{cls}->{name}{sig}" if kind == "method" else f"{cls}->{name}:{sig}"


def dexdump(path: str) -> DexDump:
    out = subprocess.run(["dexdump", "-d", path], capture_output=True, text=True, check=True).stdout
    dump = DexDump()
    cls = name = caller = None
    in_ifaces = in_methods = False
    for line in out.splitlines():
        if line.startswith(("  Static fields", "  Instance fields", "  Direct methods", "  Virtual methods")):
            in_methods, in_ifaces = line.startswith(("  Direct methods", "  Virtual methods")), False
        elif m := _CLASS.match(line):
            cls, in_ifaces, in_methods, caller = m.group(1), False, False, None
            dump.classes[cls] = (None, ())
        elif (m := _SUPER.match(line)) and cls:
            dump.classes[cls] = (m.group(1), ())
        elif line.startswith("  Interfaces        -"):
            in_ifaces = True
        elif in_ifaces and (m := _IFACE.match(line)) and cls:
            sup, ifaces = dump.classes[cls]
            dump.classes[cls] = (sup, (*ifaces, m.group(1)))
        elif m := _NAME.match(line):
            name = m.group(1)
        elif in_methods and (m := _TYPE.match(line)) and cls and name:
            caller = f"{cls}->{name}{m.group(1)}"
            dump.methods.add(caller)
        elif caller:
            _instruction(dump, caller, line)
    return dump


def _instruction(dump: DexDump, caller: str, line: str) -> None:
    """One disassembled line of ``caller``'s code: an int constant loaded, or a string, method or field used."""
    if m := _INT.search(line):
        dump.literals[caller].add(int(m.group(1)))
    elif m := _CONST.search(line):
        value = int(m.group(1), 16)
        dump.literals[caller].add(value - (1 << 32) if value >= 1 << 31 else value)
    elif s := _STRING.search(line):
        dump.uses[caller].add(("string", s.group(1)))
    elif (m := _INSN.search(line)) and m.group(3) in ("method", "field"):
        dump.uses[caller].add((m.group(3), to_ref(m.group(2), m.group(3))))
