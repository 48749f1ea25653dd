"""GB/T 41391-2022 checks on hand-made facts: non-resettable identifiers (Annex F) and permissions of
low relevance to the app type (Annex E)."""

from __future__ import annotations

import dataclasses

import pytest

from scanner.analysis.detectors import api_calls, compliance
from scanner.model import Confidence
from tests.analysis.conftest import (
    GET_DEVICE_ID,
    IN_UMENG,
    app_facts,
    index,
    manifest,
    run,
    site,
)

ANDROID_ID = "Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;Ljava/lang/String;)" \
    "Ljava/lang/String;"
CALLER = "Lorg/example/app/Ids;->read()V"
SMS = "android.permission.READ_SMS"
SENSORS = "android.permission.BODY_SENSORS"
FINE_LOCATION = "android.permission.ACCESS_FINE_LOCATION"


def test_a_non_resettable_identifier_read_folds_into_the_read_and_names_what_serves_instead() -> None:
    found = run(api_calls, app_facts(), index(site(IN_UMENG, GET_DEVICE_ID)))
    (read,) = [f for f in found.findings if f.rule_id == "pi.device_id"]
    (fixed,) = [f for f in found.findings if f.rule_id == "pi.non_resettable_id"]
    assert fixed.subject == read.subject and fixed.subject.key == "device_id.imei|umeng-analytics"
    assert fixed.fingerprint != read.fingerprint and fixed.sdk == "umeng-analytics"
    assert (fixed.severity.label, fixed.confidence) == ("medium", Confidence.MEDIUM)  # Annex F row unverified
    assert "OAID" in fixed.message and "cannot reset" in fixed.message
    assert "GBT41391-F" in fixed.refs


@pytest.mark.parametrize(("min_sdk", "severity"), [(24, "medium"), (29, "info")])
def test_it_is_graded_like_the_read_by_the_api_levels_the_app_installs_on(min_sdk: int, severity: str) -> None:
    facts = app_facts(dataclasses.replace(manifest(), min_sdk=min_sdk))
    found = run(api_calls, facts, index(site(IN_UMENG, GET_DEVICE_ID)))
    graded = {f.rule_id: f.severity.label for f in found.findings if f.rule_id.startswith("pi.")}
    assert graded == {"pi.device_id": severity, "pi.non_resettable_id": severity}


def test_a_resettable_identifier_is_no_finding_of_its_own() -> None:
    found = run(api_calls, app_facts(), index(site(CALLER, ANDROID_ID), site(CALLER, "android_id", "string")))
    assert [c.pi_category for c in found.api_calls] == ["device_id.android_id"]
    assert [f.rule_id for f in found.findings] == ["pi.device_id"]


def test_low_relevance_needs_an_app_type_and_folds_into_the_permission() -> None:
    facts = app_facts(manifest(permissions=[SMS, SENSORS, FINE_LOCATION]))
    assert not [f for f in run(compliance, facts).findings if f.rule_id == "permission.low_relevance"]
    found = run(compliance, facts, category="news")
    low = {f.subject.key: f for f in found.findings if f.rule_id == "permission.low_relevance"}
    assert set(low) == {SMS, SENSORS}  # location is not in the news row of Annex E
    beyond = {f.subject.key for f in found.findings if f.rule_id == "permission.beyond_necessary"}
    assert set(low) <= beyond  # the same permission subject: one finding, this rule a tag
    assert all(f.subject.kind == "permission" and f.confidence == Confidence.MEDIUM for f in low.values())
    assert "Annex A lists no necessary information" in low[SMS].message


def test_the_type_decides_which_permissions_are_of_low_relevance() -> None:
    facts = app_facts(manifest(permissions=[SMS, SENSORS]))
    fitness = run(compliance, facts, category="fitness")
    assert {f.subject.key for f in fitness.findings if f.rule_id == "permission.low_relevance"} == {SMS}
    maps = run(compliance, facts, category="NPI2021-01")
    low = [f for f in maps.findings if f.rule_id == "permission.low_relevance"]
    assert len(low) == 2 and all("necessary information for it: location and departure" in f.message for f in low)
