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


def test_input_and_output_problems_exit_2_before_scanning(tmp_path: Path) -> None:
    """Before: a RecursionError traceback, or a FileExistsError after the scan; both exit 1, the gate's code."""
    (tmp_path / "self.txt").write_text("self.txt\n")
    (tmp_path / "a.txt").write_text("b.txt\n")
    (tmp_path / "b.txt").write_text("a.txt\n")
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    for args in ([str(tmp_path / "self.txt"), "-o", str(tmp_path / "o1")],
                 [str(tmp_path / "a.txt"), "-o", str(tmp_path / "o2")],
                 [V2, "--fail-on", "high", "-o", str(blocker)],
                 [V2, "--fail-on", "high", "-o", str(blocker / "sub")]):
        proc = appaudit("scan", *args, cwd=tmp_path)
        assert proc.returncode == 2, (args, proc.stderr)
        assert len(proc.stderr.splitlines()) == 1 and proc.stderr.startswith("appaudit: "), proc.stderr
    assert not (tmp_path / "o1").exists() and not (tmp_path / "o2").exists()


def test_a_missing_listed_app_exits_3(tmp_path: Path) -> None:
    (tmp_path / "apps.txt").write_text(f"{V1}\nmissing.apk\n")
    proc = appaudit("scan", str(tmp_path / "apps.txt"), "-o", str(tmp_path / "out"), cwd=tmp_path)
    assert proc.returncode == 3
    assert f"{tmp_path / 'apps.txt'} line 2: {tmp_path / 'missing.apk'} does not exist" in proc.stderr
