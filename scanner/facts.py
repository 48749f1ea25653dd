"""AppFacts: everything detectors may read about one app, gathered once.

Detectors never open files; they receive this value. The dex set is a read-only
query object (call sites, invoke edges) rather than precomputed tables, because
which references matter is the knowledge base's business, not the reader's.
"""

from __future__ import annotations

from dataclasses import dataclass

from .apk import ApkFacts, read_apk_facts
from .dex import DexSet, loaded_dex_names
from .dexfile import DexFile
from .errors import DexFormatError
from .inputs import AppArchive
from .model import ScanError
from .urls import FoundUrl, find_urls


@dataclass(frozen=True, slots=True)
class AppFacts:
    archive: AppArchive
    apk: ApkFacts
    dex: DexSet
    dex_files: tuple[str, ...]  # "<apk>!classesN.dex" for splits, in load order
    ignored_dex: tuple[str, ...]
    problems: tuple[ScanError, ...]  # parts that could not be read; the rest was analysed
    urls: tuple[FoundUrl, ...]  # URLs in dex strings and resource values

    @property
    def package(self) -> str:
        return self.apk.manifest.package


def gather(archive: AppArchive) -> AppFacts:
    """Read the manifest and every loaded dex of every APK of the app."""
    apk = read_apk_facts(archive)
    files: list[DexFile] = []
    names: list[str] = []
    ignored: list[str] = []
    problems: list[ScanError] = []
    for split in archive.apks:
        prefix = "" if split is archive.base else f"{split.name}!"
        loaded, skipped = loaded_dex_names(split.zip.names())
        ignored.extend(prefix + n for n in skipped)
        for name in loaded:
            label = prefix + name
            try:
                files.append(DexFile(split.zip.read(name), label, archive.path))
                files[-1].methods  # noqa: B018  parse class data now, so a bad dex fails here
                names.append(label)
            except DexFormatError as exc:
                if files and files[-1].name == label:
                    files.pop()
                problems.append(ScanError(exc.code, exc.reason))
    dex = DexSet(files)
    urls = find_urls(dex.strings(), "dex") + find_urls(apk.resource_strings, "resource")
    return AppFacts(archive, apk, dex, tuple(names), tuple(ignored), tuple(problems), tuple(urls))
