"""Manifest findings: debuggable, backup, exported components, self-start, old targets.

The launcher activity must be exported for the app to start, so it is not
reported; every other exported component without a permission is reachable by
any app on the device. Receivers of system events start the app without the
user; exported push-SDK components let other apps wake it ("associated start").
"""

from __future__ import annotations

from scanner.analysis.attribution import class_owner
from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.findings import finding
from scanner.model import Confidence, Evidence, Finding

ID = "manifest"
NEEDS: tuple[str, ...] = ("trackers",)  # push-SDK components are judged only when the SDK was found
OLD_TARGET_SDK = 30  # Android 11: scoped storage, package visibility, one-time permissions
SELF_START_ACTIONS = frozenset({
    "android.intent.action.BOOT_COMPLETED", "android.intent.action.LOCKED_BOOT_COMPLETED",
    "android.intent.action.QUICKBOOT_POWERON", "com.htc.intent.action.QUICKBOOT_POWERON",
    "android.intent.action.MY_PACKAGE_REPLACED", "android.intent.action.USER_PRESENT",
    "android.net.conn.CONNECTIVITY_CHANGE", "android.intent.action.PACKAGE_ADDED",
    "android.intent.action.PACKAGE_REMOVED", "android.intent.action.ACTION_POWER_CONNECTED",
})
SERVICE_BINDINGS = {
    "android.permission.BIND_ACCESSIBILITY_SERVICE": "permission.accessibility",
    "android.permission.BIND_NOTIFICATION_LISTENER_SERVICE": "permission.notification_listener",
}
_LAUNCH = "android.intent.action.MAIN"


def detect(context: Context) -> Results:
    kb, facts = context.kb, context.facts
    m, package = facts.apk.manifest, facts.package
    here = Evidence("manifest", "application", package)
    out: list[Finding] = []
    if m.debuggable:
        out.append(finding(kb, "manifest.debuggable", package, "android:debuggable is true: any user with a "
                           "cable can run code as the app and read its data.",
                           [Evidence("manifest", "application", "android:debuggable")], key=("manifest", "debuggable")))
    if m.allow_backup:
        out.append(finding(kb, "manifest.allow_backup", package, "App data is included in device backups "
                           "(android:allowBackup is true or unset).",
                           [Evidence("manifest", "application", "android:allowBackup")],
                           key=("manifest", "allowBackup")))
    if m.target_sdk < OLD_TARGET_SDK:
        out.append(finding(kb, "manifest.old_target_sdk", package,
                           f"targetSdkVersion {m.target_sdk} opts out of privacy protections of newer Android "
                           "versions.", [here], key=("manifest", "targetSdkVersion")))
    sdk_of = {h.id: h for h in context.found.sdks}
    for c in m.components:
        evidence = [Evidence("manifest", c.type, c.name)]
        key = ("component", c.name)
        if c.type == "service" and c.permission in SERVICE_BINDINGS:
            out.append(finding(kb, SERVICE_BINDINGS[c.permission], package,
                               f"Service {c.name} is bound with {c.permission}.", evidence, key=key))
        if not c.exported or not c.enabled:
            continue
        if c.permission is None and not (c.type in ("activity", "activity-alias") and _LAUNCH in c.intent_actions):
            how = "explicitly" if c.exported_explicit else "by its intent filter"
            out.append(finding(kb, "manifest.exported_component", package,
                               f"{c.type} {c.name} is exported {how} with no permission.", evidence, key=key,
                               confidence=Confidence.HIGH if c.exported_explicit else Confidence.MEDIUM))
        wakes = sorted(SELF_START_ACTIONS & set(c.intent_actions))
        if c.type == "receiver" and wakes:
            out.append(finding(kb, "manifest.self_start", package,
                               f"Receiver {c.name} starts the app on {', '.join(wakes)}.", evidence, key=key))
        elif c.type in ("service", "receiver") and c.intent_actions:
            owner_id = class_owner(kb, c.name)
            owner = kb.sdk(owner_id) if owner_id else None
            if owner and owner.id in sdk_of and "push" in owner.categories:
                out.append(finding(kb, "manifest.self_start", package,
                                   f"{owner.name} component {c.name} can be started by other apps "
                                   "(associated start).", evidence, key=key, sdk=owner.id,
                                   confidence=Confidence.MEDIUM))
    return Results(findings=tuple(out))
