"""SDK versions: clues an app carries whatever the knowledge base knows, and one rule that picks a version per SDK.

Clues are gathered once per app (``gather.py``), without the knowledge base, so a re-match of stored facts
can resolve them with a newer one:

- ``dex-field``: a static String field named like a version (``SDK_VERSION``, ``VERSION_NAME``,
  ``sdkVersion``…; not ``VERSION_CODE``, ``MIN_…``, ``OS_…``) whose initial value looks like one
  (final or not: JPush and JCore keep theirs in non-final fields); ``where`` is ``package.Class.FIELD``
  (inner classes keep their ``$``). A library ``BuildConfig.VERSION_NAME`` of ``1.0`` is no clue: it is
  the build tools' default for a module whose author never set a version;
- ``dex-method``: a String method named like a version whose whole body returns one constant
  (``LocationClient.getVersion() { return "7.5.1"; }``); ``where`` is ``package.Class.method()``;
- ``dex-code``: a three-part version string (``3.4.8``, ``3_0_3``) that code loads; found at detection
  time from the code index, one clue per class that loads it, and used only when nothing above names
  the SDK's version and at least two of the SDK's classes load it: the value most of them load wins;
- ``meta-inf``: a ``META-INF/<name>.version`` file holding only a version (androidx and several vendors
  ship them); ``where`` is the entry (``<split>.apk!META-INF/…`` in a split);
- ``native``: a ``.so`` whose file name carries a dotted or underscored version (``libfoo-1.2.3.so``;
  never ``libjcore330.so``, whose digits may be anything); ``where`` is its path.

``sdk_versions`` attributes the clues and picks one version per SDK; it is pure (the rule is in its doc).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from signatures.globs import glob_match

DEX_FIELD, DEX_METHOD, DEX_CODE, META_INF, NATIVE = "dex-field", "dex-method", "dex-code", "meta-inf", "native"
MAX_CLUES_PER_SOURCE = 1000  # a hostile app cannot make the facts grow past 3,000 clues
MAX_WHERE = 512  # characters of a class, field or file name kept as a clue's place
MAX_META_INF_BYTES = 128  # a *.version file holds one version and a newline

# 1.2, 1.2.3, 9.6.3.0, v2.1.0, 1.2.3-release, 2.0.0.beta, 1.2.3_2, 4.0.0-rc1.2
_VERSION = re.compile(r"[vV]?\d{1,6}(?:\.\d{1,6}){1,3}(?:[-_+][0-9A-Za-z]+(?:[.\-][0-9A-Za-z]+)*|\.[A-Za-z]\w*)?")
_NATIVE = re.compile(r"lib(?P<name>[A-Za-z][\w+]*?)[-_.]v?(?P<version>\d+(?:\.\d+){1,3}|\d+(?:_\d+){1,3})\.so")
_META_INF = re.compile(r"(?:[^/!]+\.apk!)?META-INF/(?P<stem>[^/]+)\.version")
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
# words that make a VERSION field name something else than the library's own version
_NOT_OWN = frozenset({"code", "int", "min", "max", "minimum", "maximum", "target", "os", "android", "api",
                      "protocol", "schema", "db", "database", "rom", "system", "app", "server", "key"})
_SDK_WORDS = frozenset({"sdk", "lib", "library"})
# a version string code loads: three parts, one separator (IP addresses and dates have four or other shapes)
_CODE_VERSION = re.compile(r"\d{1,2}(?P<sep>[._])\d{1,3}(?P=sep)\d{1,4}")
_BUILD_TOOLS_DEFAULT = "1.0"
_CODE_SUPPORT = 2  # classes of one SDK that must load a version string before it counts
# preference ranks, best first
_HINT, _BUILD_CONFIG, _SDK_FIELD, _FIELD, _META_INF_RANK, _NATIVE_RANK, _CODE_RANK = range(7)


@dataclass(frozen=True, slots=True, order=True)
class VersionClue:
    """A version an app states somewhere, before anyone says whose it is."""

    source: str  # dex-field | meta-inf | native
    where: str  # package.Class.FIELD, or the file's path
    value: str


@dataclass(frozen=True, slots=True)
class SdkVersion:
    version: str
    evidence: str  # "<source> <where>", e.g. "dex-field com.umeng.commonsdk.statistics.SdkVersion.SDK_VERSION"


def looks_like_version(text: str) -> bool:
    return len(text) <= 64 and _VERSION.fullmatch(text) is not None


def _stated(value: str) -> str | None:
    """The version a constant states: ``9.6.3``, or the number after a platform word (``android 2.1.3``:
    WeChat's SDK_VERSION_NAME)."""
    if looks_like_version(value):
        return value
    word, _, rest = value.partition(" ")
    return rest if word.isalpha() and len(word) <= 12 and looks_like_version(rest) else None


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(name)]


def is_version_field_name(name: str) -> bool:
    """``VERSION``, ``SDK_VERSION_NAME``, ``sdkVersion``, ``LIBRARY_VERSION``; not ``VERSION_CODE``, ``OS_VERSION``."""
    return "version" in name.lower() and not _NOT_OWN.intersection(_words(name))


def field_clue(cls: str, name: str, value: str) -> VersionClue | None:
    """A clue from a static final String field of class ``cls`` (dotted), if both name and value qualify."""
    where, version = f"{cls}.{name}", _stated(value)
    if len(where) > MAX_WHERE or not is_version_field_name(name) or version is None:
        return None
    if cls.rpartition(".")[2] == "BuildConfig" and name == "VERSION_NAME" and version == _BUILD_TOOLS_DEFAULT:
        return None
    return VersionClue(DEX_FIELD, where, version)


def method_clue(cls: str, name: str, value: str) -> VersionClue | None:
    """A clue from a String method of class ``cls`` (dotted) that returns a constant, named like a version."""
    where, version = f"{cls}.{name}()", _stated(value)
    if len(where) > MAX_WHERE or not is_version_field_name(name) or version is None:
        return None
    return VersionClue(DEX_METHOD, where, version)


def is_code_version(text: str) -> bool:
    """A string code may load as its own version: ``3.4.8`` or ``3_0_3`` (read as 3.0.3)."""
    return _CODE_VERSION.fullmatch(text) is not None


def code_clue(cls: str, value: str) -> VersionClue | None:
    """A clue from class ``cls`` (dotted) loading the version-shaped string ``value``."""
    if len(cls) > MAX_WHERE or not is_code_version(value):
        return None
    return VersionClue(DEX_CODE, cls, value.replace("_", "."))


def meta_inf_clue(path: str, content: bytes) -> VersionClue | None:
    """A clue from a ``META-INF/*.version`` entry whose whole content is a version."""
    if len(path) > MAX_WHERE or len(content) > MAX_META_INF_BYTES or not _META_INF.fullmatch(path):
        return None
    try:
        value = content.decode("utf-8").strip()
    except UnicodeDecodeError:
        return None
    return VersionClue(META_INF, path, value) if looks_like_version(value) else None


def is_meta_inf_version(name: str) -> bool:
    """A zip entry that may be a ``*.version`` file (``META-INF/`` itself, not a folder below it)."""
    return name.startswith("META-INF/") and name.endswith(".version") and name.count("/") == 1


def native_clue(path: str) -> VersionClue | None:
    """A clue from a native library whose file name carries a version; underscores become dots."""
    m = _NATIVE.fullmatch(path.rpartition("/")[2])
    if m is None or len(path) > MAX_WHERE:
        return None
    return VersionClue(NATIVE, path, m.group("version").replace("_", "."))


def bounded(clues: Iterable[VersionClue]) -> tuple[VersionClue, ...]:
    """Clues in the order given, the first of each (source, where) — Android loads the first definition
    of a class — and at most ``MAX_CLUES_PER_SOURCE`` of each source."""
    seen: set[tuple[str, str]] = set()
    counts: dict[str, int] = {}
    out = []
    for clue in clues:
        key = (clue.source, clue.where)
        if key in seen or counts.get(clue.source, 0) >= MAX_CLUES_PER_SOURCE:
            continue
        seen.add(key)
        counts[clue.source] = counts.get(clue.source, 0) + 1
        out.append(clue)
    return tuple(out)


# -- resolving ----------------------------------------------------------------------------------------


def sdk_versions(clues: Iterable[VersionClue], owner: Callable[[str], str | None],
                 hints: Mapping[str, tuple[str, ...]], *,
                 prefixes: Mapping[str, tuple[str, ...]] | None = None,
                 libraries: Mapping[str, tuple[str, ...]] | None = None) -> dict[str, SdkVersion]:
    """The version of each SDK some clue names: SDK id -> version and the clue it came from.

    Whose clue: a ``dex-field`` clue belongs to ``owner(class)`` (a dotted class name -> SDK id, None for the
    app's own code), and also to every SDK whose ``hints`` (SDK id -> the knowledge base's
    ``version_fields``, ``package.Class.FIELD``) name it. A ``meta-inf`` file belongs to the SDK with the
    longest of ``prefixes`` (SDK id -> package prefixes) that its name starts with, read as a dotted name
    or as a Maven ``group_artifact`` (``META-INF/androidx.core_core.version`` -> ``androidx.core``). A
    ``native`` library belongs to the SDK whose ``libraries`` (SDK id -> file names or fnmatch patterns)
    match its file name, with or without the version (``libfoo-1.2.3.so`` or ``libfoo.so``). Without
    those mappings, file clues belong to no SDK.

    Which clue, per SDK, best first: a field the SDK's hints name; then stated versions (kinds 1-5 below)
    before loaded strings (6); within those, clues in the SDK's main package (the first of its
    ``prefixes``) before those in its companion packages (a bundled security module states its own
    version); then by kind:
    1. ``BuildConfig.VERSION_NAME`` of a class the SDK owns;
    2. a field or constant method named like the library's version (``SDK_VERSION``, ``getSdkVersion``);
    3. any other ``VERSION`` field or method;
    4. a ``META-INF/*.version`` file;
    5. a native library's file name;
    6. a version string the SDK's code loads, the one most of its classes load first.
    Among clues of the same rank, the class closest to the SDK's root package wins (fewest package levels
    below the SDK's matching prefix, or below the top when no prefix is known), then the alphabetically
    first ``where``, then the first value: the same clues always give the same answer.
    """
    roots = prefixes or {}
    hinted: dict[str, list[str]] = {}
    for sdk in sorted(hints):
        for where in hints[sdk]:
            hinted.setdefault(where, []).append(sdk)
    files = _FileOwner(roots, libraries or {})
    found = [(sdk, rank, clue) for clue in clues for sdk, rank in _candidates(clue, owner, hinted, files)]
    support: dict[tuple[str, str], int] = {}  # (SDK, value) -> classes of the SDK loading it (code clues)
    for sdk, rank, clue in found:
        if rank == _CODE_RANK:
            support[(sdk, clue.value)] = support.get((sdk, clue.value), 0) + 1
    best: dict[str, tuple[tuple[int, int, int, int, int, str, str], SdkVersion]] = {}
    for sdk, rank, clue in found:
        if rank == _CODE_RANK and support[(sdk, clue.value)] < _CODE_SUPPORT:
            continue  # one class loading a version string may be comparing with another product's
        sdk_roots = roots.get(sdk, ())
        tier = 0 if rank == _HINT else 2 if rank == _CODE_RANK else 1  # a stated version before a loaded string
        key = (tier, _prefix_rank(clue, sdk_roots), rank, -support.get((sdk, clue.value), 0),
               _depth(clue, sdk_roots), clue.where, clue.value)
        if sdk not in best or key < best[sdk][0]:
            best[sdk] = (key, SdkVersion(clue.value, f"{clue.source} {clue.where}"))
    return {sdk: version for sdk, (_, version) in sorted(best.items())}


def _prefix_rank(clue: VersionClue, roots: tuple[str, ...]) -> int:
    """0 for a class in the SDK's main package (its first prefix), else the index of the prefix holding it."""
    if clue.source not in (DEX_FIELD, DEX_METHOD, DEX_CODE):
        return 0
    cls = clue.where if clue.source == DEX_CODE else clue.where.rsplit(".", 1)[0]
    held = [i for i, p in enumerate(roots) if cls == p or cls.startswith(p + ".")]
    return held[0] if held else len(roots)


def _candidates(clue: VersionClue, owner: Callable[[str], str | None], hinted: Mapping[str, list[str]],
                files: _FileOwner) -> list[tuple[str, int]]:
    if clue.source == META_INF:
        sdk = files.meta_inf(clue.where)
        return [(sdk, _META_INF_RANK)] if sdk else []
    if clue.source == NATIVE:
        sdk = files.native(clue.where)
        return [(sdk, _NATIVE_RANK)] if sdk else []
    if clue.source == DEX_CODE:
        sdk = owner(clue.where)
        return [(sdk, _CODE_RANK)] if sdk else []
    if clue.source not in (DEX_FIELD, DEX_METHOD):
        return []
    out = [(sdk, _HINT) for sdk in hinted.get(clue.where, ())]
    cls, _, name = clue.where.rpartition(".")
    sdk = owner(cls)
    if sdk is not None and sdk not in {s for s, _ in out}:
        out.append((sdk, _field_rank(cls, name)))
    return out


def _field_rank(cls: str, name: str) -> int:
    if cls.rpartition(".")[2] == "BuildConfig" and name == "VERSION_NAME":
        return _BUILD_CONFIG
    return _SDK_FIELD if _SDK_WORDS.intersection(_words(name)) else _FIELD


def _depth(clue: VersionClue, roots: tuple[str, ...]) -> int:
    """Package levels of a field's class below the SDK's matching prefix (0 for file clues)."""
    if clue.source not in (DEX_FIELD, DEX_METHOD, DEX_CODE):
        return 0
    where = clue.where + ".x" if clue.source == DEX_CODE else clue.where  # a code clue names the class only
    package = where.rsplit(".", 2)[0] if where.count(".") >= 2 else ""
    levels = package.count(".") + 1 if package else 0
    root = max((p for p in roots if package == p or package.startswith(p + ".")), key=len, default="")
    return levels - (root.count(".") + 1 if root else 0)


class _FileOwner:
    """Attribution of file clues by the SDKs' package prefixes (META-INF) and library names (native)."""

    def __init__(self, prefixes: Mapping[str, tuple[str, ...]], libraries: Mapping[str, tuple[str, ...]]) -> None:
        self.by_prefix: dict[str, str] = {}
        for sdk in sorted(prefixes, reverse=True):  # a prefix two SDKs claim goes to the first id
            self.by_prefix.update(dict.fromkeys(prefixes[sdk], sdk))
        self.exact: dict[str, str] = {}
        self.patterns: list[tuple[str, str]] = []
        for sdk in sorted(libraries):
            for lib in libraries[sdk]:
                if "*" in lib or "?" in lib or "[" in lib:
                    self.patterns.append((lib, sdk))
                else:
                    self.exact.setdefault(lib, sdk)

    def meta_inf(self, path: str) -> str | None:
        m = _META_INF.fullmatch(path)
        if m is None:
            return None
        stem = m.group("stem")
        best = ""  # the longest prefix either reading of the name starts with
        for name in (stem.partition("_")[0], stem.replace("_", ".")):
            while len(name) > len(best) and name not in self.by_prefix:
                name = name.rpartition(".")[0]
            if len(name) > len(best):
                best = name
        return self.by_prefix.get(best) if best else None

    def native(self, path: str) -> str | None:
        file_name = path.rpartition("/")[2]
        m = _NATIVE.fullmatch(file_name)
        names = (file_name, f"lib{m.group('name')}.so") if m else (file_name,)
        for name in names:
            if name in self.exact:
                return self.exact[name]
        return next((sdk for pattern, sdk in self.patterns
                     if any(glob_match(n, pattern) for n in names)), None)
