"""Signature algorithms of APK Signature Schemes v2 / v3 / v3.1 and proof-of-rotation records.

Each id names a key type, a signature and the content digest it vouches for. Android verifies one
signature per signer: the strongest one its platform knows, by content digest (chunked SHA-512, then
verity, then chunked SHA-256); an id it does not know is skipped. Verity ids are known from API 28,
the others from API 24 (the first with v2). Signatures are checked with ``cryptography``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, padding, rsa
from cryptography.hazmat.primitives.serialization import load_der_public_key

from scanner.android.signing.digest import DigestKind

API_N, API_P = 24, 28
_STRENGTH = {DigestKind.SHA256: 0, DigestKind.VERITY: 1, DigestKind.SHA512: 2}


@dataclass(frozen=True, slots=True)
class Algorithm:
    id: int
    name: str
    key: str  # "RSA", "EC" or "DSA"
    hash: type[hashes.SHA256] | type[hashes.SHA512]
    pss: bool
    digest: DigestKind
    min_sdk: int


ALGORITHMS = {a.id: a for a in (
    Algorithm(0x0101, "RSA-PSS with SHA-256", "RSA", hashes.SHA256, True, DigestKind.SHA256, API_N),
    Algorithm(0x0102, "RSA-PSS with SHA-512", "RSA", hashes.SHA512, True, DigestKind.SHA512, API_N),
    Algorithm(0x0103, "RSA PKCS#1 v1.5 with SHA-256", "RSA", hashes.SHA256, False, DigestKind.SHA256, API_N),
    Algorithm(0x0104, "RSA PKCS#1 v1.5 with SHA-512", "RSA", hashes.SHA512, False, DigestKind.SHA512, API_N),
    Algorithm(0x0201, "ECDSA with SHA-256", "EC", hashes.SHA256, False, DigestKind.SHA256, API_N),
    Algorithm(0x0202, "ECDSA with SHA-512", "EC", hashes.SHA512, False, DigestKind.SHA512, API_N),
    Algorithm(0x0301, "DSA with SHA-256", "DSA", hashes.SHA256, False, DigestKind.SHA256, API_N),
    Algorithm(0x0421, "verity RSA PKCS#1 v1.5 with SHA-256", "RSA", hashes.SHA256, False, DigestKind.VERITY, API_P),
    Algorithm(0x0423, "verity ECDSA with SHA-256", "EC", hashes.SHA256, False, DigestKind.VERITY, API_P),
    Algorithm(0x0425, "verity DSA with SHA-256", "DSA", hashes.SHA256, False, DigestKind.VERITY, API_P),
)}


def strongest(ids: Iterable[int], level: int) -> Algorithm | None:
    """The algorithm Android at API ``level`` verifies among ``ids``: the first of the strongest it knows."""
    best: Algorithm | None = None
    for algorithm_id in ids:
        algorithm = ALGORITHMS.get(algorithm_id)
        if algorithm is None or algorithm.min_sdk > level:
            continue
        if best is None or _STRENGTH[algorithm.digest] > _STRENGTH[best.digest]:
            best = algorithm
    return best


def verify(algorithm: Algorithm, public_key: bytes, signature: bytes, data: bytes) -> str | None:
    """None if ``signature`` over ``data`` verifies with ``public_key`` (SubjectPublicKeyInfo DER), else why not."""
    try:
        key = load_der_public_key(public_key)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return f"its public key cannot be read as {algorithm.key}"
    try:
        if algorithm.key == "RSA" and isinstance(key, rsa.RSAPublicKey):
            pad: padding.AsymmetricPadding = (
                padding.PSS(padding.MGF1(algorithm.hash()), algorithm.hash.digest_size) if algorithm.pss
                else padding.PKCS1v15())
            key.verify(signature, data, pad, algorithm.hash())
        elif algorithm.key == "EC" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, data, ec.ECDSA(algorithm.hash()))
        elif algorithm.key == "DSA" and isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, data, algorithm.hash())
        else:
            return f"its public key is not a {algorithm.key} key"
    except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
        return f"the {algorithm.name} signature does not verify"
    return None
