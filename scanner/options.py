"""Scan options as one frozen value (CLI > appaudit.toml > defaults); no global settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from .safezip import DEFAULT_LIMITS, ZipLimits


@dataclass(frozen=True, slots=True)
class ScanOptions:
    limits: ZipLimits = field(default_factory=lambda: DEFAULT_LIMITS)
    category: str | None = None
