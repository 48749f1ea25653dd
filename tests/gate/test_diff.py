"""Diff between two builds that differ by one SDK, one permission and one pre-consent read."""

from __future__ import annotations

import json
from pathlib import Path

from reports.json import to_dict
from scanner import scan
from scanner.gate.diff import diff
from tests.conftest import FIXTURES
from tests.gate.conftest import V1, V2, appaudit


def test_each_change_reported_exactly_once() -> None:
    d = diff(to_dict(scan(V1)), to_dict(scan(V2)))
    assert d.sdks_added == ("tencent-bugly",) and d.sdks_removed == ()
    assert d.permissions_added == ("android.permission.CAMERA",) and d.permissions_removed == ()
    assert [(c.caller, c.pi_category) for c in d.pre_consent_added] == [
        ("Lorg/appaudit/fixture/release/App;->onCreate()V", "device_id.android_id")]
    assert d.pre_consent_removed == ()
    # the new SDK's own read is a new call site; the pre-consent read is not listed again there
    assert [(c.sdk, c.pi_category) for c in d.calls_added] == [("tencent-bugly", "installed_apps")]
    assert d.calls_removed == ()
    assert d.endpoints_added == ("https://android.bugly.qq.com/rqd/async",)
    assert d.grew and not diff(to_dict(scan(V1)), to_dict(scan(V1))).grew


def test_reverse_diff_reports_removals() -> None:
    d = diff(to_dict(scan(V2)), to_dict(scan(V1)))
    assert d.sdks_removed == ("tencent-bugly",) and d.permissions_removed == ("android.permission.CAMERA",)
    assert len(d.pre_consent_removed) == 1 and not d.grew
    assert {f["rule_id"] for f in d.findings_fixed} >= {"consent.pi_before_consent", "sdk.embedded"}


def test_markdown_json_html_from_apk_and_json(tmp_path: Path) -> None:
    old_json = tmp_path / "old.json"
    old_json.write_text(json.dumps(to_dict(scan(V1))))
    out = tmp_path / "diff"
    proc = appaudit("diff", str(old_json), V2, "-f", "md,json,html", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    md = (out / "diff.md").read_text()
    for line in ("**SDKs added (1)**", "- + `tencent-bugly`", "**Permissions added (1)**",
                 "- + `android.permission.CAMERA`", "**Reads before consent added (1)**"):
        assert md.count(line) == 1, line
    doc = json.loads((out / "diff.json").read_text())
    assert doc["schema"] == "appaudit-diff/1" and doc["grew"] is True
    html = (out / "diff.html").read_text()
    assert "Content-Security-Policy" in html and "tencent-bugly" in html


def test_a_changed_sdk_version_is_reported(tmp_path: Path) -> None:
    """versions.apk states Umeng 9.6.3 and JPush 5.0.3; the older build (its result kept as JSON) had 9.5.0."""
    new = to_dict(scan(str(FIXTURES / "versions.apk")))
    assert {s["id"]: s["version"] for s in new["sdks"]} == {"jiguang-jpush": "5.0.3", "umeng-analytics": "9.6.3"}
    old = json.loads(json.dumps(new))
    next(s for s in old["sdks"] if s["id"] == "umeng-analytics")["version"] = "9.5.0"
    d = diff(old, new)
    assert [(v.sdk, v.old, v.new) for v in d.sdk_versions_changed] == [("umeng-analytics", "9.5.0", "9.6.3")]
    assert diff(new, new).sdk_versions_changed == ()
    old_json = tmp_path / "old.json"
    old_json.write_text(json.dumps(old))
    out = tmp_path / "diff"
    proc = appaudit("diff", str(old_json), str(FIXTURES / "versions.apk"), "-f", "md", "-o", str(out))
    assert proc.returncode == 0, proc.stderr
    md = (out / "diff.md").read_text()
    assert "**SDK versions changed (1)**" in md and "- ~ `umeng-analytics: 9.5.0 → 9.6.3`" in md
