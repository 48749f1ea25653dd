"""AppFacts: everything detectors may read about one app, gathered once.

Detectors never open files; they receive this value. Code is seen through
``CodeView`` — the class inventory — so the same detectors run on a live dex
reader or on the compact snapshot a batch stores for re-matching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from scanner.analysis.urls import FoundUrl
from scanner.analysis.versions import VersionClue
from scanner.android.facts import ApkFacts
from scanner.dex.references import CodeGraph
from scanner.model import ScanError
from scanner.privacy_policy.model import Policy


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
    graph: CodeGraph = field(default_factory=CodeGraph)  # which packages use which: attribution
    version_clues: tuple[VersionClue, ...] = ()  # versions the app states, not yet attributed (versions.py)
    # an app bundle's (AAB) classes outside its base module -> module name; {} for APKs (scanner.analysis.modules)
    class_modules: dict[str, str] = field(default_factory=dict)
    policy: Policy | None = None  # the privacy policy compared with the code: the one given, else one bundled

    @property
    def package(self) -> str:
        return self.apk.manifest.package
