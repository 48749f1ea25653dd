"""Start-up facts of an SDK: init and pre-init methods, manifest switches, version constants.

Each has one form the loader enforces; the bundled data keeps them inside the SDK (or its vendor).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import signatures
from signatures import KnowledgeBase, KnowledgeBaseError

from .conftest import append

ENTRY = """
[[sdk]]
id = "test-sdk"
name = "Test SDK"
vendor = "Test Vendor"
categories = ["analytics"]
prefixes = ["org.example.testsdk"]
source = ["test"]
"""


def load_with(folder: Path, extra: str) -> KnowledgeBase:
    append(folder / "sdks.toml", ENTRY + extra)
    return signatures.load(folder)


def test_good_start_up_facts_load(data_copy: Path) -> None:
    kb = load_with(data_copy, """
init_methods = ["Lorg/example/testsdk/Sdk;->init", "Lorg/example/testsdk/Client;-><init>"]
pre_init_methods = ["Lorg/example/testsdk/Sdk;->preInit"]
disable_switches = ["org.example.testsdk.ENABLED=false", "testsdk_deactivated=true"]
version_fields = ["org.example.testsdk.BuildConfig.VERSION_NAME"]
""")
    sdk = kb.sdk("test-sdk")
    assert sdk.init_methods == ("Lorg/example/testsdk/Sdk;->init", "Lorg/example/testsdk/Client;-><init>")
    assert sdk.pre_init_methods == ("Lorg/example/testsdk/Sdk;->preInit",)
    assert sdk.disable_switches == ("org.example.testsdk.ENABLED=false", "testsdk_deactivated=true")
    assert sdk.version_fields == ("org.example.testsdk.BuildConfig.VERSION_NAME",)
    assert kb.sdk("getui-push").disable_switches == ()  # optional: empty when not given


@pytest.mark.parametrize(("extra", "fragment"), [
    ('init_methods = ["Lorg/example/testsdk/Sdk;->init(Landroid/content/Context;)V"]', "no prototype"),
    ('init_methods = ["org.example.testsdk.Sdk.init"]', "not a Dalvik method name"),
    ('init_methods = ["LSdk;->init"]', "not a Dalvik method name"),
    ('pre_init_methods = ["Lorg/example/Sdk;"]', "not a Dalvik method name"),
    ('init_methods = ["Lorg/example/Sdk;->init"]\npre_init_methods = ["Lorg/example/Sdk;->init"]',
     "both an init and a pre-init method"),
    ('disable_switches = ["firebase_analytics_collection_enabled"]', "key=value"),
    ('disable_switches = ["key=a=b"]', "key=value"),
    ('disable_switches = ["key = false"]', "key=value"),
    ('disable_switches = ["k=false", "k=true"]', "one meta-data key twice"),
    ('version_fields = ["VERSION"]', "pkg.Cls.FIELD"),
    ('version_fields = ["Lorg/example/Sdk;->VERSION:Ljava/lang/String;"]', "pkg.Cls.FIELD"),
    ('init_methods = "Lorg/example/Sdk;->init"', "wrong type"),
])
def test_bad_start_up_facts_fail_loudly(data_copy: Path, extra: str, fragment: str) -> None:
    with pytest.raises(KnowledgeBaseError) as info:
        load_with(data_copy, extra)
    message = str(info.value)
    assert "sdks.toml" in message and "test-sdk" in message and fragment in message, message


def _class_of(method: str) -> str:
    return method[1:method.index(";")].replace("/", ".")


def test_start_up_methods_and_versions_belong_to_the_sdk_or_its_vendor(kb: KnowledgeBase) -> None:
    """A listed method or constant lives in the SDK's own code, or in its vendor's shared core
    (JCollectionAuth of JCore for every JIGUANG SDK, UMConfigure of Umeng's common SDK)."""
    for sdk in kb.sdks:
        classes = [_class_of(m) for m in sdk.init_methods + sdk.pre_init_methods]
        classes += [f.rpartition(".")[0] for f in sdk.version_fields]
        for cls in classes:
            owner = kb.sdk_for_class(cls)
            assert owner is not None and (owner is sdk or owner.vendor == sdk.vendor), (sdk.id, cls)


def test_documented_start_up_facts(kb: KnowledgeBase) -> None:
    umeng = kb.sdk("umeng-analytics")
    assert "Lcom/umeng/commonsdk/UMConfigure;->init" in umeng.init_methods
    assert umeng.pre_init_methods == ("Lcom/umeng/commonsdk/UMConfigure;->preInit",)
    assert kb.sdk("jiguang-jpush").pre_init_methods == ("Lcn/jiguang/api/utils/JCollectionAuth;->setAuth",)
    assert kb.sdk("tencent-gdt").pre_init_methods == ("Lcom/qq/e/comm/managers/GDTAdSdk;->initWithoutStart",)
    assert kb.sdk("getui-push").pre_init_methods == ("Lcom/igexin/sdk/PushManager;->preInit",)
    assert set(kb.sdk("google-firebase-analytics").disable_switches) == {
        "firebase_analytics_collection_enabled=false", "firebase_analytics_collection_deactivated=true"}
    assert kb.sdk("google-crashlytics").disable_switches == ("firebase_crashlytics_collection_enabled=false",)
    assert kb.sdk("facebook-analytics").disable_switches == ("com.facebook.sdk.AutoInitEnabled=false",)
    assert "com.tencent.mm.opensdk.constants.Build.SDK_VERSION_NAME" in kb.sdk("wechat-opensdk").version_fields
    assert kb.sdk("getui-push").version_fields == ("com.igexin.sdk.PushBuildConfig.sdk_conf_version",)


def test_partial_switches_are_not_listed(kb: KnowledgeBase) -> None:
    """A switch that drops one identifier or one kind of event leaves the SDK running."""
    partial = {"google_analytics_adid_collection_enabled", "com.facebook.sdk.AdvertiserIDCollectionEnabled",
               "com.facebook.sdk.AutoLogAppEventsEnabled", "google_analytics_default_allow_ad_storage"}
    keys = {s.partition("=")[0] for sdk in kb.sdks for s in sdk.disable_switches}
    assert keys and not keys & partial


def test_replaced_exodus_entries_keep_their_signatures(kb: KnowledgeBase) -> None:
    """Ours replace the Exodus trackers of the same id so the switches have a home; nothing is lost."""
    for sdk_id, exodus_id in (("google-firebase-analytics", 49), ("google-crashlytics", 27),
                              ("facebook-analytics", 66), ("google-admob", 312), ("sentry", 447)):
        sdk = kb.sdk(sdk_id)
        assert sdk.origin == "appaudit" and exodus_id in sdk.exodus_ids
        assert sum(exodus_id in s.exodus_ids for s in kb.sdks) == 1
    assert kb.sdk_for_class("com.google.android.gms.measurement.AppMeasurement").id == "google-firebase-analytics"  # type: ignore[union-attr]
    assert kb.sdk_for_class("com.facebook.appevents.AppEventsLogger").id == "facebook-analytics"  # type: ignore[union-attr]
    assert kb.sdk_for_class("io.fabric.sdk.android.Fabric").id == "google-crashlytics"  # type: ignore[union-attr]
