"""An APK's signing facts for the report: the verdict of ``scanner/android/signing/`` on every API level from the
app's minSdk up, and its signer certificates by name.

Its own module because it is the one part of reading an APK that needs only the zip and two numbers of the
manifest: ``signing_ahead.py`` runs it in a second process while this one reads the code. It also keeps the
certificate and cryptography libraries out of a process that gets these facts from there.
"""

from __future__ import annotations

from asn1crypto import x509

from scanner.android.part import Part, exception_reason
from scanner.android.signing import verify_signatures
from scanner.input.safezip import SafeZip
from scanner.model import CertificateInfo, ScanError, SchemeResult, SigningInfo, TrustedSigner

_SHORT_NAMES = {
    "country_name": "C", "state_or_province_name": "ST", "locality_name": "L",
    "organization_name": "O", "organizational_unit_name": "OU", "common_name": "CN",
    "email_address": "E", "serial_number": "SERIALNUMBER",
}


def signing_facts(entries: SafeZip, min_sdk: int, target_sdk: int | None, part: Part,
                  problems: list[ScanError]) -> SigningInfo:
    """The signatures as Android verifies them on every API level from the app's minSdk to the newest.

    An unsigned or tampered APK is a verdict, not a problem (the detectors report it); a signing block
    that cannot be read, or a certificate whose names do not parse, is a problem: those parts are unread.
    """
    verdict = verify_signatures(entries, min_sdk, target_sdk=target_sdk)
    if verdict.block_damage is not None:
        problems.append(part.problem("signing-block-unreadable", (
            f"{part.prefix}the APK Signing Block cannot be parsed ({verdict.block_damage}); Android ignores it, "
            "so its v2/v3/v3.1 signatures are not reported")))
    certificates = []
    for sha256, der in sorted(verdict.certificates.items()):
        try:
            certificates.append(_certificate(sha256, der))
        except Exception as exc:  # noqa: BLE001  asn1crypto parses names lazily and raises many kinds
            problems.append(part.problem("signing-block-unreadable", (
                f"{part.prefix}a signer certificate ({sha256[:16]}…) cannot be parsed ({exception_reason(exc)}); "
                "it is not listed")))
    return SigningInfo(
        schemes=tuple(c.scheme for c in verdict.schemes),
        certificates=tuple(certificates),
        verified=verdict.verified,
        reason=verdict.reason,
        checks=tuple(SchemeResult(c.scheme, c.verified, c.reason) for c in verdict.schemes),
        trusted=tuple(TrustedSigner(t.min_sdk, t.max_sdk, t.scheme, t.certificates, t.reason)
                      for t in verdict.trusted),
        lineage=verdict.rotation.lineage if verdict.rotation else (),
        rotation_min_sdk=verdict.rotation.rotation_min_sdk if verdict.rotation else None,
    )


def _certificate(sha256: str, der: bytes) -> CertificateInfo:
    cert = x509.Certificate.load(der)
    subject = _dn(cert.subject.native)
    return CertificateInfo(
        sha256=sha256,
        subject=subject,
        issuer=_dn(cert.issuer.native),
        debug="CN=Android Debug" in subject.split(", "),
    )


def _dn(name: dict[str, object]) -> str:
    """RFC 4514 order (most specific first), as apksigner and keytool print it."""
    return ", ".join(f"{_SHORT_NAMES.get(k, k)}={v}" for k, v in reversed(list(name.items())))
