"""SDK detection from facts alone: how each kind of signal grades an SDK hit."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scanner.analysis.detectors import trackers
from scanner.analysis.facts import AppFacts
from scanner.analysis.versions import VersionClue
from scanner.model import Confidence, Evidence
from tests.analysis.conftest import APP, IN_UMENG, ON_CREATE, app_facts, component, manifest, reached, rules, run
from tests.conftest import KB


def test_code_under_an_sdk_prefix_is_a_high_confidence_hit() -> None:
    facts = app_facts(classes={"Lcom/umeng/analytics/MobclickAgent;": 400, "Lcom/umeng/analytics/pro/h;": 200,
                               "Lorg/example/app/Main;": 50})
    found = run(trackers, facts)
    umeng = KB.sdk("umeng-analytics")
    [hit] = found.sdks
    assert (hit.id, hit.name, hit.vendor, hit.legal_entity, hit.categories, hit.pi_collected) == (
        umeng.id, umeng.name, umeng.vendor, umeng.legal_entity, umeng.categories, umeng.pi_collected)
    assert (hit.confidence, hit.stub, hit.classes) == (Confidence.HIGH, False, 2)
    assert hit.evidence == (Evidence("dex", "1 class", "com.umeng.analytics"),
                            Evidence("dex", "1 class", "com.umeng.analytics.pro"))
    assert rules(found) == [("sdk.tracker", "umeng-analytics")]  # analytics is a tracking category


@pytest.mark.parametrize(("facts", "sdk", "evidence"), [
    (app_facts(manifest(components=[component("activity", f"{APP}.wxapi.WXEntryActivity", exported=True)])),
     "wechat-opensdk", Evidence("manifest", "activity", f"{APP}.wxapi.WXEntryActivity")),  # a "*." marker
    (app_facts(manifest(meta_data=["UMENG_APPKEY"])), "umeng-analytics",
     Evidence("manifest", "meta-data", "UMENG_APPKEY")),
    (app_facts(libs=["libBugly.so"]), "tencent-bugly", Evidence("native", "lib/arm64-v8a/libBugly.so", "libBugly.so")),
], ids=["component", "meta-data", "library"])
def test_a_marker_android_must_find_by_name_alone_is_medium(facts: AppFacts, sdk: str, evidence: Evidence) -> None:
    """Obfuscation renames code but not these names, so they reveal an SDK without its classes."""
    [hit] = run(trackers, facts).sdks
    assert (hit.id, hit.confidence, hit.stub, hit.classes, hit.evidence) == (sdk, Confidence.MEDIUM, False, 0,
                                                                              (evidence,))


def test_few_tiny_classes_are_a_stub_and_no_finding() -> None:
    """A build tool's leftover (≤ 5 classes, ≤ 6 code units each) is reported, never as a tracker."""
    found = run(trackers, app_facts(classes={"Lcom/umeng/analytics/MobclickAgent;": 6,
                                             "Lcom/umeng/commonsdk/UMConfigure;": 4}))
    assert [(h.id, h.confidence, h.stub, h.classes) for h in found.sdks] == [
        ("umeng-analytics", Confidence.LOW, True, 2)]
    assert found.findings == ()


@pytest.mark.parametrize("classes", [
    {f"Lcom/umeng/analytics/C{i};": 6 for i in range(6)},  # one class too many for a stub
    {f"Lcom/umeng/analytics/C{i};": 7 if i == 0 else 6 for i in range(5)},  # one code unit too many
], ids=["six-classes", "one-unit-more"])
def test_just_past_the_stub_limits_is_real_code(classes: dict[str, int]) -> None:
    [hit] = run(trackers, app_facts(classes=classes)).sdks
    assert (hit.confidence, hit.stub) == (Confidence.HIGH, False)


def test_a_stub_with_a_manifest_marker_is_medium_and_not_a_stub() -> None:
    facts = app_facts(manifest(meta_data=["UMENG_APPKEY"]), classes={"Lcom/umeng/analytics/MobclickAgent;": 4})
    [hit] = run(trackers, facts).sdks
    assert (hit.confidence, hit.stub, hit.classes) == (Confidence.MEDIUM, False, 1)


def test_a_domain_alone_is_not_an_sdk() -> None:
    """A URL names a service the app talks to, not code it embeds: that is for endpoints."""
    found = run(trackers, app_facts(dex_strings=["https://ulogs.umeng.com/unify_logs"]))
    assert found.sdks == () and found.findings == ()


def test_a_domain_adds_evidence_to_an_sdk_found_otherwise() -> None:
    found = run(trackers, app_facts(libs=["libBugly.so"], dex_strings=["https://android.bugly.qq.com/rqd/async"]))
    [hit] = found.sdks
    assert Evidence("dex", "dex", "android.bugly.qq.com") in hit.evidence
    assert rules(found) == [("sdk.embedded", "tencent-bugly")]  # crash reporting: embedded, not a tracker


def test_bundled_by_names_only_embedding_sdks_that_were_found() -> None:
    beacon = {"Lcom/tencent/beacon/event/UserAction;": 300}
    assert run(trackers, app_facts(classes=beacon)).sdks[0].bundled_by == ()
    found = run(trackers, app_facts(classes={**beacon, "Lcom/tencent/bugly/crashreport/CrashReport;": 300}))
    assert {h.id: h.bundled_by for h in found.sdks} == {"tencent-beacon": ("tencent-bugly",), "tencent-bugly": ()}


def test_an_sdk_launch_code_enters_is_started_before_consent_with_its_path() -> None:
    facts = app_facts(classes={"Lcom/umeng/analytics/pro/h;": 200, "Lorg/example/app/App;": 20})
    found = run(trackers, facts, reach=reached(ON_CREATE, IN_UMENG))
    [hit] = found.sdks
    assert (hit.starts_before_consent, hit.start_path) == (True, (ON_CREATE, IN_UMENG))
    assert ("consent.sdk_init_before_consent", "umeng-analytics") in rules(found)
    [early] = [f for f in found.findings if f.rule_id == "consent.sdk_init_before_consent"]
    assert early.message.endswith("The vendor documents a compliant way to start it: UMConfigure.preInit.")
    later = run(trackers, facts)
    assert not later.sdks[0].starts_before_consent
    assert "consent.sdk_init_before_consent" not in {r for r, _ in rules(later)}


def test_an_sdk_carries_the_version_its_own_code_states_and_the_finding_says_it() -> None:
    facts = replace(app_facts(classes={"Lcom/umeng/analytics/pro/h;": 200, "Lcom/umeng/analytics/BuildConfig;": 9}),
                    version_clues=(VersionClue("dex-field", "com.umeng.analytics.BuildConfig.VERSION_NAME", "9.6.3"),
                                   VersionClue("dex-field", "org.example.app.BuildConfig.VERSION_NAME", "1.0")))
    found = run(trackers, facts)
    [hit] = found.sdks
    assert (hit.version, hit.version_evidence) == (
        "9.6.3", "dex-field com.umeng.analytics.BuildConfig.VERSION_NAME")
    assert "Umeng Analytics version 9.6.3 by" in found.findings[0].message


def test_a_documented_manifest_switch_marks_the_sdk_disabled_and_lowers_its_finding() -> None:
    sdk = next(s for s in KB.sdks if s.disable_switches and s.prefixes)
    key, _, value = sdk.disable_switches[0].partition("=")
    cls = "L" + sdk.prefixes[0].replace(".", "/") + "/Core;"
    on = run(trackers, app_facts(classes={cls: 500}))
    assert not on.sdks[0].disabled
    # the builder gives every meta-data the value "x": set the documented value on a copy
    m = manifest(meta_data=[key])
    m = replace(m, meta_data=tuple(replace(d, value=value) for d in m.meta_data))
    off = run(trackers, app_facts(m, classes={cls: 500}))
    [hit] = off.sdks
    assert hit.disabled and hit.disabled_evidence[0].symbol == f"{key}={value.lower()}"
    assert off.findings[0].severity < on.findings[0].severity
