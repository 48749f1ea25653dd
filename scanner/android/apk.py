"""Read an APK's facts: manifest, label, signing, files, the way Android reads them.

Binary XML (the manifest, the network security config) is read by ``scanner/android/axml.py``,
the way Android's own parser reads it; the resource table by ``scanner/android/arsc.py``, which
reads only what is asked; the signatures are verified by ``scanner/android/signing/`` as the
package manager verifies them. An app bundle (AAB) is read the same way from its base module, its
manifest, ``res/xml`` and ``resources.pb`` in aapt2's proto format (``protoxml.py``, ``protores.py``).
No part of the scan imports androguard.
"""

from __future__ import annotations

import dataclasses
import re
import struct
from collections.abc import Callable
from xml.etree.ElementTree import Element

from scanner.android.arsc import ArscError, ResourceTable, parse_reference
from scanner.android.axml import ANDROID_NS, AxmlError
from scanner.android.axml import parse as parse_axml
from scanner.android.facts import ApkFacts, NativeLib
from scanner.android.manifest import ManifestFacts, MetaData, read_manifest
from scanner.android.modules import module_manifest, read_modules
from scanner.android.netconfig import NetworkSecurityConfig, read_network_security_config
from scanner.android.part import Part as _Part
from scanner.android.part import exception_reason as _reason
from scanner.android.protores import ProtoResourceTable
from scanner.android.protoxml import ProtoError
from scanner.android.protoxml import parse as parse_proto_xml
from scanner.errors import ManifestError, ScanFailure
from scanner.input.archive import MANIFEST, AppArchive
from scanner.input.safezip import SafeZip
from scanner.model import ScanError, SigningInfo

# the signing facts of an app's base APK: verified here (``signing_here``) or by ``signing_ahead.py`` in a second
# process; (archive, manifest, part, problems found so far) -> the facts, with their problems appended
SigningSource = Callable[[AppArchive, ManifestFacts, _Part, list[ScanError]], SigningInfo]

_LIB = re.compile(r"^lib/([^/]+)/([^/]+\.so)$")


def read_apk_facts(archive: AppArchive, signing: SigningSource | None = None) -> ApkFacts:
    base = archive.base
    # "<apk>!" names the base inside a bundle, as ``files`` does for splits; "base/" the base module of an AAB
    aab = archive.format == "aab"
    part = base_part(archive)
    root, manifest = base_manifest(archive, part)
    libs, assets, files = [], [], []
    for split in archive.apks:
        prefix = "" if split is base else f"{split.name}!"
        for name in split.zip.names():
            files.append(prefix + name)
            if m := _LIB.match(name):
                libs.append(NativeLib(m.group(1), m.group(2), prefix + name))
            elif name.startswith("assets/") and not name.endswith("/"):
                assets.append(prefix + name[len("assets/"):])
    problems: list[ScanError] = []
    resources = _Resources(base.zip, part, problems)
    manifest = _resolved(manifest, resources)
    return ApkFacts(
        label=_label(_declared_label(root), resources, part, problems),
        manifest=manifest,
        signing=_BUNDLE_SIGNING if aab else (signing or signing_here)(archive, manifest, part, problems),
        native_libs=tuple(sorted(libs, key=lambda lib: (lib.abi, lib.name, lib.path))),
        assets=tuple(sorted(assets)),
        files=tuple(sorted(files)),
        resource_strings=resources.url_strings(),
        network_security_config=_network_security_config(
            resources, base.zip, manifest.network_security_config, part, problems),
        problems=tuple(sorted(set(problems))),
        modules=read_modules(archive, root) if aab else (),
    )


# Play signs the APKs it generates from a bundle with the app signing key it holds: the bundle's own (upload)
# signature is not what a device verifies, so it is reported as not verified, never as a failing signature.
_BUNDLE_SIGNING = SigningInfo(schemes=(), certificates=(), verified=None, reason=(
    "an app bundle: Google Play signs the APKs it generates with the app signing key; the bundle's own "
    "upload signature is not what devices verify"))


def base_part(archive: AppArchive) -> _Part:
    """How problems name the base APK: the input itself, "<base apk>!" inside a split bundle, "base/" in a bundle."""
    aab = archive.format == "aab"
    prefix = "" if archive.format == "apk" else f"{archive.base.name}/" if aab else f"{archive.base.name}!"
    return _Part(archive.path, prefix, aab)


def base_manifest(archive: AppArchive, part: _Part) -> tuple[Element, ManifestFacts]:
    """The base APK's manifest as the package manager reads it. A file Android's parser rejects is an error:
    Android cannot install the app (``ResXMLTree`` fails, or the package manager stops at a corrupt node)."""
    if part.proto:
        parsed = module_manifest(archive, archive.base)
        return parsed.root, read_manifest(parsed.root, archive.path, parsed.tricks)
    try:
        parsed = parse_axml(archive.base.zip.read(MANIFEST))
    except AxmlError as exc:
        raise ManifestError(archive.path, f"{part.prefix}{MANIFEST} is not valid binary XML: {exc}") from None
    return parsed.root, read_manifest(parsed.root, archive.path, parsed.tricks)


def _resolved(manifest: ManifestFacts, resources: _Resources) -> ManifestFacts:
    """The version name and meta-data values the manifest gives as references, resolved as aapt shows them."""
    if not (manifest.version_name or "").startswith("@") and not any(
            d.value.startswith("@") for d in manifest.meta_data):
        return manifest
    meta = tuple(MetaData(d.name, resources.value(d.value) or d.value) for d in manifest.meta_data)
    return dataclasses.replace(manifest, version_name=resources.value(manifest.version_name), meta_data=meta)


class _Resources:
    """``resources.arsc`` of the base APK, read through the zip limits and parsed on first use.

    A damaged table is one ``resources-unreadable`` problem, however many look-ups needed it;
    no table at all is fine until something refers into it (each look-up says so).
    """

    def __init__(self, entries: SafeZip, part: _Part, problems: list[ScanError]) -> None:
        self.entries, self.part, self.problems = entries, part, problems
        self.entry = "resources.pb" if part.proto else "resources.arsc"
        self._table: ResourceTable | ProtoResourceTable | None = None
        self._failed = False

    @property
    def missing(self) -> bool:
        return self.entry not in self.entries

    def table(self) -> ResourceTable | ProtoResourceTable | None:
        if self._table is None and not self._failed and not self.missing:
            try:
                data = self.entries.read(self.entry)
                self._table = ProtoResourceTable(data) if self.part.proto else ResourceTable(data)
            except (ArscError, ProtoError, ScanFailure, UnicodeDecodeError, struct.error) as exc:
                self._unreadable(exc)
        return self._table

    def _unreadable(self, exc: BaseException) -> None:
        self._failed, self._table = True, None
        self.problems.append(self.part.problem(
            "resources-unreadable", f"{self.part.prefix}{self.entry} cannot be parsed "
            f"({_reason(exc)}); its strings (labels, URLs) are not analysed"))

    def url_strings(self) -> tuple[str, ...]:
        """The table's strings that may hold a URL; no table at all is fine (nothing to hide)."""
        table = self.table()
        if table is None:
            return ()
        try:
            return table.strings_containing("://")
        except ArscError as exc:
            self._unreadable(exc)
            return ()

    def value(self, text: str | None) -> str | None:
        """A manifest value as Android reads it: a ``@7F…`` reference becomes its default value (a string,
        boolean or number); anything else, or a reference nothing answers, stays as written."""
        res_id = parse_reference(text) if text else None
        table = self.table() if res_id is not None else None
        if res_id is None or table is None:
            return text
        try:
            values = table.texts_of(res_id)
        except ArscError:
            return text
        return values[0] if values else text

    def resolve(self, reference: str, what: str, unresolved: Callable[[str], None]) -> list[str]:
        """The string values of ``@7F…`` in every configuration, default first; reasons go to ``unresolved``."""
        table = self.table()
        if table is None:
            unresolved(f"cannot be resolved: {self.part.prefix}{self.entry} is missing" if self.missing else
                       f"cannot be resolved: {self.part.prefix}{self.entry} cannot be parsed")
            return []
        res_id = parse_reference(reference)
        if res_id is None:
            unresolved("is not a resource reference")
            return []
        try:
            values = table.strings_of(res_id)
        except ArscError as exc:
            unresolved(f"cannot be resolved through {self.part.prefix}{self.entry} ({_reason(exc)})")
            return []
        if not values:
            unresolved(f"resolves to no {what} in {self.part.prefix}{self.entry}")
        return values


def _network_security_config(resources: _Resources, entries: SafeZip, reference: str | None, part: _Part,
                             problems: list[ScanError]) -> NetworkSecurityConfig | None:
    """Resolve ``@xml/…`` through the resource table and parse the binary XML it names.

    No ``networkSecurityConfig`` attribute is fine (None, no problem). A referenced config that
    cannot be resolved or read is a problem: without it the cleartext policy falls back to the
    manifest flag, which is not what Android would apply.
    """
    if reference is None:
        return None

    def unreadable(reason: str) -> None:
        problems.append(part.problem(
            "network-config-unreadable",
            f"network security config {reference!r} {reason}; the cleartext policy falls back to the manifest"))

    config: NetworkSecurityConfig | None = None
    paths = sorted(set(resources.resolve(reference, "file", unreadable)))
    for path in paths:  # one file per configuration; all must read
        parsed = _config_file(entries, path, part, unreadable)
        if config is None:
            config = parsed
    return config


def _config_file(entries: SafeZip, path: str, part: _Part,
                 unreadable: Callable[[str], None]) -> NetworkSecurityConfig | None:
    name = part.prefix + path
    if path not in entries:
        unreadable(f"names {name}, which is not in the APK")
        return None
    try:
        data = entries.read(path)  # through the zip limits, not androguard's unbounded reader
    except ScanFailure as exc:
        unreadable(f"in {name} cannot be read ({exc.reason})")
        return None
    try:  # Android's NetworkSecurityConfig reads it through the same parser; bundletool converts proto XML
        root = parse_proto_xml(data).root if part.proto else parse_axml(data).root
    except (AxmlError, ProtoError) as exc:
        unreadable(f"in {name} is not valid {'proto' if part.proto else 'binary'} XML ({exc})")
        return None
    parsed = read_network_security_config(root, path)
    if parsed is None:
        unreadable(f"in {name} does not start with <network-security-config>")
    return parsed


_A = "{" + ANDROID_NS + "}"


def _declared_label(root: Element) -> str | None:
    """The application's ``android:label``, else its main activity's, as the manifest states it.

    The ``<application>`` Android reads (the first). Its main activity as androguard found it: the enabled
    activities and aliases with action MAIN and category LAUNCHER somewhere in their intent filters; of
    several, the last by name, and its label if an ``<activity>`` of that name has one.
    """
    app = root.find("application")
    if app is None:
        return None
    label = app.get(_A + "label")
    if label is None:
        main = sorted(_main_activities(app))
        if main:
            label = next((a.get(_A + "label") for a in app.findall("activity")
                          if a.get(_A + "name") == main[-1] and a.get(_A + "label") is not None), None)
    return label


def _main_activities(app: Element) -> set[str]:
    """Names of the activities (and aliases) with both a MAIN action and a LAUNCHER category."""
    main: set[str] = set()
    launcher: set[str] = set()
    for item in (*app.findall("activity"), *app.findall("activity-alias")):
        name = item.get(_A + "name")
        if item.get(_A + "enabled") == "false" or name is None:
            continue
        if any(a.get(_A + "name") == "android.intent.action.MAIN" for a in item.iter("action")):
            main.add(name)
        if any(c.get(_A + "name") == "android.intent.category.LAUNCHER" for c in item.iter("category")):
            launcher.add(name)
    return main & launcher


def _label(label: str | None, resources: _Resources, part: _Part, problems: list[ScanError]) -> str:
    """The application label, resolved like aapt does (the default configuration first); '' when none is declared."""
    if not label:  # the app declares no label, which is not a problem
        return ""
    if not label.startswith("@") or label.startswith("@android:"):
        return label  # a literal, or a framework string (resolving it needs framework-res.apk)

    def unresolved(reason: str) -> None:
        problems.append(part.problem("label-unresolved", f"the app label {label} {reason}"))

    values = resources.resolve(label, "string", unresolved)
    return values[0] if values else ""


def signing_later(archive: AppArchive, manifest: ManifestFacts, part: _Part, problems: list[ScanError]) -> SigningInfo:
    """Nothing yet: ``add_signing`` fills the signing facts in once the code is read (see ``gather``)."""
    return _LATER


_LATER = SigningInfo(schemes=(), certificates=(), verified=None, reason="not verified yet")


def add_signing(apk: ApkFacts, archive: AppArchive, signing: SigningSource) -> ApkFacts:
    """``apk`` read with ``signing_later``, with its signing facts and their problems, as if read with ``signing``."""
    if apk.signing is not _LATER:
        return apk
    problems = list(apk.problems)
    info = signing(archive, apk.manifest, base_part(archive), problems)
    return dataclasses.replace(apk, signing=info, problems=tuple(sorted(set(problems))))


def signing_here(archive: AppArchive, manifest: ManifestFacts, part: _Part, problems: list[ScanError]) -> SigningInfo:
    """The base APK's signing facts, verified in this process (the certificate libraries load here, on first use)."""
    from scanner.android.signing_facts import signing_facts

    return signing_facts(archive.base.zip, manifest.min_sdk, manifest.target_sdk, part, problems)
