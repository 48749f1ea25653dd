"""Detectors, run in this order: each sees what the earlier ones found.

Trackers first (SDK attribution), then API calls (reads, pre-consent), endpoints,
permissions (needs the calls), manifest, packers, and compliance (needs all).
"""

from __future__ import annotations

from scanner.analysis.detectors import api_calls, compliance, endpoints, manifest, packers, permissions, trackers
from scanner.analysis.detectors.base import Context, Detector, Results

ALL: tuple[Detector, ...] = (trackers, api_calls, endpoints, permissions, manifest, packers, compliance)

__all__ = ["ALL", "Context", "Detector", "Results"]
