"""Baseline files: create, accept, report fixed; versioned, sorted, one reason each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner import ScanOptions, scan
from scanner.gate.baseline import BaselineError, create, load
from tests.conftest import FIXTURES
from tests.gate.conftest import V1, V2, appaudit


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    proc = appaudit("baseline", "create", V2, "-o", str(path), "--reason", "reviewed for 1.1")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(path.read_text())
    assert doc["schema"] == "appaudit-baseline/1" and doc["package"] == "org.appaudit.fixture.release"
    prints = [f["fingerprint"] for f in doc["findings"]]
    assert prints == sorted(prints) and len(prints) == len(set(prints))
    assert {f["reason"] for f in doc["findings"]} == {"reviewed for 1.1"}
    audit = scan(V2, ScanOptions(baseline=load(path)))
    assert audit.findings and all(f.accepted and f.accepted.by == "baseline" for f in audit.findings)
    assert audit.fixed == ()


def test_fixed_findings_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "baseline.json"
    path.write_text(create(scan(V2), "accepted"))
    older = scan(V1, ScanOptions(baseline=load(path)))
    fixed_rules = {e.rule_id for e in older.fixed}
    assert "consent.pi_before_consent" in fixed_rules and "sdk.embedded" in fixed_rules
    assert all(f.accepted for f in older.findings)  # everything v1 has, v2 had too


@pytest.mark.parametrize(("text", "words"), [
    ("{not json", "not valid JSON"),
    ('{"schema": "other/1"}', "not the expected kind of file"),
    ('{"schema": "appaudit-baseline/1", "findings": [{"fingerprint": "x"}]}', "findings[0] needs"),
])
def test_bad_baselines(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text)
    with pytest.raises(BaselineError, match=words.replace("[", r"\[").replace("]", r"\]")):
        load(path)


def test_a_baseline_of_another_package_is_said(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert appaudit("baseline", "create", V2, "-o", str(baseline), "--reason", "r").returncode == 0
    other = appaudit("scan", str(FIXTURES / "sdks.apk"), "-o", str(tmp_path / "out"), "-f", "json",
                     "--baseline", str(baseline))
    assert f"baseline {baseline} was made for org.appaudit.fixture.release, not org.appaudit.fixture.sdks" \
        in other.stderr
    same = appaudit("scan", V2, "-o", str(tmp_path / "out2"), "-f", "json", "--baseline", str(baseline))
    assert "was made for" not in same.stderr
