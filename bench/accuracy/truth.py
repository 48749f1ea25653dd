"""Truth that owes nothing to appaudit: which input each class came from, and where PI APIs are invoked.

Class origin is jar membership: every SDK row is dexed on its own first, so the classes of that dex are
the row's; the classes of the smali dex are first party. PI call sites are the invoke instructions that
``dexdump -d`` (Android's own disassembler) shows in the built APK for a method listed in
``pi_apis.txt``; a site's owner is the origin of its caller's class.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from accuracy.paths import PI_APIS

FIRST_PARTY = "app"
_CLASS = re.compile(r"^  Class descriptor  : '(L[^']+;)'")
_NAME = re.compile(r"^      name          : '([^']*)'")
_TYPE = re.compile(r"^      type          : '([^']*)'")
_INVOKE = re.compile(r"\|[0-9a-f]{4}: invoke-[a-z/-]+ \{[^}]*\}, (L[^;]+;)\.([^:]+):(\([^)]*\)\S+) // method@")
_STRING = re.compile(r'\|[0-9a-f]{4}: const-string(?:/jumbo)? v\d+, "(.*)" // string@')


@dataclass(frozen=True)
class PiApi:
    ref: str
    api_id: str
    needs_string: str | None  # the API reads PI only with this constant argument (in the caller)


@dataclass(frozen=True)
class Site:
    caller: str
    api: str
    api_id: str
    owner: str  # an SDK row label, or "app"


def load_pi_apis(path: Path = PI_APIS) -> dict[str, PiApi]:
    """``ref<TAB>api_id[<TAB>const-string]`` lines; ``#`` starts a comment."""
    apis: dict[str, PiApi] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) not in (2, 3) or "->" not in fields[0]:
            raise ValueError(f"{path.name}:{number}: expected ref<TAB>api_id[<TAB>string]")
        apis[fields[0]] = PiApi(fields[0], fields[1], fields[2] if len(fields) == 3 else None)
    return apis


def _dexdump(dex: Path, disassemble: bool) -> Iterator[str]:
    command = ["dexdump", "-d", str(dex)] if disassemble else ["dexdump", str(dex)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                          errors="replace") as proc:
        assert proc.stdout is not None
        yield from proc.stdout
    if proc.returncode != 0:
        raise RuntimeError(f"dexdump failed on {dex}")


def classes_in(dex_files: list[Path]) -> set[str]:
    """Every class defined in these dex files (Dalvik descriptors)."""
    found: set[str] = set()
    for dex in dex_files:
        for line in _dexdump(dex, disassemble=False):
            match = _CLASS.match(line)
            if match:
                found.add(match.group(1))
    return found


def _header(line: str, where: dict[str, str]) -> None:
    """Track the class, method name and method type that dexdump is printing."""
    for key, pattern in (("cls", _CLASS), ("name", _NAME), ("sig", _TYPE)):
        match = pattern.match(line)
        if match:
            where[key] = match.group(1)
            return


def _code(line: str, invokes: list[str], strings: set[str]) -> None:
    """Collect an instruction line's invoked method or constant string."""
    if (match := _INVOKE.search(line)) is not None:
        invokes.append(f"{match.group(1)}->{match.group(2)}{match.group(3)}")
    elif (match := _STRING.search(line)) is not None:
        strings.add(match.group(1))


def _methods(dex: Path) -> Iterator[tuple[str, list[str], set[str]]]:
    """(caller ref, invoked refs, const strings) for every method that invokes something."""
    where = {"cls": "", "name": "", "sig": ""}
    invokes: list[str] = []
    strings: set[str] = set()
    for line in _dexdump(dex, disassemble=True):
        if line.startswith(("      name ", "  Class descriptor")):
            if invokes:
                yield f"{where['cls']}->{where['name']}{where['sig']}", invokes, strings
            invokes, strings = [], set()
            _header(line, where)
        elif line.startswith("      type "):
            _header(line, where)
        elif "|" in line:
            _code(line, invokes, strings)
    if invokes:
        yield f"{where['cls']}->{where['name']}{where['sig']}", invokes, strings


def pi_sites(dex_files: list[Path], apis: dict[str, PiApi], origin: dict[str, str]) -> list[Site]:
    """Every invoke of a PI API, one site per (caller, API), owned by the caller class's origin."""
    sites: dict[tuple[str, str], Site] = {}
    for dex in dex_files:
        for caller, invokes, strings in _methods(dex):
            owner = origin.get(caller.split("->", 1)[0], "unknown")
            for ref in invokes:
                api = apis.get(ref)
                if api is None or (api.needs_string is not None and api.needs_string not in strings):
                    continue
                sites.setdefault((caller, ref), Site(caller, ref, api.api_id, owner))
    return sorted(sites.values(), key=lambda s: (s.owner, s.caller, s.api))


def apk_dex(apk: Path, folder: Path) -> list[Path]:
    """The APK's classes*.dex, copied out in load order (dexdump reads files, not zip entries)."""
    with zipfile.ZipFile(apk) as archive:
        names = sorted((n for n in archive.namelist() if re.fullmatch(r"classes\d*\.dex", n)),
                       key=lambda n: int(n[7:-4] or 1))
        paths = []
        for name in names:
            path = folder / name
            path.write_bytes(archive.read(name))
            paths.append(path)
    return paths


def app_truth(apk: Path, origin: dict[str, str], apis: dict[str, PiApi]) -> dict[str, object]:
    """Classes per origin and PI call sites of one built APK, as plain values."""
    with tempfile.TemporaryDirectory(prefix="accuracy-truth-") as tmp:
        dex = apk_dex(apk, Path(tmp))
        defined = classes_in(dex)
        sites = pi_sites(dex, apis, origin)
    counts: dict[str, int] = {}
    for cls in defined:
        owner = origin.get(cls, "unknown")
        counts[owner] = counts.get(owner, 0) + 1
    return {"classes": dict(sorted(counts.items())),
            "sites": [{"caller": s.caller, "api": s.api, "api_id": s.api_id, "owner": s.owner} for s in sites]}
