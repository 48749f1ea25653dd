#!/usr/bin/env python3
"""Build (and cache) a large synthetic multi-dex APK for benchmarking appaudit's scanners.

Smali is generated from a seed and assembled by the real toolchain (smali, aapt, zipalign, apksigner), so the
dex files carry the instruction-format mix, pools and layout a scanner meets in real apps. The sensitive call
sites planted in the code are written next to the APK as ground truth, so a benchmark can measure recall.
Usage: .venv/bin/python bench/make_big_apk.py [--out bench/cache/big.apk] [--dex-files 6] [--methods 120000]
"""
from __future__ import annotations

import argparse
import concurrent.futures as cf
import hashlib
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

FRAMEWORK_RES = "/usr/share/android-framework-res/framework-res.apk"
SENSITIVE_RATE = 0.025  # share of method bodies given a sensitive call site: "a few thousand" at 120k methods
MAX_REFS = 65536  # per-dex limit of method (and field) references
# package root -> (weight in classes.dex, weight in the other dex files, ProGuard-style member names?)
ROOTS = {"com/example/bigapp": (8, 2, False), "com/umeng/analytics": (1, 2, True),
         "cn/jpush/android": (1, 2, True), "com/tencent/bugly": (1, 2, True),
         "com/bytedance/sdk/openadsdk": (1, 3, True), "com/qq/e/comm": (1, 2, True),
         "com/google/firebase/analytics": (1, 2, True), "com/facebook/appevents": (1, 2, False)}
SUBPKGS = ["core", "net", "util", "data", "ui", "internal", "model", "report", "config", "a", "b", "c", "d"]
WORDS = ["load", "init", "fetch", "parse", "update", "report", "track", "build", "sync", "check", "send"]
NOUNS = ["Config", "Event", "Session", "User", "Device", "Cache", "Request", "Token", "Ad", "Log", "Task"]
URLS = ["https://alog.umeng.com/app_logs", "https://ulogs.umeng.com/unify_logs",
        "https://tsis.jpush.cn/v1/report",
        "https://stats.jpush.cn/v3/report", "https://android.bugly.qq.com/rqd/async",
        "https://is.snssdk.com/api/ad/union/sdk/get_ads/", "https://mi.gdt.qq.com/gdt_mview.fcg",
        "https://api-access.pangolin-sdk.com/api/ad/union/sdk/settings/", "https://app-measurement.com/a",
        "https://graph.facebook.com/v12.0/activities",
        "https://firebaseinstallations.googleapis.com/v1/projects",
        "https://api.example.com/v1/user/profile"]
FIXED_STRINGS = ["imei", "mac", "device_id", "oaid", "android_id", "%s=%d", "utf-8", "application/json",
                 "用户协议", "line1\nline2", 'say "hi"', "C:\\tmp", "\u00e9t\u00e9 \u2603"]
SIGS = ["()V", "(I)I", "(II)I", "()Ljava/lang/String;", "(Ljava/lang/String;)Ljava/lang/String;",
        "(Ljava/lang/String;I)Z", "(J)J", "(Ljava/lang/Object;)V"]
RANGE_SIG = "(IIIIII)I"  # static-only target of invoke-static/range (format 3rc)
IFACE_SIGS = ["(I)V", "()Ljava/lang/String;"]
# One line per API: [static|field] descriptor [string arguments separated by |]. Real framework descriptors.
SENSITIVE_SPEC = """
Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;
Landroid/telephony/TelephonyManager;->getDeviceId(I)Ljava/lang/String;
Landroid/telephony/TelephonyManager;->getSubscriberId()Ljava/lang/String;
Landroid/telephony/TelephonyManager;->getImei()Ljava/lang/String;
Landroid/telephony/TelephonyManager;->getMeid()Ljava/lang/String;
Landroid/telephony/TelephonyManager;->getSimSerialNumber()Ljava/lang/String;
Landroid/telephony/TelephonyManager;->getLine1Number()Ljava/lang/String;
Landroid/telephony/TelephonyManager;->getNetworkOperatorName()Ljava/lang/String;
Landroid/telephony/TelephonyManager;->getSimOperator()Ljava/lang/String;
Landroid/telephony/TelephonyManager;->getCellLocation()Landroid/telephony/CellLocation;
Landroid/telephony/TelephonyManager;->getAllCellInfo()Ljava/util/List;
Landroid/net/wifi/WifiInfo;->getMacAddress()Ljava/lang/String;
Landroid/net/wifi/WifiInfo;->getBSSID()Ljava/lang/String;
Landroid/net/wifi/WifiInfo;->getSSID()Ljava/lang/String;
Landroid/net/wifi/WifiManager;->getConnectionInfo()Landroid/net/wifi/WifiInfo;
Landroid/net/wifi/WifiManager;->getScanResults()Ljava/util/List;
Landroid/net/wifi/WifiManager;->getConfiguredNetworks()Ljava/util/List;
static Landroid/bluetooth/BluetoothAdapter;->getDefaultAdapter()Landroid/bluetooth/BluetoothAdapter;
Landroid/bluetooth/BluetoothAdapter;->getAddress()Ljava/lang/String;
Landroid/bluetooth/BluetoothAdapter;->getBondedDevices()Ljava/util/Set;
Landroid/content/pm/PackageManager;->getInstalledPackages(I)Ljava/util/List;
Landroid/content/pm/PackageManager;->getInstalledApplications(I)Ljava/util/List;
Landroid/content/pm/PackageManager;->queryIntentActivities(Landroid/content/Intent;I)Ljava/util/List;
static Landroid/provider/Settings$Secure;->getString(Landroid/content/ContentResolver;Ljava/lang/String;)Ljava/lang/String; android_id
Landroid/location/LocationManager;->getLastKnownLocation(Ljava/lang/String;)Landroid/location/Location; gps
Landroid/location/LocationManager;->requestLocationUpdates(Ljava/lang/String;JFLandroid/location/LocationListener;)V network
Landroid/location/LocationManager;->getProviders(Z)Ljava/util/List;
Landroid/location/Location;->getLatitude()D
Landroid/location/Location;->getLongitude()D
Landroid/content/ClipboardManager;->getPrimaryClip()Landroid/content/ClipData;
Landroid/content/ClipboardManager;->getText()Ljava/lang/CharSequence;
Landroid/content/ClipboardManager;->hasPrimaryClip()Z
Landroid/content/ContentResolver;->query(Landroid/net/Uri;[Ljava/lang/String;Ljava/lang/String;[Ljava/lang/String;Ljava/lang/String;)Landroid/database/Cursor;
Landroid/accounts/AccountManager;->getAccounts()[Landroid/accounts/Account;
Landroid/accounts/AccountManager;->getAccountsByType(Ljava/lang/String;)[Landroid/accounts/Account; com.google
Landroid/app/ActivityManager;->getRunningAppProcesses()Ljava/util/List;
Landroid/app/ActivityManager;->getRunningTasks(I)Ljava/util/List;
Landroid/app/usage/UsageStatsManager;->queryUsageStats(IJJ)Ljava/util/List;
static Landroid/hardware/Camera;->open()Landroid/hardware/Camera;
Landroid/media/MediaRecorder;->setAudioSource(I)V
static Landroid/telephony/SmsManager;->getDefault()Landroid/telephony/SmsManager;
Landroid/telephony/SmsManager;->sendTextMessage(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Landroid/app/PendingIntent;Landroid/app/PendingIntent;)V 10086|bind
static Landroid/os/Build;->getSerial()Ljava/lang/String;
Landroid/hardware/SensorManager;->getDefaultSensor(I)Landroid/hardware/Sensor;
static Landroid/os/Environment;->getExternalStorageDirectory()Ljava/io/File;
Ljava/net/NetworkInterface;->getHardwareAddress()[B
Ljava/lang/Runtime;->exec(Ljava/lang/String;)Ljava/lang/Process; cat /proc/cpuinfo
field Landroid/os/Build;->SERIAL:Ljava/lang/String;
field Landroid/provider/ContactsContract$Contacts;->CONTENT_URI:Landroid/net/Uri;
field Landroid/provider/ContactsContract$CommonDataKinds$Phone;->CONTENT_URI:Landroid/net/Uri;
field Landroid/provider/CallLog$Calls;->CONTENT_URI:Landroid/net/Uri;
field Landroid/provider/Telephony$Sms;->CONTENT_URI:Landroid/net/Uri;
field Landroid/provider/CalendarContract$Events;->CONTENT_URI:Landroid/net/Uri;
field Landroid/provider/MediaStore$Images$Media;->EXTERNAL_CONTENT_URI:Landroid/net/Uri;
"""  # noqa: E501
SENSITIVE = [ln.split(" ", 2) if ln.split(" ")[0] in ("static", "field") else ["virtual", *ln.split(" ", 1)]
             for ln in SENSITIVE_SPEC.strip().splitlines()]  # [kind, descriptor, string hints?]
SENSITIVE_SET = {s[1] for s in SENSITIVE}
CTX = "Landroid/content/Context;"
SERVICES = {"Landroid/telephony/TelephonyManager;": "phone", "Landroid/net/wifi/WifiManager;": "wifi",
            "Landroid/location/LocationManager;": "location",
            "Landroid/content/ClipboardManager;": "clipboard", "Landroid/accounts/AccountManager;": "account",
            "Landroid/app/ActivityManager;": "activity", "Landroid/hardware/SensorManager;": "sensor",
            "Landroid/app/usage/UsageStatsManager;": "usagestats"}
# How a snippet gets a receiver/argument of a framework type into register %R (v6 is scratch, v7 the Context).
RECEIVERS = {t: [f'const-string v6, "{n}"', f"invoke-virtual {{v7, v6}}, {CTX}->getSystemService"
                 "(Ljava/lang/String;)Ljava/lang/Object;", "move-result-object %R", f"check-cast %R, {t}"]
             for t, n in SERVICES.items()}


def _get(typ: str, call: str, pre: tuple[str, ...] = ()) -> None:
    RECEIVERS[typ] = [*pre, f"{call}{typ}", "move-result-object %R"]


_get("Landroid/net/wifi/WifiInfo;",
     "invoke-virtual {%R}, Landroid/net/wifi/WifiManager;->getConnectionInfo()",
     tuple(RECEIVERS["Landroid/net/wifi/WifiManager;"]))
_get("Landroid/location/Location;", "invoke-virtual {%R, v6}, Landroid/location/LocationManager;->"
     "getLastKnownLocation(Ljava/lang/String;)",
     (*RECEIVERS["Landroid/location/LocationManager;"], 'const-string v6, "gps"'))
_get("Landroid/content/pm/PackageManager;", f"invoke-virtual {{v7}}, {CTX}->getPackageManager()")
_get("Landroid/content/ContentResolver;", f"invoke-virtual {{v7}}, {CTX}->getContentResolver()")
_get("Landroid/bluetooth/BluetoothAdapter;",
     "invoke-static {}, Landroid/bluetooth/BluetoothAdapter;->getDefaultAdapter()")
_get("Landroid/telephony/SmsManager;", "invoke-static {}, Landroid/telephony/SmsManager;->getDefault()")
_get("Ljava/lang/Runtime;", "invoke-static {}, Ljava/lang/Runtime;->getRuntime()")
_get("Ljava/net/NetworkInterface;",
     "invoke-static {v6}, Ljava/net/NetworkInterface;->getByName(Ljava/lang/String;)",
     ('const-string v6, "wlan0"',))
RECEIVERS["Landroid/media/MediaRecorder;"] = ["new-instance %R, Landroid/media/MediaRecorder;",
                                              "invoke-direct {%R}, Landroid/media/MediaRecorder;-><init>()V"]
_ACT, _SVC = "Landroid/app/Activity;", "Landroid/app/Service;"
_RCV, _PRV = "Landroid/content/BroadcastReceiver;", "Landroid/content/ContentProvider;"
_BUNDLE, _ONRECV = "onCreate(Landroid/os/Bundle;)V", f"onReceive({CTX}Landroid/content/Intent;)V"
# (class, superclass, lifecycle method, call super?) -- the manifest's components, all placed in classes.dex
COMPONENTS = [("com/example/bigapp/BigApplication", "Landroid/app/Application;", "onCreate()V", True),
              ("com/example/bigapp/ui/MainActivity", _ACT, _BUNDLE, True),
              ("com/example/bigapp/ui/SettingsActivity", _ACT, _BUNDLE, True),
              ("com/bytedance/sdk/openadsdk/activity/TTLandingPageActivity", _ACT, _BUNDLE, True),
              ("cn/jpush/android/service/PushService", _SVC, "onCreate()V", True),
              ("com/example/bigapp/sync/SyncService", _SVC, "onCreate()V", True),
              ("cn/jpush/android/service/PushReceiver", _RCV, _ONRECV, False),
              ("com/example/bigapp/push/BootReceiver", _RCV, _ONRECV, False),
              ("com/example/bigapp/data/AppProvider", _PRV, "onCreate()Z", False),
              ("com/umeng/analytics/process/UMProvider", _PRV, "onCreate()Z", False)]
PERMISSIONS = ["INTERNET", "ACCESS_NETWORK_STATE", "ACCESS_WIFI_STATE", "READ_PHONE_STATE", "CAMERA",
               "ACCESS_FINE_LOCATION", "ACCESS_COARSE_LOCATION", "READ_CONTACTS", "READ_CALENDAR", "READ_SMS",
               "SEND_SMS", "RECORD_AUDIO", "GET_ACCOUNTS", "BLUETOOTH", "QUERY_ALL_PACKAGES", "READ_CALL_LOG",
               "READ_EXTERNAL_STORAGE", "RECEIVE_BOOT_COMPLETED"]
SITE_REF = re.compile(r"^(?:invoke-\S+ \{[^}]*\}|sget-object \w+), (L\S+)$")  # target of an emitted call/read
SB, STR, OBJ = "Ljava/lang/StringBuilder;", "Ljava/lang/String;", "Ljava/lang/Object;"


def _b26(i: int) -> str:
    """ProGuard-style member names: a, b, ..., z, ba, bb, ..."""
    return chr(97 + i) if i < 26 else _b26(i // 26) + chr(97 + i % 26)


def params_of(desc: str) -> list[str]:
    """Split a method descriptor's parameter list into type descriptors."""
    return re.findall(r"\[*(?:L[^;]+;|[ZBSCIJFD])", desc[desc.index("(") + 1:desc.index(")")])


def smali_str(s: str) -> str:
    """Quote a Java string for smali; non-ASCII as \\uXXXX so file encodings never matter."""
    out = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"' + "".join(c if ord(c) < 128 else f"\\u{ord(c):04x}" for c in out) + '"'


@dataclass
class Meth:
    cls: str
    name: str
    desc: str
    kind: str  # virtual | static | direct | abstract (interface method)

    @property
    def ref(self) -> str:
        return f"{self.cls}->{self.name}{self.desc}"


@dataclass
class Cls:
    name: str
    sup: str = "Ljava/lang/Object;"
    iface: str | None = None  # implemented generated interface
    listener: str | None = None  # type of the `listener` field, receiver of invoke-interface
    meths: list[Meth] = field(default_factory=list)
    life: tuple[str, bool] | None = None  # manifest component: lifecycle method, call super?


class DexGen:
    """Plans and writes the smali of one dex. Calls stay inside the dex, so its method references are the
    methods it defines plus a few dozen framework ones -- far below the 64K limit."""

    def __init__(self, idx: int, n_methods: int, seed: int) -> None:
        self.idx, self.rng, self.lbl = idx, random.Random(f"{seed}:{idx}"), 0
        self.truth: list[tuple[str, str]] = []
        self.payload: list[str] = []  # switch/array payloads of the current method, emitted after its code
        self.strings = URLS + FIXED_STRINGS + [f"{self.rng.choice(WORDS)}_{self.rng.getrandbits(40):x}"
                                               for _ in range(2500)]
        self.classes: list[Cls] = []
        self.ifaces: list[Cls] = []
        self._plan(n_methods)
        self.statics = [m for c in self.classes for m in c.meths if m.kind == "static"]
        self.virtuals = [m for c in self.classes for m in c.meths if m.kind == "virtual" and not c.life]
        self.iface_of = {i.name: i for i in self.ifaces}

    def _plan(self, budget: int) -> None:
        """Pick interfaces, then classes until `budget` methods; superclasses point backwards (no cycles)."""
        rng, roots = self.rng, list(ROOTS)
        weights = [ROOTS[r][0 if self.idx == 0 else 1] for r in roots]

        def new_name(prefix: str) -> tuple[str, bool]:
            root = rng.choices(roots, weights)[0]
            pkg = f"{root}/{rng.choice(SUBPKGS)}" + (f"/{rng.choice(SUBPKGS)}" if rng.random() < 0.4 else "")
            n = len(self.classes) + len(self.ifaces)
            return f"L{pkg}/{prefix}{rng.choice(NOUNS)}{n};", ROOTS[root][2]

        for _ in range(max(4, budget // 400)):
            it = Cls(new_name("I")[0])
            it.meths = [Meth(it.name, f"on{i}", s, "abstract") for i, s in enumerate(IFACE_SIGS)]
            self.ifaces.append(it)
            budget -= len(it.meths)
        plain: list[Cls] = []
        while budget > 0:
            if self.idx == 0 and len(self.classes) < len(COMPONENTS):
                name, sup, life, call_super = COMPONENTS[len(self.classes)]
                c, obf = Cls(f"L{name};", sup, life=(life, call_super)), False
                budget -= 1  # the lifecycle method
            else:
                name, obf = new_name("")
                c = Cls(name, rng.choice(plain).name if plain and rng.random() < 0.3 else Cls.sup)
                plain.append(c)
            c.listener = rng.choice(self.ifaces).name
            if not c.life and rng.random() < 0.3:
                c.iface = rng.choice(self.ifaces).name
                c.meths = [Meth(c.name, m.name, m.desc, "virtual") for i in self.ifaces if i.name == c.iface
                           for m in i.meths]
            for j in range(max(0, min(budget - 1 - len(c.meths), rng.randint(4, 36)))):
                kind = rng.choices(["virtual", "static", "direct"], [5, 3, 2])[0]
                sig = RANGE_SIG if kind == "static" and rng.random() < 0.1 else rng.choice(SIGS)
                name = _b26(j) if obf else f"{rng.choice(WORDS)}{rng.choice(NOUNS)}{j}"
                c.meths.append(Meth(c.name, name, sig, kind))
            budget -= 1 + len(c.meths)  # + <init>
            self.classes.append(c)

    def label(self, prefix: str) -> str:
        self.lbl += 1
        return f":{prefix}_{self.lbl:x}"

    def s(self) -> str:
        return smali_str(self.rng.choice(self.strings))

    def load_args(self, types: list[str], start: int, hints: list[str]) -> tuple[list[str], list[str]]:
        """Put call arguments into consecutive registers from v{start}: (lines, registers used)."""
        lines: list[str] = []
        regs: list[str] = []
        hints = list(hints)
        for t in types:
            r = start + len(regs)
            if t in ("J", "D"):
                lines.append(f"const-wide/16 v{r}, 0x{self.rng.randint(1, 999):x}")
                regs += [f"v{r}", f"v{r + 1}"]
                continue
            if t == "F":
                lines.append(f"const/high16 v{r}, 0x41200000")
            elif t in ("I", "Z", "S", "B", "C"):
                lines.append(f"const/4 v{r}, 0x{self.rng.randint(0, 7):x}")
            elif t == "Ljava/lang/String;":
                lines.append(f"const-string v{r}, {smali_str(hints.pop(0)) if hints else self.s()}")
            elif t in RECEIVERS:
                lines += [ln.replace("%R", f"v{r}") for ln in RECEIVERS[t]]
            else:
                lines.append(f"const/4 v{r}, 0x0")
            regs.append(f"v{r}")
        return lines, regs

    @staticmethod
    def invoke(op: str, ref: str, regs: list[str]) -> str:
        """Format 35c for up to 5 registers, else 3rc (/range); registers are consecutive by construction."""
        if len(regs) > 5:
            return f"invoke-{op}/range {{{regs[0]} .. {regs[-1]}}}, {ref}"
        return f"invoke-{op} {{{', '.join(regs)}}}, {ref}"

    @staticmethod
    def move_result(desc: str) -> list[str]:
        ret = desc[desc.index(")") + 1:]
        if ret == "V":
            return []
        return [f"move-result{'-wide' if ret in 'JD' else '' if len(ret) == 1 else '-object'} v0"]

    def call(self, m: Meth, recv: list[str]) -> list[str]:
        """Invoke a generated method; `recv` puts the receiver in v0 (empty for static)."""
        op = {"virtual": "virtual", "static": "static", "direct": "direct", "abstract": "interface"}[m.kind]
        start = 0 if m.kind == "static" else 1
        lines, regs = self.load_args(params_of(m.desc), start, [])
        return [*recv, *lines, self.invoke(op, m.ref, ["v0"] * start + regs), *self.move_result(m.desc)]

    def sensitive(self, caller: str, cls: str) -> list[str]:
        """A call/read of a sensitive framework API; every sensitive ref emitted (receivers too) is truth."""
        kind, ref, *rest = self.rng.choice(SENSITIVE)
        lines = [f"sget-object v7, {cls}->sContext:{CTX}"]
        if kind == "field":
            lines += [f"sget-object v0, {ref}", f"invoke-virtual {{v0}}, {OBJ}->toString(){STR}"]
        else:
            start = 0 if kind == "static" else 1
            if start:
                lines += [ln.replace("%R", "v0") for ln in RECEIVERS[ref.split("->")[0]]]
            args, regs = self.load_args(params_of(ref), start, rest[0].split("|") if rest else [])
            lines += [*args, self.invoke(kind, ref, ["v0"] * start + regs), *self.move_result(ref)]
        self.truth += [(caller, m[1]) for ln in lines if (m := SITE_REF.match(ln)) and m[1] in SENSITIVE_SET]
        return lines

    def snippet(self, c: Cls, this: bool) -> list[str]:  # noqa: C901 -- one branch per instruction family, read as a list
        """One random self-contained code fragment; comments name the instruction formats it yields."""
        rng, lbl = self.rng, self.label
        k = rng.choices(range(11), [6, 4, 4, 5, 3, 2, 2, 1, 1, 1, 2])[0]
        if k == 0:  # arithmetic + branches: 11n 21s 23x 22b 22s 31i 51l 21t 22t 12x
            a, b = lbl("cond"), lbl("cond")
            return [f"const/4 v1, 0x{rng.randint(0, 7):x}", f"const/16 v2, 0x{rng.randint(8, 30000):x}",
                    "add-int v3, v1, v2", f"mul-int/lit8 v3, v3, 0x{rng.randint(2, 99):x}",
                    f"rem-int/lit16 v3, v3, 0x{rng.randint(300, 9000):x}", f"if-lez v3, {a}",
                    "sub-int/2addr v3, v1", f"if-ge v1, v2, {b}", f"const v4, 0x{rng.getrandbits(30):x}",
                    "xor-int/2addr v4, v3", a, b, f"const-wide v4, 0x{rng.getrandbits(50):x}L",
                    "int-to-long v2, v3", "add-long/2addr v4, v2"]
        if k == 1:  # const-string (21c, a few 31c jumbo) + StringBuilder and Log calls
            cs = "const-string/jumbo" if rng.random() < 0.05 else "const-string"
            return [f"new-instance v1, {SB}", f"invoke-direct {{v1}}, {SB}-><init>()V",
                    f"{cs} v2, {self.s()}", f"invoke-virtual {{v1, v2}}, {SB}->append({STR}){SB}",
                    f"invoke-virtual {{v1}}, {SB}->toString(){STR}", "move-result-object v2",
                    f"sget-object v3, {c.name}->TAG:{STR}",
                    f"invoke-static {{v3, v2}}, Landroid/util/Log;->d({STR}{STR})I"]
        if k == 2:  # fields: 21c sget/sput (own and other classes), 22c iget/iput
            out = [f"sget v1, {rng.choice(self.classes).name}->sCounter:I", "add-int/lit8 v1, v1, 0x1",
                   f"sput v1, {c.name}->sCounter:I"]
            if this:
                out += [f"iget v2, p0, {c.name}->count:I", "add-int/2addr v2, v1",
                        f"iput v2, p0, {c.name}->count:I", f"const-string v3, {self.s()}",
                        f"iput-object v3, p0, {c.name}->name:{STR}"]
            return out
        if k == 3:  # invoke-static: 35c, or 3rc for the six-int signature
            return self.call(rng.choice(self.statics), [])
        if k == 4 and this:  # invoke-virtual / invoke-direct on this
            own = [x for x in c.meths if x.kind in ("virtual", "direct")]
            return self.call(rng.choice(own), ["move-object v0, p0"]) if own else []
        if k == 5:  # new-instance (21c) + constructor + invoke-virtual on another class
            t = rng.choice(self.virtuals)
            return self.call(t, [f"new-instance v0, {t.cls}", f"invoke-direct {{v0}}, {t.cls}-><init>()V"])
        if k == 6 and this and c.listener:  # invoke-interface through an interface-typed field
            e = lbl("cond")
            return [f"iget-object v0, p0, {c.name}->listener:{c.listener}", f"if-eqz v0, {e}",
                    *self.call(rng.choice(self.iface_of[c.listener].meths), []), e]
        if k == 7:  # packed-switch (31t + payload)
            cases, end, d = [lbl("pswitch") for _ in range(rng.randint(3, 6))], lbl("goto"), lbl("pdata")
            body = ["invoke-static {}, Ljava/lang/System;->nanoTime()J", "move-result-wide v2",
                    "long-to-int v1, v2", f"packed-switch v1, {d}", f"goto {end}"]
            for cs in cases:
                body += [cs, f"const/16 v2, 0x{rng.randint(0, 999):x}", f"goto {end}"]
            self.payload += [d, f".packed-switch 0x{rng.randint(0, 9):x}", *cases, ".end packed-switch"]
            return [*body, end]
        if k == 8:  # sparse-switch (31t + payload), goto/16 (20t)
            cases, end, d = [lbl("sswitch") for _ in range(4)], lbl("goto"), lbl("sswitch_data")
            body = [f"sget v1, {c.name}->sCounter:I", f"sparse-switch v1, {d}", f"goto/16 {end}"]
            for cs in cases:
                body += [cs, f"const/4 v2, 0x{rng.randint(0, 7):x}", f"goto {end}"]
            keys = sorted(rng.sample(range(1, 5000), len(cases)))
            pairs = [f"0x{kk:x} -> {cs}" for kk, cs in zip(keys, cases, strict=True)]
            self.payload += [d, ".sparse-switch", *pairs, ".end sparse-switch"]
            return [*body, end]
        if k == 9:  # try/catch around a framework call
            ts, te, h, af = lbl("try_start"), lbl("try_end"), lbl("catch"), lbl("goto")
            return [f"const-string v1, {self.s()}", ts,
                    f"invoke-static {{v1}}, Ljava/lang/Integer;->parseInt({STR})I", "move-result v2", te,
                    f".catch Ljava/lang/NumberFormatException; {{{ts} .. {te}}} {h}", f"goto {af}", h,
                    "move-exception v3", "invoke-virtual {v3}, Ljava/lang/Throwable;->printStackTrace()V", af]
        if k == 10:  # fill-array-data (31t + payload), filled-new-array (35c), aget, instance-of
            d, n = lbl("array"), rng.randint(3, 8)
            self.payload += [d, ".array-data 4", *[f"0x{rng.getrandbits(31):x}" for _ in range(n)],
                             ".end array-data"]
            return [f"const/16 v1, 0x{n:x}", "new-array v2, v1, [I", f"fill-array-data v2, {d}",
                    f"sput-object v2, {c.name}->sTable:[I", "const/4 v3, 0x1", "aget v4, v2, v3",
                    "array-length v5, v2", "filled-new-array {v3, v4, v5}, [I", "move-result-object v2",
                    "instance-of v6, v2, [I"]
        return [f"const-class v1, {c.name}", f"invoke-virtual {{v1}}, Ljava/lang/Class;->getName(){STR}",
                "move-result-object v1"]

    def body(self, c: Cls, m: Meth, prologue: tuple[str, ...] = ()) -> list[str]:
        self.payload = []
        lines = list(prologue)
        for _ in range(self.rng.randint(2, 5)):
            lines += self.snippet(c, m.kind != "static")
        if self.rng.random() < SENSITIVE_RATE:
            lines += self.sensitive(m.ref, c.name)
        ret = m.desc[m.desc.index(")") + 1:]
        lines += (["return-void"] if ret == "V" else ["const/4 v0, 0x1", "return v0"] if ret in "IZ" else
                  ["const-wide/16 v0, 0x0", "return-wide v0"] if ret == "J" else
                  [f"const-string v0, {self.s()}", "return-object v0"] if ret == "Ljava/lang/String;" else
                  ["const/4 v0, 0x0", "return-object v0"])
        return lines + self.payload

    def render(self, c: Cls) -> str:
        """Full smali source of one class."""
        out = [f".class public {c.name}", f".super {c.sup}", *([f".implements {c.iface}"] if c.iface else []),
               f".field public static final TAG:{STR} = {self.s()}", ".field public static sCounter:I",
               f".field public static sContext:{CTX}", ".field public static sTable:[I",
               ".field public count:I", f".field public name:{STR}",
               *([f".field public listener:{c.listener}"] if c.listener else [])]

        def meth(flags: str, m: Meth, lines: list[str]) -> None:
            out.extend([f".method {flags} {m.name}{m.desc}", "    .locals 8", *["    " + ln for ln in lines],
                        ".end method"])

        meth("public constructor", Meth(c.name, "<init>", "()V", "direct"),
             [f"invoke-direct {{p0}}, {c.sup}-><init>()V", "return-void"])
        if c.life:  # lifecycle callback always collects something (pre-consent style)
            sig, call_super = c.life
            lm = Meth(c.name, sig[:sig.index("(")], sig[sig.index("("):], "virtual")
            pre = [f"sput-object p0, {c.name}->sContext:{CTX}"] if "Application" in c.sup else []
            if call_super:
                regs = [f"p{i}" for i in range(1 + len(params_of(sig)))]
                pre.append(self.invoke("super", f"{c.sup}->{sig}", regs))
            for _ in range(3):
                pre += self.sensitive(lm.ref, c.name)
            meth("public", lm, self.body(c, lm, tuple(pre)))
        for m in c.meths:
            flags = {"virtual": "public", "static": "public static", "direct": "private"}[m.kind]
            meth(flags, m, self.body(c, m))
        return "\n".join(out) + "\n"

    def write(self, root: Path) -> int:
        """Write one .smali per class under `root`; returns the number of methods defined."""
        for c in self.classes + self.ifaces:
            p = root / (c.name[1:-1] + ".smali")
            p.parent.mkdir(parents=True, exist_ok=True)
            if c.meths and c.meths[0].kind == "abstract":
                src = "\n".join([f".class public interface abstract {c.name}", ".super Ljava/lang/Object;",
                                 *[f".method public abstract {m.name}{m.desc}\n.end method"
                                   for m in c.meths]])
                p.write_text(src + "\n", encoding="utf-8")
            else:
                p.write_text(self.render(c), encoding="utf-8")
        return sum(len(c.meths) + 1 + bool(c.life) for c in self.classes) + 2 * len(self.ifaces)


def log(t0: float, msg: str) -> None:
    print(f"[make_big_apk {time.monotonic() - t0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run a tool quietly; on failure show its output (smali errors name the file and line)."""
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=env)
    if r.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])} ... failed ({r.returncode}):\n{r.stdout[-3000:]}"
                         f"{r.stderr[-3000:]}")


def dex_header(path: Path) -> dict[str, int]:
    """Pool sizes from the dex header; method_ids is what the 64K limit counts."""
    h = path.read_bytes()[:0x70]
    names = ["string_ids", "type_ids", "proto_ids", "field_ids", "method_ids", "class_defs"]
    return {"bytes": path.stat().st_size} | {n: struct.unpack_from("<I", h, 0x38 + 8 * i)[0]
                                             for i, n in enumerate(names)}


def components_xml(package: str, activity_labels: bool = False) -> str:
    """The <activity>/<service>/<receiver>/<provider> elements of COMPONENTS; ``activity_labels`` gives
    each activity a ``@string/title_N`` label (a store app's titles are resources too)."""
    tags = {"Activity": "activity", "Service": "service", "BroadcastReceiver": "receiver",
            "ContentProvider": "provider"}
    comps, activities = "", 0
    for i, (name, sup, _, _) in enumerate(COMPONENTS[1:]):
        tag = tags[sup.split("/")[-1][:-1]]
        extra = f' android:authorities="{package}.p{i}"' if tag == "provider" else ""
        if tag == "activity" and activity_labels:
            extra += f' android:label="@string/title_{activities}"'
            activities += 1
        action = ("android.intent.action.MAIN" if i == 0 else
                  "android.intent.action.BOOT_COMPLETED" if tag == "receiver" else "")
        inner = (f'<intent-filter><action android:name="{action}"/>' + (
            '<category android:name="android.intent.category.LAUNCHER"/>' if i == 0 else "") +
            "</intent-filter>") if action else ""
        comps += (f'    <{tag} android:name="{name.replace("/", ".")}"{extra}'
                  f' android:exported="{str(bool(inner)).lower()}">{inner}</{tag}>\n')
    return comps


def manifest() -> str:
    comps = components_xml("com.example.bigapp")
    perms = "".join(f'  <uses-permission android:name="android.permission.{p}"/>\n' for p in PERMISSIONS)
    app = COMPONENTS[0][0].replace("/", ".")
    return ('<?xml version="1.0" encoding="utf-8"?>\n<manifest xmlns:android='
            '"http://schemas.android.com/apk/res/android" package="com.example.bigapp"'
            ' android:versionCode="100" android:versionName="1.0.0">\n'
            '  <uses-sdk android:minSdkVersion="21" android:targetSdkVersion="29"/>\n'
            f'{perms}  <application android:name="{app}" android:label="BigApp">\n{comps}  </application>\n'
            "</manifest>\n")


def build(out: Path, n_dex: int, n_methods: int, seed: int) -> None:
    t0 = time.monotonic()
    params = {"dex_files": n_dex, "methods": n_methods, "seed": seed,  # generator: editing this file rebuilds
              "generator": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16]}
    side, truth_path = out.with_name(out.name + ".params.json"), out.with_name(out.name + ".truth.json")
    if out.exists() and truth_path.exists() and side.exists() and json.loads(side.read_text()) == params:
        log(t0, f"cached: {out}")
        return
    if n_dex < 1 or n_methods / n_dex > MAX_REFS - 2000:
        raise SystemExit("too many methods per dex for the 64K reference limit; raise --dex-files")
    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.with_name(out.name + ".work")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    ks = out.parent / "bench-debug.jks"
    if not ks.exists():
        run(["keytool", "-genkeypair", "-keystore", str(ks), "-storepass", "android", "-keypass", "android",
             "-alias", "bench", "-keyalg", "RSA", "-keysize", "2048", "-validity", "10000",
             "-dname", "CN=appaudit bench"])
        log(t0, f"created throwaway keystore {ks}")
    # smali (JVM; /usr/bin/smali passes $JAVA_ARGS to java): one single-threaded process per dex, two at a
    # time for 2 cores, while this thread generates the next dex's smali.
    env = os.environ | {"JAVA_ARGS": "-Xmx3g -XX:+UseParallelGC"}
    dex_names = ["classes.dex"] + [f"classes{i}.dex" for i in range(2, n_dex + 1)]
    truth: list[tuple[str, str]] = []
    defined = classes = 0

    def assemble(src: Path, name: str) -> None:
        t1 = time.monotonic()
        run(["smali", "assemble", "-j", "1", "-a", "21", "-o", str(work / name), str(src)], env=env)
        log(t0, f"{name}: assembled in {time.monotonic() - t1:.1f}s")

    with cf.ThreadPoolExecutor(max_workers=2) as pool:
        futures = []
        for i, name in enumerate(dex_names):
            g = DexGen(i, n_methods // n_dex + (n_methods % n_dex if i == n_dex - 1 else 0), seed)
            defined += g.write(work / f"smali{i + 1}")
            classes += len(g.classes) + len(g.ifaces)
            truth += g.truth
            log(t0, f"{name}: generated {len(g.classes) + len(g.ifaces)} classes, "
                    f"{len(g.truth)} sensitive sites")
            futures.append(pool.submit(assemble, work / f"smali{i + 1}", name))
        for f in futures:
            f.result()
    headers = {n: dex_header(work / n) for n in dex_names}
    if any(h["method_ids"] >= MAX_REFS or h["field_ids"] >= MAX_REFS for h in headers.values()):
        raise SystemExit(f"a dex exceeds the 64K reference limit: {headers}")
    (work / "AndroidManifest.xml").write_text(manifest(), encoding="utf-8")
    unsigned, aligned = work / "unsigned.apk", work / "aligned.apk"
    run(["aapt", "package", "-f", "-M", str(work / "AndroidManifest.xml"), "-I", FRAMEWORK_RES,
         "-F", str(unsigned)])
    run(["aapt", "add", "-f", unsigned.name, *dex_names], cwd=work)  # cwd: aapt stores the path as given
    run(["zipalign", "-f", "-p", "4", str(unsigned), str(aligned)])
    run(["apksigner", "sign", "--ks", str(ks), "--ks-pass", "pass:android", "--ks-key-alias", "bench",
         "--key-pass", "pass:android", "--v4-signing-enabled", "false", "--out", str(out), str(aligned)])
    log(t0, f"packaged, aligned, signed: {out} ({out.stat().st_size / 1e6:.1f} MB)")
    sites = sorted(set(truth))  # one entry per (caller, api) pair
    truth_path.write_text(json.dumps({
        "apk": out.name, "params": params, "dex_files": n_dex, "classes": classes, "methods_defined": defined,
        "dex_bytes_total": sum(h["bytes"] for h in headers.values()), "dex": headers,
        "call_sites": len(sites),
        "sites": [{"caller": c, "api": a} for c, a in sites]}, indent=1), encoding="utf-8")
    side.write_text(json.dumps(params), encoding="utf-8")
    shutil.rmtree(work)
    log(t0, f"done: {n_dex} dex, {classes} classes, {defined} methods, {len(sites)} truth sites")


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "cache" / "big.apk")
    ap.add_argument("--dex-files", type=int, default=6)
    ap.add_argument("--methods", type=int, default=120_000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    build(a.out, a.dex_files, a.methods, a.seed)


if __name__ == "__main__":
    main()
