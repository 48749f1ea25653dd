"""Policy files: what they accept, and a clear error for every malformed one."""

from __future__ import annotations

from pathlib import Path

import pytest

import signatures
from scanner import ScanOptions, scan
from scanner.gate.policy import PolicyError, load_policy
from tests.conftest import FIXTURES
from tests.gate.conftest import V2, appaudit


def _policy(tmp_path: Path, text: str):  # type: ignore[no-untyped-def]
    path = tmp_path / "appaudit.toml"
    path.write_text(text)
    return load_policy(path, signatures.load())


@pytest.mark.parametrize(("text", "words"), [
    ("category = [", "not valid TOML"),
    ('colour = "blue"', "unknown key colour"),
    ('[allow]\nsdk = {}', "unknown key allow.sdk"),
    ('category = "spaceship"', "not an app type"),
    ('[allow.sdks]\n"no-such-sdk" = "why"', "unknown SDK id 'no-such-sdk'"),
    ('[allow.sdks]\n"umeng-analytics" = ""', "needs a justification"),
    ('[allow.permissions]\n"android.permission.CAMERA" = 3', "needs a justification"),
    ('[rules]\ndisable = ["no.such_rule"]', "unknown rule id 'no.such_rule'"),
    ('[rules.severity]\n"pi.clipboard" = "urgent"', "is not one of"),
    ('[rules]\ndisable = "pi.clipboard"', "must be a list"),
])
def test_malformed_policies(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(PolicyError, match=words) as info:
        _policy(tmp_path, text)
    assert str(tmp_path / "appaudit.toml") in str(info.value)


def test_malformed_policy_is_exit_2_with_one_line(tmp_path: Path) -> None:
    (tmp_path / "appaudit.toml").write_text('colour = "blue"\n')
    proc = appaudit("scan", V2, "-o", str(tmp_path / "o"), cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0 and "colour" in proc.stderr


def test_allowed_sdk_accepts_presence_not_consent(tmp_path: Path) -> None:
    policy = _policy(tmp_path, '[allow.sdks]\n"tencent-bugly" = "crash reports"\n'
                               '[allow.permissions]\n"android.permission.CAMERA" = "QR codes"\n')
    audit = scan(V2, ScanOptions(policy=policy))
    accepted = {(f.rule_id, f.sdk) for f in audit.hits if f.accepted}
    assert ("sdk.embedded", "tencent-bugly") in accepted and ("pi.installed_apps", "tencent-bugly") in accepted
    assert ("sdk.undisclosed_collection", "tencent-bugly") not in accepted
    assert not any(f.accepted for f in audit.hits if f.rule_id.startswith("consent."))
    camera = [f for f in audit.hits if f.evidence and f.evidence[0].symbol == "android.permission.CAMERA"]
    assert camera and all(f.accepted and f.accepted.reason == "QR codes" for f in camera)


def test_category_from_policy(tmp_path: Path) -> None:
    policy = _policy(tmp_path, 'category = "NPI2021-29"\n')
    audit = scan(V2, ScanOptions(policy=policy))
    assert audit.category == "short_video"
    assert any(f.rule_id == "category.no_pi_needed" for f in audit.hits)


def test_an_unknown_permission_in_the_policy_is_accepted_but_said(tmp_path: Path) -> None:
    policy = tmp_path / "appaudit.toml"
    policy.write_text('[allow.permissions]\n"android.permission.CAMRA" = "QR codes"\n'
                      '"android.permission.READ_PHONE_STATE" = "call state"\n', encoding="utf-8")
    proc = appaudit("scan", str(FIXTURES / "sdks.apk"), "-o", str(tmp_path / "out"), "-f", "json",
                    "--config", str(policy))
    assert proc.returncode == 0, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("appaudit: warning:")]
    assert len(warnings) == 1 and "'android.permission.CAMRA' is no permission the knowledge base knows" in warnings[0]
