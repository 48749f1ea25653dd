"""The pipeline for one app: open, gather facts, run detectors, build the Audit.

Nothing a hostile APK does may escape as a traceback: input and format failures
become ``status: "error"`` with their typed reason, a crashing detector becomes
an error entry of that app while the others still run.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import signatures
from scanner.analysis.detectors import ALL as DETECTORS
from scanner.analysis.detectors import Context, Results
from scanner.analysis.facts import AppFacts, gather
from scanner.analysis.index import CodeIndex, build_index
from scanner.analysis.options import ScanOptions
from scanner.analysis.reachability import PreConsent, pre_consent
from scanner.analysis.result import build_audit, error_audit
from scanner.analysis.targets import api_targets
from scanner.errors import ScanFailure
from scanner.gate.baseline import Accepted, apply_baseline
from scanner.gate.policy import apply_policy
from scanner.input.archive import open_app
from scanner.model import Audit, Finding, InputInfo, ScanError, Status
from signatures.model import KnowledgeBase


@dataclass(frozen=True, slots=True)
class Analysis:
    """An audit with what it was made from, for callers that keep the facts (batch snapshots)."""

    audit: Audit
    facts: AppFacts | None = None
    index: CodeIndex | None = None
    reach: PreConsent | None = None


def scan(path: str, options: ScanOptions | None = None) -> Audit:
    """Analyse one APK or split bundle; never raises for bad input."""
    return analyse(path, options).audit


def analyse(path: str, options: ScanOptions | None = None) -> Analysis:
    options = options or ScanOptions()
    try:
        archive = open_app(path, options.limits)
    except ScanFailure as exc:
        return Analysis(error_audit(InputInfo(path, None, None, None), exc))
    info = InputInfo(path, archive.sha256, archive.size, archive.format)
    kb = signatures.load()
    try:
        facts, dex = gather(archive)
        index = build_index(facts, dex, api_targets(kb))
        reach = pre_consent(dex, facts.apk.manifest)
    except ScanFailure as exc:
        return Analysis(error_audit(info, exc))
    except Exception as exc:  # a parser bug must not end a batch; report it as this app's error
        return Analysis(error_audit(info, ScanFailure(path, f"internal error while reading the app: {exc!r}")))
    return Analysis(detect(facts, index, reach, kb, options), facts, index, reach)


def detect(facts: AppFacts, index: CodeIndex, reach: PreConsent, kb: KnowledgeBase, options: ScanOptions) -> Audit:
    """Run every detector over gathered facts (live, or a batch's stored snapshot)."""
    path = facts.source.path
    info = InputInfo(path, facts.source.sha256, facts.source.size, facts.source.format)
    problems = list(facts.problems)
    found = Results()
    for detector in DETECTORS:
        try:
            found = found.merge(detector.detect(Context(facts, kb, index, reach, options.app_category, found)))
        except Exception as exc:
            problems.append(ScanError("detector-failed", f"{path}: detector {detector.ID} failed: {exc!r}"))
    problems += found.incomplete
    status = Status.PARTIAL if problems else Status.OK
    findings, fixed = _accept(found.findings, options)
    found = dataclasses.replace(found, findings=findings)
    return build_audit(info, facts, status, tuple(sorted(set(problems))), found, options.app_category, fixed)


def _accept(findings: tuple[Finding, ...], options: ScanOptions) -> Accepted:
    """Policy first (it may drop or re-grade), then the baseline (accepted findings, and what was fixed)."""
    if options.policy:
        findings = apply_policy(findings, options.policy)
    if options.baseline:
        return apply_baseline(findings, options.baseline)
    return findings, ()
