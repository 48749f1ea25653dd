"""APK signature verification as Android does it: v1 (JAR), v2, v3 and v3.1, decided per API level.

``verify_signatures`` says, for every API level of a range, which signer Android trusts (or that it
refuses the APK), and whether the APK verifies over the whole range the way apksig's ``apksigner verify``
judges it. Written here rather than taken from a library: no maintained Python package verifies v3 and
v3.1 (PyPI's ``apkverify`` covers v1/v2 only and is unmaintained) and androguard only lists
certificates. The rules follow Android's package manager and apksig (AOSP ``tools/apksig``); crypto is
``cryptography``, CMS and X.509 parsing ``asn1crypto``.

Modules, one job each: ``block`` (signing block and signer records), ``digest`` (content digests),
``algorithms`` (v2/v3 signature algorithms), ``certificates``, ``lineage`` (proof-of-rotation),
``scheme`` (a v2/v3/v3.1 block at one level), ``manifest`` (JAR manifests), ``cms`` (JAR signature
blocks), ``jar`` (v1), ``trust`` (the per-level decision and apksig's range checks), ``verify`` (entry).
"""

from scanner.android.signing.block import SigningFormatError
from scanner.android.signing.verify import (
    Rotation,
    SchemeCheck,
    SignatureVerdict,
    SignerCheck,
    TrustedRange,
    verify_signatures,
)
from scanner.model import LATEST_API

__all__ = ["LATEST_API", "Rotation", "SchemeCheck", "SignatureVerdict", "SignerCheck", "SigningFormatError",
           "TrustedRange", "verify_signatures"]
