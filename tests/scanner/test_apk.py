"""APK facts against aapt (built from Android's own parser) and apksigner."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from scanner.android.apk import read_apk_facts
from scanner.input.archive import open_app
from tests.conftest import APPS, BUNDLES, FIXTURES, HOSTILE

CASES = [*APPS, *BUNDLES, "hostile/script_label.apk"]


def _base_apk(name: str, tmp_path: Path) -> Path:
    """The APK aapt should read: the file itself, or the base APK inside a bundle."""
    archive = open_app(str(FIXTURES / name))
    if archive.format == "apk":
        return FIXTURES / name
    out = tmp_path / "base.apk"
    out.write_bytes(archive.base.zip.data)
    return out


def _unescape(text: str) -> str:
    """aapt prints values with C-style escapes for quotes, backslashes and newlines."""
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), text)


def _badging(apk: Path) -> str:
    return subprocess.run(["aapt", "dump", "badging", str(apk)], capture_output=True, text=True,
                          check=True).stdout


@pytest.mark.android_tools("aapt")
@pytest.mark.parametrize("name", CASES)
def test_manifest_matches_aapt(name: str, tmp_path: Path) -> None:
    facts = read_apk_facts(open_app(str(FIXTURES / name)))
    badging = _badging(_base_apk(name, tmp_path))
    m = facts.manifest
    head = re.search(r"^package: name='([^']*)' versionCode='([^']*)' versionName='([^']*)'", badging, re.M)
    assert head and (m.package, str(m.version_code), m.version_name) == head.groups()
    assert str(m.min_sdk) == re.search(r"^sdkVersion:'(\d+)'", badging, re.M).group(1)
    assert str(m.target_sdk) == re.search(r"^targetSdkVersion:'(\d+)'", badging, re.M).group(1)
    label = re.search(r"^application-label:'(.*)'$", badging, re.M)
    assert facts.label == (_unescape(label.group(1)) if label else "")
    # requested permissions as declared (aapt adds implied ones on lines of their own after the label)
    declared_part = badging.split("application-label")[0]
    expected = {(n, int(x) if x else None, tag == "uses-permission-sdk-23") for tag, n, x in re.findall(
        r"^(uses-permission(?:-sdk-23)?): name='([^']+)'(?: maxSdkVersion='(\d+)')?", declared_part, re.M)}
    assert {(p.name, p.max_sdk, p.only_sdk23) for p in m.permissions} == expected


@pytest.mark.android_tools("apksigner")
@pytest.mark.parametrize("name", CASES)
def test_signing_matches_apksigner(name: str, tmp_path: Path) -> None:
    facts = read_apk_facts(open_app(str(FIXTURES / name)))
    out = subprocess.run(["apksigner", "verify", "-v", "--print-certs", str(_base_apk(name, tmp_path))],
                         capture_output=True, text=True, check=True).stdout
    schemes = {f"v{v}" for v, ok in re.findall(r"^Verified using v(\d) scheme .*: (true|false)$", out, re.M)
               if ok == "true"} - {"v4"}
    assert set(facts.signing.schemes) == schemes
    digests = set(re.findall(r"certificate SHA-256 digest: ([0-9a-f]+)", out))
    assert {c.sha256 for c in facts.signing.certificates} == digests
    subjects = set(re.findall(r"certificate DN: (.+)$", out, re.M))
    assert {c.subject for c in facts.signing.certificates} == subjects
    assert all(c.debug == (c.subject == "CN=Android Debug, O=Android, C=US") for c in facts.signing.certificates)


def test_script_label_is_kept_verbatim() -> None:
    facts = read_apk_facts(open_app(str(HOSTILE / "script_label.apk")))
    assert facts.label == "<script>alert(\"pwned\")</script> & 'quotes'"


def test_components_and_exported_defaults() -> None:
    m = read_apk_facts(open_app(str(FIXTURES / "sdks.apk"))).manifest
    by_name = {c.name: c for c in m.components}
    main = by_name["org.appaudit.fixture.sdks.MainActivity"]
    assert main.exported and not main.exported_explicit and "android.intent.action.MAIN" in main.intent_actions
    receiver = by_name["cn.jpush.android.service.PushReceiver"]
    assert receiver.type == "receiver" and receiver.exported and not receiver.exported_explicit
    service = by_name["cn.jpush.android.service.PushService"]
    assert service.exported is False and service.exported_explicit
    provider = by_name["com.qq.e.comm.GDTFileProvider"]
    assert provider.type == "provider" and not provider.exported
    assert {d.name for d in m.meta_data} >= {"UMENG_APPKEY", "JPUSH_APPKEY"}
    assert "com.tencent.mm" in m.queries.packages
    assert [(d.name, d.protection_level) for d in m.declared_permissions] == [
        ("org.appaudit.fixture.sdks.permission.MIPUSH_RECEIVE", "signature")]


def test_application_flags() -> None:
    m = read_apk_facts(open_app(str(FIXTURES / "preconsent.apk"))).manifest
    assert m.application_class == "org.appaudit.fixture.preconsent.App"
    assert (m.debuggable, m.allow_backup, m.uses_cleartext_traffic) == (True, True, True)
    assert m.network_security_config
    clean = read_apk_facts(open_app(str(FIXTURES / "clean.apk"))).manifest
    assert (clean.debuggable, clean.allow_backup, clean.uses_cleartext_traffic) == (False, False, False)


def test_native_libs_and_assets() -> None:
    facts = read_apk_facts(open_app(str(FIXTURES / "sdks.apk")))
    assert {(lib.abi, lib.name) for lib in facts.native_libs} == {
        ("armeabi-v7a", "libBugly.so"), ("arm64-v8a", "libBugly.so")}
    assert "umeng_config.json" in facts.assets


@pytest.mark.parametrize("bundle", BUNDLES)
def test_bundle_merges_splits(bundle: str) -> None:
    archive = open_app(str(FIXTURES / bundle))
    assert archive.format == bundle.rsplit(".", 1)[1]
    facts = read_apk_facts(archive)
    assert facts.manifest.package == "org.appaudit.fixture.split"
    assert len(archive.splits) == 2
    assert [(lib.abi, lib.name) for lib in facts.native_libs] == [("arm64-v8a", "libnative-lib.so")]
    assert facts.native_libs[0].path.endswith("!lib/arm64-v8a/libnative-lib.so")
