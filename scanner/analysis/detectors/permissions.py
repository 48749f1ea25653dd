"""Requested permissions: what they expose, which look unused, which APIs lack theirs.

"Possibly excessive" means no catalogued API that needs the permission is
referenced anywhere in the code — a hint, not proof (the catalogue is not every
API). "Missing permission" means code calls an API whose permission the app does
not request: dead code, or a call that fails on the device.
"""

from __future__ import annotations

from collections import defaultdict

from scanner.analysis.detectors.base import Context, Results
from scanner.analysis.findings import finding
from scanner.analysis.targets import api_targets
from scanner.model import Confidence, Evidence, Finding

ID = "permissions"
NEEDS: tuple[str, ...] = ("api_calls",)  # hidden reads count as using a permission; call sites need theirs
SPECIAL_RULES = {
    "android.permission.QUERY_ALL_PACKAGES": "permission.query_all_packages",
    "android.permission.ACCESS_BACKGROUND_LOCATION": "permission.background_location",
    "android.permission.REQUEST_INSTALL_PACKAGES": "permission.install_packages",
    "android.permission.SYSTEM_ALERT_WINDOW": "permission.overlay",
    "android.permission.MANAGE_EXTERNAL_STORAGE": "permission.all_files_access",
    "android.permission.BIND_ACCESSIBILITY_SERVICE": "permission.accessibility",
    "android.permission.BIND_NOTIFICATION_LISTENER_SERVICE": "permission.notification_listener",
}


def detect(context: Context) -> Results:
    kb, facts = context.kb, context.facts
    package, target_sdk = facts.package, facts.apk.manifest.target_sdk
    requested = {p.name for p in facts.apk.manifest.permissions}
    targets = api_targets(kb)
    used_by_code: dict[str, list[str]] = defaultdict(list)  # permission -> catalogued refs in code
    for ref in [s.target for s in context.index.sites] + [c.api for c in context.found.api_calls if c.hidden]:
        api = targets.by_ref.get(ref)
        if api:
            for need in api.permissions:
                used_by_code[need.name].append(ref)
    out: list[Finding] = []
    for p in facts.apk.manifest.permissions:
        info = kb.permission(p.name)
        if info is None:
            continue
        evidence = [Evidence("manifest", "uses-permission", p.name)]
        key = ("permission", p.name)
        if info.dangerous:
            out.append(finding(kb, "permission.dangerous", package, f"Requests runtime permission {p.name}.",
                               evidence, key=key, pi_categories=[info.pi_category]))
        if info.sensitive == "yes":
            out.append(finding(kb, "permission.sensitive_pi", package,
                               f"{p.name} exposes sensitive personal information ({info.pi_category}).",
                               evidence, key=key, pi_categories=[info.pi_category]))
        declared_here = any(d.name == p.name for d in facts.apk.manifest.declared_permissions)
        if info.privileged and info.match == "exact" and not declared_here:
            out.append(finding(kb, "permission.privileged", package,
                               f"{p.name} is granted only to system apps; an ordinary app cannot hold it.",
                               evidence, key=key))
        if p.name in SPECIAL_RULES:
            out.append(finding(kb, SPECIAL_RULES[p.name], package, f"Requests {p.name}.", evidence, key=key,
                               pi_categories=[info.pi_category]))
        if info.group in ("SMS", "CALL_LOG") and info.dangerous:
            out.append(finding(kb, "permission.sms_call_log", package, f"Requests {p.name}.", evidence, key=key,
                               pi_categories=[info.pi_category]))
        needed_by_catalogue = any(need.name == p.name for api in kb.apis for need in api.permissions)
        if info.dangerous and needed_by_catalogue and p.name not in used_by_code:
            out.append(finding(kb, "permission.possibly_excessive", package,
                               f"{p.name} is requested but no catalogued API that needs it is called.",
                               evidence, key=key, confidence=Confidence.MEDIUM, pi_categories=[info.pi_category]))
    out += _missing(context, requested, target_sdk)
    return Results(findings=tuple(out))


def _missing(context: Context, requested: set[str], target_sdk: int) -> list[Finding]:
    kb, package = context.kb, context.facts.package
    out = []
    by_api: dict[str, list[str]] = defaultdict(list)
    for call in context.found.api_calls:
        if not call.hidden:
            by_api[call.api].append(call.caller)
    targets = api_targets(kb)
    for ref, callers in sorted(by_api.items()):
        api = targets.by_ref.get(ref)
        if not api or not api.permissions:
            continue
        applicable = [n.name for n in api.permissions if n.applies(target_sdk)]
        if applicable and not set(applicable) & requested:
            out.append(finding(kb, "api.missing_permission", package,
                               f"{ref} needs {' or '.join(applicable)}, which the app does not request.",
                               [Evidence("dex", c, ref) for c in sorted(set(callers))[:12]], key=("api", ref),
                               confidence=Confidence.MEDIUM))
    return out
