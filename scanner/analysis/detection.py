"""Run the detectors over an app's facts and build its Audit: live facts, or a batch's stored snapshot.

Needs no reader: a re-match of stored facts imports this, not the engine.
"""

from __future__ import annotations

from dataclasses import replace

from scanner.analysis.detectors import Context, Detector, Results, ordered
from scanner.analysis.facts import AppFacts
from scanner.analysis.index import CodeIndex
from scanner.analysis.modules import place
from scanner.analysis.ownership import Ownership, attribute
from scanner.analysis.reachability import PreConsent
from scanner.analysis.result import build_audit
from scanner.model import Audit, InputInfo, ScanError, Status
from signatures.model import KnowledgeBase

DETECTORS: tuple[Detector, ...] = ordered()


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
    owners = ownership(facts, kb)
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
            results[detector.ID] = detector.detect(Context(facts, kb, index, reach, owners, category, found))
        except Exception as exc:  # noqa: BLE001 -- a detector bug is recorded as this app's error; others still run
            missing[detector.ID] = "failed"
            problems.append(ScanError("detector-failed", f"{path}: detector {detector.ID} failed: {exc!r}"))
    everything = Results()
    for detector in DETECTORS:
        if detector.ID in results:
            everything = everything.merge(results[detector.ID])
    problems += everything.incomplete
    status = Status.PARTIAL if problems else Status.OK
    everything, bundle = place(facts, owners, everything)  # an app bundle's modules (nothing for an APK)
    audit = build_audit(kb, info, facts, status, tuple(sorted(set(problems))), everything, category)
    return audit if bundle is None else replace(audit, bundle=bundle)


def ownership(facts: AppFacts, kb: KnowledgeBase) -> Ownership:
    """Attribute every package once; the app's application and component classes seed its own side."""
    manifest = facts.apk.manifest
    app_classes = [c.name for c in manifest.components]
    if manifest.application_class:
        app_classes.append(manifest.application_class)
    return attribute(kb, facts.graph, facts.dex.class_names(), facts.package, app_classes)
