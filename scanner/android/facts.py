"""What the package manager would see of an app, as plain values.

Kept apart from the reader (``apk.py``), so that code which only consumes facts — the
detectors, a re-match of stored facts — never loads the readers.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.android.manifest import ManifestFacts
from scanner.android.netconfig import NetworkSecurityConfig
from scanner.input.ziptricks import ZipTrick
from scanner.model import BundleModule, ScanError, SigningInfo


@dataclass(frozen=True, slots=True)
class NativeLib:
    abi: str
    name: str
    path: str  # "<apk>!lib/<abi>/<name>"


@dataclass(frozen=True, slots=True)
class ApkFacts:
    """What the package manager would see of the app, plus its file inventory."""

    label: str
    manifest: ManifestFacts
    signing: SigningInfo  # the result's own type: what was read is what is reported
    native_libs: tuple[NativeLib, ...]
    assets: tuple[str, ...]
    files: tuple[str, ...]  # every entry of every APK, "<apk>!<entry>" for splits
    resource_strings: tuple[str, ...]  # the resource table's strings that may hold a URL (they contain "://")
    network_security_config: NetworkSecurityConfig | None
    # parts that exist (or are referenced) but could not be read; the rest was read. Defaults to ()
    # so facts snapshots written before this field existed still load.
    problems: tuple[ScanError, ...] = ()
    # where the zip reads differently to Android and to other tools (entries of splits as "<apk>!<entry>")
    zip_tricks: tuple[ZipTrick, ...] = ()
    modules: tuple[BundleModule, ...] = ()  # an app bundle's (AAB) modules, base first; () for APKs
