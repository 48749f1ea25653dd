"""AppFacts: everything detectors may read about one app, gathered once.

Detectors never open files; they receive this value. Code is seen through
``CodeView`` — the class inventory — so the same detectors run on a live dex
reader or on the compact snapshot a batch stores for re-matching.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from scanner.analysis.urls import FoundUrl, find_urls
from scanner.android.apk import ApkFacts, read_apk_facts
from scanner.dex.dexset import DexSet, loaded_dex_names
from scanner.dex.file import DexFile
from scanner.errors import DexFormatError
from scanner.input.archive import AppArchive
from scanner.model import ScanError


class CodeView(Protocol):
    @property
    def class_count(self) -> int: ...

    @property
    def method_count(self) -> int: ...

    def code_size_by_class(self) -> dict[str, int]: ...

    def class_names(self) -> list[str]: ...


@dataclass(frozen=True, slots=True)
class Source:
    """Where the facts came from: the input file and the APKs it held."""

    path: str
    format: str
    sha256: str
    size: int
    splits: tuple[str, ...]  # names of the split APKs beside the base


@dataclass(frozen=True, slots=True)
class AppFacts:
    source: Source
    apk: ApkFacts
    dex: CodeView
    dex_files: tuple[str, ...]  # "<apk>!classesN.dex" for splits, in load order
    ignored_dex: tuple[str, ...]
    problems: tuple[ScanError, ...]  # parts that could not be read; the rest was analysed
    urls: tuple[FoundUrl, ...]  # URLs in dex strings and resource values

    @property
    def package(self) -> str:
        return self.apk.manifest.package


def gather(archive: AppArchive) -> tuple[AppFacts, DexSet]:
    """Read the manifest and every loaded dex of every APK of the app."""
    apk = read_apk_facts(archive)
    files: list[DexFile] = []
    names: list[str] = []
    ignored: list[str] = []
    problems: list[ScanError] = list(apk.problems)  # unreadable resources, label, network config, signature
    for split in archive.apks:
        prefix = "" if split is archive.base else f"{split.name}!"
        loaded, skipped = loaded_dex_names(split.zip.names())
        ignored.extend(prefix + n for n in skipped)
        for name in loaded:
            label = prefix + name
            try:
                dex_file = DexFile(split.zip.read(name), label, archive.path)
                # parse class data and names now, so a damaged dex is dropped here (the app is partial)
                # rather than failing the whole app later, in a query
                dex_file.methods  # noqa: B018
                dex_file.protos  # noqa: B018
            except DexFormatError as exc:
                problems.append(ScanError(exc.code, exc.reason))
                continue
            files.append(dex_file)
            names.append(label)
    dex = DexSet(files)
    urls = find_urls(dex.strings(), "dex") + find_urls(apk.resource_strings, "resource")
    source = Source(archive.path, archive.format, archive.sha256, archive.size, tuple(s.name for s in archive.splits))
    return AppFacts(source, apk, dex, tuple(names), tuple(ignored), tuple(problems), tuple(urls)), dex
