"""Baseline files: findings a team has reviewed and accepted, keyed by fingerprint.

Fingerprints leave out version codes and dex positions, so an accepted finding
stays accepted across rebuilds; a baseline entry with no matching finding is
reported as fixed. The file is versioned, sorted JSON, so it reviews well in diffs.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from scanner.model import Acceptance, Audit, BaselineEntry, RuleHit
from scanner.serial import read_json

SCHEMA = "appaudit-baseline/1"


class BaselineError(Exception):
    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")


@dataclass(frozen=True, slots=True)
class Baseline:
    path: str
    package: str | None
    entries: dict[str, BaselineEntry]


def create(audit: Audit, reason: str) -> str:
    """Every rule hit of this audit, accepted with one shared reason (hits, not findings: a rule that joins a
    finding later is a new hit the baseline does not hold)."""
    entries = sorted({BaselineEntry(h.fingerprint, h.rule_id, reason) for h in audit.hits})
    doc = {
        "schema": SCHEMA,
        "package": audit.app.package if audit.app else None,
        "tool": audit.tool.version,
        "knowledge_base": audit.knowledge_base.version,
        "findings": [dataclasses.asdict(e) for e in entries],
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def load(path: Path) -> Baseline:
    label = str(path)
    doc = read_json(path, SCHEMA, BaselineError)
    entries = {}
    for i, item in enumerate(doc.get("findings") or []):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) and item.get(k)
                                                 for k in ("fingerprint", "rule_id", "reason")):
            raise BaselineError(label, f"findings[{i}] needs a fingerprint, a rule_id and a reason")
        entries[item["fingerprint"]] = BaselineEntry(item["fingerprint"], item["rule_id"], item["reason"])
    package = doc.get("package")
    return Baseline(label, package if isinstance(package, str) else None, entries)


Accepted = tuple[tuple[RuleHit, ...], tuple[BaselineEntry, ...]]


def apply_baseline(findings: Iterable[RuleHit], baseline: Baseline) -> Accepted:
    """(findings with the baseline's acceptances, entries no finding matched: fixed)."""
    out, seen = [], set()
    for f in findings:
        entry = baseline.entries.get(f.fingerprint)
        if entry:
            seen.add(f.fingerprint)
            if f.accepted is None:
                f = dataclasses.replace(f, accepted=Acceptance("baseline", entry.reason))
        out.append(f)
    fixed = tuple(sorted(e for fp, e in baseline.entries.items() if fp not in seen))
    return tuple(out), fixed
