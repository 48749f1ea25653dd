"""Zip tricks and Janus: each fixture read the way Android's own readers (aapt, dexdump) read it.

The fixtures (``tests/fixtures/make_zip_tricks.py``) alter committed APKs at the byte level. The oracles
are independent of appaudit: aapt and dexdump are built from Android's zip readers, apksigner from its
signature verifier, and apkInspector is a separate implementation of the tampering checks.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from apkInspector.indicators import zip_tampering_indicators

from scanner.gate.review import ScanOptions, scan
from scanner.input.archive import open_app
from scanner.input.safezip import SafeZip
from scanner.input.ziptricks import PREPENDED_DEX, inspect_zip, prepended_size
from scanner.model import Audit
from tests.conftest import FIXTURES, KB

TRICKS = FIXTURES / "ziptricks"
GETS_IMEI = "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;"


def _scan(name: str) -> Audit:
    return scan(str(TRICKS / name), ScanOptions(), kb=KB)


def _codes(name: str) -> list[tuple[str, str]]:
    path = TRICKS / name
    return [(t.code, t.entry) for t in inspect_zip(SafeZip(path.read_bytes(), str(path)))]


def _classes_of_dexdump(path: Path) -> set[str]:
    out = subprocess.run(["dexdump", str(path)], capture_output=True, text=True, check=False).stdout
    return {m.group(1) for m in re.finditer(r"Class descriptor\s*: '([^']+)'", out)}


# --- the fixtures are what the script makes ------------------------------------------------------------------


@pytest.mark.android_tools("apksigner")
def test_fixtures_are_reproducible(tmp_path: Path) -> None:
    subprocess.run([sys.executable, str(FIXTURES.parent / "make_zip_tricks.py"), str(tmp_path)], check=True)
    made = sorted(p.name for p in tmp_path.glob("*.apk"))
    assert made == sorted(p.name for p in TRICKS.glob("*.apk"))
    for name in made:
        assert (tmp_path / name).read_bytes() == (TRICKS / name).read_bytes(), name


# --- ordinary APKs have no tricks, by our check and by apkInspector's -----------------------------------------


@pytest.mark.parametrize("name", ["clean.apk", "sdks.apk", "multidex.apk", "versions.apk", "release_v1.apk"])
def test_ordinary_apks_have_no_tricks(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    assert inspect_zip(SafeZip(data, name)) == ()
    assert zip_tampering_indicators(io.BytesIO(data), strict=False) == {}
    assert prepended_size(SafeZip(data, name)) == 0


def test_tricks_agree_with_apkinspector() -> None:
    """Where apkInspector checks the same thing, it finds the same entries."""
    def inspector(name: str) -> dict[str, object]:
        return zip_tampering_indicators(io.BytesIO((TRICKS / name).read_bytes()), strict=False)

    assert _codes("header_mismatch.apk") == [("header-mismatch", "classes.dex")]
    assert inspector("header_mismatch.apk") == {"classes.dex": {"differing headers": ["compression_method"]}}
    assert _codes("unknown_method.apk") == [("unknown-method", "AndroidManifest.xml"),
                                            ("unknown-method", "classes.dex")]
    assert set(inspector("unknown_method.apk")) == {"AndroidManifest.xml", "classes.dex"}
    ours = _codes("unsafe_names.apk")
    assert ("unsafe-name", "assets/x/y") in ours  # the file/folder collision
    assert inspector("unsafe_names.apk") == {"path_collisions": 1}
    assert ("unsafe-name", "assets/../../evil.txt") in ours  # apkInspector does not check names


# --- Janus ----------------------------------------------------------------------------------------------------


@pytest.mark.android_tools("aapt", "dexdump")
def test_janus_is_refused_by_android_and_its_dex_is_what_a_dex_loader_sees() -> None:
    apk = TRICKS / "janus.apk"
    badging = subprocess.run(["aapt", "dump", "badging", str(apk)], capture_output=True, text=True, check=False)
    assert badging.returncode != 0 and "invalid LFH signature" in badging.stdout + badging.stderr
    archive = open_app(str(apk))
    assert prepended_size(archive.base.zip) > 0
    audit = _scan("janus.apk")
    (janus,) = [f for f in audit.hits if f.rule_id == "apk.janus"]
    assert janus.severity.label == "high" and "CVE-2017-13156" in janus.message
    # the prepended dex is read as a dex loader reads the file: dexdump opens the APK itself as a dex
    prepended = {c.caller.split("->")[0] for c in audit.api_calls if c.dex == PREPENDED_DEX}
    assert prepended and prepended <= _classes_of_dexdump(apk)
    assert {c.api for c in audit.api_calls if c.dex == PREPENDED_DEX} >= {GETS_IMEI}
    # ... while classes.dex is the clean app's, unchanged
    clean = scan(str(FIXTURES / "clean.apk"), ScanOptions(), kb=KB)
    assert {c.api for c in audit.api_calls if c.dex != PREPENDED_DEX} == {c.api for c in clean.api_calls}


@pytest.mark.android_tools("apksigner")
def test_janus_keeps_a_verifying_v1_signature() -> None:
    """Why Janus works: the v1 signature covers entries, not the bytes before them."""
    out = subprocess.run(["apksigner", "verify", "-v", "--max-sdk-version", "29", str(TRICKS / "janus.apk")],
                         capture_output=True, text=True, check=False).stdout
    assert out.startswith("Verifies") and "Verified using v1 scheme (JAR signing): true" in out


def test_an_ordinary_apk_has_no_janus_finding() -> None:
    audit = scan(str(FIXTURES / "multidex.apk"), ScanOptions(), kb=KB)
    assert not [f for f in audit.hits if f.rule_id.startswith("apk.")]
    assert PREPENDED_DEX not in {c.dex for c in audit.api_calls}


# --- what Android reads of each trick --------------------------------------------------------------------------


@pytest.mark.android_tools("aapt", "dexdump")
def test_unknown_method_manifest_is_read_as_android_reads_it_and_the_dex_is_not() -> None:
    apk = TRICKS / "unknown_method.apk"
    with pytest.raises(NotImplementedError):  # what an ordinary zip library makes of it
        zipfile.ZipFile(apk).read("AndroidManifest.xml")
    badging = subprocess.run(["aapt", "dump", "badging", str(apk)], capture_output=True, text=True, check=True)
    package = re.search(r"package: name='([^']+)'", badging.stdout)
    # aapt reads the manifest the zip library refuses: the package of clean.apk, which the fixture was made from
    assert package is not None and package.group(1) == "org.appaudit.fixture.clean", badging.stdout
    audit = _scan("unknown_method.apk")
    assert audit.app.package == package.group(1)
    # Android's code loader refuses the dex: dexdump cannot open it, and the app is partial, saying why
    assert not _classes_of_dexdump(apk)
    assert audit.status.value == "partial"
    (unread,) = [e for e in audit.errors if e.code == "dex-unreadable"]
    assert "0x0063" in unread.message and "code loader" in unread.message
    (tampered,) = [f for f in audit.hits if f.rule_id == "apk.zip_tampered"]
    assert {e.path for e in tampered.evidence} == {"unknown-method"}


@pytest.mark.android_tools("dexdump")
def test_header_mismatch_follows_the_central_directory() -> None:
    apk = TRICKS / "header_mismatch.apk"
    audit = _scan("header_mismatch.apk")
    clean = scan(str(FIXTURES / "clean.apk"), ScanOptions(), kb=KB)
    assert _classes_of_dexdump(apk) == _classes_of_dexdump(FIXTURES / "clean.apk")  # Android's reader: fine
    assert audit.status.value == "ok" and audit.app.package == clean.app.package
    assert [f.rule_id for f in audit.hits if f.rule_id.startswith("apk.")] == ["apk.zip_tampered"]


@pytest.mark.android_tools("aapt")
def test_hidden_entry_stays_hidden_as_it_is_from_android() -> None:
    apk = TRICKS / "hidden_entry.apk"
    listed = subprocess.run(["aapt", "list", str(apk)], capture_output=True, text=True, check=True).stdout.split()
    assert "classes2.dex" not in listed
    audit = _scan("hidden_entry.apk")
    assert GETS_IMEI not in {c.api for c in audit.api_calls}  # the hidden Tracker code is not what Android runs
    (tampered,) = [f for f in audit.hits if f.rule_id == "apk.zip_tampered"]
    assert "hidden-entry" in tampered.message and "classes2.dex" in tampered.message


def test_unsafe_names_are_one_finding_listing_each() -> None:
    audit = _scan("unsafe_names.apk")
    (tampered,) = [f for f in audit.hits if f.rule_id == "apk.zip_tampered"]
    assert len(tampered.evidence) == 2
    assert any("assets/../../evil.txt" in e.symbol for e in tampered.evidence)


def test_many_tricks_are_capped_and_counted(tmp_path: Path) -> None:
    path = tmp_path / "many.apk"
    with zipfile.ZipFile(path, "w") as z:
        for i in range(30):
            z.writestr(f"assets/../x{i}", b"x")
    tricks = inspect_zip(SafeZip(path.read_bytes(), str(path)))
    assert len(tricks) == 20 and "and 10 more" in tricks[-1].detail  # 19 listed, the 20th counts the 10 not shown


def test_bzip2_and_lzma_methods_are_read_as_android_reads_them(tmp_path: Path) -> None:
    """Found by the fuzz campaign: zipfile decodes methods 12 (bzip2) and 14 (LZMA), which Android does not;
    a deflated entry relabelled 12 crashed zipfile's bzip2 decoder (OSError). Android inflates it."""
    manifest = zipfile.ZipFile(FIXTURES / "clean.apk").read("AndroidManifest.xml")
    for method in (12, 14):
        data = bytearray((TRICKS / "unknown_method.apk").read_bytes())
        at = data.index(b"AndroidManifest.xml")  # the local header's name: its method field is 22 bytes before
        data[at - 22:at - 20] = method.to_bytes(2, "little")
        entries = SafeZip(_relabel_central(bytes(data), "AndroidManifest.xml", method), "bz.apk")
        assert entries.read("AndroidManifest.xml") == manifest
        assert [t.code for t in inspect_zip(entries) if t.entry == "AndroidManifest.xml"] == ["unknown-method"]


def _relabel_central(data: bytes, name: str, method: int) -> bytes:
    out = bytearray(data)
    at = out.index(b"PK\x01\x02")
    while at >= 0:
        length = int.from_bytes(out[at + 28:at + 30], "little")
        if out[at + 46:at + 46 + length] == name.encode():
            out[at + 10:at + 12] = method.to_bytes(2, "little")
        at = out.find(b"PK\x01\x02", at + 4)
    return bytes(out)
