"""Every way a signature fails, with the reason we give and the error apksigner gives for the same APK.

Fixtures show the failures tools leave behind; hand-made signers (helpers.Spec) the ones only a hostile
or broken signer writes. Each case: the API level checked, a phrase of our reason, and a phrase of
apksigner's error for that level (both must name the same scheme and the same fault).
"""

from __future__ import annotations

import base64
import hashlib
import io
import struct
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from scanner.android.signing import verify_signatures
from scanner.input.safezip import SafeZip
from tests.conftest import FIXTURES
from tests.signing.helpers import (
    RELEASE,
    SIGNING,
    V2,
    V3,
    V31,
    Spec,
    apksigner,
    cert_sha,
    lineage,
    need_apksigner35,
    new_key,
    sections,
    signed_apk,
    signing_block,
    verdict,
    with_block,
)

FIXTURE_CASES = [  # (fixture, level, our reason, apksigner's error)
    ("tampered_dex.apk", 21, "v1: classes.dex's digest in META-INF/MANIFEST.MF does not match",
     "SHA-256 digest of classes.dex does not match the digest specified in META-INF/MANIFEST.MF"),
    ("tampered_dex.apk", 24, "v2: the SHA-256 content digest does not match: the APK was changed after signing",
     "APK Signature Scheme v2 signer #1: APK integrity check failed. CHUNKED_SHA256 digest mismatch"),
    ("tampered_dex.apk", 28, "v3: the SHA-256 content digest does not match",
     "APK Signature Scheme v3 signer #1: APK integrity check failed. CHUNKED_SHA256 digest mismatch"),
    ("tampered_dex_no_block.apk", 21, "v1: classes.dex's digest in META-INF/MANIFEST.MF does not match",
     "SHA-256 digest of classes.dex does not match"),
    ("tampered_dex_no_block.apk", 24, "v1: META-INF/RELEASE.SF says the APK is also signed with v2",
     "indicates the APK is signed using APK Signature Scheme v2 but no such signature was found"),
    ("v1_tampered_dex.apk", 21, "v1: classes.dex's digest in META-INF/MANIFEST.MF does not match",
     "SHA-256 digest of classes.dex does not match"),
    ("v1_bad_manifest.apk", 21,
     "v1: the digest of META-INF/MANIFEST.MF's section for classes.dex in META-INF/RELEASE.SF does not match",
     "SHA-256 digest of META-INF/MANIFEST.MF section for classes.dex does not match"),
    ("v1_bad_sf.apk", 21, "v1: the signature in META-INF/RELEASE.RSA does not verify against META-INF/RELEASE.SF",
     "JAR signature META-INF/RELEASE.RSA did not verify against META-INF/RELEASE.SF"),
    ("v2_stripped.apk", 24, "v1: META-INF/RELEASE.SF says the APK is also signed with v2",
     "APK Signature Scheme v2 but no such signature was found. Signature stripped?"),
    ("v3_stripped.apk", 28, "v2: its stripping protection says the APK was also signed with v3",
     "indicates the APK is signed using APK Signature Scheme v3 but no such signature was found"),
    ("unsigned.apk", 21, "not signed", "Missing META-INF/MANIFEST.MF"),
    ("v2_only.apk", 23, "signed only with v2, which Android verifies from API level 24",
     "Missing META-INF/MANIFEST.MF"),
    ("v3_only.apk", 27, "signed only with v3, which Android verifies from API level 28",
     "Missing META-INF/MANIFEST.MF"),
    ("v1_only.apk", 33, "v1: the app targets API level 33",
     "Target SDK version 33 requires a minimum of signature scheme v2"),
]


@pytest.mark.android_tools("apksigner")
@pytest.mark.parametrize("name, level, ours, theirs", FIXTURE_CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in FIXTURE_CASES])
def test_fixture_failures(name: str, level: int, ours: str, theirs: str) -> None:
    result = verdict(SIGNING / name, level, level)
    assert not result.verified and ours in (result.reason or "")
    (only,) = result.trusted
    assert only.scheme is None and only.reason == result.reason
    oracle = apksigner(str(SIGNING / name), level, level)
    assert not oracle.verifies and any(theirs in e for e in oracle.errors), oracle.errors


def test_tampered_fails_at_every_level_with_the_scheme_android_uses() -> None:
    result = verdict(SIGNING / "tampered_dex.apk")
    assert [(r.min_sdk, r.max_sdk, r.scheme, (r.reason or "")[:3]) for r in result.trusted] == [
        (21, 23, None, "v1:"), (24, 27, None, "v2:"), (28, 36, None, "v3:")]
    assert result.reason is not None and result.reason.startswith("v3:")  # the newest devices' reason


@pytest.mark.android_tools("apksigner")
def test_mixed_signers_each_range_its_own_and_apksigner_refuses_the_whole() -> None:
    """v1 by the debug key, v2 and v3 by the release key: each device trusts one, no device both."""
    result = verdict(SIGNING / "mixed_signers.apk")
    debug = apksigner(str(SIGNING / "mixed_signers.apk"), 21, 21).certificates[0]
    assert [(r.min_sdk, r.max_sdk, r.scheme, r.certificates) for r in result.trusted] == [
        (21, 23, "v1", (debug,)), (24, 27, "v2", (RELEASE,)), (28, 36, "v3", (RELEASE,))]
    assert not result.verified and "v1 and v2 are signed by different certificates" in (result.reason or "")
    oracle = apksigner(str(SIGNING / "mixed_signers.apk"))
    assert not oracle.verifies and any("No APK Signature Scheme v2 signature from this signer" in e
                                       for e in oracle.errors)


def test_rotation_old_key_below_28_new_key_from_28() -> None:
    result = verdict(SIGNING / "rotation.apk")
    assert result.verified and result.rotation is not None
    old, new = result.rotation.lineage
    assert old == RELEASE
    assert [(r.min_sdk, r.max_sdk, r.scheme, r.certificates) for r in result.trusted] == [
        (21, 23, "v1", (old,)), (24, 27, "v2", (old,)), (28, 36, "v3", (new,))]


def test_v31_rotated_key_from_33() -> None:
    result = verdict(SIGNING / "v31.apk")
    assert result.verified and result.rotation is not None and result.rotation.rotation_min_sdk == 33
    old, new = result.rotation.lineage
    assert [(r.min_sdk, r.max_sdk, r.scheme, r.certificates) for r in result.trusted] == [
        (21, 23, "v1", (old,)), (24, 27, "v2", (old,)), (28, 32, "v3", (old,)), (33, 36, "v3.1", (new,))]


@pytest.mark.android_tools("apksigner")
def test_v31_block_removed_is_caught_from_33(tmp_path: Path) -> None:
    """The v3 signer of v31.apk names rotation-min-sdk-version 33: without the v3.1 block, 33+ refuses."""
    data = (SIGNING / "v31.apk").read_bytes()
    before, cd, end = sections(data)
    pairs = _pairs(data)
    stripped = with_block(before + cd + end, signing_block([p for p in pairs if p[0] != V31]))
    result = verify_signatures(SafeZip(stripped, "stripped.apk"), 21, target_sdk=33)
    assert [(r.min_sdk, r.max_sdk, r.scheme) for r in result.trusted][-2:] == [(28, 32, "v3"), (33, 36, None)]
    (tmp_path / "stripped.apk").write_bytes(stripped)
    oracle = apksigner(str(tmp_path / "stripped.apk"), 33, 33, tool="35")
    assert not oracle.verifies and any("but a v3.1 block was not found" in e for e in oracle.errors)
    assert result.reason == ("v3: none of its signers covers this API level (they cover 24-32); its signer expects "
                             "a v3.1 block from API level 33, and there is none: stripped")


def _pairs(data: bytes) -> list[tuple[int, bytes]]:
    eocd = data.rindex(b"PK\x05\x06")
    cd = struct.unpack_from("<I", data, eocd + 16)[0]
    start = cd - struct.unpack_from("<Q", data, cd - 24)[0] - 8
    body, at, found = data[start + 8:cd - 24], 0, []
    while at < len(body):
        size = struct.unpack_from("<Q", body, at)[0]
        found.append((struct.unpack_from("<I", body, at + 8)[0], body[at + 12:at + 8 + size]))
        at += 8 + size
    return found


# -- hand-made signers ---------------------------------------------------------------------------------------

KEY, CERT = new_key("ec")
OTHER_KEY, OTHER_CERT = new_key("ec")


def _handmade() -> list[tuple[str, dict[int, list[Spec]], int, str, str]]:
    def spec(**kw: object) -> Spec:
        return Spec(**{"key": KEY, "cert": CERT, **kw})  # type: ignore[arg-type]

    stripping_v3 = [(0xBEEFF00D, struct.pack("<I", 3))]
    return [  # (id, blocks, level, our reason, apksigner's error)
        ("unknown-algorithm", {V2: [spec(algorithms=[0x0999])]}, 24,
         "v2: none of its signature algorithms (0x0999) is supported on API level 24", "No supported signatures"),
        ("verity-only-below-28", {V2: [spec(algorithms=[0x0423])]}, 24,
         "v2: none of its signature algorithms (0x0423) is supported on API level 24", "No supported signatures"),
        ("certificate-garbage", {V2: [spec(certificates=[b"\x30\x03\x02\x01\x01"])]}, 24,
         "v2: its certificate #1 does not parse", "Malformed certificate #1"),
        ("no-certificates", {V2: [spec(certificates=[])]}, 24, "v2: it lists no certificates", "No certificates"),
        ("key-not-the-certificate's", {V2: [spec(cert=OTHER_CERT)]}, 24,
         "v2: its public key is not the one of its certificate", "Public key mismatch"),
        ("bad-signature", {V2: [spec(signature=bytes(70))]}, 24,
         "v2: the ECDSA with SHA-256 signature does not verify", "Failed to verify ECDSA_WITH_SHA256 signature"),
        ("rsa-key-ec-algorithm", {V2: [spec(algorithms=[0x0103], signature=b"x" * 256)]}, 24,
         "v2: its public key is not a RSA key", "Malformed public key"),
        ("digest-list-differs", {V2: [spec(digest_algorithms=[0x0201, 0x0202])]}, 24,
         "v2: the algorithms of its digests and of its signatures differ", "Signature algorithms mismatch"),
        ("wrong-content-digest", {V2: [spec(digests={0x0201: bytes(32)})]}, 24,
         "v2: the SHA-256 content digest does not match: the APK was changed after signing", "digest mismatch"),
        ("eleven-v2-signers", {V2: [spec() for _ in range(11)]}, 24,
         "v2: 11 signers, more than Android accepts (10)", "maximum"),
        ("v2-says-v3-no-v3", {V2: [spec(attributes=stripping_v3)]}, 28,
         "v2: its stripping protection says the APK was also signed with v3", "Signature stripped?"),
        ("v3-signed-range-differs", {V3: [spec(min_sdk=28, signed_min_max=(28, 30))]}, 28,
         "v3: the SDK range in its signed data differs from the one outside it", "does not match"),
        ("v3-hole", {V3: [spec(min_sdk=28, max_sdk=30), spec(min_sdk=32)]}, 31,
         "v3: none of its signers covers this API level (they cover 28-30, 32-2147483647)", "V3"),
        ("v3-overlap", {V3: [spec(min_sdk=28, max_sdk=31), spec(min_sdk=30)]}, 30,
         "v3: 2 of its signers cover this API level; Android accepts one", "V3"),
        ("v3-lineage-not-ending-in-signer", {V3: [spec(min_sdk=28, attributes=[
            (0x3BA06F8C, lineage([(KEY, CERT), (OTHER_KEY, OTHER_CERT)]))])]}, 28,
         "v3: the last certificate of its proof-of-rotation is not its signing certificate", "roof-of-rotation"),
        ("v3-lineage-forged", {V3: [spec(min_sdk=28, attributes=[
            (0x3BA06F8C, lineage([(OTHER_KEY, OTHER_CERT), (KEY, CERT)], last_signed_by=KEY))])]}, 28,
         "v3: its proof-of-rotation does not verify", "roof-of-rotation"),
    ]


HANDMADE = _handmade()


@pytest.mark.parametrize("case, blocks, level, ours, theirs", HANDMADE, ids=[c[0] for c in HANDMADE])
def test_handmade_signer_reasons(tmp_path: Path, case: str, blocks: dict[int, list[Spec]], level: int, ours: str,
                                 theirs: str) -> None:
    result = verify_signatures(SafeZip(signed_apk(blocks), case), level, level)
    assert not result.verified and result.reason is not None and result.reason.startswith(ours), result.reason
    assert result.trusted[0].scheme is None


@pytest.mark.android_tools("apksigner")
@pytest.mark.parametrize("case, blocks, level, ours, theirs", HANDMADE, ids=[c[0] for c in HANDMADE])
def test_handmade_signers_apksigner_refuses_too(tmp_path: Path, case: str, blocks: dict[int, list[Spec]], level: int,
                                                ours: str, theirs: str) -> None:
    path = tmp_path / f"{case}.apk"
    path.write_bytes(signed_apk(blocks))
    oracle = apksigner(str(path), level, level, tool="35")
    scheme = ours.split(":")[0]
    assert not oracle.verifies
    assert any(theirs.lower() in e.lower() for e in oracle.errors) or scheme == "v3", oracle.errors


def test_a_correct_handmade_signer_verifies() -> None:
    """The counterpart of every case above: the builder's defaults make a signature Android accepts."""
    apk = signed_apk({V2: [Spec(KEY, CERT)], V3: [Spec(KEY, CERT, min_sdk=28)]})
    result = verify_signatures(SafeZip(apk, "ok.apk"), 24, target_sdk=33)
    assert result.verified, result.reason
    assert [(r.min_sdk, r.max_sdk, r.scheme, r.certificates) for r in result.trusted] == [
        (24, 27, "v2", (cert_sha(CERT),)), (28, 36, "v3", (cert_sha(CERT),))]


def test_v31_without_v3_is_refused_over_the_range() -> None:
    need = {V2: [Spec(KEY, CERT)], V31: [Spec(KEY, CERT, min_sdk=33)]}
    result = verify_signatures(SafeZip(signed_apk(need), "v31-alone.apk"), 24, target_sdk=33)
    assert not result.verified and result.reason == "v3.1: there is a v3.1 block but no v3 block"
    assert [r.scheme for r in result.trusted] == ["v2", "v3.1"]  # per level, Android itself would not mind


@pytest.mark.android_tools("apksigner")
def test_v31_without_v3_apksigner_agrees(tmp_path: Path) -> None:
    need_apksigner35()
    path = tmp_path / "v31-alone.apk"
    path.write_bytes(signed_apk({V2: [Spec(KEY, CERT)], V31: [Spec(KEY, CERT, min_sdk=33)]}))
    oracle = apksigner(str(path), 24, 36, tool="35")
    assert not oracle.verifies and any("v3.1" in e.lower() and "v3" in e.lower() for e in oracle.errors)


def test_verity_needs_a_page_aligned_block() -> None:
    apk = signed_apk({V2: [Spec(KEY, CERT, algorithms=[0x0201, 0x0423])]})
    result = verify_signatures(SafeZip(apk, "verity.apk"), 24, 28)
    assert [(r.min_sdk, r.max_sdk, r.scheme) for r in result.trusted] == [(24, 27, "v2"), (28, 28, None)]
    assert "not on a 4 KiB boundary" in (result.trusted[-1].reason or "")


def test_strongest_algorithm_is_the_one_checked() -> None:
    """SHA-512 beats SHA-256: a broken SHA-256 signature does not matter, a broken SHA-512 one does."""
    both = [0x0201, 0x0202]
    fine = signed_apk({V2: [Spec(KEY, CERT, algorithms=both, digests={0x0201: bytes(32)})]})
    assert verify_signatures(SafeZip(fine, "a.apk"), 24, 27).verified
    bad = signed_apk({V2: [Spec(KEY, CERT, algorithms=both, digests={0x0202: bytes(64)})]})
    assert "SHA-512 content digest does not match" in (verify_signatures(SafeZip(bad, "b.apk"), 24, 27).reason or "")


def test_v1_checks(tmp_path: Path) -> None:
    """v1 faults a tool does not make: an entry added after signing, one removed, an unusable .SF."""
    v1 = (SIGNING / "v1_only.apk").read_bytes()

    def rebuilt(change: dict[str, bytes | None]) -> bytes:
        out = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(v1)) as zin, zipfile.ZipFile(out, "w") as zout:
            for info in zin.infolist():
                if info.filename in change and change[info.filename] is None:
                    continue
                zout.writestr(info, change.get(info.filename) or zin.read(info))
            for name, content in change.items():
                if name not in zin.namelist() and content is not None:
                    zout.writestr(name, content)
        return out.getvalue()

    sf = zipfile.ZipFile(io.BytesIO(v1)).read("META-INF/RELEASE.SF")
    cases: list[tuple[dict[str, bytes | None], str]] = [
        ({"assets/extra.txt": b"added"},
         "v1: assets/extra.txt is not in META-INF/MANIFEST.MF: it was added after signing"),
        ({"classes.dex": None}, "v1: META-INF/MANIFEST.MF lists classes.dex, which is not in the APK"),
        ({"META-INF/MANIFEST.MF": None}, "v1: META-INF/MANIFEST.MF is missing"),
        ({"META-INF/RELEASE.SF": None}, "v1: there is no JAR signature"),
        ({"META-INF/RELEASE.SF": sf.replace(b"Signature-Version", b"Signature-Versio_")},
         "v1: the signature in META-INF/RELEASE.RSA does not verify"),  # the .SF is signed: any change shows
    ]
    for change, reason in cases:
        result = verify_signatures(SafeZip(rebuilt(change), "v1.apk"), 21, 23)
        assert not result.verified and (result.reason or "").startswith(reason), (change, result.reason)


def test_jar_signature_with_signed_attributes() -> None:
    """jarsigner signs the .SF through signed attributes (contentType, messageDigest, ...): verified from 19."""
    result = verdict(SIGNING / "jar_signed_attrs.apk", 19, 29)
    assert result.verified and result.trusted[0].certificates == (RELEASE,)
    early = verdict(SIGNING / "jar_signed_attrs.apk", 18, 18)
    assert "signed attributes, which Android before 4.4 (API 19) verifies wrongly" in (early.reason or "")


def test_ec_and_dsa_signers() -> None:
    for name in ("ec.apk", "dsa.apk"):
        result = verdict(SIGNING / name)
        assert result.verified
        (cert,) = {c for r in result.trusted for c in r.certificates}
        assert cert != RELEASE


def test_huge_ranges_stay_cheap() -> None:
    result = verdict(FIXTURES / "clean.apk", 21, 2_000_000_000)
    assert result.verified and result.trusted[-1].max_sdk == 2_000_000_000


# -- JAR signatures made here (cryptography's PKCS#7 builder), for the .SF cases a tool never writes ------------


def jar_signed(sf_edit: Callable[[str], str] = lambda sf: sf, manifest_edit: Callable[[str], str] = lambda m: m,
               attributes: bool = False) -> bytes:
    """unsigned.apk with a JAR signature by KEY: MANIFEST.MF, CERT.SF (after ``sf_edit``), CERT.EC."""
    with zipfile.ZipFile(SIGNING / "unsigned.apk") as z:
        entries = {n: z.read(n) for n in z.namelist()}
    sections = [f"Name: {n}\r\nSHA-256-Digest: {b64(body)}\r\n\r\n" for n, body in entries.items()]
    manifest = manifest_edit("Manifest-Version: 1.0\r\nCreated-By: appaudit tests\r\n\r\n" + "".join(sections))
    main_end = manifest.index("\r\n\r\n") + 4
    sf = (f"Signature-Version: 1.0\r\nCreated-By: appaudit tests\r\n"
          f"SHA-256-Digest-Manifest-Main-Attributes: {b64(manifest[:main_end].encode())}\r\n"
          f"SHA-256-Digest-Manifest: {b64(manifest.encode())}\r\n\r\n"
          + "".join(f"Name: {n}\r\nSHA-256-Digest: {b64(sec.encode())}\r\n\r\n"
                    for n, sec in zip(entries, sections, strict=True)))
    sf = sf_edit(sf)
    options = [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary]
    if not attributes:
        options.append(pkcs7.PKCS7Options.NoAttributes)
    block = (pkcs7.PKCS7SignatureBuilder().set_data(sf.encode())
             .add_signer(x509.load_der_x509_certificate(CERT), KEY, hashes.SHA256())  # type: ignore[arg-type]
             .sign(serialization.Encoding.DER, options))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("META-INF/MANIFEST.MF", manifest)
        z.writestr("META-INF/CERT.SF", sf)
        z.writestr("META-INF/CERT.EC", block)
        for name, body in entries.items():
            z.writestr(name, body)
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _wrong(attribute: str) -> Callable[[str], str]:
    """An edit giving ``attribute`` a well-formed but wrong digest."""
    zero = base64.b64encode(bytes(32)).decode()
    return lambda text: "".join(f"{attribute}: {zero}\r\n" if line.startswith(f"{attribute}: ") else line
                                for line in text.splitlines(keepends=True))


def _drop_line(start: str) -> Callable[[str], str]:
    return lambda text: "".join(line for line in text.splitlines(keepends=True) if not line.startswith(start))


JAR_CASES = [  # (id, apk, verifies on 21-23, our reason)
    ("plain", lambda: jar_signed(), True, None),
    ("signed-attributes", lambda: jar_signed(attributes=True), True, None),
    ("whole-manifest-digest-wrong-sections-right", lambda: jar_signed(_wrong("SHA-256-Digest-Manifest")), True, None),
    ("no-signature-version", lambda: jar_signed(_drop_line("Signature-Version")), False,
     "v1: no JAR signer is usable"),
    ("main-attributes-digest-wrong", lambda: jar_signed(_wrong("SHA-256-Digest-Manifest-Main-Attributes")), False,
     "v1: the digest of META-INF/MANIFEST.MF's main section in META-INF/CERT.SF does not match"),
    ("entry-not-in-sf", lambda: jar_signed(lambda sf: sf[:sf.rindex("Name: ")]), False,
     "v1: classes.dex is not signed: no .SF file lists it"),
]


@pytest.mark.parametrize("case, make, verifies, reason", JAR_CASES, ids=[c[0] for c in JAR_CASES])
def test_handmade_jar_signatures(tmp_path: Path, case: str, make: Callable[[], bytes], verifies: bool,
                                 reason: str | None) -> None:
    result = verify_signatures(SafeZip(make(), case), 21, 23)
    assert result.verified == verifies
    if reason is not None:
        assert (result.reason or "").startswith(reason), result.reason
    else:
        assert result.trusted[0].certificates == (cert_sha(CERT),)


@pytest.mark.android_tools("apksigner")
@pytest.mark.parametrize("case, make, verifies, reason", JAR_CASES, ids=[c[0] for c in JAR_CASES])
def test_handmade_jar_signatures_apksigner_agrees(tmp_path: Path, case: str, make: Callable[[], bytes],
                                                  verifies: bool, reason: str | None) -> None:
    path = tmp_path / f"{case}.apk"
    path.write_bytes(make())
    assert apksigner(str(path), 21, 23).verifies == verifies
