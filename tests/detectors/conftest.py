"""Scan each fixture once per test session; detector tests read the results."""

from __future__ import annotations

from functools import cache

from scanner import ScanOptions, scan
from scanner.model import Audit
from tests.conftest import FIXTURES


@cache
def audit_of(name: str, category: str | None = None) -> Audit:
    return scan(str(FIXTURES / name), ScanOptions(category=category))


def rules(audit: Audit) -> set[str]:
    return {f.rule_id for f in audit.hits}
