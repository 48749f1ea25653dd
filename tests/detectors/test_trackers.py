"""SDK detection on the fixtures: exact sets, with confidence and stub status."""

from __future__ import annotations

import pytest

from tests.detectors.conftest import audit_of

HIGH, MEDIUM, LOW = "high", "medium", "low"


@pytest.mark.parametrize(("fixture", "expected"), [
    ("clean.apk", set()),
    # PushService and PushReceiver are JCore's classes in the vendor's jars (JPush's package, JCore's code)
    ("sdks.apk", {("jiguang-jpush", HIGH, False), ("jiguang-jcore", HIGH, False), ("pangle", HIGH, False),
                  ("tencent-bugly", HIGH, False), ("tencent-gdt", HIGH, False), ("umeng-analytics", HIGH, False)}),
    ("multidex.apk", {("tencent-bugly", HIGH, False)}),
    ("split.apks", set()),
    # renamed code: only what Android must find by name is left (components, meta-data, the .so), and all of
    # it is JCore's: the kept PushService/PushReceiver classes, JPUSH_APPKEY and libjcore330.so
    ("obfuscated.apk", {("jiguang-jcore", MEDIUM, False)}),
    ("stub_sdk.apk", {("umeng-analytics", LOW, True)}),
    ("provider_init.apk", {("tencent-gdt", HIGH, False)}),
    ("reflection.apk", set()),
    ("packed.apk", set()),
])
def test_sdk_sets(fixture: str, expected: set) -> None:
    audit = audit_of(fixture)
    assert {(s.id, s.confidence.value, s.stub) for s in audit.sdks} == expected


def test_evidence_kinds_for_each_signal() -> None:
    sdks = {s.id: s for s in audit_of("sdks.apk").sdks}
    parts = {sid: {e.part for e in s.evidence} for sid, s in sdks.items()}
    assert parts["tencent-bugly"] == {"dex", "native"}  # classes and libBugly.so
    assert {"dex", "manifest"} <= parts["jiguang-jcore"]  # PushService's class and component, JPUSH_APPKEY
    core = {e.symbol for e in sdks["jiguang-jcore"].evidence}
    assert {"cn.jpush.android.service.PushService", "JPUSH_APPKEY"} <= core
    jpush = {e.symbol for e in sdks["jiguang-jpush"].evidence}
    assert {"cn.jpush.android.api", "api.jpush.cn"} <= jpush
    gdt = sdks["tencent-gdt"]
    assert gdt.vendor == "Tencent" and gdt.legal_entity and gdt.country == "CN" and "advertisement" in gdt.categories


def test_pangle_is_not_any_bytedance_code() -> None:
    sdks = {s.id: s for s in audit_of("sdks.apk").sdks}
    assert [e.symbol for e in sdks["pangle"].evidence if e.part == "dex"] == ["com.bytedance.sdk.openadsdk"]


def test_tracker_and_embedded_findings_follow_categories() -> None:
    by_rule: dict[str, set[str]] = {}
    for f in audit_of("sdks.apk").hits:
        if f.rule_id in ("sdk.tracker", "sdk.embedded"):
            by_rule.setdefault(f.rule_id, set()).add(f.sdk or "")
    # JCore's categories include analytics (it collects device data for every JIGUANG product)
    assert by_rule == {"sdk.tracker": {"pangle", "umeng-analytics", "tencent-gdt", "jiguang-jcore"},
                       "sdk.embedded": {"jiguang-jpush", "tencent-bugly"}}


def test_stub_sdk_is_no_tracker() -> None:
    audit = audit_of("stub_sdk.apk")
    assert not [f for f in audit.hits if f.rule_id.startswith("sdk.")]
    assert audit.disclosure == ()


def test_obfuscated_sdk_evidence() -> None:
    sdks = {s.id: s for s in audit_of("obfuscated.apk").sdks}
    assert set(sdks) == {"jiguang-jcore"}
    core = {(e.part, e.symbol) for e in sdks["jiguang-jcore"].evidence}
    assert {("native", "libjcore330.so"), ("manifest", "cn.jpush.android.service.PushService"),
            ("manifest", "JPUSH_APPKEY"), ("dex", "cn.jpush.android.service")} <= core
