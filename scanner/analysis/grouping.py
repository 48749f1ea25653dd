"""Rule hits to findings: one finding per subject, so one problem is one row and one count.

An Umeng MAC read before consent hits three rules (the read, the SDK's read, the pre-consent read); a
reader wants one problem with the most severe rule leading and the others as tags. Grouping runs after
the policy and the baseline, because what they accept decides which hit leads: the most severe *open*
hit, so an accepted high hit does not make an open medium problem look high. Fingerprints of hits are
untouched (baselines and SARIF key on them); a finding's own fingerprint names its subject.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from scanner.model import Finding, RuleHit, Subject, Tag
from signatures.model import KnowledgeBase

EVIDENCE_MAX = 24  # a finding's evidence: the lead's, then the tags' new items, up to this many


def subject_fingerprint(package: str, subject: Subject) -> str:
    """sha256("subject" | package | kind | key): stable while the subject exists, whichever rule leads."""
    return hashlib.sha256("|".join(("subject", package, subject.kind, subject.key)).encode("utf-8")).hexdigest()


def group(hits: Iterable[RuleHit], kb: KnowledgeBase, package: str) -> tuple[Finding, ...]:
    """One finding per subject, most severe first (``finding_order``)."""
    by_subject: dict[Subject, list[RuleHit]] = {}
    for hit in hits:
        by_subject.setdefault(hit.subject, []).append(hit)
    found = [_finding(sorted(same, key=lambda h: _lead_order(h, kb)), package) for same in by_subject.values()]
    return tuple(sorted(found, key=finding_order))


def _lead_order(hit: RuleHit, kb: KnowledgeBase) -> tuple[bool, int, int, str]:
    """Open before accepted, then most severe, then the rule the catalog lists first."""
    return hit.accepted is not None, -hit.severity, kb.rule_rank(hit.rule_id), hit.fingerprint


def _finding(ranked: list[RuleHit], package: str) -> Finding:
    lead, others = ranked[0], ranked[1:]
    evidence = list(dict.fromkeys((*lead.evidence, *(e for h in others for e in h.evidence))))[:EVIDENCE_MAX]
    return Finding(
        rule_id=lead.rule_id, title=lead.title, severity=lead.severity, confidence=lead.confidence,
        category=lead.category, message=lead.message,
        pi_categories=tuple(sorted({c for h in ranked for c in h.pi_categories})),
        sdk=lead.sdk or next((h.sdk for h in others if h.sdk), None), evidence=tuple(evidence),
        refs=lead.refs, fingerprint=subject_fingerprint(package, lead.subject),
        accepted=lead.accepted if all(h.accepted for h in ranked) else None,
        party=lead.party, fix=lead.fix, subject=lead.subject,
        tags=tuple(Tag(h.rule_id, h.title, h.severity, h.refs, h.accepted) for h in others),
        hits=tuple(ranked),
    )


def finding_order(f: Finding) -> tuple[int, str, str]:
    """Most severe first; then by rule and fingerprint, so the order is stable."""
    return -int(f.severity), f.rule_id, f.fingerprint
