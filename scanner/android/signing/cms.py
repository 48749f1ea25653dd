"""A JAR signature block (``META-INF/*.RSA|DSA|EC``): CMS SignedData whose signature covers the .SF file.

Android (before API 24) tries only the first SignerInfo, later ones all, and takes the first that
verifies. A SignerInfo's (digest, signature) algorithm pair must be one the API level supports (the
table is apksig's, from what each platform release accepted). With signed attributes the signature
covers their DER SET (Android keeps the original encoding and only swaps the [0] tag for SET), the
messageDigest attribute must be the .SF's digest and, from API 24, the contentType attribute must
equal the encapsulated content type; without them it covers the .SF bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from asn1crypto import cms, core
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from scanner.android.signing.certificates import (
    Certificate,
    CertificateError,
    jar_signing_problem,
    parse_certificate,
    sha256_of,
)

API_KITKAT, API_N = 19, 24
ALL = ((0, 10_000),)  # every API level
_DIGESTS = {"1.2.840.113549.2.5": "md5", "1.3.14.3.2.26": "sha1", "2.16.840.1.101.3.4.2.4": "sha224",
            "2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384",
            "2.16.840.1.101.3.4.2.3": "sha512"}
# signature OID -> (key type, the hash it names, or None: the SignerInfo's digest algorithm decides)
_SIGNATURES: dict[str, tuple[str, str | None]] = {
    "1.2.840.113549.1.1.1": ("RSA", None), "1.2.840.10040.4.1": ("DSA", None), "1.2.840.10045.2.1": ("EC", None),
    "1.2.840.113549.1.1.4": ("RSA", "md5"), "1.2.840.113549.1.1.5": ("RSA", "sha1"),
    "1.2.840.113549.1.1.14": ("RSA", "sha224"), "1.2.840.113549.1.1.11": ("RSA", "sha256"),
    "1.2.840.113549.1.1.12": ("RSA", "sha384"), "1.2.840.113549.1.1.13": ("RSA", "sha512"),
    "1.2.840.10040.4.3": ("DSA", "sha1"), "2.16.840.1.101.3.4.3.1": ("DSA", "sha224"),
    "2.16.840.1.101.3.4.3.2": ("DSA", "sha256"), "1.2.840.10045.4.1": ("EC", "sha1"),
    "1.2.840.10045.4.3.1": ("EC", "sha224"), "1.2.840.10045.4.3.2": ("EC", "sha256"),
    "1.2.840.10045.4.3.3": ("EC", "sha384"), "1.2.840.10045.4.3.4": ("EC", "sha512"),
}
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "md5": hashes.MD5, "sha1": hashes.SHA1, "sha224": hashes.SHA224, "sha256": hashes.SHA256,
    "sha384": hashes.SHA384, "sha512": hashes.SHA512}
_Ranges = tuple[tuple[int, int], ...]
_UP = 10_000
_LM: _Ranges = ((21, 23),)  # Lollipop and Marshmallow accepted any digest/hash combination of a key type ...
# ... while a bare key-type OID (the digest algorithm picks the hash) and matching pairs have their own history
_BARE: dict[str, dict[str, _Ranges]] = {
    "RSA": {"md5": ALL, "sha1": ALL, "sha224": ((0, 8), (21, _UP)), "sha256": ((0, 8), (18, _UP)),
            "sha384": ((18, _UP),), "sha512": ((18, _UP),)},
    "DSA": {"sha1": ALL, "sha224": ((22, _UP),), "sha256": ((22, _UP),)},
    "EC": {"sha1": ((18, _UP),), "sha224": ((21, _UP),), "sha256": ((18, _UP),), "sha384": ((18, _UP),),
           "sha512": ((18, _UP),)},
}
_MATCHING: dict[tuple[str, str], _Ranges] = {
    ("RSA", "md5"): ((0, 8), (21, _UP)), ("RSA", "sha1"): ALL, ("RSA", "sha224"): ((0, 8), (21, _UP)),
    ("RSA", "sha256"): ((0, 8), (18, _UP)), ("RSA", "sha384"): ((21, _UP),), ("RSA", "sha512"): ((21, _UP),),
    ("DSA", "sha1"): ((9, _UP),), ("DSA", "sha224"): ((21, _UP),), ("DSA", "sha256"): ((21, _UP),),
    ("EC", "sha1"): ((18, _UP),), ("EC", "sha224"): ((21, _UP),), ("EC", "sha256"): ((21, _UP),),
    ("EC", "sha384"): ((21, _UP),), ("EC", "sha512"): ((21, _UP),),
}
_ODD: dict[tuple[str, str, str], _Ranges] = {  # (key, digest, signature hash) accepted by Lollipop alone
    ("RSA", "sha256", "sha1"): ((21, 21),), ("RSA", "sha224", "sha256"): ((21, 21),),
    ("RSA", "sha512", "sha384"): ((21, 21),),
}


def _supported(digest: str, key: str, named: str | None) -> _Ranges:
    """API levels that accept this (digest algorithm, signature algorithm) pair: apksig's table, as rules."""
    if named is None:
        return _BARE[key].get(digest, ())
    if digest == named:
        return _MATCHING.get((key, named), ())
    if (key, digest, named) in _ODD:
        return _ODD[(key, digest, named)]
    if key == "DSA" and named not in ("sha1", "sha224", "sha256"):
        return ()
    return _LM


@dataclass(frozen=True, slots=True)
class BlockResult:
    certificate: Certificate | None  # the verified SignerInfo's certificate
    listed: str | None  # sha256 of the certificate the first SignerInfo names (for listing), if any
    problem: str | None  # why nothing verified


class SignatureBlock:
    """One parsed block; ``check(level)`` results depend only on the level (callers cache)."""

    def __init__(self, data: bytes, name: str) -> None:
        self.name = name
        self.error: str | None = None
        self.infos: list[Any] = []
        self.certs: list[Certificate] = []
        self.content_type = ""
        try:
            info = cms.ContentInfo.load(data)
            if info["content_type"].dotted != "1.2.840.113549.1.7.2":
                raise ValueError("not CMS SignedData")
            signed = info["content"]
            self.content_type = signed["encap_content_info"]["content_type"].dotted
            self.infos = list(signed["signer_infos"])
            self.raw_certs = [c.chosen.dump() for c in signed["certificates"] or () if c.name == "certificate"]
        except Exception as exc:  # noqa: BLE001  asn1crypto raises many kinds on hostile input; recorded
            self.error = f"{name} cannot be parsed ({type(exc).__name__}: {exc})"
            return
        try:
            self.certs = [parse_certificate(der) for der in self.raw_certs]
        except CertificateError as exc:
            self.error = f"a certificate in {name} does not parse ({exc})"

    def listed(self) -> str | None:
        der = self.listed_der()
        return sha256_of(der) if der is not None else None

    def listed_der(self) -> bytes | None:
        """The DER of the certificate the first signer names (else the first one carried)."""
        for info in self.infos[:1]:
            cert = self._certificate(info)
            if cert is not None:
                return cert.der
        return self.certs[0].der if self.certs else None

    def check(self, sf: bytes, sf_name: str, level: int) -> BlockResult:
        if self.error is not None:
            return BlockResult(None, None, self.error)
        if not self.infos:
            return BlockResult(None, None, f"{self.name} has no signers")
        for info in self.infos[:1] if level < API_N else self.infos:
            try:
                outcome = self._signer_info(info, sf, level)
            except Exception as exc:  # noqa: BLE001  asn1crypto raises many kinds on hostile input; recorded
                outcome = f"{self.name} cannot be parsed ({type(exc).__name__}: {exc})"
            if isinstance(outcome, str):
                return BlockResult(None, None, outcome)
            if outcome is not None:
                return BlockResult(outcome, outcome.sha256, None)
        return BlockResult(None, None, f"the signature in {self.name} does not verify against {sf_name}")

    def _certificate(self, info: Any) -> Certificate | None:
        """The certificate a SignerInfo names (issuer and serial number, or subject key identifier)."""
        try:
            sid = info["sid"]
            for cert in self.certs:
                if sid.name == "issuer_and_serial_number":
                    wanted = sid.chosen
                    if (cert.parsed.issuer == wanted["issuer"]
                            and cert.parsed.serial_number == wanted["serial_number"].native):
                        return cert
                elif cert.parsed.key_identifier == sid.chosen.native:
                    return cert
        except Exception:  # noqa: BLE001, S110  asn1crypto raises many kinds on hostile input: names nothing
            pass
        return None

    def _signer_info(self, info: Any, sf: bytes, level: int) -> Certificate | str | None:
        """The certificate if this SignerInfo verifies, None if it does not, a reason if verification must stop."""
        digest = _DIGESTS.get(info["digest_algorithm"]["algorithm"].dotted)
        key, named = _SIGNATURES.get(info["signature_algorithm"]["algorithm"].dotted, ("", None))
        if digest is None or not key or not any(lo <= level <= hi for lo, hi in _supported(digest, key, named)):
            return (f"{self.name} uses a digest/signature algorithm pair that API level {level} does not support "
                    f"({info['digest_algorithm']['algorithm'].dotted} with "
                    f"{info['signature_algorithm']['algorithm'].dotted})")
        cert = self._certificate(info)
        if cert is None:
            return f"the certificate {self.name}'s signer names is not in it"
        if (problem := jar_signing_problem(cert)) is not None:
            return f"{self.name}: {problem}"
        signed = self._signed_content(info, sf, digest, level)
        if not isinstance(signed, bytes):
            return signed
        signature = bytes(info["signature"].native)
        return cert if _verifies(cert, key, _HASHES[named or digest], signature, signed) else None


    def _signed_content(self, info: Any, sf: bytes, digest: str, level: int) -> bytes | str | None:
        """What the signature covers: the .SF, or the signed attributes once they vouch for it."""
        attrs = info["signed_attrs"]
        if isinstance(attrs, core.Void):
            return sf
        if level < API_KITKAT:
            return f"{self.name} has signed attributes, which Android before 4.4 (API 19) verifies wrongly"
        values = {a["type"].dotted: list(a["values"]) for a in attrs}
        if level >= API_N:
            types = values.get("1.2.840.113549.1.9.3", [])
            if len(types) != 1:
                return f"{self.name}'s signed attributes have no content type"
            if types[0].dotted != self.content_type:
                return None
        digests = values.get("1.2.840.113549.1.9.4", [])
        if len(digests) != 1:
            return f"{self.name}'s signed attributes have no message digest"
        if digests[0].native != hashlib.new(digest, sf).digest():
            return None
        return b"\x31" + bytes(attrs.dump()[1:])


def _verifies(cert: Certificate, key_type: str, hash_type: type[hashes.HashAlgorithm], signature: bytes,
              data: bytes) -> bool:
    try:
        key = load_der_public_key(cert.spki)
        if key_type == "RSA" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, data, padding.PKCS1v15(), hash_type())
        elif key_type == "DSA" and isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, data, hash_type())
        elif key_type == "EC" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(hash_type()))
        else:
            return False
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return False
    return True
