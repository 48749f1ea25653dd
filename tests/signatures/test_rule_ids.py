"""Every rule id that code emits exists in rules.toml (the single source of rule metadata).

Scans the string literals of the three packages: anything shaped like a rule id
(`<area>.<name>` with a known area) must be a catalogued rule.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from signatures import KnowledgeBase

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("scanner", "signatures", "reports")
AREAS = ("sdk", "permission", "api", "pi", "consent", "category", "code", "network", "manifest", "packer", "analysis",
         "apk", "signing", "policy")
RULE_SHAPE = re.compile(rf"^({'|'.join(AREAS)})\.[a-z][a-z_]*$")
NOT_RULES = re.compile(r"\.(py|xml|json|toml|txt|html|so|dex|jar|md)$")


def rule_like_literals(roots: tuple[Path, ...] = tuple(ROOT / p for p in PACKAGES)) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    value = node.value
                    if RULE_SHAPE.match(value) and not NOT_RULES.search(value):
                        found.setdefault(value, []).append(f"{path.name}:{node.lineno}")
    return found


def test_rule_ids_in_code_are_catalogued(kb: KnowledgeBase) -> None:
    missing = {rid: where for rid, where in rule_like_literals().items() if rid not in kb.rules}
    assert not missing, f"rule ids used in code but absent from rules.toml: {missing}"


def test_scan_recognises_rule_ids(tmp_path: Path) -> None:
    (tmp_path / "detector.py").write_text(
        'RULE = "pi.location"\nOTHER = "manifest.xml"\nNAME = "scanner.cli"\n'
        'def f():\n    return Finding(rule_id="consent.pi_before_consent")\n'
    )
    assert set(rule_like_literals((tmp_path,))) == {"pi.location", "consent.pi_before_consent"}


def test_data_references_only_catalogued_rules(kb: KnowledgeBase) -> None:
    referenced = {p.rule for p in kb.pi_categories.values()} | {p.rule for p in kb.permissions.values()}
    referenced |= {a.rule for a in kb.apis}
    referenced.discard(None)
    assert referenced <= set(kb.rules)
    assert {"pi.device_id", "permission.query_all_packages", "code.dynamic_code_loading"} <= referenced
