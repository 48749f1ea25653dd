"""A scan as users ask for it: the analysis, then what the team accepted (policy, baseline).

The analysis reports what the app does; acceptance is the release gate's business, so
it is applied here, to a finished ``Audit`` — the same way for a live scan, a batch
job and a re-match of stored facts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from scanner.analysis.engine import analyse
from scanner.analysis.grouping import group
from scanner.analysis.options import AnalysisOptions
from scanner.gate.baseline import Baseline, apply_baseline
from scanner.gate.policy import Policy, apply_policy
from scanner.gate.verdict import Gate, verdict
from scanner.input.safezip import DEFAULT_LIMITS, ZipLimits
from scanner.model import Audit
from scanner.privacy_policy.model import Policy as PrivacyPolicy
from signatures.model import KnowledgeBase

if TYPE_CHECKING:
    from scanner.android.apk import SigningSource


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """Everything a scan takes (CLI > appaudit.toml > defaults); no global settings."""

    limits: ZipLimits = field(default_factory=lambda: DEFAULT_LIMITS)
    category: str | None = None  # app type; overrides the policy's
    policy: Policy | None = None
    baseline: Baseline | None = None
    gate: Gate = field(default_factory=Gate)  # what fails the build; the verdict in every report follows it
    privacy_policy: PrivacyPolicy | None = None  # given with --privacy-policy: compared instead of a bundled one
    lang: str = "en"  # the language of the human-readable reports written beside the results (batch)
    signing: SigningSource | None = field(default=None, compare=False)  # see AnalysisOptions.signing

    @property
    def app_category(self) -> str | None:
        return self.category or (self.policy.category if self.policy else None)

    @property
    def analysis(self) -> AnalysisOptions:
        return AnalysisOptions(self.limits, self.app_category, self.privacy_policy, self.signing)


def scan(path: str, options: ScanOptions | None = None, kb: KnowledgeBase | None = None) -> Audit:
    """Analyse one APK or split bundle and apply the policy and baseline; never raises for bad input.

    ``kb`` defaults to the knowledge base ``signatures.load()`` gives (loaded once per process).
    """
    if kb is None:
        import signatures

        kb = signatures.load()
    options = options or ScanOptions()
    return review(analyse(path, kb, options.analysis).audit, options, kb)


def review(audit: Audit, options: ScanOptions, kb: KnowledgeBase) -> Audit:
    """Policy first (it may drop or re-grade rule hits), then the baseline (acceptances, and what was fixed),
    then the hits grouped again into findings (what is accepted decides which hit leads), then the gate's
    verdict over the findings."""
    if options.policy is None and options.baseline is None:
        return dataclasses.replace(audit, verdict=verdict(audit, options.gate))
    hits = audit.hits
    if options.policy is not None:
        hits = apply_policy(hits, options.policy)
    fixed = audit.fixed
    if options.baseline is not None:
        hits, fixed = apply_baseline(hits, options.baseline)
    package = audit.app.package if audit.app else ""
    reviewed = dataclasses.replace(audit, findings=group(hits, kb, package), fixed=fixed)
    return dataclasses.replace(reviewed, verdict=verdict(reviewed, options.gate))
