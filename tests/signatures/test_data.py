"""The bundled data covers what issue 3 promises, and the lookups behave."""

from __future__ import annotations

import json
import re

import pytest

from scanner.model import Severity
from signatures import KnowledgeBase
from signatures.model import SENSITIVITIES, ApiSignature

from .conftest import SNAPSHOT

# Runtime ("dangerous") permissions of Android 15 (API 35), AOSP core manifest.
DANGEROUS_API35 = """
ACCESS_FINE_LOCATION ACCESS_COARSE_LOCATION ACCESS_BACKGROUND_LOCATION ACCESS_MEDIA_LOCATION
READ_CONTACTS WRITE_CONTACTS GET_ACCOUNTS READ_CALENDAR WRITE_CALENDAR
READ_SMS RECEIVE_SMS SEND_SMS RECEIVE_MMS RECEIVE_WAP_PUSH READ_CELL_BROADCASTS
READ_CALL_LOG WRITE_CALL_LOG PROCESS_OUTGOING_CALLS
READ_PHONE_STATE READ_PHONE_NUMBERS CALL_PHONE ANSWER_PHONE_CALLS USE_SIP ACCEPT_HANDOVER
CAMERA RECORD_AUDIO BODY_SENSORS BODY_SENSORS_BACKGROUND ACTIVITY_RECOGNITION
READ_EXTERNAL_STORAGE WRITE_EXTERNAL_STORAGE READ_MEDIA_IMAGES READ_MEDIA_VIDEO READ_MEDIA_AUDIO
READ_MEDIA_VISUAL_USER_SELECTED BLUETOOTH_SCAN BLUETOOTH_CONNECT BLUETOOTH_ADVERTISE
NEARBY_WIFI_DEVICES UWB_RANGING POST_NOTIFICATIONS
""".split()  # noqa: SIM905 - reads like the manifest

CHINESE_SDKS = [
    "getui-push", "xiaomi-mipush", "huawei-push", "oppo-push", "vivo-push", "meizu-push", "honor-push",
    "alibaba-accs", "tencent-tpns", "jiguang-jpush", "jiguang-jcore", "umeng-push", "baidu-push",
    "tencent-gdt", "pangle", "kuaishou-ads", "sigmob", "topon", "baidu-mobads",
    "wechat-opensdk", "tencent-qq-connect", "weibo-sdk", "alipay-sdk", "unionpay-sdk",
    "cmcc-auth", "alibaba-number-auth", "chuanglan-shanyan",
    "shumei-smantifraud", "tongdun", "netease-yidun", "geetest", "alibaba-security-guard",
    "msa-oaid", "huawei-ads-identifier", "tencent-x5", "tencent-bugly", "tencent-beacon", "alibaba-utdid",
    "umeng-analytics", "bytedance-applog",
    "cucc-auth", "ctcc-auth", "jiguang-jverification", "umeng-verify", "netease-quicklogin", "geetest-onelogin",
    "openinstall", "tencent-gdt-action", "oceanengine-convert", "baidu-ocpc-action", "kuaishou-convert",
    "megvii-faceid", "dingxiang-risk", "shuzilm-trustedid", "tencent-turingfd", "bytedance-metasec",
    "huawei-hms-base", "bytedance-push", "nubia-push", "leancloud", "sobot",
]


def test_version_and_date(kb: KnowledgeBase) -> None:
    assert re.fullmatch(r"\d{4}\.\d{2}\.\d{2}", kb.version)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", kb.date)
    assert kb.version.replace(".", "-") == kb.date


def test_every_exodus_tracker_is_covered(kb: KnowledgeBase) -> None:
    exodus_ids = {int(k) for k in json.loads(SNAPSHOT.read_text())["trackers"]}
    covered = {eid for sdk in kb.sdks for eid in sdk.exodus_ids}
    assert len(exodus_ids) == 433
    assert exodus_ids <= covered


@pytest.mark.parametrize("sdk_id", CHINESE_SDKS)
def test_chinese_sdk_present(kb: KnowledgeBase, sdk_id: str) -> None:
    sdk = kb.sdk(sdk_id)
    assert sdk.country == "CN"
    assert sdk.source and sdk.vendor and sdk.categories


def test_sdk_ids_unique_and_counts(kb: KnowledgeBase) -> None:
    ids = [s.id for s in kb.sdks]
    assert len(ids) == len(set(ids))
    assert sum(s.origin == "appaudit" for s in kb.sdks) >= 80
    assert len(kb.sdks) >= 433 + 60


def test_pangle_does_not_claim_bytedance_root(kb: KnowledgeBase) -> None:
    pangle = kb.sdk("pangle")
    assert "com.bytedance" not in pangle.prefixes
    assert all(p != "com.bytedance" for s in kb.sdks for p in s.prefixes)
    assert kb.sdk_for_class("com.bytedance.sdk.openadsdk.TTAdSdk").id == "pangle"
    applog = kb.sdk_for_class("com.bytedance.applog.AppLog")
    assert applog is not None and applog.id == "bytedance-applog"
    assert kb.sdk_for_class("com.bytedance.common.utility.Logger") is None


def test_prefixes_match_on_dot_boundary(kb: KnowledgeBase) -> None:
    mob = kb.sdk_for_class("com.mob.tools.MobUIShell")
    assert mob is not None and mob.id == "mobtech"
    hit = kb.sdk_for_class("com.mobile.auth.gatewayauth.LoginAuthActivity")
    assert hit is not None and hit.id == "alibaba-number-auth"


def test_exodus_regex_signature_kept(kb: KnowledgeBase) -> None:
    kochava = next(s for s in kb.sdks if 127 in s.exodus_ids)
    assert kochava.code_regex
    for cls in ("com.example.kochavaccpa.Tracker", "com.kochava.base.Tracker"):
        assert kb.sdk_for_class(cls) is kochava
    assert kochava in kb.sdks_for_host("control.kochava.com")
    assert kb.sdk_for_class("com.kochavabase.Tracker") is not kochava


def test_hosts_match_domains(kb: KnowledgeBase) -> None:
    getui = kb.sdk("getui-push")
    assert getui in kb.sdks_for_host("sdk.open.phone.igexin.com")
    assert getui not in kb.sdks_for_host("notigexin.com")


def test_nested_sdks_link_to_their_host(kb: KnowledgeBase) -> None:
    assert "jiguang-jpush" in kb.sdk("jiguang-jcore").bundled_by
    assert {"kuaishou-ads", "topon"} <= set(kb.sdk("msa-oaid").bundled_by)
    assert "alipay-sdk" in kb.sdk("alibaba-utdid").bundled_by
    assert "umeng-push" in kb.sdk("alibaba-accs").bundled_by
    one_click = {"jiguang-jverification", "umeng-verify", "alibaba-number-auth", "getui-gy-login",
                 "chuanglan-shanyan", "netease-quicklogin", "geetest-onelogin", "mobtech"}
    for carrier in ("cmcc-auth", "cucc-auth", "ctcc-auth"):
        assert set(kb.sdk(carrier).bundled_by) == one_click, carrier
        assert kb.sdk(carrier).categories == ("login",)
    assert {"mobtech", "umeng-verify"} <= set(kb.sdk("alibaba-number-auth").bundled_by)
    assert "pangle" in kb.sdk("bytedance-metasec").bundled_by
    assert "kuaishou-ads" in kb.sdk("kuaishou-weapon").bundled_by
    assert {"tencent-gdt", "tencent-x5"} <= set(kb.sdk("tencent-turingfd").bundled_by)
    assert "jiguang-jverification" in kb.sdk("jiguang-jcore").bundled_by
    assert "jiguang-jpush" in kb.sdk("xiaomi-mipush").bundled_by  # vendor channel plugins ship the vendor SDK


def test_bundled_by_names_a_different_existing_sdk(kb: KnowledgeBase) -> None:
    ids = {s.id for s in kb.sdks}
    for sdk in kb.sdks:
        assert set(sdk.bundled_by) <= ids - {sdk.id}, sdk.id


def test_at_least_200_chinese_sdks(kb: KnowledgeBase) -> None:
    chinese = [s for s in kb.sdks if s.country == "CN"]
    assert len(chinese) >= 200
    for sdk in chinese:
        assert sdk.source and sdk.vendor and sdk.categories, sdk.id
        assert sdk.prefixes or sdk.libraries or sdk.components, sdk.id  # something in an APK reveals it
        assert sdk.origin == "appaudit", sdk.id  # Chinese entries are ours (Exodus ones are replaced)


@pytest.mark.parametrize(("cls", "sdk_id"), [
    # earlier package generations next to the current ones
    ("com.tencent.mm.sdk.openapi.WXAPIFactory", "wechat-opensdk"),
    ("com.tencent.mm.opensdk.openapi.WXAPIFactory", "wechat-opensdk"),
    ("com.weibo.sdk.android.Weibo", "weibo-sdk"),
    ("com.sina.weibo.sdk.openapi.WBAPIFactory", "weibo-sdk"),
    ("com.umeng.analytics.MobclickAgent", "umeng-analytics"),
    ("com.umeng.commonsdk.UMConfigure", "umeng-analytics"),
    ("com.umeng.umzid.ZIDManager", "umeng-analytics"),
    ("com.tencent.bugly.crashreport.CrashReport", "tencent-bugly"),
    ("com.alipay.sdk.app.PayTask", "alipay-sdk"),
    ("com.alipay.android.app.IAlixPay", "alipay-sdk"),
    ("com.igexin.sdk.PushManager", "getui-push"),
    ("com.getui.gtc.GtcManager", "getui-push"),
    ("com.baidu.location.LocationClient", "baidu-map-location"),
    ("com.amap.api.location.AMapLocationClient", "amap"),
    ("com.autonavi.amap.mapcore.MapCore", "amap"),
    ("com.mapabc.mapapi.core.MapAbcException", "amap"),
    ("com.qq.e.comm.managers.GDTAdSdk", "tencent-gdt"),
    ("com.bytedance.sdk.openadsdk.TTAdSdk", "pangle"),
    ("com.pgl.sys.ces.a", "pangle"),
    ("com.bykv.vk.component.ttvideo.player.MediaPlayer", "pangle"),
    ("com.mobvista.msdk.base.utils.a", "mintegral"),
    ("com.mbridge.msdk.MBridgeSDK", "mintegral"),
    ("com.huawei.android.pushagent.PushReceiver", "huawei-push"),
    ("com.huawei.hms.push.HmsMessaging", "huawei-push"),
    ("com.baidu.frontia.api.FrontiaPush", "baidu-push"),
    ("com.avos.avoscloud.AVObject", "leancloud"),
    ("cn.leancloud.LCObject", "leancloud"),
    ("com.xiaomi.xmpush.thrift.a", "xiaomi-mipush"),
    # vendor companion packages outside the main prefix
    ("cn.jiguang.api.JCoreManager", "jiguang-jcore"),
    ("com.uyumao.a", "umeng-analytics"),
    ("com.efs.sdk.base.EfsReporter", "umeng-apm"),
    ("com.ksad.download.DownloadReceiver", "kuaishou-ads"),
    ("com.tencent.mid.api.MidService", "tencent-mta"),
    # nested SDKs, each its own entry
    ("com.cmic.sso.sdk.auth.AuthnHelper", "cmcc-auth"),
    ("com.cmic.gen.sdk.auth.GenAuthnHelper", "cmcc-auth"),
    ("com.unicom.xiaowo.login.UniAuthHelper", "cucc-auth"),
    ("com.unicom.xiaowo.account.shield.UniAccountHelper", "cucc-auth"),
    ("com.sdk.base.module.manager.SDKManager", "cucc-auth"),
    ("cn.com.chinatelecom.account.api.CtAuth", "ctcc-auth"),
    ("cn.jiguang.verifysdk.api.JVerificationInterface", "jiguang-jverification"),
    ("com.umeng.umverify.UMVerifyHelper", "umeng-verify"),
    ("com.mobile.auth.gatewayauth.PhoneNumberAuthHelper", "alibaba-number-auth"),
    ("com.netease.nis.quicklogin.QuickLogin", "netease-quicklogin"),
    ("com.netease.nis.captcha.Captcha", "netease-yidun"),
    ("com.geetest.onelogin.OneLoginHelper", "geetest-onelogin"),
    ("com.geetest.captcha.GTCaptcha4Client", "geetest"),
    ("com.tencent.turingfd.sdk.ams.ad.a", "tencent-turingfd"),
    ("com.bytedance.mobsec.metasec.ml.MSManager", "bytedance-metasec"),
    ("com.kuaishou.weapon.p0.t", "kuaishou-weapon"),
])
def test_package_generations_and_nested_sdks(kb: KnowledgeBase, cls: str, sdk_id: str) -> None:
    hit = kb.sdk_for_class(cls)
    assert hit is not None and hit.id == sdk_id, (cls, hit and hit.id)


def test_overbroad_roots_stay_unclaimed(kb: KnowledgeBase) -> None:
    for cls in ("com.sdk.Foo", "com.sdk.util.Helper", "com.unicom.Other", "com.alipay.Other",
                "com.google.firebase.firestore.FirebaseFirestore", "com.facebook.react.ReactActivity"):
        assert kb.sdk_for_class(cls) is None, cls


def test_sdk_references_resolve(kb: KnowledgeBase) -> None:
    for sdk in kb.sdks:
        assert set(sdk.categories) <= set(kb.sdk_categories), sdk.id
        assert set(sdk.pi_collected) <= set(kb.pi_categories), sdk.id


def test_all_dangerous_permissions(kb: KnowledgeBase) -> None:
    for short in DANGEROUS_API35:
        name = f"android.permission.{short}"
        info = kb.permission(name) or kb.permission(f"com.android.voicemail.permission.{short}")
        assert info is not None, name
        assert info.dangerous, name
        assert info.sensitive in SENSITIVITIES
    assert kb.permission("com.android.voicemail.permission.ADD_VOICEMAIL").dangerous
    assert sum(p.dangerous for p in kb.permissions.values()) >= len(DANGEROUS_API35) + 1


def test_permission_fields(kb: KnowledgeBase) -> None:
    fine = kb.permission("android.permission.ACCESS_FINE_LOCATION")
    assert fine and (fine.pi_category, fine.sensitive, fine.rule) == ("location.precise", "yes", None)
    bg = kb.permission("android.permission.ACCESS_BACKGROUND_LOCATION")
    assert bg is not None and bg.rule == "permission.background_location"
    qap = kb.permission("android.permission.QUERY_ALL_PACKAGES")
    assert qap is not None and not qap.dangerous and qap.pi_category == "installed_apps"
    priv = kb.permission("android.permission.READ_PRIVILEGED_PHONE_STATE")
    assert priv is not None and priv.privileged
    assert not kb.permission("android.permission.PACKAGE_USAGE_STATS").privileged  # type: ignore[union-attr]
    assert kb.permission("android.permission.NOT_A_PERMISSION") is None


def test_app_specific_vendor_permissions(kb: KnowledgeBase) -> None:
    mipush = kb.permission("com.example.shop.permission.MIPUSH_RECEIVE")
    assert mipush is not None and mipush.pi_category == "push"
    getui = kb.permission("getui.permission.GetuiService.com.example.shop")
    assert getui is not None and getui.pi_category == "push"


def test_api_counts_and_forms(kb: KnowledgeBase) -> None:
    assert len(kb.apis) >= 90
    assert sum(len(a.refs) for a in kb.apis) >= 250
    method = re.compile(r"^L[^;]+;->[^(]+\(.*\).+$")
    field = re.compile(r"^L[^;]+;->[^:(]+:.+$")
    for api in kb.apis:
        assert all(method.match(m) for m in api.methods), api.id
        assert all(field.match(f) for f in api.fields), api.id
        assert api.category in kb.pi_categories
    assert len(kb.constants) >= 40


def test_required_permissions_with_levels(kb: KnowledgeBase) -> None:
    imei = next(a for a in kb.apis if a.id == "telephony.get_device_id")
    assert "Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;" in imei.methods
    rps = next(p for p in imei.permissions if p.name == "android.permission.READ_PHONE_STATE")
    assert rps.applies(28) and not rps.applies(29)


def _api(kb: KnowledgeBase, ident: str):  # noqa: ANN202
    return next(a for a in kb.apis if a.id == ident)


def _decides(api: ApiSignature, arg: str | int) -> set[str]:
    """The categories a resolved argument decides: every matching rule counts, as in the API-call detector."""
    return {r.category for r in api.argument_rules if r.matches(arg)}


def test_argument_dependent_categories(kb: KnowledgeBase) -> None:
    settings = _api(kb, "settings.secure_get_string")
    assert settings.argument_rules
    assert _decides(settings, "android_id") == {"device_id.android_id"}
    assert _decides(settings, "bluetooth_address") == {"device_id.mac"}
    assert not _decides(settings, "font_scale")
    query = _api(kb, "content.query")
    contacts_uri = "Landroid/provider/ContactsContract$Contacts;->CONTENT_URI:Landroid/net/Uri;"
    assert _decides(query, contacts_uri) == {"contacts"}
    assert _decides(query, "content://sms/inbox") == {"sms"}
    assert _decides(query, "content://call_log/calls") == {"call_log"}
    contacts_rule = next(r for r in query.argument_rules if r.category == "contacts")
    assert contacts_rule.permissions == ("android.permission.READ_CONTACTS",)
    last = _api(kb, "location.last_known")
    assert _decides(last, "gps") == {"location.precise"}
    assert _decides(last, "network") == {"location.coarse"}
    listen = _api(kb, "telephony.listen")
    assert _decides(listen, 16 | 256) == {"location.cell"}
    assert _decides(listen, 32) == {"call_state"}
    assert not _decides(listen, "32")
    sensors = _api(kb, "sensors.register")
    assert _decides(sensors, 21) == {"body_sensors"}
    assert _decides(sensors, 1) == {"sensors"}
    shell = _api(kb, "exec.runtime")
    assert _decides(shell, "sh -c pm list packages -3") == {"installed_apps"}


def test_39_app_categories(kb: KnowledgeBase) -> None:
    assert len(kb.categories) == 39
    assert sorted(c.npi for c in kb.categories.values()) == [f"NPI2021-{n:02d}" for n in range(1, 40)]
    none = [c for c in kb.categories.values() if c.needs_no_pi]
    assert len(none) == 13
    short = kb.app_type("short_video")
    assert short.needs_no_pi and kb.app_type("NPI2021-29") is short
    maps = kb.app_type("map_navigation")
    assert "android.permission.ACCESS_FINE_LOCATION" in maps.necessary_permissions
    assert "location.precise" in maps.necessary_api_categories
    im = kb.app_type("instant_messaging")
    assert "android.permission.READ_CONTACTS" not in im.necessary_permissions
    with pytest.raises(KeyError):
        kb.app_type("no_such_type")


def test_rules_catalog(kb: KnowledgeBase) -> None:
    expected = {
        "sdk.embedded", "sdk.tracker", "sdk.reads_pi", "permission.dangerous", "permission.beyond_necessary",
        "permission.possibly_excessive", "permission.query_all_packages", "api.missing_permission",
        "consent.pi_before_consent", "code.hidden_access", "network.cleartext_traffic", "manifest.debuggable",
        "manifest.allow_backup", "manifest.exported_component", "manifest.self_start", "packer.detected",
        "category.beyond_necessary", "pi.location", "pi.device_id", "pi.installed_apps",
    }
    assert expected <= set(kb.rules)
    for rule in kb.rules.values():
        assert isinstance(rule.severity, Severity)
        assert re.fullmatch(r"[a-z]+\.[a-z_]+", rule.id)
        assert rule.title and len(rule.explanation) > 30
    assert kb.rule("packer.detected").severity is Severity.MEDIUM
    with pytest.raises(KeyError):
        kb.rule("no.such_rule")


def test_pi_categories_point_to_rules(kb: KnowledgeBase) -> None:
    for pi in kb.pi_categories.values():
        assert pi.rule is None or pi.rule in kb.rules
    assert kb.pi_categories["device_id.imei"].rule == "pi.device_id"


def test_packers(kb: KnowledgeBase) -> None:
    ids = {p.id for p in kb.packers}
    assert {"qihoo-jiagu", "bangcle", "tencent-legu", "ijiami", "baidu-protect", "alibaba-protect",
            "netease-yidun", "dexprotector"} <= ids
    jiagu = next(p for p in kb.packers if p.id == "qihoo-jiagu")
    assert "com.stub.StubApp" in jiagu.classes and "libjiagu.so" in jiagu.libraries
