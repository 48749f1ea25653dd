"""Scan options as one frozen value (CLI > appaudit.toml > defaults); no global settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.gate.baseline import Baseline
from scanner.gate.policy import Policy
from scanner.input.safezip import DEFAULT_LIMITS, ZipLimits


@dataclass(frozen=True, slots=True)
class ScanOptions:
    limits: ZipLimits = field(default_factory=lambda: DEFAULT_LIMITS)
    category: str | None = None  # app type; overrides the policy's
    policy: Policy | None = None
    baseline: Baseline | None = None

    @property
    def app_category(self) -> str | None:
        return self.category or (self.policy.category if self.policy else None)
