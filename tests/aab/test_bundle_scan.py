"""An app bundle scans to what its universal APK shows, plus which module each finding sits in."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from reports.html import HtmlWriter
from scanner.analysis.detection import detect
from scanner.analysis.engine import analyse
from scanner.batch.snapshot import read_snapshot, snapshot_path, write_snapshot
from scanner.model import ApiCall, Audit, BundleModule, Status
from tests.aab.conftest import audit_of, bundle, universal
from tests.conftest import FIXTURES, KB

# bundletool adds these to the universal APK's manifest; they say how it was built, not what the app is
_BUNDLETOOL_META = {"com.android.dynamic.apk.fused.modules", "com.android.vending.splits"}


def _call(c: ApiCall) -> tuple[str, str, str, str | None, str, bool]:
    return c.api, c.caller, c.pi_category, c.sdk, c.party, c.pre_consent


def test_bundle_reads_as_its_universal_apk(name: str) -> None:
    aab, apk = audit_of(bundle(name)), audit_of(universal(name))
    assert aab.status is Status.OK and apk.status is Status.OK, (aab.errors, apk.errors)
    assert aab.input.format == "aab" and apk.input.format == "apk"
    assert aab.app == apk.app
    assert aab.permissions == apk.permissions and aab.permissions
    assert aab.components == apk.components
    assert [s.id for s in aab.sdks] == [s.id for s in apk.sdks] and aab.sdks
    assert sorted(map(_call, aab.api_calls)) == sorted(map(_call, apk.api_calls)) and aab.api_calls
    assert [(e.url, e.cleartext) for e in aab.endpoints] == [(e.url, e.cleartext) for e in apk.endpoints]
    assert aab.manifest is not None and apk.manifest is not None
    apk_meta = tuple(m for m in apk.manifest.meta_data if m["name"] not in _BUNDLETOOL_META)
    assert asdict(aab.manifest) == {**asdict(apk.manifest), "meta_data": apk_meta}


def test_label_and_network_config_come_from_the_proto_resources() -> None:
    aab = audit_of(bundle("aab_base"))
    assert aab.app is not None and aab.app.label == "Bundle App"  # the default configuration, not values-fr
    assert aab.manifest is not None
    assert {"name": "UMENG_CHANNEL", "value": "play"} in aab.manifest.meta_data  # @string/channel resolved
    legacy = [e for e in aab.endpoints if e.host == "legacy.aab.example"]
    assert legacy and legacy[0].cleartext and legacy[0].source == "network_security_config"


def test_modules_are_reported_with_their_delivery() -> None:
    feature = audit_of(bundle("aab_feature")).bundle
    assert feature is not None and feature.modules == (
        BundleModule("base", "base", "install-time", True, True),
        BundleModule("camera", "feature", "on-demand", True, False),
        BundleModule("textures", "asset-pack", "fast-follow", False, False),
    )
    base_only = audit_of(bundle("aab_base")).bundle
    assert base_only is not None and [m.name for m in base_only.modules] == ["base"]


def test_feature_code_says_its_module() -> None:
    aab = audit_of(bundle("aab_feature"))
    modules = {c.caller.partition("->")[0]: c.module for c in aab.api_calls}
    assert modules["Lorg/appaudit/fixture/aabfeature/camera/CameraActivity;"] == "camera"
    assert modules["Lcom/baidu/location/LocationClient;"] == "camera"
    assert modules["Lorg/appaudit/fixture/aabfeature/MainActivity;"] == "base"
    assert {s.id: s.modules for s in aab.sdks} == {"baidu-map-location": ("camera",)}
    assert aab.dex is not None and aab.dex.files == ("classes.dex", "camera!classes.dex")  # base first
    assert aab.files is not None and aab.files.assets == ("textures!textures/stone.txt",)
    base = audit_of(bundle("aab_base"))
    assert {c.module for c in base.api_calls} == {"base"}
    assert {s.id: s.modules for s in base.sdks} == {"umeng-analytics": ("base",)}


def test_plain_apks_keep_their_output() -> None:
    for path in (universal("aab_feature"), FIXTURES / "sdks.apk"):
        apk = audit_of(path)
        assert apk.bundle is None
        assert {c.module for c in apk.api_calls} == {None} and {s.modules for s in apk.sdks} == {()}


def test_what_a_first_install_lacks_is_noted(name: str) -> None:
    aab = audit_of(bundle(name))
    assert aab.bundle is not None
    notes = aab.bundle.notes
    assert any("signs the APKs" in n for n in notes)  # Play re-signs: no certificate is reported
    assert aab.signing is not None and aab.signing.verified is None and not aab.signing.certificates
    assert not any(f.rule_id == "signing.not_verified" for f in aab.findings)
    on_demand = [n for n in notes if "'camera'" in n]
    if name == "aab_feature":
        assert len(on_demand) == 1 and "not part of the first install" in on_demand[0]
        assert "Baidu" in on_demand[0] and "call sites" in on_demand[0]
        assert any("'textures'" in n and "fast-follow" in n for n in notes)
    else:
        assert not on_demand and len(notes) == 1


def test_html_header_shows_the_bundle() -> None:
    aab: Audit = audit_of(bundle("aab_feature"))
    page = HtmlWriter().render(aab, KB)
    assert 'id="bundle"' in page and "base, camera, textures" in page
    assert "not part of the first install" in page
    assert "unsigned" not in page.split('id="bundle"')[0].rsplit("<header", 1)[-1]
    assert 'id="bundle"' not in HtmlWriter().render(audit_of(universal("aab_feature")), KB)


def test_a_batch_rematch_keeps_the_modules(tmp_path: Path) -> None:
    """A batch stores the facts and re-matches them later without the bundle: the modules must survive."""
    analysis = analyse(str(bundle("aab_feature")), KB)
    assert analysis.facts is not None and analysis.index is not None and analysis.reach is not None
    write_snapshot(tmp_path, "x", analysis.facts, analysis.index, analysis.reach, KB.version)
    facts, index, reach = read_snapshot(snapshot_path(tmp_path, "x"))
    again = detect(facts, index, reach, KB, None)
    assert again.bundle == analysis.audit.bundle
    assert sorted(map(_placed, again.api_calls)) == sorted(map(_placed, analysis.audit.api_calls))
    assert [(s.id, s.modules) for s in again.sdks] == [(s.id, s.modules) for s in analysis.audit.sdks]


def _placed(c: ApiCall) -> tuple[str, str, str | None]:
    return c.caller, c.api, c.module


def test_apks_bundletool_builds_are_not_taken_for_tampered(name: str) -> None:
    """bundletool (and so Google Play) writes <dist:module> with its namespace into the APKs it builds; the
    element-namespace trick is for elements given a namespace to hide them, not for the build tool's own."""
    audit = audit_of(universal(name))
    assert not [h for h in audit.hits if h.rule_id == "apk.manifest_tampered"]
    import zipfile

    from scanner.android.axml import DISTRIBUTION_NS

    manifest = zipfile.ZipFile(universal(name)).read("AndroidManifest.xml")
    if name == "aab_feature":  # the case itself is there: the namespace is in the manifest's string pool
        assert DISTRIBUTION_NS.encode() in manifest or DISTRIBUTION_NS.encode("utf-16-le") in manifest
