"""SARIF 2.1.0 for code-scanning dashboards (GitHub code scanning and other SARIF viewers).

Every rule of the catalog is listed in ``tool.driver.rules`` so rule indices are
stable across runs; results point at the APK with logical locations for the
class/method or manifest element; accepted findings (policy or baseline) carry
``suppressions`` so viewers show them as reviewed rather than dropping them.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import quote

from scanner.model import Audit, Evidence, RuleHit, Severity, Status
from signatures.model import KnowledgeBase

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {Severity.CRITICAL: "error", Severity.HIGH: "error", Severity.MEDIUM: "warning",
          Severity.LOW: "note", Severity.INFO: "note"}
_KINDS = {"manifest": "element", "dex": "function", "native": "module", "certificate": "resource",
          "resource": "resource", "asset": "resource", "network_security_config": "resource"}


def _rule_name(rule_id: str) -> str:
    """``pi.device_id`` -> ``PiDeviceId``: SARIF names are identifier-like."""
    return "".join(part.capitalize() for part in rule_id.replace(".", "_").split("_"))


def _rules(kb: KnowledgeBase) -> list[dict[str, Any]]:
    out = []
    for rule in sorted(kb.rules.values(), key=lambda r: r.id):
        refs = "; ".join(rule.refs)
        level = LEVELS[rule.severity]
        out.append({
            "id": rule.id,
            "name": _rule_name(rule.id),
            "shortDescription": {"text": rule.title},
            "fullDescription": {"text": rule.explanation},
            "help": {"text": f"{rule.explanation}\n\nFix: {rule.fix}" + (f"\n\nReferences: {refs}" if refs else ""),
                     "markdown": f"{rule.explanation}\n\n**Fix:** {rule.fix}"
                                 + (f"\n\n**References:** {refs}" if refs else "")},
            "defaultConfiguration": {"level": level},
            "properties": {"tags": ["privacy", rule.id.split(".", 1)[0]], "regulations": list(rule.refs),
                           "severity": rule.severity.label},
        })
    return out


def uri(path: str) -> str:
    """A file path as a SARIF URI reference: ``/`` separators, every other reserved or non-ASCII byte
    percent-encoded (``my app#2.apk`` -> ``my%20app%232.apk``), undecodable bytes of the name kept as they were."""
    return quote(os.fsencode(path.replace("\\", "/")), safe="/")


def _location(audit: Audit, evidence: tuple[Evidence, ...]) -> dict[str, Any]:
    artifact: dict[str, Any] = {"uri": uri(audit.input.path), "index": 0}
    if not audit.input.path.startswith("/"):
        artifact["uriBaseId"] = "%SRCROOT%"
    location: dict[str, Any] = {"physicalLocation": {"artifactLocation": artifact}}
    logical = []
    for e in evidence[:5]:
        name = e.path if e.part == "dex" and "->" in e.path else e.symbol
        logical.append({"name": name, "fullyQualifiedName": f"{e.part}:{e.path}:{e.symbol}",
                        "kind": _KINDS.get(e.part, "resource")})
    if logical:
        location["logicalLocations"] = logical
    return location


def _result(audit: Audit, f: RuleHit, finding: str, index: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": f.rule_id,
        "level": LEVELS[f.severity],
        "message": {"text": f.message},
        "locations": [_location(audit, f.evidence)],
        "partialFingerprints": {"appaudit/v1": f.fingerprint},
        "properties": {"severity": f.severity.label, "confidence": f.confidence.value,
                       "piCategories": list(f.pi_categories), "sdk": f.sdk, "regulations": list(f.refs),
                       "finding": finding},  # the report's finding (one per subject) this hit belongs to
    }
    if f.rule_id in index:
        result["ruleIndex"] = index[f.rule_id]
    if f.accepted:
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": f"{f.accepted.by}: {f.accepted.reason}"}]
    return result


class SarifWriter:
    name = "sarif"
    suffix = ".sarif"

    def render(self, audit: Audit, kb: KnowledgeBase) -> str:
        rules = _rules(kb)
        index = {r["id"]: i for i, r in enumerate(rules)}
        artifact: dict[str, Any] = {"location": {"uri": uri(audit.input.path)}}
        if audit.input.sha256:
            artifact["hashes"] = {"sha-256": audit.input.sha256}
        notifications = [{"level": "error", "message": {"text": e.message}, "descriptor": {"id": e.code}}
                         for e in audit.errors]
        run = {
            "tool": {"driver": {"name": "appaudit", "version": audit.tool.version,
                                "semanticVersion": audit.tool.version,
                                "rules": rules,
                                "properties": {"knowledgeBase": audit.knowledge_base.version}}},
            "artifacts": [artifact],
            "invocations": [{"executionSuccessful": audit.status is not Status.ERROR,
                             "toolExecutionNotifications": notifications}],
            # one result per rule hit, so code-scanning alerts stay stable; the report's count is of findings
            "results": [_result(audit, h, f.fingerprint, index) for f in audit.findings for h in f.hits],
            "properties": {"package": audit.app.package if audit.app else None, "status": audit.status.value,
                           "findings": len(audit.findings),
                           "openFindings": sum(1 for f in audit.findings if f.accepted is None)},
        }
        doc = {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
