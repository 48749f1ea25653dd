"""SDK detection on the fixtures: exact sets, with confidence and stub status."""

from __future__ import annotations

import pytest

from tests.detectors.conftest import audit_of

HIGH, MEDIUM, LOW = "high", "medium", "low"


@pytest.mark.parametrize(("fixture", "expected"), [
    ("clean.apk", set()),
    ("sdks.apk", {("jiguang-jpush", HIGH, False), ("pangle", HIGH, False), ("tencent-bugly", HIGH, False),
                  ("tencent-gdt", HIGH, False), ("umeng-analytics", HIGH, False)}),
    ("multidex.apk", {("tencent-bugly", HIGH, False)}),
    ("split.apks", set()),
    # renamed code: only what Android must find by name is left (components, meta-data, the .so)
    ("obfuscated.apk", {("jiguang-jpush", MEDIUM, False), ("jiguang-jcore", MEDIUM, False)}),
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
    assert {"dex", "manifest"} <= parts["jiguang-jpush"]  # classes, PushService, JPUSH_APPKEY
    jpush = {e.symbol for e in sdks["jiguang-jpush"].evidence}
    assert {"cn.jpush.android.service.PushService", "JPUSH_APPKEY", "api.jpush.cn"} <= jpush
    gdt = sdks["tencent-gdt"]
    assert gdt.vendor == "Tencent" and gdt.legal_entity and gdt.country == "CN" and "advertisement" in gdt.categories


def test_pangle_is_not_any_bytedance_code() -> None:
    sdks = {s.id: s for s in audit_of("sdks.apk").sdks}
    assert [e.symbol for e in sdks["pangle"].evidence if e.part == "dex"] == ["com.bytedance.sdk.openadsdk"]


def test_tracker_and_embedded_findings_follow_categories() -> None:
    by_rule: dict[str, set[str]] = {}
    for f in audit_of("sdks.apk").findings:
        if f.rule_id in ("sdk.tracker", "sdk.embedded"):
            by_rule.setdefault(f.rule_id, set()).add(f.sdk or "")
    assert by_rule == {"sdk.tracker": {"pangle", "umeng-analytics", "tencent-gdt"},
                       "sdk.embedded": {"jiguang-jpush", "tencent-bugly"}}


def test_stub_sdk_is_no_tracker() -> None:
    audit = audit_of("stub_sdk.apk")
    assert not [f for f in audit.findings if f.rule_id.startswith("sdk.")]
    assert audit.disclosure == ()


def test_obfuscated_sdk_evidence() -> None:
    sdks = {s.id: s for s in audit_of("obfuscated.apk").sdks}
    assert {(e.part, e.symbol) for e in sdks["jiguang-jcore"].evidence} == {("native", "libjcore330.so")}
    jpush = {(e.part, e.symbol) for e in sdks["jiguang-jpush"].evidence}
    assert {("manifest", "cn.jpush.android.service.PushService"), ("manifest", "JPUSH_APPKEY")} <= jpush
