"""Read an APK's facts: manifest, label, signing, files. The only module that imports androguard.

androguard is the right tool for binary XML and signing blocks; its DEX analysis is
not used (see ``scanner/dex/``), nor its resource-table parser, which decodes the whole
table to answer one look-up (``scanner/android/arsc.py`` reads only what is asked). Its
logging is silenced: what matters reaches the user as typed errors and facts, not as
library chatter.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import struct
from collections.abc import Callable
from dataclasses import dataclass

from loguru import logger

from scanner.android.arsc import ArscError, ResourceTable, parse_reference
from scanner.android.facts import ApkFacts, NativeLib
from scanner.android.manifest import ManifestFacts, MetaData, read_manifest
from scanner.android.netconfig import NetworkSecurityConfig, read_network_security_config
from scanner.errors import ManifestError, ScanFailure
from scanner.input.archive import MANIFEST, AppArchive
from scanner.input.safezip import SafeZip
from scanner.model import CertificateInfo, ScanError, SigningInfo

logger.disable("androguard")

from androguard.core.apk import APK  # noqa: E402  (after silencing its logger)
from androguard.core.axml import AXMLPrinter  # noqa: E402

_LIB = re.compile(r"^lib/([^/]+)/([^/]+\.so)$")
_SHORT_NAMES = {
    "country_name": "C", "state_or_province_name": "ST", "locality_name": "L",
    "organization_name": "O", "organizational_unit_name": "OU", "common_name": "CN",
    "email_address": "E", "serial_number": "SERIALNUMBER",
}


def read_apk_facts(archive: AppArchive) -> ApkFacts:
    base = archive.base
    try:
        # a plain APK is opened by path: androguard then skips hashing the bytes again
        apk = APK(archive.path) if archive.format == "apk" else APK(base.zip.data, raw=True)
    except Exception as exc:  # noqa: BLE001  androguard raises many kinds on hostile input; re-raised typed
        raise ManifestError(archive.path, f"{MANIFEST} cannot be parsed: {exc}") from None
    xml = apk.get_android_manifest_xml() if apk.is_valid_APK() else None
    if xml is None:
        raise ManifestError(archive.path, f"{MANIFEST} is not a valid binary XML manifest")
    manifest = read_manifest(xml, archive.path)
    libs, assets, files = [], [], []
    for split in archive.apks:
        prefix = "" if split is base else f"{split.name}!"
        for name in split.zip.names():
            files.append(prefix + name)
            if m := _LIB.match(name):
                libs.append(NativeLib(m.group(1), m.group(2), prefix + name))
            elif name.startswith("assets/") and not name.endswith("/"):
                assets.append(prefix + name[len("assets/"):])
    # "<apk>!" names the base inside a bundle, as ``files`` does for splits
    part = _Part(archive.path, "" if archive.format == "apk" else f"{base.name}!")
    problems: list[ScanError] = []
    resources = _Resources(base.zip, part, problems)
    manifest = _resolved(manifest, resources)
    return ApkFacts(
        label=_label(_declared_label(apk), resources, part, problems),
        manifest=manifest,
        signing=_signing(apk, part, problems),
        native_libs=tuple(sorted(libs, key=lambda lib: (lib.abi, lib.name, lib.path))),
        assets=tuple(sorted(assets)),
        files=tuple(sorted(files)),
        resource_strings=resources.url_strings(),
        network_security_config=_network_security_config(
            resources, base.zip, manifest.network_security_config, part, problems),
        problems=tuple(sorted(set(problems))),
    )


@dataclass(frozen=True, slots=True)
class _Part:
    """Names a part of the input in problem messages: ``<input>: [<base apk>!]<entry> …``."""

    path: str  # the input file
    prefix: str  # "" for a plain APK, "<base apk>!" inside a bundle

    def problem(self, code: str, reason: str) -> ScanError:
        return ScanError(code, f"{self.path}: {reason}")


def _reason(exc: BaseException) -> str:
    """``Type: text`` of an exception; ``struct.error`` keeps its module, "error" alone says nothing."""
    kind = type(exc).__name__
    if kind == "error" and type(exc).__module__ != "builtins":
        kind = f"{type(exc).__module__}.{kind}"
    text = str(exc).strip()
    return f"{kind}: {text}" if text else kind


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

    ENTRY = "resources.arsc"

    def __init__(self, entries: SafeZip, part: _Part, problems: list[ScanError]) -> None:
        self.entries, self.part, self.problems = entries, part, problems
        self._table: ResourceTable | None = None
        self._failed = False

    @property
    def missing(self) -> bool:
        return self.ENTRY not in self.entries

    def table(self) -> ResourceTable | None:
        if self._table is None and not self._failed and not self.missing:
            try:
                self._table = ResourceTable(self.entries.read(self.ENTRY))
            except (ArscError, ScanFailure, UnicodeDecodeError, struct.error) as exc:
                self._unreadable(exc)
        return self._table

    def _unreadable(self, exc: BaseException) -> None:
        self._failed, self._table = True, None
        self.problems.append(self.part.problem(
            "resources-unreadable", f"{self.part.prefix}resources.arsc cannot be parsed "
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
            unresolved(f"cannot be resolved: {self.part.prefix}resources.arsc is missing" if self.missing else
                       f"cannot be resolved: {self.part.prefix}resources.arsc cannot be parsed")
            return []
        res_id = parse_reference(reference)
        if res_id is None:
            unresolved("is not a resource reference")
            return []
        try:
            values = table.strings_of(res_id)
        except ArscError as exc:
            unresolved(f"cannot be resolved through {self.part.prefix}resources.arsc ({_reason(exc)})")
            return []
        if not values:
            unresolved(f"resolves to no {what} in {self.part.prefix}resources.arsc")
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
    try:
        printer = AXMLPrinter(data)
        root = printer.get_xml_obj() if printer.is_valid() else None
    except Exception as exc:  # noqa: BLE001  androguard's binary XML parser raises many kinds on hostile input
        unreadable(f"in {name} cannot be parsed ({_reason(exc)})")
        return None
    if root is None:
        unreadable(f"in {name} is not valid binary XML")
        return None
    parsed = read_network_security_config(root, path)
    if parsed is None:
        unreadable(f"in {name} does not start with <network-security-config>")
    return parsed


def _declared_label(apk: APK) -> str | None:
    """The application's ``android:label``, else its main activity's, as the manifest states it."""
    label = apk.get_attribute_value("application", "label")
    if label is None:
        activities = sorted(apk.get_main_activities())
        if activities:
            label = apk.get_attribute_value("activity", "label", name=activities[-1])
    return label if isinstance(label, str) else None


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


def _signing(apk: APK, part: _Part, problems: list[ScanError]) -> SigningInfo:
    """Signature schemes and certificates; an unsigned APK is fine, a damaged signature is a problem."""
    schemes: list[str] = []
    certs: dict[bytes, CertificateInfo] = {}
    for scheme, signed, getter in (
        ("v1", apk.is_signed_v1, apk.get_certificates_v1),
        ("v2", apk.is_signed_v2, apk.get_certificates_v2),
        ("v3", apk.is_signed_v3, apk.get_certificates_v3),
        ("v3.1", apk.is_signed_v31, apk.get_certificates_v31),
    ):
        listed = False
        try:
            if not signed():  # unsigned under this scheme: not a problem
                continue
            schemes.append(scheme)
            listed = True
            for cert in getter():
                if cert is not None:
                    certs.setdefault(cert.sha256, _certificate(cert))  # names parse lazily: here, guarded
        except Exception as exc:  # noqa: BLE001  androguard's signature parsers raise many kinds on hostile input
            # v2, v3 and v3.1 share one block: once it fails to parse, androguard reports the
            # schemes after the first as absent, so the loss is the block's, not one scheme's
            where = "the v1 (JAR) signature" if scheme == "v1" else "the APK Signing Block"
            if listed:
                lost = f"the {scheme} certificates are not reported"
            elif scheme == "v1":
                lost = "the v1 signature is not reported"
            else:
                lost = "its v2/v3/v3.1 signatures are not reported"
            problems.append(part.problem(
                "signing-block-unreadable", f"{part.prefix}{where} cannot be parsed ({_reason(exc)}); {lost}"))
    return SigningInfo(tuple(schemes), tuple(sorted(certs.values(), key=lambda c: c.sha256)))


def _certificate(cert) -> CertificateInfo:  # type: ignore[no-untyped-def]
    subject = _dn(cert.subject.native)
    return CertificateInfo(
        sha256=hashlib.sha256(cert.dump()).hexdigest(),
        subject=subject,
        issuer=_dn(cert.issuer.native),
        debug="CN=Android Debug" in subject.split(", "),
    )


def _dn(name: dict[str, object]) -> str:
    """RFC 4514 order (most specific first), as apksigner and keytool print it."""
    return ", ".join(f"{_SHORT_NAMES.get(k, k)}={v}" for k, v in reversed(list(name.items())))
