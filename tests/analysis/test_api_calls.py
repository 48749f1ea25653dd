"""Reads of personal information from call sites alone: owner, pre-consent path, hidden access, arguments."""

from __future__ import annotations

import dataclasses

import pytest

from scanner.analysis.detectors import api_calls
from scanner.model import ApiCall, Confidence
from tests.analysis.conftest import (
    DEX,
    GET_DEVICE_ID,
    IN_UMENG,
    ON_CREATE,
    app_facts,
    index,
    manifest,
    reached,
    rules,
    run,
    site,
)

SECURE_GET_STRING = ("Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;"
                     "Ljava/lang/String;)Ljava/lang/String;")
FOR_NAME = "Ljava/lang/Class;->forName(Ljava/lang/String;)Ljava/lang/Class;"
FIRST_PARTY = "Lorg/example/app/Spy;->probe()V"


def imei_read(caller: str, sdk: str | None, path: tuple[str, ...] = (), hidden: bool = False) -> ApiCall:
    return ApiCall(api=GET_DEVICE_ID, api_id="telephony.get_device_id", pi_category="device_id.imei", caller=caller,
                   sdk=sdk, pre_consent=bool(path), pre_consent_path=path, hidden=hidden, resolved=True, dex=DEX,
                   party="sdk" if sdk else "app", attribution="prefix" if sdk else "manifest")


def test_an_api_called_in_an_sdk_package_belongs_to_that_sdk() -> None:
    found = run(api_calls, app_facts(), index(site(IN_UMENG, GET_DEVICE_ID)))
    assert found.api_calls == (imei_read(IN_UMENG, "umeng-analytics"),)
    assert rules(found) == [("pi.device_id", "umeng-analytics"), ("pi.non_resettable_id", "umeng-analytics"),
                            ("sdk.reads_pi", "umeng-analytics")]


def test_first_party_reads_have_no_sdk_and_no_sdk_finding() -> None:
    found = run(api_calls, app_facts(), index(site(FIRST_PARTY, GET_DEVICE_ID)))
    assert found.api_calls == (imei_read(FIRST_PARTY, None),)
    assert rules(found) == [("pi.device_id", None), ("pi.non_resettable_id", None)]


def test_a_read_reached_from_application_oncreate_is_pre_consent_with_its_path() -> None:
    found = run(api_calls, app_facts(), index(site(IN_UMENG, GET_DEVICE_ID)), reached(ON_CREATE, IN_UMENG))
    assert found.api_calls == (imei_read(IN_UMENG, "umeng-analytics", (ON_CREATE, IN_UMENG)),)
    assert rules(found) == [("pi.device_id", "umeng-analytics"), ("pi.non_resettable_id", "umeng-analytics"),
                            ("sdk.reads_pi", "umeng-analytics"), ("consent.pi_before_consent", "umeng-analytics")]
    early = found.findings[3]
    assert early.message == ("SDK Umeng Analytics reads IMEI (modem identifier) at launch, before consent can be "
                             "asked (via App.onCreate() → h.a(Context)). Only devices up to API 28 give an "
                             "ordinary app the value; newer Android returns nothing.")  # the path keeps the raw ids
    limit = " Only devices up to API 28 give an ordinary app the value; newer Android returns nothing."
    assert [f.message for f in found.findings if f.rule_id in ("pi.device_id", "sdk.reads_pi")] == [
        "SDK Umeng Analytics reads IMEI (modem identifier) in 1 place." + limit,
        "SDK Umeng Analytics reads IMEI (modem identifier)." + limit]


def test_reflection_naming_a_catalogued_class_and_member_is_a_hidden_read() -> None:
    sites = [site(FIRST_PARTY, FOR_NAME), site(FIRST_PARTY, "android.telephony.TelephonyManager", "string"),
             site(FIRST_PARTY, "getDeviceId", "string")]
    found = run(api_calls, app_facts(), index(*sites))
    assert found.api_calls == (imei_read(FIRST_PARTY, None, hidden=True),)
    assert rules(found) == [("pi.device_id", None), ("pi.non_resettable_id", None), ("code.hidden_access", None)]


def test_reflection_without_the_member_name_or_names_without_reflection_read_nothing() -> None:
    class_only = [site(FIRST_PARTY, FOR_NAME), site(FIRST_PARTY, "android.telephony.TelephonyManager", "string")]
    names_only = [site(FIRST_PARTY, "android.telephony.TelephonyManager", "string"),
                  site(FIRST_PARTY, "getDeviceId", "string")]
    for sites in (class_only, names_only):
        found = run(api_calls, app_facts(), index(*sites))
        assert (found.api_calls, found.findings) == ((), ())


def test_the_argument_in_the_same_method_decides_the_category() -> None:
    resolved = run(api_calls, app_facts(), index(site(FIRST_PARTY, SECURE_GET_STRING),
                                                 site(FIRST_PARTY, "bluetooth_address", "string")))
    assert [(c.pi_category, c.resolved) for c in resolved.api_calls] == [("device_id.mac", True)]
    assert [(f.rule_id, f.confidence) for f in resolved.findings] == [
        ("pi.device_id", Confidence.HIGH), ("pi.non_resettable_id", Confidence.MEDIUM)]  # Annex F row unverified


def test_without_its_argument_the_fallback_category_is_unresolved_and_low() -> None:
    found = run(api_calls, app_facts(), index(site(FIRST_PARTY, SECURE_GET_STRING),
                                              site("Lorg/example/app/Other;->f()V", "bluetooth_address", "string")))
    assert [(c.pi_category, c.resolved) for c in found.api_calls] == [("device_id.android_id", False)]
    assert [(f.rule_id, f.confidence) for f in found.findings] == [("pi.device_id", Confidence.LOW)]


ANDROID_ID = "Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;Ljava/lang/String;)" \
    "Ljava/lang/String;"


@pytest.mark.parametrize(("min_sdk", "severity", "clause"), [
    (21, "medium", "Only devices up to API 28 give an ordinary app the value"),
    (28, "medium", "Only devices up to API 28 give an ordinary app the value"),
    (29, "info", "returns nothing to an ordinary app on any Android version this app supports (API 29"),
])
def test_an_imei_read_is_graded_by_the_api_levels_the_app_installs_on(min_sdk: int, severity: str,
                                                                      clause: str) -> None:
    """From Android 10 the IMEI needs READ_PRIVILEGED_PHONE_STATE, which no ordinary app is granted."""
    facts = app_facts(dataclasses.replace(manifest(), min_sdk=min_sdk))
    found = run(api_calls, facts, index(site(IN_UMENG, GET_DEVICE_ID)), reached(ON_CREATE, IN_UMENG))
    graded = [f for f in found.findings if f.rule_id in ("pi.device_id", "sdk.reads_pi")]
    assert len(graded) == 2 and all(f.severity.label == severity and clause in f.message for f in graded)
    (early,) = [f for f in found.findings if f.rule_id == "consent.pi_before_consent"]
    assert clause in early.message and early.severity.label == ("info" if severity == "info" else "high")


def test_a_read_without_a_platform_limit_keeps_its_severity_and_says_nothing_more() -> None:
    facts = app_facts(dataclasses.replace(manifest(), min_sdk=30))
    found = run(api_calls, facts, index(site(IN_UMENG, GET_DEVICE_ID), site(FIRST_PARTY, ANDROID_ID)))
    (imei,) = [f for f in found.findings if f.rule_id == "pi.device_id" and f.sdk]
    assert imei.severity.label == "info"
    own = [f for f in found.findings if f.rule_id.startswith("pi.") and not f.sdk]
    assert own and all("Only devices" not in f.message and "returns nothing" not in f.message for f in own)
    assert all(f.severity.label != "info" for f in own)
