"""Import the marker rules of LibChecker-Rules into ``data/libchecker.toml`` (a maintainer tool).

    python -m signatures.libchecker RULES.json     # rewrites signatures/data/libchecker.toml

RULES.json is the LibChecker-Rules data set flattened to ``{"rules": [{kind, name, label, team,
regex?}, ...]}``. The curated part is here, reviewed in diffs: which labels identify an SDK that
matters for a privacy audit and which SDK id of ``sdks.toml`` / ``trackers.toml`` each one means.
The output is committed data; the loader folds each group into the entry it names.

What is imported (``LABELS``): SDKs that send data about the user or the device to their vendor
or identify them (analytics and attribution, ads, push, login / share / payment into another app
or account, maps, crash and performance reporting, risk control and device fingerprints, face and
ID verification, OAID, IM and customer service, RTC and cloud speech, in-app update, HTTPDNS and
PCDN), and hot-fix or plugin frameworks, which load code a static scan cannot see. A rule of a
non-Chinese SDK is imported only when the knowledge base already has an entry for it.
What is skipped: libraries that only run on the device (Jetpack, Kotlin, OkHttp, Glide, codecs,
image and ML runtimes, crypto, hooking and UI libraries, local crash catchers), app frameworks and
engines (Flutter, React Native, Unity, Xamarin, Qt, Weex, quick apps, mini-program containers),
packers (``packers.toml`` covers them), file and class names too generic to attribute, rule-set
placeholders (``regex_...``), regular expressions that are not a plain ``prefix(.*)suffix``, and
package roots that would swallow unrelated libraries.

A manifest component belongs to the entry whose package prefix holds it, whatever LibChecker's
label says (several labels list other vendors' bridge components); only names outside every
known prefix are attributed by label.
"""

from __future__ import annotations

import json
import re
import sys
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMMIT = "3ec8753"
SOURCE = f"github:LibChecker/LibChecker-Rules@{COMMIT} (Apache-2.0; see NOTICE)"
DATA = Path(__file__).parent / "data"

# LibChecker label -> SDK id. Every label not listed here is out of scope (see the module text).
LABELS: Mapping[str, str] = {
    # Chinese SDKs
    " 人脸核身 SDK": "tencent-faceid", "AndFix": "alibaba-andfix", "AnyChat": "anychat",
    "APMInsight / 应用性能监控全链路版": "volcengine-apminsight", "Agora RTC SDK": "agora-rtc",
    "HMS Core": "huawei-hms-base",
    "AppGallery Connect": "huawei-mobile-services-hms-core", "AppGallery Connect APM": "huawei-agc-apm",
    "Bilibili Oauth SDK": "bilibili-oauth", "Bmob 后端云": "bmob", "Bugly": "tencent-bugly", "Crasheye": "crasheye",
    "DataFinder": "bytedance-applog", "GME": "tencent-gme", "GMP Push SDK": "bytedance-push",
    "HMS Analytics Kit": "huawei-hianalytics", "HMS Core AAID": "huawei-push",
    "HMS Health Kit": "huawei-health", "HMS Update": "huawei-update", "HUAWEI Ads Kit": "huawei-ads",
    "HUAWEI Push": "huawei-push", "HUAWEI Push(Aliyun Proxy)": "alibaba-accs", "Huawei Ads SDK": "huawei-ads",
    "Huawei DTM": "huawei-dtm", "Huawei Push": "huawei-push", "JAd SDK": "jiguang-jad",
    "Kwai Ad SDK": "kuaishou-ads", "MSA SDK": "msa-oaid", "MSDK / MobileGame Software Development Kit": "tencent-msdk",
    "Meizu Push": "meizu-push", "MiPush": "xiaomi-mipush", "Mira": "bytedance-mira", "Mtop SDK": "alibaba-mtop",
    "Nebula SDK": "alibaba-mpaas", "Neptune": "iqiyi-neptune", "OPPO Push": "oppo-push", "PCDN SDK": "alibaba-pcdn",
    "Pangle SDK": "pangle", "Ping++ SDK": "pingpp", "Qigsaw": "iqiyi-qigsaw", "Qimei SDK": "tencent-beacon",
    "RePlugin": "qihoo-replugin", "ShareSDK": "mobtech", "Sofire": "baidu-sofire", "TBS": "tencent-x5",
    "TanX": "alibaba-tanx", "TapTap 开发者服务": "taptap-sdk", "Tinker": "tencent-tinker",
    "U-Share 社会化分享": "umeng-share", "UTDID": "alibaba-utdid", "VirtualAPK": "didi-virtualapk",
    "VirtualApp": "virtualapp", "mPaaS": "alibaba-mpaas", "mPaaS 扫一扫": "alibaba-mpaas",
    "mPaaS 社交分享": "alibaba-mpaas", "nubia Push": "nubia-push", "vivo Push": "vivo-push",
    "vivo Push(Aliyun Proxy)": "alibaba-accs", "vivo 网游联运 SDK": "vivo-game-sdk",
    "一键登录和本机号码校验": "alibaba-number-auth", "七鱼 SDK": "netease-qiyu", "个推": "getui-push",
    "中国无线营销联盟通用 SDK": "mma-china-sdk", "乐播 SDK": "hpplay-lelink", "信鸽推送": "tencent-tpns",
    "即构极速视频 SDK": "zego-express", "友盟推送": "umeng-push", "号码认证服务": "alibaba-number-auth",
    "同盾设备指纹": "tongdun", "实人认证 SDK": "alibaba-realidentity", "实时音视频": "volcengine-rtc",
    "小爱 SDK": "xiaomi-xiaoai", "小米广告 SDK": "xiaomi-ads", "小米应用检查更新 SDK": "xiaomi-market-update",
    "小米更新 SDK": "xiaomi-market-update", "小米游戏 SDK": "xiaomi-game-sdk", "小米账号开放平台": "xiaomi-account",
    "小红书分享 SDK": "xiaohongshu-share", "岳鹰全景监控": "uc-crash-sdk", "开普勒 SDK": "jd-kepler",
    "微博 SDK": "weibo-sdk", "快手广告 SDK": "kuaishou-ads", "快手开放平台": "kuaishou-opensdk",
    "思必驰": "aispeech", "vad": "aispeech", "手游安全 SDK": "tencent-ace", "腾讯云手游安全": "tencent-ace",
    "抖音 SDK": "douyin-opensdk", "招商银行 SDK": "cmb-sdk", "支付宝 SDK": "alipay-sdk",
    "数字联盟可信 ID SDK": "shuzilm-trustedid", "数美 SDK": "shumei-smantifraud", "日志服务  SLS": "aliyun-sls",
    "旷视 SDK": "megvii-faceid", "星火认知大模型": "iflytek-msc", "讯飞 SDK": "iflytek-msc", "AIUI": "iflytek-msc",
    "离线语音合成": "iflytek-msc", "智齿客服 SDK": "sobot", "极光推送": "jiguang-jpush", "极光联盟": "jiguang-jad",
    "极光认证 SDK": "jiguang-jverification", "游密": "youme-voice", "游戏语音 GVoice": "tencent-gvoice",
    "环信 IM": "easemob", "百川 SDK": "alibaba-baichuan", "百川电商 SDK - 唤醒手淘": "alibaba-baichuan",
    "百川电商 SDK - 授权": "alibaba-baichuan", "百度 LBS": "baidu-map-location", "百度云推送": "baidu-push",
    "百度人脸识别": "baidu-face", "百度地图 SDK": "baidu-map-location", "神策分析 SDK": "sensors-analytics",
    "离线语音合成 SDK": "baidu-speech", "语音识别 SDK": "baidu-speech", "移动号码认证": "cmcc-auth",
    "移动应用推广 SDK": "baidu-mobads", "移动统计分析": "umeng-analytics", "米大师": "tencent-midas",
    "网易云信": "netease-yunxin", "网易云捕": "netease-bugrpt", "网易云通信 SDK": "netease-yunxin",
    "网易易盾": "netease-yidun", "网易易盾智能反外挂": "netease-yidun", "美洽客服 SDK": "meiqia", "翼支付": "bestpay",
    "腾讯云 HTTPDNS": "tencent-httpdns", "腾讯云实时音视频": "tencent-trtc", "腾讯云实时音视频 SDK": "tencent-trtc",
    "腾讯云直播 SDK": "tencent-trtc", "腾讯云短视频 SDK": "tencent-trtc", "腾讯云通信 SDK": "tencent-im",
    "腾讯优图 SDK": "tencent-youtu", "腾讯地图 SDK": "tencent-location", "腾讯客户端性能分析": "tencent-qapm",
    "腾讯广告 SDK": "tencent-gdt", "腾讯开放平台": "tencent-qq-connect", "腾讯流量联盟": "tencent-beacon",
    "腾讯浏览服务（TBS）": "tencent-x5", "腾讯游戏 MSDK": "tencent-msdk", "腾讯灯塔 SDK": "tencent-beacon",
    "腾讯移动分析": "tencent-mta", "腾讯移动推送": "tencent-tpns", "防水墙": "tencent-captcha",
    "荣耀推送服务": "honor-push", "融云 IM SDK": "rongcloud", "金融级实人认证 SDK": "alibaba-zoloz-face",
    "银联 SDK": "unionpay-sdk", "闪验 SDK": "chuanglan-shanyan", "阿里云号码认证 SDK": "alibaba-number-auth",
    "阿里云游戏盾": "aliyun-game-shield", "阿里移动推送": "alibaba-accs", "阿里移动热修复": "alibaba-sophix",
    "阿里聚安全": "alibaba-security-guard", "顶象无感验证 SDK": "dingxiang-risk", "高德 SDK": "amap",
    "高德地图 SDK": "amap", "eID SDK": "eid-sdk", "华为帐号服务": "huawei-account",
    # SDKs of other countries that already have an entry
    "ACRA": "acra", "AdColony": "adcolony", "AppLovin": "applovin-max-and-sparklabs",
    "Android Beacon Library": "altbeacon", "Audience Network": "facebook-ads", "Audience Network SDK": "facebook-ads",
    "Bugsnag": "bugsnag", "Crashlytics": "google-crashlytics", "Facebook SDK": "facebook-analytics",
    "Firebase": "google-firebase-messaging", "Firebase Analytics": "google-firebase-analytics",
    "Firebase Cloud Messaging": "google-firebase-messaging", "Flipper": "facebook-flipper",
    "Google AdMob": "google-admob", "Google Analytics": "google-analytics", "Instabug": "instabug",
    "IronSource": "ironsource", "Mapbox Maps SDK": "mapbox", "Sentry": "sentry", "Unity Ads": "unity3d-ads",
}

# Labels skipped as packers: packers.toml describes them (counted apart from the rest).
PACKERS = frozenset({"360 加固", "梆梆安全", "爱加密", "百度应用加固", "腾讯乐固", "腾讯御安全"})

# Per-name decisions that override the label: "" skips a name too generic to attribute (it would
# match unrelated apps) or that LibChecker files under a label it does not belong to; an id sends
# the name to that entry.
NAMES: Mapping[str, str] = {
    # generic file names
    "libmp3decoder.so": "", "libaudio_preprocessing.so": "", "libmediacore.so": "", "libmediashow.so": "",
    "libmediautil_v6.so": "", "libmediautil_v7.so": "", "libmediautil_v8.so": "", "libed25519.so": "",
    "libconnectionbase.so": "", "libsecsdk.so": "", "libsecuritydevice.so": "", "libwtecdh.so": "",
    "libhttpdns.so": "", "libsaturn.so": "", "liblbs.so": "", "libvad.so": "", "libutility.so": "",
    "libwind.so": "", "libfire.so": "", "libhs.so": "", "libnms.so": "", "libcipherdb.so": "",
    "libvideo_dec.so": "", "libvideo_enc.so": "", "libvideoeffect.so": "", "libhigh-available.so": "",
    "liblivestreaming.so": "", "libRtsSDK.so": "", "libbucket2-new.so": "", "libqmp.so": "", "libgtcore.so": "",
    "libwtcrypto.so": "", "libsigner.so": "", "libfb.so": "", "libfbjni.so": "",
    # Firebase infrastructure shared by every Firebase SDK
    "com.google.firebase.provider.FirebaseInitProvider": "",
    "com.google.firebase.components.ComponentDiscoveryService": "",
    "com.google.firebase.sessions.SessionLifecycleService": "",
    "com.google.android.datatransport.runtime.scheduling.jobscheduling.AlarmManagerSchedulerBroadcastReceiver": "",
    "com.google.android.datatransport.runtime.backends.TransportBackendDiscovery": "",
    "com.google.android.datatransport.runtime.scheduling.jobscheduling.JobInfoSchedulerService": "",
    # other vendors' bridge components filed under a push aggregator's label
    "com.huawei.MessageService": "", "com.meizu.message.MzMessageReceiver": "", "com.umeng.UmengMessageHandler": "",
    "com.vivo.VivoPushMessageReceiver": "",
    # Kuaishou's own app packages filed under Pangle
    "com.yxcorp.gifshow.ad(.*)": "", "com.yxcorp.map.advertisement.(.*)": "",
    # names that belong to a nested or sibling entry
    "libCtaApiLib.so": "ctcc-auth", "libmetasec_ml.so": "bytedance-metasec", "libjcore(.*)\\.so": "jiguang-jcore",
    "libsecurityenv.so": "", "libBeacon.so": "tencent-beacon",
    "com.market.sdk.DownloadCompleteReceiver": "xiaomi-market-update",
    "libMegviiDlmk.so": "", "libMGBeauty.so": "",
}

# Package roots a dex rule may not claim (the loader's umbrella list has the rest).
BROAD = frozenset({"com.alipay", "com.google.firebase", "com.google.android.gms", "com.microsoft.appcenter"})

_REGEX_LIB = re.compile(r"^(?:[\w+-]|\\?\.)*$")  # letters, digits, "_+-" and (escaped) dots
_COMPONENT_PREFIX = re.compile(r"^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+)\.\(\.\*\)$")
_CLASS_STEM = re.compile(r"^([A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+)\(\.\*\)$")  # pkg.ClassPrefix(.*)


@dataclass
class Import:
    """What the import made of the rules: marker groups by SDK id and the reason for every rule."""

    groups: dict[str, dict[str, list[str]]] = field(default_factory=lambda: defaultdict(
        lambda: {"labels": [], "prefixes": [], "components": [], "libraries": []}))
    outcome: Counter[str] = field(default_factory=Counter)


def glob_of(pattern: str) -> str | None:
    """``libjcore(.*)\\.so`` -> ``libjcore*.so``; None when the regex is more than a wildcard."""
    parts = pattern.split("(.*)")
    if len(parts) < 2 or not all(_REGEX_LIB.match(p) or p == "" for p in parts):
        return None
    return "*".join(p.replace("\\.", ".") for p in parts)


def known_entries(data: Path = DATA) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """SDK entries of sdks.toml and trackers.toml by id (ours win) and the owner of every prefix."""
    entries: dict[str, dict[str, Any]] = {}
    owners: dict[str, str] = {}
    for name in ("trackers.toml", "sdks.toml"):  # ours last: they replace Exodus entries and prefixes
        doc = tomllib.loads((data / name).read_text(encoding="utf-8"))
        for entry in doc.get("sdk", []):
            entries[entry["id"]] = entry
            for prefix in entry.get("prefixes", []):
                owners[prefix] = entry["id"]
    return entries, owners


def owner_of(name: str, owners: Mapping[str, str]) -> str | None:
    """The SDK whose prefix holds a dotted class name (the class itself, then each package)."""
    while name:
        if name in owners:
            return owners[name]
        name = name.rpartition(".")[0]
    return None


def _value(rule: Mapping[str, Any], umbrella: frozenset[str]) -> tuple[str, str] | str:
    """(marker kind, value) for one rule, or the reason it is skipped."""
    kind, name, regex = rule["kind"], rule["name"], bool(rule.get("regex"))
    if name.startswith("regex_"):
        return "skipped: rule-set placeholder (regex_...)"
    if kind == "static_library":
        return "skipped: static library"
    if kind == "native_library":
        glob = glob_of(name) if regex else name
        return ("libraries", glob) if glob else "skipped: regex not reducible to a glob"
    if kind == "dex_package" or (regex and _COMPONENT_PREFIX.match(name)):
        prefix = name.removesuffix(".(.*)") if regex else name
        if prefix in umbrella or "." not in prefix or not re.fullmatch(r"[\w.$]+", prefix):
            return "skipped: package root too broad"
        return "prefixes", prefix
    stem = _CLASS_STEM.match(name) if regex else None
    if stem:  # numbered stub classes: mapped when the entry's prefixes already hold them
        return "stem", stem.group(1)
    if regex:
        return "skipped: regex not reducible to a glob"
    return "components", name


def _target(rule: Mapping[str, Any], entries: Mapping[str, Any]) -> str:
    """The SDK id a rule maps to by its label or name, or the reason it is skipped."""
    label, name = rule["label"], rule["name"]
    if label in PACKERS:
        return "skipped: packer (packers.toml)"
    sdk = NAMES.get(name, LABELS.get(label))
    if sdk is None:
        return "skipped: not privacy-relevant (dev library, framework, engine)"
    if sdk == "":
        return "skipped: generic or misfiled name"
    if sdk not in entries:
        raise ValueError(f"LABELS/NAMES name an unknown SDK id {sdk!r} (label {label!r})")
    return "=" + sdk


def run(rules: Iterable[Mapping[str, Any]], data: Path = DATA) -> Import:
    """Map every rule to an SDK entry or a reason to skip it; group the markers by SDK id."""
    entries, owners = known_entries(data)
    claimed = dict(owners)  # prefixes the data files claim, before this import adds any
    umbrella = frozenset(tomllib.loads((data / "meta.toml").read_text(encoding="utf-8"))
                         ["validation"]["umbrella_prefixes"]) | BROAD
    result = Import()
    pending: list[tuple[str, str, str, str]] = []  # (sdk, marker kind, value, label)
    for rule in rules:
        target = _target(rule, entries)
        value = _value(rule, umbrella) if target.startswith("=") else target
        if isinstance(value, str):
            result.outcome[value] += 1
            continue
        sdk, (key, marker) = target[1:], value
        if key == "prefixes":
            owners.setdefault(marker, sdk)
        pending.append((sdk, key, marker, rule["label"]))
    for sdk, key, marker, label in pending:
        _add(result, entries, owners, claimed, sdk, key, marker, label)
    return result


def _add(result: Import, entries: Mapping[str, Mapping[str, Any]], owners: Mapping[str, str],
         claimed: Mapping[str, str], sdk: str, key: str, marker: str, label: str) -> None:
    if key == "components":  # the package decides; the label only where no prefix holds the class
        sdk = owner_of(marker, owners) or sdk
    elif key == "prefixes" and marker in claimed:  # a prefix an entry already claims stays with it
        sdk = claimed[marker]
    elif owner_of(marker.rpartition(".")[0], owners) == sdk:
        result.outcome["mapped: covered by the entry's prefixes"] += 1
        return
    elif key == "stem":
        result.outcome["skipped: regex not reducible to a glob"] += 1
        return
    if marker in entries[sdk].get(key, []) or (sdk in result.groups and marker in result.groups[sdk][key]):
        result.outcome["mapped: already in the entry"] += 1
        return
    group = result.groups[sdk]
    group[key].append(marker)
    if label not in group["labels"]:
        group["labels"].append(label)
    result.outcome["imported"] += 1


def _toml_list(key: str, values: list[str]) -> str:
    quoted = [json.dumps(v, ensure_ascii=False) for v in sorted(values)]
    line = f"{key} = [{', '.join(quoted)}]"
    if len(line) <= 110:
        return line
    return f"{key} = [\n" + "".join(f"  {q},\n" for q in quoted) + "]"


def render(result: Import, total: int) -> str:
    counts = "\n".join(f"#   {n:5}  {reason}" for reason, n in sorted(result.outcome.items()))
    lines = [
        "# Marker rules imported from LibChecker-Rules (see NOTICE: Apache License 2.0, commit "
        f"{COMMIT}).",
        "# Written by `python -m signatures.libchecker RULES.json`; edit LABELS / NAMES in",
        "# signatures/libchecker.py, not this file. Each group adds package prefixes, manifest",
        "# component names and native library names (fnmatch globs where LibChecker has a simple",
        "# regex) to the SDK entry of that id in sdks.toml or trackers.toml, and the data set to",
        "# its source. `labels` are LibChecker's names for the SDK, kept for reviewers.",
        "# Criterion: SDKs that send data about the user or device to a vendor or identify them,",
        "# and hot-fix / plugin frameworks; dev libraries, frameworks, engines and packers are",
        "# skipped (module text of signatures/libchecker.py).",
        f"# {total} rules:",
        counts,
        "",
        f"source = {json.dumps(SOURCE)}",
    ]
    for sdk in sorted(result.groups):
        group = result.groups[sdk]
        lines += ["", "[[markers]]", f"sdk = {json.dumps(sdk)}",
                  _toml_list("labels", group["labels"])]
        lines += [_toml_list(key, group[key]) for key in ("prefixes", "components", "libraries") if group[key]]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    """``python -m signatures.libchecker RULES.json``: rewrite data/libchecker.toml."""
    if len(argv) != 1:
        return 2
    rules = json.loads(Path(argv[0]).read_text(encoding="utf-8"))["rules"]
    (DATA / "libchecker.toml").write_text(render(run(rules), len(rules)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
