"""Build rule hits from the rules catalog, so titles, severities, references and subjects live in one place."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from scanner.model import Confidence, Evidence, RuleHit, Severity, Subject
from signatures.model import KnowledgeBase


def fingerprint(rule_id: str, package: str, part: str, symbol: str) -> str:
    """v1: sha256(rule | package | part | symbol); no version or dex index, so it survives rebuilds."""
    return hashlib.sha256("|".join((rule_id, package, part, symbol)).encode("utf-8")).hexdigest()


_LOWER = {Confidence.HIGH: Confidence.MEDIUM, Confidence.MEDIUM: Confidence.LOW, Confidence.LOW: Confidence.LOW}


def finding(kb: KnowledgeBase, rule_id: str, package: str, message: str, evidence: Iterable[Evidence], *,
            key: tuple[str, str], sdk: str | None = None, pi_categories: Iterable[str] = (),
            confidence: Confidence = Confidence.HIGH, severity: Severity | None = None,
            verified: bool = True, party: str | None = None, fix: str | None = None,
            subject: Subject | str | None = None) -> RuleHit:
    """``key`` is the (part, symbol) that identifies what the hit is about across builds (its fingerprint).

    ``subject`` says which thing of the rule's subject kind it hits, so hits of several rules on one thing
    fold into one finding: by default the key's symbol; a ``Subject`` also overrides the kind. Rules about
    an app-wide property (kind ``app``) are each their own subject.

    ``verified=False``: the knowledge-base fact the finding rests on was taken from memory,
    not checked against its source, so the finding is one confidence step less sure.
    """
    rule = kb.rule(rule_id)  # KeyError for an uncatalogued id: a bug, caught by the tests
    items = tuple(sorted(set(evidence)))
    if isinstance(subject, Subject):
        about = subject
    elif rule.subject == "app":
        about = Subject("app", f"{rule_id}|{key[0]}|{key[1]}")
    else:
        about = Subject(rule.subject, subject if subject is not None else key[1])
    return RuleHit(
        rule_id=rule_id, title=rule.title,
        severity=severity if severity is not None else rule.severity,
        confidence=confidence if verified else _LOWER[confidence], category=rule_id.split(".", 1)[0],
        message=message, pi_categories=tuple(sorted(set(pi_categories))), sdk=sdk, evidence=items, refs=rule.refs,
        fingerprint=fingerprint(rule_id, package, *key),
        party=party or ("sdk" if sdk else "app"),
        fix=fix or rule.fix, subject=about,
    )
