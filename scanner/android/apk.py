"""APK facts: manifest, label, signing, files. The only module that imports androguard.

androguard is the right tool for binary XML, resource tables and signing blocks;
its DEX analysis is not used (see ``dex.py``). Its logging is silenced: what
matters reaches the user as typed errors and facts, not as library chatter.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from loguru import logger

from scanner.android.manifest import ManifestFacts, read_manifest
from scanner.android.netconfig import NetworkSecurityConfig, read_network_security_config
from scanner.errors import ManifestError
from scanner.input.archive import MANIFEST, AppArchive

logger.disable("androguard")

from androguard.core.apk import APK  # noqa: E402  (after silencing its logger)
from androguard.core.axml import AXMLPrinter  # noqa: E402

_LIB = re.compile(r"^lib/([^/]+)/([^/]+\.so)$")
_SHORT_NAMES = {
    "country_name": "C", "state_or_province_name": "ST", "locality_name": "L",
    "organization_name": "O", "organizational_unit_name": "OU", "common_name": "CN",
    "email_address": "E", "serial_number": "SERIALNUMBER",
}


@dataclass(frozen=True, slots=True)
class Certificate:
    sha256: str
    subject: str
    issuer: str
    debug: bool  # the SDK's debug certificate: such a build is not a release


@dataclass(frozen=True, slots=True)
class Signing:
    schemes: tuple[str, ...]  # v1, v2, v3, v3.1
    certificates: tuple[Certificate, ...]


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
    signing: Signing
    native_libs: tuple[NativeLib, ...]
    assets: tuple[str, ...]
    files: tuple[str, ...]  # every entry of every APK, "<apk>!<entry>" for splits
    resource_strings: tuple[str, ...]  # the resource table's string pool (labels, URLs, config values)
    network_security_config: NetworkSecurityConfig | None


def read_apk_facts(archive: AppArchive) -> ApkFacts:
    base = archive.base
    try:
        # a plain APK is opened by path: androguard then skips hashing the bytes again
        apk = APK(archive.path) if archive.format == "apk" else APK(base.zip.data, raw=True)
    except Exception as exc:  # androguard raises many kinds on hostile input
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
    return ApkFacts(
        label=_label(apk),
        manifest=manifest,
        signing=_signing(apk),
        native_libs=tuple(sorted(libs, key=lambda lib: (lib.abi, lib.name, lib.path))),
        assets=tuple(sorted(assets)),
        files=tuple(sorted(files)),
        resource_strings=_resource_strings(apk),
        network_security_config=_network_security_config(apk, manifest.network_security_config),
    )


def _resource_strings(apk: APK) -> tuple[str, ...]:
    try:
        table = apk.get_android_resources()
        pool = table.stringpool_main if table else None
        return tuple(s for s in pool if isinstance(s, str)) if pool else ()
    except Exception:  # a damaged resource table hides its strings; the rest of the app still counts
        return ()


def _network_security_config(apk: APK, reference: str | None) -> NetworkSecurityConfig | None:
    """Resolve ``@xml/…`` through the resource table and parse the binary XML it names."""
    if not reference or not reference.startswith("@"):
        return None
    try:
        table = apk.get_android_resources()
        res_id, _ = table.parse_id(reference)
        paths = {path for _, path in table.get_resolved_res_configs(res_id) if isinstance(path, str)}
        for path in sorted(paths):
            printer = AXMLPrinter(apk.get_file(path))
            if printer.is_valid():
                return read_network_security_config(printer.get_xml_obj(), path)
    except Exception:
        return None
    return None


def _label(apk: APK) -> str:
    try:
        label = apk.get_app_name()
    except Exception:
        return ""
    return label if isinstance(label, str) else ""


def _signing(apk: APK) -> Signing:
    schemes: list[str] = []
    certs: dict[bytes, object] = {}
    for scheme, signed, getter in (
        ("v1", apk.is_signed_v1, apk.get_certificates_v1),
        ("v2", apk.is_signed_v2, apk.get_certificates_v2),
        ("v3", apk.is_signed_v3, apk.get_certificates_v3),
        ("v3.1", apk.is_signed_v31, apk.get_certificates_v31),
    ):
        try:
            if not signed():
                continue
            schemes.append(scheme)
            for cert in getter():
                if cert is not None:
                    certs.setdefault(cert.sha256, cert)
        except Exception:  # a damaged signing block leaves the scheme out; install would fail
            continue
    return Signing(tuple(schemes), tuple(sorted((_certificate(c) for c in certs.values()),
                                                key=lambda c: c.sha256)))


def _certificate(cert) -> Certificate:  # type: ignore[no-untyped-def]
    subject = _dn(cert.subject.native)
    return Certificate(
        sha256=hashlib.sha256(cert.dump()).hexdigest(),
        subject=subject,
        issuer=_dn(cert.issuer.native),
        debug="CN=Android Debug" in subject.split(", "),
    )


def _dn(name: dict) -> str:
    """RFC 4514 order (most specific first), as apksigner and keytool print it."""
    return ", ".join(f"{_SHORT_NAMES.get(k, k)}={v}" for k, v in reversed(list(name.items())))
