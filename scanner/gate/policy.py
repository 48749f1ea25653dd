"""The project's policy file, ``appaudit.toml``: app type, accepted SDKs and permissions, rule settings.

Accepting an SDK accepts its presence and the reads its vendor is there for; it never
accepts a read before consent, undisclosed collection, or reads beyond the app type's
necessary information — those stay findings whatever the policy says.

    category = "short_video"
    lang = "zh-CN"          # language of the HTML and Markdown reports (en or zh-CN; --lang overrides)
    [allow.sdks]
    umeng-analytics = "Usage statistics, listed in our privacy policy"
    [allow.permissions]
    "android.permission.CAMERA" = "Scanning QR codes"
    [rules]
    disable = ["manifest.allow_backup"]
    [rules.severity]
    "pi.clipboard" = "high"
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.model import Acceptance, RuleHit, Severity
from signatures.model import KnowledgeBase, UnknownAppType

FILE_NAME = "appaudit.toml"
SDK_ACCEPTS = ("sdk.embedded", "sdk.tracker", "sdk.reads_pi", "network.tracker_domain")
_KEYS = {"category", "lang", "allow", "rules"}
_ALLOW_KEYS = {"sdks", "permissions"}
_RULE_KEYS = {"disable", "severity"}


class PolicyError(Exception):
    """A policy file that cannot be used; the message names the file and the key."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True, slots=True)
class Policy:
    path: str | None = None
    category: str | None = None
    allowed_sdks: Mapping[str, str] = field(default_factory=dict)
    allowed_permissions: Mapping[str, str] = field(default_factory=dict)
    severity: Mapping[str, Severity] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    warnings: tuple[str, ...] = ()  # accepted, but probably not what was meant (a misspelt permission)
    lang: str | None = None  # report language (reports.i18n.LANGS); None: the default, or --lang


def find_policy(folder: Path) -> Path | None:
    candidate = folder / FILE_NAME
    return candidate if candidate.is_file() else None


def load_policy(path: Path, kb: KnowledgeBase) -> Policy:
    import tomllib  # here: most scans have no policy file, and a scan reads no other TOML

    label = str(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyError(label, f"cannot be read: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PolicyError(label, f"is not valid TOML: {exc}") from None
    _only(label, "", doc, _KEYS)
    allow = _table(label, "allow", doc.get("allow", {}))
    _only(label, "allow.", allow, _ALLOW_KEYS)
    rules = _table(label, "rules", doc.get("rules", {}))
    _only(label, "rules.", rules, _RULE_KEYS)
    sdks = _justified(label, "allow.sdks", allow.get("sdks", {}))
    for sdk_id in sdks:
        if sdk_id not in {s.id for s in kb.sdks}:
            raise PolicyError(label, f"allow.sdks: unknown SDK id {sdk_id!r}; see `appaudit signatures list`")
    permissions = _justified(label, "allow.permissions", allow.get("permissions", {}))
    # an app may define permissions of its own, so an unknown name is allowed, but said
    warnings = tuple(f"{label}: allow.permissions: {name!r} is no permission the knowledge base knows "
                     "(a typo would accept nothing)" for name in sorted(permissions) if kb.permission(name) is None)
    disabled, severity = _rule_settings(label, rules, kb)
    return Policy(label, _category(label, doc.get("category"), kb), sdks, permissions, severity, disabled,
                  warnings, _lang(label, doc.get("lang")))


def _lang(label: str, value: Any) -> str | None:
    """``lang``: a report language the reports have catalogs for (``zh-CN``, ``en``)."""
    if value is None:
        return None
    from reports.i18n import normalize_lang

    if not isinstance(value, str):
        raise PolicyError(label, f"lang must be a string, not {value!r}")
    try:
        return normalize_lang(value)
    except ValueError as exc:
        raise PolicyError(label, f"lang: {exc}") from None


def _category(label: str, value: Any, kb: KnowledgeBase) -> str | None:
    if value is None:
        return None
    try:
        return kb.app_type(value if isinstance(value, str) else repr(value)).id
    except UnknownAppType as exc:
        raise PolicyError(label, f"category: {exc}") from None


def _rule_settings(label: str, rules: Mapping[str, Any],
                   kb: KnowledgeBase) -> tuple[frozenset[str], dict[str, Severity]]:
    """``[rules] disable`` and ``[rules.severity]``: only catalogued rule ids and known severities."""
    disabled = rules.get("disable", [])
    if not isinstance(disabled, list) or not all(isinstance(r, str) for r in disabled):
        raise PolicyError(label, "rules.disable must be a list of rule ids")
    severity_raw = _table(label, "rules.severity", rules.get("severity", {}))
    for rule_id in [*disabled, *severity_raw]:
        if rule_id not in kb.rules:
            raise PolicyError(label, f"rules: unknown rule id {rule_id!r}")
    severity = {}
    for rule_id, value in severity_raw.items():
        if not isinstance(value, str) or value.upper() not in Severity.__members__:
            raise PolicyError(label, f"rules.severity.{rule_id}: {value!r} is not one of "
                              f"{', '.join(s.lower() for s in Severity.__members__)}")
        severity[rule_id] = Severity.parse(value)
    return frozenset(disabled), severity


def _only(label: str, prefix: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise PolicyError(label, f"unknown key {prefix}{unknown[0]} (known: {', '.join(sorted(allowed))})")


def _table(label: str, name: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError(label, f"{name} must be a table")
    return value


def _justified(label: str, name: str, value: Any) -> dict[str, str]:
    table = _table(label, name, value)
    for key, reason in table.items():
        if not isinstance(reason, str) or not reason.strip():
            raise PolicyError(label, f"{name}.{key} needs a justification (a non-empty string)")
    return dict(table)


def apply_policy(findings: Iterable[RuleHit], policy: Policy) -> tuple[RuleHit, ...]:
    out = []
    for f in findings:
        if f.rule_id in policy.disabled:
            continue
        if f.rule_id in policy.severity:
            f = dataclasses.replace(f, severity=policy.severity[f.rule_id])
        reason = _acceptance(f, policy)
        if reason and f.accepted is None:
            f = dataclasses.replace(f, accepted=Acceptance("policy", reason))
        out.append(f)
    return tuple(out)


def _acceptance(f: RuleHit, policy: Policy) -> str | None:
    sdk_rule = f.rule_id in SDK_ACCEPTS or f.rule_id.startswith("pi.")
    if f.sdk is not None and f.sdk in policy.allowed_sdks and sdk_rule:
        return policy.allowed_sdks[f.sdk]
    if f.rule_id.startswith("permission.") and f.evidence:
        return policy.allowed_permissions.get(f.evidence[0].symbol)
    return None
