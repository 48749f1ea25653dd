"""Compliance: the SDK disclosure table always; necessary-information checks for an app type."""

from __future__ import annotations

import pytest

from tests.detectors.conftest import audit_of


def test_disclosure_rows_for_sdks() -> None:
    rows = {r.sdk: r for r in audit_of("sdks.apk").disclosure}
    assert set(rows) == {"jiguang-jpush", "jiguang-jcore", "pangle", "tencent-bugly", "tencent-gdt", "umeng-analytics"}
    assert rows["umeng-analytics"].pi_read == ("device_id.imei",)
    assert rows["umeng-analytics"].permissions == ("android.permission.READ_PHONE_STATE",)
    assert rows["tencent-gdt"].pi_read == ("location.precise",)
    assert rows["tencent-gdt"].legal_entity and rows["tencent-gdt"].vendor == "Tencent"
    assert not any(r.pre_consent for r in rows.values())


def test_disclosure_marks_pre_consent() -> None:
    rows = {r.sdk: r for r in audit_of("preconsent.apk").disclosure}
    assert rows["umeng-analytics"].pre_consent
    assert rows["umeng-analytics"].pi_read == ("device_id.mac", "network_info.wifi")


@pytest.mark.parametrize(("category", "expected_rule", "expected_pi"), [
    ("short_video", "category.no_pi_needed",
     {"clipboard", "device_id.android_id", "device_id.imei", "device_id.mac", "installed_apps",
      "location.precise", "network_info.wifi"}),
    ("map_navigation", "category.beyond_necessary",
     {"clipboard", "device_id.android_id", "device_id.imei", "device_id.mac", "installed_apps",
      "network_info.wifi"}),
])
def test_necessary_information(category: str, expected_rule: str, expected_pi: set[str]) -> None:
    audit = audit_of("sdks.apk", category)
    assert audit.category == category
    beyond = {f.pi_categories[0] for f in audit.hits if f.rule_id == expected_rule}
    assert beyond == expected_pi
    perms = {f.evidence[0].symbol for f in audit.hits if f.rule_id == "permission.beyond_necessary"}
    location = {"android.permission.ACCESS_FINE_LOCATION"}
    assert location <= perms if category == "short_video" else not location & perms


def test_no_category_no_necessary_findings() -> None:
    assert not any(f.rule_id.startswith("category.") for f in audit_of("sdks.apk").hits)


def test_findings_quote_what_the_rules_say_the_type_needs() -> None:
    """The message names the type as the 2021 rules do and what it needs, by who provides it."""
    audit = audit_of("sdks.apk", "map_navigation")
    (contacts,) = [f for f in audit.hits if f.rule_id == "permission.beyond_necessary"
                   and f.evidence[0].symbol == "android.permission.READ_CONTACTS"]
    assert "Map and navigation app (地图导航类, NPI2021-01)" in contacts.message
    assert "basic function (Positioning and navigation)" in contacts.message
    assert "read from the device: location; typed in by the user: departure place and destination" in contacts.message
    (imei,) = [f for f in audit.hits if f.rule_id == "category.beyond_necessary"
               and f.pi_categories == ("device_id.imei",)]
    assert imei.confidence.value == "high"  # map_navigation's item list was checked against the official text
    short = [f for f in audit_of("sdks.apk", "short_video").hits if f.rule_id == "category.no_pi_needed"]
    assert short and all("needs no personal information" in f.message for f in short)


def test_unverified_app_type_is_reported_less_surely() -> None:
    """The dating type's item list was not read in full in the official text."""
    findings = [f for f in audit_of("sdks.apk", "dating").hits if f.rule_id.endswith("beyond_necessary")]
    assert findings and {f.confidence.value for f in findings} == {"medium"}
