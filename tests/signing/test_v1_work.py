"""The v1 check's work is shared between API levels and split between threads, and no verdict changes.

The entries are walked once per digest profile (levels 0-8, 9-17 and 18+ pick the same digests), yet a
reason that names a level names the level asked; digests computed in two lanes (``SafeZip.digest_all``)
give the verdicts of one lane.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from scanner.android.signing import verify_signatures
from scanner.android.signing.jar import JarScheme, digest_profile
from scanner.input import safezip
from scanner.input.safezip import SafeZip
from tests.conftest import FIXTURES
from tests.signing.helpers import SIGNING, new_key, verdict

RSA_KEY, RSA_CERT = new_key("rsa")


def _b64(data: bytes, algorithm: str) -> str:
    return base64.b64encode(hashlib.new(algorithm, data).digest()).decode()


def sha1_sf_sha256_entries() -> bytes:
    """unsigned.apk JAR-signed by an RSA key: a .SF with SHA-1 digests, a manifest with SHA-256 ones only.

    Android before 4.3 (API 18) reads SHA-1 digests only: the .SF verifies there, and then each entry has
    no digest it uses, a reason that names the level.
    """
    with zipfile.ZipFile(SIGNING / "unsigned.apk") as z:
        entries = {n: z.read(n) for n in z.namelist()}
    manifest = "Manifest-Version: 1.0\r\n\r\n" + "".join(
        f"Name: {n}\r\nSHA-256-Digest: {_b64(body, 'sha256')}\r\n\r\n" for n, body in entries.items())
    sf = (f"Signature-Version: 1.0\r\nSHA1-Digest-Manifest: {_b64(manifest.encode(), 'sha1')}\r\n\r\n"
          + "".join(f"Name: {n}\r\nSHA1-Digest: AAAA\r\n\r\n" for n in entries))
    block = (pkcs7.PKCS7SignatureBuilder().set_data(sf.encode())
             .add_signer(x509.load_der_x509_certificate(RSA_CERT), RSA_KEY, hashes.SHA256())  # type: ignore[arg-type]
             .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary,
                                                pkcs7.PKCS7Options.NoAttributes]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", manifest)
        z.writestr("META-INF/CERT.SF", sf)
        z.writestr("META-INF/CERT.RSA", block)
        for name, body in entries.items():
            z.writestr(name, body)
    return out.getvalue()


def test_digest_profiles() -> None:
    assert [digest_profile(level) for level in (0, 8, 9, 17, 18, 24, 36)] == [0, 0, 9, 9, 18, 18, 18]


def test_each_level_names_itself_though_the_entries_are_walked_once(monkeypatch: pytest.MonkeyPatch) -> None:
    walks: list[int] = []
    check = JarScheme._check_entries

    def counted(self: JarScheme, *args: object) -> object:
        walks.append(1)
        return check(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(JarScheme, "_check_entries", counted)
    apk = sha1_sf_sha256_entries()
    first = zipfile.ZipFile(io.BytesIO(apk)).namelist()[3]
    result = verify_signatures(SafeZip(apk, "sha1.apk"), 1, 8)
    assert [(r.min_sdk, r.max_sdk, r.reason) for r in result.trusted] == [
        (level, level, f"v1: META-INF/MANIFEST.MF has no digest of {first} that API level {level} uses")
        for level in range(1, 9)]
    assert len(walks) == 1


V1_SIGNED = ["clean.apk", *(f"signing/{p.name}" for p in sorted(SIGNING.glob("*.apk")))]


@pytest.mark.parametrize("name", V1_SIGNED)
def test_two_lanes_give_the_verdicts_of_one(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    path = FIXTURES / name
    alone = [repr(verdict(path, low)) for low in (1, 18, 21, 24)]
    monkeypatch.setattr(safezip, "_PARALLEL_MIN", 0)
    monkeypatch.setattr(safezip, "_LARGE", 0)
    assert [repr(verdict(path, low)) for low in (1, 18, 21, 24)] == alone

