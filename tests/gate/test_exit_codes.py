"""Every exit code path of the release gate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, HOSTILE
from tests.gate.conftest import V1, V2, appaudit


@pytest.mark.parametrize(("args", "code"), [
    ([str(FIXTURES / "clean.apk")], 0),
    ([V2], 0),  # no gate asked for: findings alone never fail
    ([V2, "--fail-on", "high"], 1),  # the pre-consent read is high
    ([V1, "--fail-on", "high"], 0),
    ([str(FIXTURES / "clean.apk"), "--fail-on", "info"], 0),
    ([V1, "--fail-on", "info"], 1),
    ([str(HOSTILE / "zip_bomb.apk"), "--fail-on", "critical"], 3),  # cannot judge what was not analysed
    ([V2, "--fail-on", "severe"], 2),
    ([V2, "--fail-on-new"], 2),  # needs --baseline
    ([V2, "--category", "no_such_type"], 2),
    ([V2, "--config", "/nonexistent/appaudit.toml"], 2),
    ([V2, "--baseline", "/nonexistent/baseline.json"], 2),
])
def test_scan_exit_codes(args: list[str], code: int, tmp_path: Path) -> None:
    proc = appaudit("scan", *args, "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == code, proc.stderr


def test_fail_on_new_with_baseline(tmp_path: Path) -> None:
    baseline = tmp_path / "baseline.json"
    assert appaudit("baseline", "create", V1, "-o", str(baseline), cwd=tmp_path).returncode == 0
    same = appaudit("scan", V1, "--baseline", str(baseline), "--fail-on-new", "-o", str(tmp_path / "a"), cwd=tmp_path)
    assert same.returncode == 0, same.stderr
    grown = appaudit("scan", V2, "--baseline", str(baseline), "--fail-on-new", "-o", str(tmp_path / "b"), cwd=tmp_path)
    assert grown.returncode == 1 and "failing the gate" in grown.stderr
    # new findings below the threshold do not fail
    low = appaudit("scan", V2, "--baseline", str(baseline), "--fail-on-new", "--fail-on", "critical",
                   "-o", str(tmp_path / "c"), cwd=tmp_path)
    assert low.returncode == 0


def test_policy_accepts_and_disables(tmp_path: Path) -> None:
    (tmp_path / "appaudit.toml").write_text(
        '[rules]\ndisable = ["consent.pi_before_consent"]\n[rules.severity]\n"pi.device_id" = "low"\n')
    proc = appaudit("scan", V2, "--fail-on", "medium", "-o", str(tmp_path / "o"), cwd=tmp_path)
    # still failing: sdk.undisclosed_collection and pi.installed_apps are medium
    assert proc.returncode == 1
    (tmp_path / "appaudit.toml").write_text('[rules]\ndisable = ["consent.pi_before_consent"]\n')
    assert appaudit("scan", V2, "--fail-on", "high", "-o", str(tmp_path / "p"), cwd=tmp_path).returncode == 0


@pytest.mark.parametrize(("args", "code"), [
    ([V1, V2], 0),
    ([V1, V2, "--fail-on-new"], 1),
    ([V1, V1, "--fail-on-new"], 0),
    ([V1, str(HOSTILE / "truncated.apk")], 2),
    ([V1, V2, "-f", "pdf"], 2),
])
def test_diff_exit_codes(args: list[str], code: int, tmp_path: Path) -> None:
    assert appaudit("diff", *args, cwd=tmp_path).returncode == code
