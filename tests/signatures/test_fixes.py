"""Every rule says how to fix what it finds, and every finding carries a fix into the reports."""

from __future__ import annotations

from pathlib import Path

import pytest

import scanner
from reports.markdown import MarkdownWriter
from reports.sarif import SarifWriter
from signatures import load
from signatures.model import KnowledgeBaseError
from tests.conftest import FIXTURES, KB


def test_every_rule_has_a_fix_of_its_own() -> None:
    fixes = [r.fix for r in KB.rules.values()]
    assert all(len(f.split()) >= 8 for f in fixes), [r.id for r in KB.rules.values() if len(r.fix.split()) < 8]
    assert len(set(fixes)) == len(fixes)  # no rule borrows another's advice
    assert all(f != r.explanation for f, r in zip(fixes, KB.rules.values(), strict=True))


def test_a_rule_without_a_fix_is_refused(data_copy: Path) -> None:
    rules = data_copy / "rules.toml"
    text = rules.read_text(encoding="utf-8")
    start = text.index('fix = """', text.index('id = "manifest.debuggable"'))
    end = text.index('"""', start + 9) + 3
    rules.write_text(text[:start] + text[end:], encoding="utf-8")
    with pytest.raises(KnowledgeBaseError, match="fix"):
        load(data_copy)


def test_findings_carry_the_rule_fix_or_their_sdks_own() -> None:
    audit = scanner.scan(str(FIXTURES / "preconsent.apk"), scanner.ScanOptions())
    assert audit.hits and all(f.fix for f in audit.hits)
    debuggable = next(f for f in audit.hits if f.rule_id == "manifest.debuggable")
    assert debuggable.fix == KB.rule("manifest.debuggable").fix
    (start,) = [f for f in audit.hits if f.rule_id == "consent.sdk_init_before_consent"]
    # the knowledge base knows Umeng's pre-initialisation: the fix names it, not the general advice
    assert "UMConfigure.preInit" in start.fix and start.fix != KB.rule(start.rule_id).fix


def test_the_fix_reaches_markdown_and_sarif() -> None:
    audit = scanner.scan(str(FIXTURES / "preconsent.apk"), scanner.ScanOptions())
    text = MarkdownWriter().render(audit, KB)
    assert "| Fix |" in text and "android:debuggable to false" in text
    sarif = SarifWriter().render(audit, KB)
    assert "**Fix:** Build the release variant" in sarif
