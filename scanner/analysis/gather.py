"""Gather an app's facts from its archive: the APK reader for the manifest and files, the DEX reader for code.

The readers (androguard, NumPy) load here; code that only consumes facts does not import this module.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from itertools import chain

from scanner.analysis.facts import AppFacts, Source
from scanner.analysis.urls import find_urls
from scanner.analysis.versions import (
    MAX_META_INF_BYTES,
    VersionClue,
    bounded,
    field_clue,
    is_meta_inf_version,
    is_version_field_name,
    meta_inf_clue,
    method_clue,
    native_clue,
)
from scanner.android import apk as apk_reader
from scanner.android.apk import SigningSource, read_apk_facts
from scanner.android.facts import ApkFacts
from scanner.dex.constants import constant_string_methods
from scanner.dex.dexset import DexSet
from scanner.dex.file import DexFile
from scanner.dex.load_order import loaded_dex_names
from scanner.errors import CodeMissing, CorruptZip, DexFormatError, ScanFailure
from scanner.input.archive import AppArchive
from scanner.input.safezip import SafeZip
from scanner.input.ziptricks import PREPENDED_DEX, ZipTrick, inspect_zip, prepended_size
from scanner.model import ScanError

InflatedSource = Callable[[AppArchive, str], "bytes | None"]  # a base APK's dex entry inflated elsewhere, or None


def gather(archive: AppArchive, signing_later: bool = False,
           inflated: InflatedSource | None = None) -> tuple[AppFacts, DexSet]:
    """Read the manifest and every loaded dex of every APK of the app. The signatures are verified first, which
    inflates the dex files (kept for the DEX reader); or, ``signing_later``, not yet: ``signed`` adds them.
    ``inflated``: the base APK's dex as the process verifying meanwhile inflated them (``signing_ahead.py``)."""
    for split in () if signing_later else archive.apks:
        split.zip.keep_inflated(loaded_dex_names(split.zip.names())[0])
    try:
        apk = read_apk_facts(archive, apk_reader.signing_later if signing_later else None)
        apk = dataclasses.replace(apk, zip_tricks=_zip_tricks(archive))
        return _gather(archive, apk, inflated)
    finally:
        for split in archive.apks:
            split.zip.forget_inflated()


def signed(facts: AppFacts, archive: AppArchive, signing: SigningSource) -> AppFacts:
    """Facts gathered with ``signing_later``, with the signing facts ``signing`` gives: the same facts, problems
    in the same order, as gathering with them from the start (the APK's problems lead the app's, sorted)."""
    apk = apk_reader.add_signing(facts.apk, archive, signing)
    rest = facts.problems[len(facts.apk.problems):]
    return dataclasses.replace(facts, apk=apk, problems=apk.problems + rest)


def _gather(archive: AppArchive, apk: ApkFacts, inflated: InflatedSource | None) -> tuple[AppFacts, DexSet]:
    """Every loaded dex of every APK of the app, with what the manifest and signature reading found."""
    files: list[DexFile] = []
    names: list[str] = []
    ignored: list[str] = []
    modules: list[str] = []  # the AAB module of each loaded dex file ("base", a feature)
    problems: list[ScanError] = list(apk.problems)  # unreadable resources, label, network config, signature
    problems += [ScanError("split-missing", f"{archive.path}: the bundle's manifest.json lists {name}, which it "
                           "does not hold: Android refuses to install the set (INSTALL_FAILED_MISSING_SPLIT); "
                           "what that split holds was not analysed") for name in archive.missing]
    for split in archive.apks:
        prefix = "" if split is archive.base else f"{split.name}!"
        loaded, skipped = loaded_dex_names(split.zip.names())
        if split is archive.base and not loaded and apk.manifest.has_code:
            found = f" (only {', '.join(skipped)}, which Android does not load without it)" if skipped else ""
            raise CodeMissing(archive.path, f"{prefix}classes.dex is missing{found} while the manifest says the "
                              "app has code: Android refuses to install it (INSTALL_FAILED_INVALID_APK: "
                              "code is missing)")
        ignored.extend(prefix + n for n in skipped)
        for name in loaded:
            label = prefix + name
            if inflated is not None and split is archive.base and (ready := inflated(archive, name)) is not None:
                split.zip.adopt_inflated(name, ready)  # read_prefix reads these bytes (when size and CRC hold)
            try:
                try:
                    data, trailing = _dex_bytes(split.zip, name)
                except CorruptZip as exc:  # e.g. a compression method the code loader does not read
                    raise DexFormatError(archive.path, f"{label} cannot be read: {exc.reason}") from None
                if trailing:
                    problems.append(ScanError("dex-trailing-data", (
                        f"{archive.path}: {label} inflates past the {len(data)} bytes its header declares "
                        "(Android refuses such a dex: 'bad file size'); the rest was not read")))
                dex_file = DexFile(data, label, archive.path)
                # parse class data and names now, so a damaged dex is dropped here (the app is partial)
                # rather than failing the whole app later, in a query
                dex_file.methods  # noqa: B018
                dex_file.protos  # noqa: B018
            except DexFormatError as exc:
                problems.append(ScanError(exc.code, exc.reason))
                continue
            files.append(dex_file)
            names.append(label)
            modules.append(split.name)
    if prepended := _prepended_dex(archive, problems):
        files.append(prepended)
        names.append(PREPENDED_DEX)
    dex = DexSet(files)
    # find_urls looks only at strings holding "://": a byte search finds them (and a few others) in each dex,
    # instead of gathering and testing every distinct string of every dex (~30 ms of a 6-dex app)
    urls = find_urls(dex.strings_holding(("://",)), "dex") + find_urls(apk.resource_strings, "resource")
    source = Source(archive.path, archive.format, archive.sha256, archive.size, tuple(s.name for s in archive.splits))
    clues = bounded(chain(_dex_clues(files), _meta_inf_clues(archive), _native_clues(apk)))
    return AppFacts(source, apk, dex, tuple(names), tuple(ignored), tuple(problems), tuple(urls),
                    version_clues=clues, class_modules=_class_modules(archive, files, modules)), dex


def _class_modules(archive: AppArchive, files: list[DexFile], modules: list[str]) -> dict[str, str]:
    """An app bundle's classes outside its base module -> their module; the first definition in load order
    (base first) is the one Android runs. Empty for APKs: every class is in the app."""
    if archive.format != "aab":
        return {}
    placed: dict[str, str] = {}
    for dex_file, module in zip(files, modules, strict=True):
        for name in dex_file.class_names:
            placed.setdefault(name, module)
    return {name: module for name, module in placed.items() if module != archive.base.name}


_DEX_FILE_SIZE_AT = 32  # header_item.file_size


def _zip_tricks(archive: AppArchive) -> tuple[ZipTrick, ...]:
    """The zip tricks of every APK of the app; a split's entries are named "<apk>!<entry>"."""
    if archive.container is not None:  # an app bundle: its own zip, once (the modules are views of it)
        return tuple(inspect_zip(archive.container))
    found: list[ZipTrick] = []
    for split in archive.apks:
        prefix = "" if split is archive.base else f"{split.name}!"
        found += [dataclasses.replace(t, entry=prefix + t.entry) if prefix else t for t in inspect_zip(split.zip)]
    return tuple(found)


def _prepended_dex(archive: AppArchive, problems: list[ScanError]) -> DexFile | None:
    """A dex placed before the base APK's first zip entry, read like any other (its code runs on old Android).

    The Janus exploit makes the dex span the whole file (its ``file_size`` is the APK's length), so the
    zip lies inside the dex; the reader takes the header's size, bounded by the file.
    """
    entries = archive.base.zip
    if archive.container is not None:  # an app bundle is never installed as it is: no loader reads its head
        return None
    if prepended_size(entries) <= 0 or entries.data[:4] != b"dex\n":
        return None
    head = entries.data[:_DEX_FILE_SIZE_AT + 4]
    size = int.from_bytes(head[_DEX_FILE_SIZE_AT:], "little") if len(head) == _DEX_FILE_SIZE_AT + 4 else 0
    try:
        dex_file = DexFile(bytes(entries.data[:min(size, len(entries.data))]), PREPENDED_DEX, archive.path)
        dex_file.methods  # noqa: B018  (parsed now: a damaged one is a problem here, not a failure later)
        dex_file.protos  # noqa: B018
    except DexFormatError as exc:
        problems.append(ScanError(exc.code, f"{archive.path}: the dex before the zip entries cannot be read "
                                  f"({exc.reason})"))
        return None
    return dex_file


def _dex_bytes(entries: SafeZip, name: str) -> tuple[bytes, bool]:
    """A dex entry inflated only as far as its header's ``file_size`` (and whether more followed).

    A hostile APK can pad a dex with hundreds of MiB of zeros that compress under any ratio
    limit; memory then follows the declared size, not the padding.
    """
    head = entries.read_prefix(name, _DEX_FILE_SIZE_AT + 4)
    if len(head) < _DEX_FILE_SIZE_AT + 4 or head[:4] != b"dex\n":
        return head, False  # not a dex: the reader says so from the header alone, the rest stays packed
    declared = int.from_bytes(head[_DEX_FILE_SIZE_AT:_DEX_FILE_SIZE_AT + 4], "little")
    data = entries.read_prefix(name, declared + 1)
    return (data[:declared], True) if len(data) > declared else (data, False)


def _dex_clues(files: list[DexFile]) -> Iterator[VersionClue]:
    """Static String fields and constant String methods named and valued like a version, in load order
    (Android runs the first definition of a class; ``bounded`` keeps that one)."""
    for dex_file in files:
        for field, _flags, value in dex_file.static_strings(is_version_field_name):
            cls, _, name = dex_file.field_ids[field].tolist()
            if clue := field_clue(dex_file.types[cls][1:-1].replace("/", "."), dex_file.strings[name], value):
                yield clue
        for descriptor, method, value in constant_string_methods(dex_file, is_version_field_name):
            if clue := method_clue(descriptor[1:-1].replace("/", "."), method, value):
                yield clue


def _meta_inf_clues(archive: AppArchive) -> Iterator[VersionClue]:
    """``META-INF/*.version`` entries of every APK of the app, read only when small enough to hold a version."""
    for split in archive.apks:
        prefix = "" if split is archive.base else f"{split.name}!"
        for entry in sorted(n for n in split.zip.names() if is_meta_inf_version(n)):
            if split.zip.size(entry) > MAX_META_INF_BYTES:
                continue
            try:
                content = split.zip.read(entry)
            except ScanFailure:  # a damaged entry is no clue; the zip checks report what matters
                continue
            if clue := meta_inf_clue(prefix + entry, content):
                yield clue


def _native_clues(apk: ApkFacts) -> Iterator[VersionClue]:
    return (clue for lib in apk.native_libs if (clue := native_clue(lib.path)))
