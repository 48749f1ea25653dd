"""Manifest findings from a hand-made manifest: flags, exported components, self-start."""

from __future__ import annotations

import dataclasses

import pytest

from scanner.analysis.detection import ownership
from scanner.analysis.detectors import Context
from scanner.analysis.detectors import manifest as manifest_rules
from scanner.model import Component, Confidence
from tests.analysis.conftest import APP, NOTHING_REACHED, app_facts, component, index, manifest, rules, run
from tests.conftest import KB

MAIN = "android.intent.action.MAIN"
BOOT = "android.intent.action.BOOT_COMPLETED"


def findings_of(*components: Component, **flags: object) -> list[tuple[str, str, Confidence]]:
    found = run(manifest_rules, app_facts(manifest(components=components, **flags)))  # type: ignore[arg-type]
    return [(f.rule_id, f.message, f.confidence) for f in found.findings]


def test_an_app_with_safe_settings_has_no_findings() -> None:
    assert findings_of(component("service", f"{APP}.Private")) == []


def test_exported_without_permission() -> None:
    assert findings_of(component("service", f"{APP}.Sync", exported=True),
                       component("activity", f"{APP}.Share", exported=True, explicit=False, actions=["x.SHARE"])) == [
        ("manifest.exported_component", f"Service {APP}.Sync is exported explicitly with no permission.",
         Confidence.HIGH),
        ("manifest.exported_component", f"Activity {APP}.Share is exported by its intent filter with no permission.",
         Confidence.MEDIUM),
    ]


@pytest.mark.parametrize("item", [
    component("activity", f"{APP}.Main", exported=True, explicit=False, actions=[MAIN]),  # the launcher must be
    component("service", f"{APP}.Sync", exported=True, permission="android.permission.BIND_JOB_SERVICE"),
    component("receiver", f"{APP}.Off", exported=True, enabled=False),
], ids=["launcher", "with-permission", "disabled"])
def test_not_reported(item: Component) -> None:
    assert findings_of(item) == []


def test_boot_receiver_starts_the_app_by_itself() -> None:
    assert [r for r, _, _ in findings_of(component("receiver", f"{APP}.Boot", exported=True, actions=[BOOT]))] == [
        "manifest.exported_component", "manifest.self_start"]


def test_a_found_push_sdk_component_is_associated_start() -> None:
    """Judged only when the trackers detector found the SDK (the manifest detector NEEDS it)."""
    receiver = component("receiver", "cn.jpush.android.service.PushReceiver", exported=True,
                         permission=f"{APP}.permission.JPUSH_MESSAGE", actions=["cn.jpush.android.intent.REGISTER"])
    found = run(manifest_rules, app_facts(manifest(components=[receiver])))
    assert rules(found) == [("manifest.self_start", "jiguang-jcore")]  # JCore's class (vendor jars)


@pytest.mark.parametrize(("flags", "rule"), [
    ({"debuggable": True}, "manifest.debuggable"),
    ({"allow_backup": True}, "manifest.allow_backup"),
    ({"target_sdk": 29}, "manifest.old_target_sdk"),
])
def test_application_flags(flags: dict[str, object], rule: str) -> None:
    assert [r for r, _, _ in findings_of(**flags)] == [rule]


def test_without_the_trackers_results_a_push_component_is_not_judged() -> None:
    receiver = component("receiver", "cn.jpush.android.service.PushReceiver", exported=True,
                         permission=f"{APP}.permission.JPUSH_MESSAGE", actions=["cn.jpush.android.intent.REGISTER"])
    facts = app_facts(manifest(components=[receiver]))
    alone = manifest_rules.detect(Context(facts, KB, index(), NOTHING_REACHED, ownership(facts, KB)))
    assert alone.findings == ()


USER_PRESENT = "android.intent.action.USER_PRESENT"
CONNECTIVITY = "android.net.conn.CONNECTIVITY_CHANGE"


@pytest.mark.parametrize(("min_sdk", "target_sdk", "actions", "expected"), [
    (21, 25, [USER_PRESENT], ("medium", "starts the app on android.intent.action.USER_PRESENT.")),
    (21, 30, [USER_PRESENT, CONNECTIVITY], ("low", "only on older devices")),  # still installs below 24/26
    (26, 30, [USER_PRESENT, CONNECTIVITY], None),  # no device the app runs on delivers them to it
    (26, 30, [USER_PRESENT, BOOT], ("medium", "starts the app on android.intent.action.BOOT_COMPLETED.")),
    (24, 25, [CONNECTIVITY], None),  # limited from API 24 for apps targeting 24+
])
def test_self_start_follows_the_platforms_broadcast_limits(min_sdk: int, target_sdk: int, actions: list[str],
                                                           expected: tuple[str, str] | None) -> None:
    """Android 7 and 8 stopped delivering these implicit broadcasts to manifest receivers of apps targeting
    24 / 26 or later; boot and the other exempted broadcasts still wake the app."""
    receiver = component("receiver", f"{APP}.Wake", exported=True, permission="x.SENDER", actions=actions)
    facts = app_facts(dataclasses.replace(manifest(components=[receiver], target_sdk=target_sdk), min_sdk=min_sdk))
    found = [f for f in run(manifest_rules, facts).findings if f.rule_id == "manifest.self_start"]
    if expected is None:
        assert found == []
    else:
        (one,) = found
        assert (one.severity.label, expected[1] in one.message) == (expected[0], True), one.message
