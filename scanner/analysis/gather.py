"""Gather an app's facts from its archive: the APK reader for the manifest and files, the DEX reader for code.

The readers (androguard, NumPy) load here; code that only consumes facts does not import this module.
"""

from __future__ import annotations

from scanner.analysis.facts import AppFacts, Source
from scanner.analysis.urls import find_urls
from scanner.android.apk import read_apk_facts
from scanner.dex.dexset import DexSet, loaded_dex_names
from scanner.dex.file import DexFile
from scanner.errors import DexFormatError
from scanner.input.archive import AppArchive
from scanner.model import ScanError


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
