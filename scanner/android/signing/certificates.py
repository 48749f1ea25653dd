"""X.509 certificates as the signature schemes use them: parsed strictly, identified by the sha256 of their DER.

asn1crypto parses (it keeps the encoding it was given, which is what Android hashes and compares);
``cryptography`` is left the keys. A certificate that does not parse is a ``CertificateError``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from asn1crypto import x509

# critical extensions Java's (and so Android's) X.509 implementation understands; any other makes a
# certificate unusable for a JAR signature ("unsupported critical extension")
_KNOWN_CRITICAL = frozenset({
    "2.5.29.14", "2.5.29.15", "2.5.29.16", "2.5.29.17", "2.5.29.18", "2.5.29.19", "2.5.29.30", "2.5.29.31",
    "2.5.29.32", "2.5.29.33", "2.5.29.35", "2.5.29.36", "2.5.29.37", "2.5.29.46", "2.5.29.54",
    "1.3.6.1.5.5.7.1.1", "1.3.6.1.5.5.7.1.11", "2.16.840.1.113730.1.1",
})


class CertificateError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Certificate:
    der: bytes
    sha256: str
    spki: bytes  # SubjectPublicKeyInfo as encoded in the certificate
    parsed: Any  # asn1crypto.x509.Certificate


def parse_certificate(der: bytes) -> Certificate:
    try:
        cert = x509.Certificate.load(der, strict=True)
        tbs = cert["tbs_certificate"]
        spki = tbs["subject_public_key_info"].dump()
        _ = (tbs["serial_number"].native, tbs["issuer"].native, tbs["subject"].native,
             tbs["subject_public_key_info"]["algorithm"]["algorithm"].dotted, cert["signature_value"].native)
    except Exception as exc:  # noqa: BLE001  asn1crypto raises many kinds on hostile input; re-raised typed
        raise CertificateError(f"{type(exc).__name__}: {exc}") from None
    return Certificate(der, hashlib.sha256(der).hexdigest(), spki, cert)


def sha256_of(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


def jar_signing_problem(cert: Certificate) -> str | None:
    """Why Android refuses ``cert`` for a JAR signature (its checks before verifying), or None."""
    try:
        critical = [e["extn_id"].dotted for e in cert.parsed["tbs_certificate"]["extensions"] or ()
                    if e["critical"].native]
        usage = cert.parsed.key_usage_value
    except Exception as exc:  # noqa: BLE001  asn1crypto raises many kinds on hostile input
        return f"its certificate's extensions cannot be parsed ({type(exc).__name__})"
    for oid in critical:
        if oid not in _KNOWN_CRITICAL:
            return f"its certificate has an unsupported critical extension {oid}"
    if usage is not None and not ({"digital_signature", "non_repudiation"} & set(usage.native)):
        return "its certificate's key usage allows neither digitalSignature nor nonRepudiation"
    return None
