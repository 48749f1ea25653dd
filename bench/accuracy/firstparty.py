"""The evaluation apps' own code (smali) and manifest, written from an ``AppSpec``.

The first-party code is what a real app has around its SDKs: an Application that starts some SDKs in
``onCreate``, a launcher activity whose consent button starts the others, and personal-information
reads both inside the manifest package and in a helper package outside it (``org.appaudit.util``), so
that "first party" cannot be decided by the manifest package alone.
"""

from __future__ import annotations

import re
from pathlib import Path
from xml.sax.saxutils import quoteattr

from accuracy.catalog import AppSpec, SdkRow

HELPER = "Lorg/appaudit/util/DeviceInfo;"
CTX = "Landroid/content/Context;"
_SERVICE = f"invoke-virtual {{p0, v0}}, {CTX}->getSystemService(Ljava/lang/String;)Ljava/lang/Object;"

# One static method per read: ``read<Name>(Context)``; p0 is the Context, v0..v2 are free.
READ_BODIES: dict[str, list[str]] = {
    "imei": ['const-string v0, "phone"', _SERVICE, "move-result-object v0",
             "check-cast v0, Landroid/telephony/TelephonyManager;",
             "invoke-virtual {v0}, Landroid/telephony/TelephonyManager;->getDeviceId()Ljava/lang/String;"],
    "imsi": ['const-string v0, "phone"', _SERVICE, "move-result-object v0",
             "check-cast v0, Landroid/telephony/TelephonyManager;",
             "invoke-virtual {v0}, Landroid/telephony/TelephonyManager;->getSubscriberId()Ljava/lang/String;"],
    "android_id": [f"invoke-virtual {{p0}}, {CTX}->getContentResolver()Landroid/content/ContentResolver;",
                   "move-result-object v0", 'const-string v1, "android_id"',
                   "invoke-static {v0, v1}, Landroid/provider/Settings$Secure;->getString("
                   "Landroid/content/ContentResolver;Ljava/lang/String;)Ljava/lang/String;"],
    "mac": ['const-string v0, "wifi"', _SERVICE, "move-result-object v0",
            "check-cast v0, Landroid/net/wifi/WifiManager;",
            "invoke-virtual {v0}, Landroid/net/wifi/WifiManager;->getConnectionInfo()Landroid/net/wifi/WifiInfo;",
            "move-result-object v0",
            "invoke-virtual {v0}, Landroid/net/wifi/WifiInfo;->getMacAddress()Ljava/lang/String;"],
    "installed_packages": [f"invoke-virtual {{p0}}, {CTX}->getPackageManager()Landroid/content/pm/PackageManager;",
                           "move-result-object v0", "const/4 v1, 0x0",
                           "invoke-virtual {v0, v1}, Landroid/content/pm/PackageManager;->getInstalledPackages(I)"
                           "Ljava/util/List;"],
    "last_location": ['const-string v0, "location"', _SERVICE, "move-result-object v0",
                      "check-cast v0, Landroid/location/LocationManager;", 'const-string v1, "gps"',
                      "invoke-virtual {v0, v1}, Landroid/location/LocationManager;->getLastKnownLocation("
                      "Ljava/lang/String;)Landroid/location/Location;"],
    "clipboard": ['const-string v0, "clipboard"', _SERVICE, "move-result-object v0",
                  "check-cast v0, Landroid/content/ClipboardManager;",
                  "invoke-virtual {v0}, Landroid/content/ClipboardManager;->getPrimaryClip()"
                  "Landroid/content/ClipData;"],
    "serial": ["invoke-static {}, Landroid/os/Build;->getSerial()Ljava/lang/String;"],
}


def _camel(read: str) -> str:
    return "read" + "".join(part.capitalize() for part in read.split("_"))


def read_ref(cls: str, read: str) -> str:
    """The Dalvik reference of the method that performs ``read`` in class ``cls``."""
    return f"{cls}->{_camel(read)}({CTX})V"


def _read_methods(reads: tuple[str, ...]) -> list[str]:
    lines: list[str] = []
    for read in reads:
        lines += ["", f".method public static {_camel(read)}({CTX})V", "    .registers 4",
                  *(f"    {s}" for s in READ_BODIES[read]), "    return-void", ".end method"]
    return lines


def _calls(cls: str, reads: tuple[str, ...], ctx: str = "p0") -> list[str]:
    return [f"invoke-static {{{ctx}}}, {read_ref(cls, r)}" for r in reads]


def _sdk_starts(rows: list[SdkRow]) -> list[str]:
    lines: list[str] = []
    for row in rows:
        lines += [f"# start {row.label} ({row.package}@{row.package_version})", *row.init]
    return lines


def _constructor(cls_super: str) -> list[str]:
    return [".method public constructor <init>()V", "    .registers 1",
            f"    invoke-direct {{p0}}, {cls_super}-><init>()V", "    return-void", ".end method"]


def _method(signature: str, body: list[str], registers: int = 8) -> list[str]:
    return ["", f".method public {signature}", f"    .registers {registers}", *(f"    {s}" for s in body),
            "    return-void", ".end method"]


def smali_sources(app: AppSpec, sdks: dict[str, SdkRow]) -> dict[str, str]:
    """Relative smali path -> source, for the Application, the activity, its listener and the helper."""
    base = "L" + app.package.replace(".", "/") + "/"
    app_cls, activity, listener = f"{base}App;", f"{base}MainActivity;", f"{base}MainActivity$ConsentListener;"
    sources = {
        app_cls: [f".class public {app_cls}", ".super Landroid/app/Application;",
                  *_constructor("Landroid/app/Application;"),
                  *_method("onCreate()V", ["invoke-super {p0}, Landroid/app/Application;->onCreate()V",
                                            *_sdk_starts([sdks[label] for label in app.on_create]),
                                            *_calls(app_cls, app.app_reads)]),
                  *_read_methods(app.app_reads)],
        activity: [f".class public {activity}", ".super Landroid/app/Activity;",
                   *_constructor("Landroid/app/Activity;"),
                   *_method("onCreate(Landroid/os/Bundle;)V", [
                       "invoke-super {p0, p1}, Landroid/app/Activity;->onCreate(Landroid/os/Bundle;)V",
                       *_calls(activity, app.activity_reads),
                       "new-instance v0, Landroid/widget/Button;",
                       f"invoke-direct {{v0, p0}}, Landroid/widget/Button;-><init>({CTX})V",
                       'const-string v1, "I agree"',
                       "invoke-virtual {v0, v1}, Landroid/widget/Button;->setText(Ljava/lang/CharSequence;)V",
                       f"new-instance v1, {listener}",
                       f"invoke-direct {{v1, p0}}, {listener}-><init>({activity})V",
                       "invoke-virtual {v0, v1}, Landroid/widget/Button;->setOnClickListener("
                       "Landroid/view/View$OnClickListener;)V",
                       "invoke-virtual {p0, v0}, Landroid/app/Activity;->setContentView(Landroid/view/View;)V"]),
                   *_method("onConsentGranted()V", [*_sdk_starts([sdks[label] for label in app.after_consent]),
                                                    *_calls(HELPER, app.helper_reads)]),
                   *_read_methods(app.activity_reads)],
        listener: [f".class final {listener}", ".super Ljava/lang/Object;",
                   ".implements Landroid/view/View$OnClickListener;",
                   f".field private final activity:{activity}", "",
                   f".method constructor <init>({activity})V", "    .registers 2",
                   "    invoke-direct {p0}, Ljava/lang/Object;-><init>()V",
                   f"    iput-object p1, p0, {listener}->activity:{activity}", "    return-void", ".end method",
                   *_method("onClick(Landroid/view/View;)V", [f"iget-object v0, p0, {listener}->activity:{activity}",
                                                             f"invoke-virtual {{v0}}, {activity}->onConsentGranted()V"],
                            registers=3)],
        HELPER: [f".class public final {HELPER}", ".super Ljava/lang/Object;", *_read_methods(app.helper_reads)],
    }
    return {cls[1:-1] + ".smali": "\n".join(lines) + "\n" for cls, lines in sources.items()}


def write_smali(app: AppSpec, sdks: dict[str, SdkRow], folder: Path) -> None:
    for relative, text in smali_sources(app, sdks).items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


PERMISSIONS = ("INTERNET", "ACCESS_NETWORK_STATE", "ACCESS_WIFI_STATE", "READ_PHONE_STATE",
               "ACCESS_FINE_LOCATION", "ACCESS_COARSE_LOCATION", "QUERY_ALL_PACKAGES")
_APPLICATION = re.compile(r"<application\b[^>]*?(?:/>|>(.*?)</application>)", re.S)
_PERMISSION = re.compile(r"<uses-permission\b[^>]*?/>", re.S)


def merged_parts(manifests: list[Path], package: str) -> tuple[list[str], list[str]]:
    """The <application> children and <uses-permission> elements of AAR manifests, with
    ``${applicationId}`` replaced by the app's package (what the Android Gradle plugin's merger does)."""
    components: list[str] = []
    permissions: list[str] = []
    for path in manifests:
        text = path.read_text(encoding="utf-8").replace("${applicationId}", package)
        permissions += _PERMISSION.findall(text)
        match = _APPLICATION.search(text)
        if match and match.group(1):
            components.append(match.group(1).strip())
    return components, permissions


def manifest(app: AppSpec, aar_manifests: list[Path]) -> str:
    """The app's AndroidManifest.xml: its own components plus those the AARs declare."""
    components, aar_permissions = merged_parts(aar_manifests, app.package)
    own = [f'<uses-permission android:name="android.permission.{p}" />' for p in PERMISSIONS]
    permissions = [f"    {p}" for p in dict.fromkeys([*own, *aar_permissions])]
    return "\n".join([
        '<?xml version="1.0" encoding="utf-8"?>',
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android"',
        f"    package={quoteattr(app.package)} android:versionCode=\"1\" android:versionName=\"1.0.0\">",
        '    <uses-sdk android:minSdkVersion="24" android:targetSdkVersion="28" />',
        *permissions,
        f'    <application android:name=".App" android:label={quoteattr("Eval " + app.name)}>',
        '        <activity android:name=".MainActivity" android:exported="true">',
        "            <intent-filter>",
        '                <action android:name="android.intent.action.MAIN" />',
        '                <category android:name="android.intent.category.LAUNCHER" />',
        "            </intent-filter>",
        "        </activity>",
        *components,
        "    </application>",
        "</manifest>", ""])
