"""Shared by the signing tests: fixture paths, the apksigner oracles, and an APK Signing Block builder.

The builder writes v2 / v3 / v3.1 blocks with keys made here by ``cryptography``, its content digests
computed by the plainest code (copies, no chunk iterator), so tests can make every malformed or
mis-signed signer Android must refuse without going through the code under test.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import importlib.util
import re
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from scanner.android.signing import SignatureVerdict, verify_signatures
from scanner.input.safezip import SafeZip
from tests.conftest import FIXTURES, in_ci

SIGNING = FIXTURES / "signing"
MAGIC = b"APK Sig Block 42"
V2, V3, V31 = 0x7109871A, 0xF05368C0, 0x1B93AD61
TARGET = 33  # every fixture is clean.apk's manifest: minSdkVersion 21, targetSdkVersion 33
RELEASE = "050b33c9867ea19be39b43b236b5649ab949a4bc3747ddc103cf51c6397a4605"  # keytool -list -v, keys/release.jks


def verdict(path: Path | str, low: int = 21, high: int = 36, data: bytes | None = None) -> SignatureVerdict:
    raw = Path(path).read_bytes() if data is None else data
    return verify_signatures(SafeZip(raw, str(path)), low, high, target_sdk=TARGET)


# -- the oracles ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Oracle:
    verifies: bool
    schemes: dict[str, bool]  # "v1" -> "Verified using v1 scheme": true/false (printed only when it verifies)
    certificates: list[str]  # "Signer ... certificate SHA-256 digest", in order
    errors: list[str]


def apksigner35_jar() -> Path | None:
    spec = importlib.util.spec_from_file_location("make_signing", FIXTURES.parent / "make_signing.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    jar: Path | None = module.apksigner35(download=False)
    return jar


def need_apksigner35() -> Path:
    jar = apksigner35_jar()
    if jar is None:
        message = "apksigner 35 is not cached: python3 tests/fixtures/make_signing.py apksigner35"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return jar


@functools.cache
def apksigner(path: str, low: int | None = None, high: int | None = None, tool: str = "31") -> Oracle:
    """``apksigner verify -v --print-certs`` (Debian's 31, or apksigner 35 with ``tool="35"``)."""
    fast = "XX:TieredStopAtLevel=1"  # a JVM option: apksigner runs for a second, the JIT never pays off
    if tool == "31":
        cmd = ["apksigner", f"-J{fast}"]  # Debian's wrapper adds the leading "-"
    else:
        cmd = ["java", f"-{fast}", "-cp", str(need_apksigner35()), "com.android.apksigner.ApkSignerTool"]
    cmd += ["verify", "-v", "--print-certs"]
    if low is not None:
        cmd += ["--min-sdk-version", str(low), "--max-sdk-version", str(high)]
    out = subprocess.run([*cmd, path], capture_output=True, text=True, timeout=120, check=False)
    lines = out.stdout.splitlines()
    if not (lines and lines[0] == "Verifies") and "DOES NOT VERIFY" not in out.stderr:
        raise RuntimeError(f"apksigner gave no verdict: {out.stdout}{out.stderr}")
    return Oracle(
        verifies=bool(lines) and lines[0] == "Verifies",
        schemes={k: v == "true" for k, v in re.findall(r"^Verified using (v[\d.]+) scheme[^:]*: (\w+)$",
                                                       out.stdout, re.M)},
        certificates=re.findall(r"^Signer.*? certificate SHA-256 digest: (\w+)$", out.stdout, re.M),
        errors=[line for line in (out.stdout + out.stderr).splitlines() if line.startswith("ERROR")],
    )


# -- content digests, the plain way --------------------------------------------------------------------


def sections(apk: bytes) -> tuple[bytes, bytes, bytes]:
    """(entries, central directory, end record with the CD offset pointing where a block would start)."""
    eocd = apk.rindex(b"PK\x05\x06")
    cd = struct.unpack_from("<I", apk, eocd + 16)[0]
    start = cd - struct.unpack_from("<Q", apk, cd - 24)[0] - 8 if apk[cd - 16:cd] == MAGIC else cd
    end = apk[eocd:eocd + 16] + struct.pack("<I", start) + apk[eocd + 20:]
    return apk[:start], apk[cd:eocd], end


def plain_chunked(name: str, parts: tuple[bytes, ...]) -> bytes:
    chunks = [p[i:i + (1 << 20)] for p in parts for i in range(0, len(p), 1 << 20)]
    inner = b"".join(hashlib.new(name, b"\xa5" + len(c).to_bytes(4, "little") + c).digest() for c in chunks)
    return hashlib.new(name, b"\x5a" + len(chunks).to_bytes(4, "little") + inner).digest()


def plain_verity_root(data: bytes) -> bytes:
    def hash_pages(buf: bytes) -> bytes:
        buf += bytes(-len(buf) % 4096)
        return b"".join(hashlib.sha256(bytes(8) + buf[i:i + 4096]).digest() for i in range(0, len(buf), 4096))

    level = hash_pages(data)
    while len(level) > 4096:
        level = hash_pages(level)
    return hashlib.sha256(bytes(8) + level + bytes(4096 - len(level))).digest()


# -- a signing-block builder ------------------------------------------------------------------------------


def new_key(kind: str = "ec") -> tuple[object, bytes]:
    """A private key and a self-signed certificate (DER) for it."""
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    key = rsa.generate_private_key(65537, 2048) if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"appaudit test {kind}")])
    start = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(start).not_valid_after(start + datetime.timedelta(days=20000))
            .sign(key, hashes.SHA256()))
    return key, cert.public_bytes(serialization.Encoding.DER)


def spki(key: object) -> bytes:
    return key.public_key().public_bytes(  # type: ignore[attr-defined,no-any-return]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def raw_sign(key: object, algorithm: int, data: bytes) -> bytes:
    sha = hashes.SHA512() if algorithm in (0x0102, 0x0104, 0x0202) else hashes.SHA256()
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(sha))
    assert isinstance(key, rsa.RSAPrivateKey)
    if algorithm in (0x0101, 0x0102):
        return key.sign(data, padding.PSS(padding.MGF1(sha), sha.digest_size), sha)
    return key.sign(data, padding.PKCS1v15(), sha)


def prefixed(*parts: bytes) -> bytes:
    return b"".join(struct.pack("<I", len(p)) + p for p in parts)


@dataclass
class Spec:
    """One signer to write; every field can be set to something Android must refuse."""

    key: object
    cert: bytes
    algorithms: list[int] = field(default_factory=lambda: [0x0201])
    certificates: list[bytes] | None = None  # default: [cert]
    attributes: list[tuple[int, bytes]] = field(default_factory=list)
    min_sdk: int = 24
    max_sdk: int = 0x7FFFFFFF
    signed_min_max: tuple[int, int] | None = None  # v3: the range inside the signed data (default: the same)
    digest_algorithms: list[int] | None = None  # default: the same as algorithms
    digests: dict[int, bytes] = field(default_factory=dict)  # overrides of the content digests
    public_key: bytes | None = None  # default: the key's
    signature: bytes | None = None  # default: a real signature

    def digest_for(self, algorithm: int, apk: bytes) -> bytes:
        if algorithm in self.digests:
            return self.digests[algorithm]
        parts = sections(apk)
        if algorithm in (0x0421, 0x0423, 0x0425):
            return plain_verity_root(b"".join(parts)) + struct.pack("<Q", sum(map(len, parts)))
        return plain_chunked("sha512" if algorithm in (0x0102, 0x0104, 0x0202) else "sha256", parts)

    def record(self, apk: bytes, v3: bool) -> bytes:
        digest_ids = self.digest_algorithms if self.digest_algorithms is not None else self.algorithms
        digests = prefixed(*[struct.pack("<I", a) + prefixed(self.digest_for(a, apk)) for a in digest_ids])
        certs = prefixed(*(self.certificates if self.certificates is not None else [self.cert]))
        attrs = prefixed(*[struct.pack("<I", i) + v for i, v in self.attributes])
        low, high = self.signed_min_max or (self.min_sdk, self.max_sdk)
        signed = prefixed(digests) + prefixed(certs) + (struct.pack("<II", low, high) if v3 else b"") + prefixed(attrs)
        sigs = [struct.pack("<I", a) + prefixed(self.signature if self.signature is not None
                                                 else raw_sign(self.key, a, signed)) for a in self.algorithms]
        bounds = struct.pack("<II", self.min_sdk, self.max_sdk) if v3 else b""
        return prefixed(signed) + bounds + prefixed(prefixed(*sigs)) + prefixed(self.public_key or spki(self.key))


def signing_block(pairs: list[tuple[int, bytes]]) -> bytes:
    body = b"".join(struct.pack("<QI", len(v) + 4, i) + v for i, v in pairs)
    size = struct.pack("<Q", len(body) + 24)
    return size + body + size + MAGIC


def scheme_value(specs: list[Spec], apk: bytes, v3: bool) -> bytes:
    return prefixed(prefixed(*[s.record(apk, v3) for s in specs]))


def with_block(apk: bytes, block: bytes) -> bytes:
    """``apk`` (no signing block) with ``block`` put between its entries and its central directory."""
    eocd = apk.rindex(b"PK\x05\x06")
    cd = struct.unpack_from("<I", apk, eocd + 16)[0]
    out = apk[:cd] + block + apk[cd:]
    at = eocd + len(block)
    return out[:at + 16] + struct.pack("<I", cd + len(block)) + out[at + 20:]


def signed_apk(blocks: dict[int, list[Spec]], base: bytes | None = None) -> bytes:
    """``unsigned.apk`` (or ``base``) signed with the given signers per block id (v2, v3, v3.1)."""
    apk = base if base is not None else (SIGNING / "unsigned.apk").read_bytes()
    pairs = [(block_id, scheme_value(specs, apk, block_id != V2)) for block_id, specs in blocks.items()]
    return with_block(apk, signing_block(pairs))


def lineage(nodes: list[tuple[object, bytes]], algorithm: int = 0x0201, last_signed_by: object = None) -> bytes:
    """A proof-of-rotation over (key, cert) pairs, oldest first, each signed by its parent (the last one by
    ``last_signed_by`` if given: a forged link)."""
    out, parent = [], None
    for number, (key, cert) in enumerate(nodes, 1):
        signed = prefixed(cert) + struct.pack("<I", algorithm if parent is not None else 0)
        signer = last_signed_by if number == len(nodes) and last_signed_by is not None else parent
        signature = raw_sign(signer, algorithm, signed) if parent is not None else b""
        out.append(prefixed(prefixed(signed) + struct.pack("<II", 0, algorithm) + prefixed(signature)))
        parent = key
    return struct.pack("<I", 1) + b"".join(out)


def cert_sha(cert: bytes) -> str:
    return hashlib.sha256(cert).hexdigest()
