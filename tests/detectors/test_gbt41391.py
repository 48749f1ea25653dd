"""GB/T 41391-2022 checks end to end on the fixture APKs."""

from __future__ import annotations

from scanner.model import Audit
from tests.detectors.conftest import audit_of

CALL_LOG = "android.permission.READ_CALL_LOG"
SENSORS = "android.permission.BODY_SENSORS"


def _tagged(audit: Audit, rule: str) -> dict[str, list[str]]:
    """subject key -> the rules of its finding, for every finding that holds a hit of ``rule``."""
    return {f.subject.key: [h.rule_id for h in f.hits] for f in audit.findings
            if any(h.rule_id == rule for h in f.hits)}


def test_sdks_reading_imei_and_mac_but_not_android_id_are_flagged_on_the_read() -> None:
    found = _tagged(audit_of("sdks.apk"), "pi.non_resettable_id")
    assert set(found) == {"device_id.imei|umeng-analytics", "device_id.mac|jiguang-jpush"}
    assert all(rules[0] == "pi.device_id" for rules in found.values())  # the read leads, this rule is a tag


def test_low_relevance_only_with_an_app_type_and_per_type() -> None:
    assert not _tagged(audit_of("arguments.apk"), "permission.low_relevance")
    news = _tagged(audit_of("arguments.apk", "news"), "permission.low_relevance")
    assert set(news) == {CALL_LOG, SENSORS}
    assert all("permission.beyond_necessary" in rules for rules in news.values())  # one finding per permission
    fitness = _tagged(audit_of("arguments.apk", "fitness"), "permission.low_relevance")
    assert set(fitness) == {CALL_LOG}
