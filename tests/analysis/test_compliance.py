"""The SDK disclosure table and the app type's necessary information, from facts alone."""

from __future__ import annotations

import pytest

from scanner.analysis.detectors import compliance
from scanner.model import DisclosureRow
from tests.analysis.conftest import (
    GET_DEVICE_ID,
    IN_UMENG,
    ON_CREATE,
    PHONE,
    app_facts,
    index,
    manifest,
    reached,
    run,
    site,
)
from tests.conftest import KB

FINE_LOCATION = "android.permission.ACCESS_FINE_LOCATION"  # necessary for map_navigation (categories.toml)
FIRST_PARTY = "Lorg/example/app/Spy;->probe()V"  # inside the app's manifest package
GET_PRIMARY_CLIP = "Landroid/content/ClipboardManager;->getPrimaryClip()Landroid/content/ClipData;"
CLASSES = {"Lcom/umeng/analytics/pro/h;": 400,  # umeng-analytics with real code
           "Lcom/tencent/bugly/Stub;": 3}  # tencent-bugly: a stub, in no disclosure row


def test_one_disclosure_row_per_sdk_that_is_not_a_stub() -> None:
    facts = app_facts(manifest(permissions=[PHONE, FINE_LOCATION]), classes=CLASSES)
    found = run(compliance, facts, index(site(IN_UMENG, GET_DEVICE_ID)), reached(ON_CREATE, IN_UMENG))
    umeng = KB.sdk("umeng-analytics")
    assert found.disclosure == (DisclosureRow(
        sdk="umeng-analytics", name=umeng.name, vendor=umeng.vendor, legal_entity=umeng.legal_entity,
        purpose=("analytics",), pi_read=("device_id.imei",), permissions=(PHONE,), pre_consent=True,
        documented=umeng.pi_collected),)
    assert found.findings == ()  # the IMEI is in Umeng's own disclosure, and no app type was given


def test_a_read_the_vendor_does_not_disclose() -> None:
    assert "clipboard" not in KB.sdk("umeng-analytics").pi_collected
    found = run(compliance, app_facts(classes=CLASSES),
                index(site(IN_UMENG, GET_DEVICE_ID), site(IN_UMENG, GET_PRIMARY_CLIP)))
    assert [row.pi_read for row in found.disclosure] == [("clipboard", "device_id.imei")]
    assert [(f.rule_id, f.sdk, f.pi_categories) for f in found.findings] == [
        ("sdk.undisclosed_collection", "umeng-analytics", ("clipboard",))]


@pytest.mark.parametrize(("category", "expected"), [
    ("map_navigation", [("permission.beyond_necessary", ("device_id.imei",)),  # location is necessary: not flagged
                        ("category.beyond_necessary", ("device_id.imei",))]),
    ("short_video", [("permission.beyond_necessary", ("location.precise",)),  # a type that needs no PI at all
                     ("permission.beyond_necessary", ("device_id.imei",)),
                     ("category.no_pi_needed", ("device_id.imei",))]),
])
def test_beyond_the_necessary_information_of_the_app_type(category: str,
                                                          expected: list[tuple[str, tuple[str, ...]]]) -> None:
    facts = app_facts(manifest(permissions=[PHONE, FINE_LOCATION]), classes=CLASSES)
    found = run(compliance, facts, index(site(IN_UMENG, GET_DEVICE_ID)), category=category)
    assert [(f.rule_id, f.pi_categories) for f in found.findings] == expected
    assert all(KB.app_type(category).npi in f.message for f in found.findings)


def test_a_read_beyond_the_necessary_takes_its_reader_from_its_evidence() -> None:
    """One reader: that SDK (or the app); the app and an SDK together: "mixed", never "First party"."""
    facts = app_facts(manifest(permissions=[PHONE]), classes=CLASSES)
    sdk_only = run(compliance, facts, index(site(IN_UMENG, GET_DEVICE_ID)), category="map_navigation")
    [beyond] = [f for f in sdk_only.findings if f.rule_id == "category.beyond_necessary"]
    assert (beyond.party, beyond.sdk) == ("sdk", "umeng-analytics")
    both = run(compliance, facts, index(site(IN_UMENG, GET_DEVICE_ID), site(FIRST_PARTY, GET_DEVICE_ID)),
               category="map_navigation")
    [beyond] = [f for f in both.findings if f.rule_id == "category.beyond_necessary"]
    assert (beyond.party, beyond.sdk) == ("mixed", None)
    assert "first-party code" in beyond.message and "SDK Umeng Analytics" in beyond.message
