"""The pipeline for one app: open, gather facts, run detectors, build the Audit.

Nothing a hostile APK does may escape as a traceback: input and format failures
become ``status: "error"`` with their typed reason, a crashing detector becomes
an error entry of that app while the others still run.
"""

from __future__ import annotations

from dataclasses import dataclass

from scanner.analysis.detectors import Context, Detector, Results, ordered
from scanner.analysis.facts import AppFacts, gather
from scanner.analysis.index import CodeIndex, build_index
from scanner.analysis.options import AnalysisOptions
from scanner.analysis.reachability import PreConsent, pre_consent
from scanner.analysis.result import build_audit, error_audit
from scanner.analysis.targets import api_targets
from scanner.errors import ScanFailure
from scanner.input.archive import open_app
from scanner.model import Audit, InputInfo, ScanError, Status
from signatures.model import KnowledgeBase

DETECTORS: tuple[Detector, ...] = ordered()


@dataclass(frozen=True, slots=True)
class Analysis:
    """An audit with what it was made from, for callers that keep the facts (batch snapshots)."""

    audit: Audit
    facts: AppFacts | None = None
    index: CodeIndex | None = None
    reach: PreConsent | None = None


def analyse(path: str, kb: KnowledgeBase, options: AnalysisOptions | None = None) -> Analysis:
    """Analyse one APK or split bundle against ``kb``; never raises for bad input."""
    options = options or AnalysisOptions()
    try:
        archive = open_app(path, options.limits)
    except ScanFailure as exc:
        return Analysis(error_audit(InputInfo(path, None, None, None), exc, kb))
    info = InputInfo(path, archive.sha256, archive.size, archive.format)
    try:
        facts, dex = gather(archive)
        index = build_index(facts, dex, api_targets(kb))
        reach = pre_consent(dex, facts.apk.manifest)
    except ScanFailure as exc:
        return Analysis(error_audit(info, exc, kb))
    except Exception as exc:  # noqa: BLE001 -- a reader bug must not end a batch: it becomes this app's error
        return Analysis(error_audit(info, ScanFailure(path, f"internal error while reading the app: {exc!r}"), kb))
    return Analysis(detect(facts, index, reach, kb, options.category), facts, index, reach)


def detect(facts: AppFacts, index: CodeIndex, reach: PreConsent, kb: KnowledgeBase, category: str | None) -> Audit:
    """Run every detector over gathered facts (live, or a batch's stored snapshot).

    A detector sees only the results of the detectors it needs; one whose prerequisite
    failed is skipped, and both are recorded as errors of this app.
    """
    path = facts.source.path
    info = InputInfo(path, facts.source.sha256, facts.source.size, facts.source.format)
    problems = list(facts.problems)
    results: dict[str, Results] = {}
    missing: dict[str, str] = {}  # detector id -> why it has no results
    for detector in DETECTORS:
        absent = [n for n in detector.NEEDS if n in missing]
        if absent:
            missing[detector.ID] = f"needs {', '.join(absent)}"
            problems.append(ScanError("detector-skipped", f"{path}: detector {detector.ID} was skipped: it needs "
                                      f"{', '.join(absent)}, which did not run to completion"))
            continue
        found = Results()
        for need in detector.NEEDS:
            found = found.merge(results[need])
        try:
            results[detector.ID] = detector.detect(Context(facts, kb, index, reach, category, found))
        except Exception as exc:  # noqa: BLE001 -- a detector bug is recorded as this app's error; others still run
            missing[detector.ID] = "failed"
            problems.append(ScanError("detector-failed", f"{path}: detector {detector.ID} failed: {exc!r}"))
    everything = Results()
    for detector in DETECTORS:
        if detector.ID in results:
            everything = everything.merge(results[detector.ID])
    problems += everything.incomplete
    status = Status.PARTIAL if problems else Status.OK
    return build_audit(kb, info, facts, status, tuple(sorted(set(problems))), everything, category)
