"""Requested permissions against the code that would use them, from facts alone."""

from __future__ import annotations

import pytest

from scanner.analysis.detectors import permissions
from scanner.dex.dexset import CallSite
from scanner.model import Confidence, Evidence
from tests.analysis.conftest import GET_DEVICE_ID, PHONE, app_facts, index, manifest, rules, run, site
from tests.analysis.test_api_calls import FIRST_PARTY, FOR_NAME

CAMERA = "android.permission.CAMERA"  # dangerous and sensitive


def test_a_dangerous_permission_no_code_uses_is_possibly_excessive() -> None:
    found = run(permissions, app_facts(manifest(permissions=[PHONE, CAMERA, "android.permission.INTERNET"])))
    assert rules(found) == [("permission.dangerous", None), ("permission.sensitive_pi", None),
                            ("permission.possibly_excessive", None), ("permission.dangerous", None),
                            ("permission.possibly_excessive", None)]
    assert [f.evidence for f in found.findings][-1] == (Evidence("manifest", "uses-permission", PHONE),)
    assert [f.confidence for f in found.findings if f.rule_id == "permission.possibly_excessive"] == [
        Confidence.MEDIUM, Confidence.MEDIUM]


@pytest.mark.parametrize("sites", [
    [site(FIRST_PARTY, GET_DEVICE_ID)],
    [site(FIRST_PARTY, FOR_NAME), site(FIRST_PARTY, "android.telephony.TelephonyManager", "string"),
     site(FIRST_PARTY, "getDeviceId", "string")],  # a hidden read (from api_calls) uses the permission too
], ids=["direct", "reflection"])
def test_a_permission_code_uses_is_not_excessive(sites: list[CallSite]) -> None:
    found = run(permissions, app_facts(manifest(permissions=[PHONE], target_sdk=28)), index(*sites))
    assert rules(found) == [("permission.dangerous", None)]


@pytest.mark.parametrize(("target_sdk", "needed"), [
    (28, PHONE), (29, "android.permission.READ_PRIVILEGED_PHONE_STATE")])
def test_an_api_called_without_its_permission(target_sdk: int, needed: str) -> None:
    """Which permission an API needs depends on the API level the app targets."""
    found = run(permissions, app_facts(manifest(target_sdk=target_sdk)), index(site(FIRST_PARTY, GET_DEVICE_ID)))
    [f] = found.findings
    assert (f.rule_id, f.confidence, f.evidence) == ("api.missing_permission", Confidence.MEDIUM,
                                                     (Evidence("dex", FIRST_PARTY, GET_DEVICE_ID),))
    assert f.message == f"TelephonyManager.getDeviceId() needs {needed}, which the app does not request."


def test_holding_the_permission_is_not_missing() -> None:
    found = run(permissions, app_facts(manifest(permissions=[PHONE], target_sdk=28)),
                index(site(FIRST_PARTY, GET_DEVICE_ID)))
    assert "api.missing_permission" not in {r for r, _ in rules(found)}


@pytest.mark.parametrize(("permission", "rule"), [
    ("android.permission.QUERY_ALL_PACKAGES", "permission.query_all_packages"),
    ("android.permission.READ_SMS", "permission.sms_call_log"),
])
def test_special_permissions_have_their_own_rule(permission: str, rule: str) -> None:
    assert rule in {r for r, _ in rules(run(permissions, app_facts(manifest(permissions=[permission]))))}
