"""What the analysis of one app depends on besides the app and the knowledge base."""

from __future__ import annotations

from dataclasses import dataclass, field

from scanner.input.safezip import DEFAULT_LIMITS, ZipLimits


@dataclass(frozen=True, slots=True)
class AnalysisOptions:
    limits: ZipLimits = field(default_factory=lambda: DEFAULT_LIMITS)
    category: str | None = None  # app type whose necessary information reads are compared against
