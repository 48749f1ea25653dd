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
