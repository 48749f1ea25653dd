"""Manifest findings: debuggable, backup, exported components, self-start, old targets.

The launcher activity must be exported for the app to start, so it is not
reported; every other exported component without a permission is reachable by
any app on the device. Receivers of system events start the app without the
user; exported push-SDK components let other apps wake it ("associated start"). A
component protected by a permission only the system holds is one the system binds:
the app provides that system service, and the permission's ``rule`` in the knowledge
base says which finding that is (an accessibility service, a VPN, a device admin).
"""

from __future__ import annotations

from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.findings import finding
from scanner.analysis.names import join, sentence
from scanner.model import Component, Confidence, Evidence, RuleHit, Severity, Subject

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
_LAUNCH = "android.intent.action.MAIN"
# Implicit broadcasts that no longer reach receivers declared in the manifest of an app that targets the
# given API level or later (Android 7's and 8's background limits); boot, package-replaced and the other
# exempted broadcasts still do. The key is the first API level on which the limit applies.
LIMITED_FROM = {
    "android.net.conn.CONNECTIVITY_CHANGE": 24,
    "android.intent.action.USER_PRESENT": 26, "android.intent.action.PACKAGE_ADDED": 26,
    "android.intent.action.PACKAGE_REMOVED": 26, "android.intent.action.ACTION_POWER_CONNECTED": 26,
}


def detect(context: Context) -> Results:
    kb, facts = context.kb, context.facts
    m, package = facts.apk.manifest, facts.package
    here = Evidence("manifest", "application", package)
    out: list[RuleHit] = []
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
    found_sdks = {h.id for h in context.found.sdks}
    for c in m.components:
        out += _component(context, c, found_sdks)
    return Results(findings=tuple(out))


def _self_start(context: Context, c: Component, wakes: list[str], evidence: list[Evidence],
                key: tuple[str, str], sdk: str | None) -> list[RuleHit]:
    """A receiver of system events, graded by whether Android still delivers them to it.

    An app that targets a limited broadcast's level no longer receives it on devices from that level on,
    so the wake-up remains only on the older devices its minSdk still supports (low), or nowhere (none).
    """
    m = context.facts.apk.manifest
    live = [a for a in wakes if m.target_sdk < LIMITED_FROM.get(a, 10**6)]
    if live:
        return [finding(context.kb, "manifest.self_start", context.facts.package,
                        f"Receiver {c.name} starts the app on {join(live, 'or')}.", evidence, key=key, sdk=sdk)]
    oldest = [a for a in wakes if m.min_sdk < LIMITED_FROM[a]]
    if not oldest:
        return []  # every device the app installs on keeps these broadcasts from manifest receivers
    each = join((f"{a} (below API {LIMITED_FROM[a]})" for a in oldest), "or")
    return [finding(context.kb, "manifest.self_start", context.facts.package, (
        f"Receiver {c.name} starts the app on {each} only on older devices: the app targets API "
        f"{m.target_sdk}, so newer Android no longer delivers these broadcasts to it, but its minSdk "
        f"{m.min_sdk} still installs on older ones."), evidence, key=key, sdk=sdk, severity=Severity.LOW)]


def component_sdk(context: Context, name: str, found_sdks: set[str]) -> str | None:
    """The found SDK a manifest component belongs to: its code's owner, else a component the SDK names."""
    owner = context.owners.of_class(name).sdk
    if owner in found_sdks:
        return owner
    return next((s.id for s in context.kb.sdks_for_component(name) if s.id in found_sdks), None)


def _component(context: Context, c: Component, found_sdks: set[str]) -> list[RuleHit]:
    kb, package = context.kb, context.facts.package
    evidence = [Evidence("manifest", c.type, c.name)]
    key = ("component", c.name)
    sdk = component_sdk(context, c.name, found_sdks)
    out = []
    binding = kb.permission(c.permission) if c.permission else None
    if binding and binding.rule and binding.privileged:
        out.append(finding(kb, binding.rule, package, f"{c.type.capitalize()} {c.name} requires {c.permission}, "
                           "which only the system holds: the app provides that system service.", evidence, key=key,
                           subject=Subject("component", c.name), sdk=sdk, verified=binding.verified))
    if not c.exported or not c.enabled:
        return out
    if c.permission is None and not (c.type in ("activity", "activity-alias") and _LAUNCH in c.intent_actions):
        how = "explicitly" if c.exported_explicit else "by its intent filter"
        out.append(finding(kb, "manifest.exported_component", package,
                           sentence(f"{c.type} {c.name} is exported {how} with no permission."), evidence, key=key,
                           sdk=sdk, confidence=Confidence.HIGH if c.exported_explicit else Confidence.MEDIUM))
    wakes = sorted(SELF_START_ACTIONS & set(c.intent_actions))
    if c.type == "receiver" and wakes:
        out += _self_start(context, c, wakes, evidence, key, sdk)
    elif c.type in ("service", "receiver") and c.intent_actions:
        owner = kb.sdk(sdk) if sdk else None
        if owner and "push" in owner.categories:
            out.append(finding(kb, "manifest.self_start", package,
                               f"{owner.name} component {c.name} can be started by other apps "
                               "(associated start).", evidence, key=key, sdk=owner.id,
                               confidence=Confidence.MEDIUM))
    return out
