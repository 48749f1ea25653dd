"""The result of comparing two builds, as data: computed by the gate, rendered by the reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class CallChange:
    pi_category: str
    sdk: str  # "" for first-party code
    caller: str
    api: str


@dataclass(frozen=True, slots=True, order=True)
class VersionChange:
    """An SDK present in both builds whose version differs (None: not found in that build)."""

    sdk: str
    old: str | None
    new: str | None


@dataclass(frozen=True, slots=True)
class BuildInfo:
    path: str
    package: str | None
    version_name: str | None
    version_code: int | None


@dataclass(frozen=True, slots=True)
class AuditDiff:
    old: BuildInfo
    new: BuildInfo
    sdks_added: tuple[str, ...]
    sdks_removed: tuple[str, ...]
    permissions_added: tuple[str, ...]
    permissions_removed: tuple[str, ...]
    calls_added: tuple[CallChange, ...]
    calls_removed: tuple[CallChange, ...]
    pre_consent_added: tuple[CallChange, ...]  # new reads before consent, or reads that moved there
    pre_consent_removed: tuple[CallChange, ...]
    endpoints_added: tuple[str, ...]
    endpoints_removed: tuple[str, ...]
    findings_new: tuple[dict[str, Any], ...]  # {rule_id, severity, message, fingerprint, sdk}
    findings_fixed: tuple[dict[str, Any], ...]
    sdk_versions_changed: tuple[VersionChange, ...] = ()

    @property
    def grew(self) -> bool:
        """The footprint grew: something was added that a release gate should look at."""
        return bool(self.sdks_added or self.permissions_added or self.calls_added or self.pre_consent_added
                    or self.endpoints_added or self.findings_new)
