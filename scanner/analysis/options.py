"""What the analysis of one app depends on besides the app and the knowledge base."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scanner.input.safezip import DEFAULT_LIMITS, ZipLimits
from scanner.privacy_policy.model import Policy

if TYPE_CHECKING:
    from scanner.android.apk import SigningSource


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    limits: ZipLimits = field(default_factory=lambda: DEFAULT_LIMITS)
    category: str | None = None  # app type whose necessary information reads are compared against
    privacy_policy: Policy | None = None  # given by the user (--privacy-policy): compared instead of a bundled one
    # who verifies the base APK's signatures: None, this process; the CLI passes the child it forked for the
    # one app it scans (scanner/android/signing_ahead.py), which answers for that app only
    signing: SigningSource | None = field(default=None, compare=False)
