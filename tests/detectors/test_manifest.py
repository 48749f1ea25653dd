"""Manifest findings on the fixtures."""

from __future__ import annotations

import pytest

from tests.detectors.conftest import audit_of


def _manifest(fixture: str) -> set[tuple[str, str]]:
    return {(f.rule_id, f.evidence[0].symbol) for f in audit_of(fixture).hits if f.rule_id.startswith("manifest.")}


@pytest.mark.parametrize(("fixture", "expected"), [
    ("clean.apk", set()),
    ("preconsent.apk", {
        ("manifest.debuggable", "android:debuggable"),
        ("manifest.allow_backup", "android:allowBackup"),
        ("manifest.exported_component", "org.appaudit.fixture.preconsent.BootReceiver"),
        ("manifest.self_start", "org.appaudit.fixture.preconsent.BootReceiver"),
    }),
    ("sdks.apk", {
        ("manifest.allow_backup", "android:allowBackup"),
        ("manifest.exported_component", "cn.jpush.android.service.PushReceiver"),
        ("manifest.self_start", "cn.jpush.android.service.PushReceiver"),
    }),
])
def test_manifest_findings(fixture: str, expected: set) -> None:
    assert _manifest(fixture) == expected
