"""Personal-information call sites: exact (caller, API, category, SDK, pre-consent) sets."""

from __future__ import annotations

import pytest

from tests.detectors.conftest import audit_of, rules

GET_DEVICE_ID = "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;"
SECURE_GET = ("Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;"
              "Ljava/lang/String;)Ljava/lang/String;")
MAC = "Landroid/net/wifi/WifiInfo;->getMacAddress()Ljava/lang/String;"
CONN = "Landroid/net/wifi/WifiManager;->getConnectionInfo()Landroid/net/wifi/WifiInfo;"
INSTALLED = "Landroid/content/pm/PackageManager;->getInstalledPackages(I)Ljava/util/List;"
LAST_LOCATION = ("Landroid/location/LocationManager;->getLastKnownLocation(Ljava/lang/String;)"
                 "Landroid/location/Location;")
CLIP = "Landroid/content/ClipboardManager;->getPrimaryClip()Landroid/content/ClipData;"

SDKS = "Lorg/appaudit/fixture/sdks/"
PRE = "Lorg/appaudit/fixture/preconsent/"
JPUSH_MAC = "Lcn/jpush/android/api/JPushInterface;->getMacAddress(Landroid/content/Context;)Ljava/lang/String;"
UMENG_INIT = ("Lcom/umeng/commonsdk/UMConfigure;->init(Landroid/content/Context;Ljava/lang/String;"
              "Ljava/lang/String;ILjava/lang/String;)V")
COLLECT = PRE + "DeviceInfo;->collect(Landroid/content/Context;)Ljava/lang/String;"
TRACK = "Lorg/appaudit/fixture/multidex/extra/Tracker;->track(Landroid/content/Context;)Ljava/lang/String;"

GDT = "Lcom/qq/e/comm/managers/GDTAdSdk;->"
HIDDEN = "Lorg/appaudit/fixture/reflection/Hidden;->deviceId(Landroid/content/Context;)Ljava/lang/String;"

EXPECTED = {
    "clean.apk": set(),
    "sdks.apk": {
        (SDKS + "MainActivity;->onCreate(Landroid/os/Bundle;)V", CLIP, "clipboard", None, False),
        ("Lcom/bytedance/sdk/openadsdk/TTAdSdk;->getAndroidId(Landroid/content/Context;)Ljava/lang/String;",
         SECURE_GET, "device_id.android_id", "pangle", False),
        ("Lcom/umeng/analytics/MobclickAgent;->getDeviceId(Landroid/content/Context;)Ljava/lang/String;",
         GET_DEVICE_ID, "device_id.imei", "umeng-analytics", False),
        (JPUSH_MAC, "02:00:00:00:00:00", "device_id.mac", "jiguang-jpush", False),
        (JPUSH_MAC, MAC, "device_id.mac", "jiguang-jpush", False),
        (JPUSH_MAC, CONN, "network_info.wifi", "jiguang-jpush", False),
        ("Lcom/tencent/bugly/crashreport/CrashReport;->collectInstalledApps(Landroid/content/Context;)I",
         INSTALLED, "installed_apps", "tencent-bugly", False),
        ("Lcom/qq/e/comm/managers/GDTAdSdk;->getLastLocation(Landroid/content/Context;)Landroid/location/Location;",
         LAST_LOCATION, "location.precise", "tencent-gdt", False),
    },
    "preconsent.apk": {
        (COLLECT, SECURE_GET, "device_id.android_id", None, True),
        (COLLECT, GET_DEVICE_ID, "device_id.imei", None, True),
        (UMENG_INIT, MAC, "device_id.mac", "umeng-analytics", True),
        (UMENG_INIT, CONN, "network_info.wifi", "umeng-analytics", True),
        (PRE + "InitProvider;->onCreate()Z", INSTALLED, "installed_apps", None, True),
        (PRE + "ConsentActivity;->onAgree()V", LAST_LOCATION, "location.coarse", None, False),
    },
    "obfuscated.apk": {  # renamed SDK code cannot be attributed to an SDK: it is unattributed (see below)
        ("La/a/b;->a(Landroid/content/Context;)Ljava/lang/String;", GET_DEVICE_ID, "device_id.imei", None, False),
        ("La/b/a;->a(Landroid/content/Context;)Ljava/lang/String;", MAC, "device_id.mac", None, False),
        ("La/b/a;->a(Landroid/content/Context;)Ljava/lang/String;", CONN, "network_info.wifi", None, False),
    },
    "stub_sdk.apk": set(),
    "packed.apk": set(),
    "reflection.apk": {(HIDDEN, GET_DEVICE_ID, "device_id.imei", None, False)},
    "provider_init.apk": {
        (GDT + "init(Landroid/content/Context;)V", GET_DEVICE_ID, "device_id.imei", "tencent-gdt", True),
        (GDT + "init(Landroid/content/Context;)V", LAST_LOCATION, "location.coarse", "tencent-gdt", True),
        (GDT + "loadAd()V", SECURE_GET, "device_id.android_id", "tencent-gdt", False),
    },
    "multidex.apk": {
        (TRACK, SECURE_GET, "device_id.android_id", None, False),
        (TRACK, GET_DEVICE_ID, "device_id.imei", None, False),
    },
}


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_call_sites_exact(fixture: str) -> None:
    calls = audit_of(fixture).api_calls
    assert {(c.caller, c.api, c.pi_category, c.sdk, c.pre_consent) for c in calls} == EXPECTED[fixture]


@pytest.mark.parametrize("fixture", sorted(EXPECTED))
def test_every_call_site_says_whose_code_it_is(fixture: str) -> None:
    """SDK code is "sdk"; the manifest package and what only it reaches is "app"; renamed code is neither."""
    for c in audit_of(fixture).api_calls:
        if c.sdk:
            assert c.party == "sdk"
        elif c.caller.startswith(("La/a/", "La/b/")):  # obfuscated.apk's renamed SDK code
            assert (c.party, c.attribution) in {("unattributed", "obfuscated-app-reach"), ("unattributed", "no-owner")}
        else:
            assert (c.party, c.attribution) == ("app", "manifest"), c


def test_pre_consent_paths_start_at_launch_hooks() -> None:
    for call in audit_of("preconsent.apk").api_calls:
        if call.pre_consent:
            assert call.pre_consent_path[0] in (PRE + "App;->onCreate()V", PRE + "InitProvider;->onCreate()Z")
            assert call.pre_consent_path[-1] == call.caller
        else:
            assert call.pre_consent_path == ()


def test_pre_consent_findings() -> None:
    findings = [f for f in audit_of("preconsent.apk").hits if f.rule_id.startswith("consent.")]
    assert {(f.rule_id, f.sdk, f.pi_categories) for f in findings} == {
        ("consent.pi_before_consent", None, ("device_id.android_id",)),
        ("consent.pi_before_consent", None, ("device_id.imei",)),
        ("consent.pi_before_consent", None, ("installed_apps",)),
        ("consent.pi_before_consent", "umeng-analytics", ("device_id.mac",)),
        ("consent.pi_before_consent", "umeng-analytics", ("network_info.wifi",)),
        ("consent.sdk_init_before_consent", "umeng-analytics", ()),
    }
    assert all(f.severity.label == "high" for f in findings)


def test_argument_decides_the_category() -> None:
    """getLastKnownLocation with "gps" is precise, with "network" coarse; nothing else is guessed."""
    cats = {c.pi_category for c in audit_of("sdks.apk").api_calls if c.api == LAST_LOCATION}
    assert cats == {"location.precise"}
    assert all(c.resolved for c in audit_of("preconsent.apk").api_calls)


def test_no_pi_rules_for_a_clean_app() -> None:
    assert not {r for r in rules(audit_of("clean.apk")) if r.startswith(("pi.", "consent.", "sdk."))}


def test_reflection_is_hidden_access() -> None:
    audit = audit_of("reflection.apk")
    assert [c.hidden for c in audit.api_calls] == [True]
    hidden = [f for f in audit.hits if f.rule_id == "code.hidden_access"]
    assert len(hidden) == 1 and hidden[0].pi_categories == ("device_id.imei",)
    # the permission the hidden call needs is in use, not excessive
    assert not [f for f in audit.hits if f.rule_id == "permission.possibly_excessive"]


def test_sdk_started_by_its_own_provider() -> None:
    audit = audit_of("provider_init.apk")
    early = [f for f in audit.hits if f.rule_id == "consent.sdk_init_before_consent"]
    assert [(f.sdk, f.evidence[0].path) for f in early] == [
        ("tencent-gdt", "Lcom/qq/e/comm/GDTInitProvider;->onCreate()Z")]
    paths = {c.pre_consent_path for c in audit.api_calls if c.pre_consent}
    assert paths == {("Lcom/qq/e/comm/GDTInitProvider;->onCreate()Z", GDT + "init(Landroid/content/Context;)V")}
