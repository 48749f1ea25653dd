"""What changed in an app's privacy footprint between two builds.

Works on JSON results (``appaudit/2``, or ``/1`` kept from older releases), so either side may be an
APK scanned now or a result kept from the last release. Findings are compared by their rule hits, whose
fingerprints are the same in both schemas, so grouping never shows as a change. Every change lands in
exactly one list: a new read that runs before consent is a pre-consent change, not also a new call site.
"""

from __future__ import annotations

from typing import Any

from scanner.diff_model import AuditDiff, BuildInfo, CallChange, VersionChange
from scanner.errors import DiffInputError
from scanner.model import SCHEMAS_READ
from scanner.serial import read_json


def load_result(path: str) -> dict[str, Any]:
    return read_json(path, SCHEMAS_READ, DiffInputError)


def _build(doc: dict[str, Any]) -> BuildInfo:
    app = doc.get("app") or {}
    return BuildInfo(doc["input"]["path"], app.get("package"), app.get("version_name"), app.get("version_code"))


def _calls(doc: dict[str, Any]) -> dict[CallChange, bool]:
    return {CallChange(c["pi_category"], c["sdk"] or "", c["caller"], c["api"]): bool(c["pre_consent"])
            for c in doc.get("api_calls", [])}


def _live(doc: dict[str, Any]) -> set[str]:
    return {s["id"] for s in doc.get("sdks", []) if not s.get("stub")}


def _versions(old: dict[str, Any], new: dict[str, Any]) -> tuple[VersionChange, ...]:
    """SDKs in both builds whose version changed; an SDK without a version on both sides has none to compare."""
    before = {s["id"]: s.get("version") for s in old.get("sdks", [])}  # a leftover's version counts too
    after = {s["id"]: s.get("version") for s in new.get("sdks", [])}
    return tuple(sorted(VersionChange(sid, before[sid], after[sid]) for sid in before.keys() & after.keys()
                        if before[sid] != after[sid]))


def _brief(f: dict[str, Any]) -> dict[str, Any]:
    return {k: f.get(k) for k in ("rule_id", "severity", "message", "fingerprint", "sdk")}


def _open_hits(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Open rule hits by fingerprint: inside each finding (``appaudit/2``) or the findings themselves (``/1``)."""
    hits = (h for f in doc.get("findings", []) for h in f.get("hits") or [f])
    return {h["fingerprint"]: h for h in hits if not h.get("accepted")}


def diff(old: dict[str, Any], new: dict[str, Any]) -> AuditDiff:
    old_calls, new_calls = _calls(old), _calls(new)
    calls_added = sorted(k for k, early in new_calls.items() if k not in old_calls and not early)
    calls_removed = sorted(k for k, early in old_calls.items() if k not in new_calls and not early)
    early_added = sorted(k for k, early in new_calls.items() if early and not old_calls.get(k, False))
    early_removed = sorted(k for k, early in old_calls.items() if early and not new_calls.get(k, False))
    old_perms = {p["name"] for p in old.get("permissions", [])}
    new_perms = {p["name"] for p in new.get("permissions", [])}
    old_eps = {e["url"] for e in old.get("endpoints", [])}
    new_eps = {e["url"] for e in new.get("endpoints", [])}
    old_f, new_f = _open_hits(old), _open_hits(new)
    return AuditDiff(
        old=_build(old), new=_build(new),
        sdks_added=tuple(sorted(_live(new) - _live(old))), sdks_removed=tuple(sorted(_live(old) - _live(new))),
        permissions_added=tuple(sorted(new_perms - old_perms)),
        permissions_removed=tuple(sorted(old_perms - new_perms)),
        calls_added=tuple(calls_added), calls_removed=tuple(calls_removed),
        pre_consent_added=tuple(early_added), pre_consent_removed=tuple(early_removed),
        endpoints_added=tuple(sorted(new_eps - old_eps)), endpoints_removed=tuple(sorted(old_eps - new_eps)),
        findings_new=tuple(_brief(new_f[k]) for k in sorted(set(new_f) - set(old_f))),
        findings_fixed=tuple(_brief(old_f[k]) for k in sorted(set(old_f) - set(new_f))),
        sdk_versions_changed=_versions(old, new),
    )
