"""The bundle's manifest facts against Android's own tools: bundletool's universal APK read by ``aapt``.

The committed universal APKs are rebuilt here from the committed bundles with the pinned bundletool, so the
comparison holds for what bundletool makes today, not only for what it made when the fixtures were built.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

import pytest

from scanner import scan
from scanner.model import Audit
from tests.aab.conftest import audit_of, bundle, universal
from tests.conftest import in_ci
from tests.fixtures.make_aab import KEYS, bundletool_jar

_LINE = re.compile(r"^([\w-]+):\s*(.*)$")


def badging(apk: Path) -> dict[str, list[str]]:
    """``aapt dump badging``: each line's value, by key (``uses-permission`` holds several)."""
    out = subprocess.run(["aapt", "dump", "badging", str(apk)], capture_output=True, text=True, check=True).stdout
    lines: dict[str, list[str]] = {}
    for line in out.splitlines():
        if m := _LINE.match(line):
            lines.setdefault(m.group(1), []).append(m.group(2))
    return lines


def _attr(text: str, name: str) -> str | None:
    m = re.search(rf"\b{name}='([^']*)'", text)
    return m.group(1) if m else None


def expected_from_badging(apk: Path) -> dict[str, object]:
    b = badging(apk)
    package = b["package"][0]
    launchable = b.get("launchable-activity", [""])
    return {
        "package": _attr(package, "name"), "version_code": _attr(package, "versionCode"),
        "version_name": _attr(package, "versionName"), "min_sdk": b["sdkVersion"][0].strip("'"),
        "target_sdk": b["targetSdkVersion"][0].strip("'"), "label": b["application-label"][0].strip("'"),
        "permissions": sorted((_attr(p, "name"), _attr(p, "maxSdkVersion")) for p in b.get("uses-permission", [])),
        "launchable": _attr(launchable[0], "name"),
    }


def facts_of(audit: Audit) -> dict[str, object]:
    app = audit.app
    assert app is not None and app.package, f"{audit.input.path}: no package read ({audit.status})"
    main = [c.name for c in audit.components
            if c.type == "activity" and "android.intent.action.MAIN" in c.intent_actions]
    return {
        "package": app.package, "version_code": str(app.version_code), "version_name": app.version_name,
        "min_sdk": str(app.min_sdk), "target_sdk": str(app.target_sdk), "label": app.label,
        "permissions": sorted((p.name, None if p.max_sdk is None else str(p.max_sdk)) for p in audit.permissions),
        "launchable": main[0] if main else None,
    }


@pytest.mark.android_tools("aapt")
def test_manifest_facts_equal_aapt_badging_of_the_universal_apk(name: str) -> None:
    assert facts_of(audit_of(bundle(name))) == expected_from_badging(universal(name))


@pytest.fixture(scope="module")
def jar() -> Path:
    found = bundletool_jar(download=in_ci())  # CI fetches it first (.ci/run); locally only a cached one is used
    if found is None:
        pytest.skip("the pinned bundletool jar is not cached: python3 tests/fixtures/make_aab.py bundletool")
    return found


@pytest.mark.android_tools("java", "aapt")
def test_bundletool_universal_apk_reads_as_the_bundle(name: str, jar: Path, tmp_path: Path) -> None:
    apks = tmp_path / "out.apks"
    subprocess.run(["java", "-jar", str(jar), "build-apks", f"--bundle={bundle(name)}", f"--output={apks}",
                    "--mode=universal", f"--ks={KEYS / 'release.jks'}", "--ks-pass=pass:appaudit",
                    "--ks-key-alias=release", "--key-pass=pass:appaudit"], check=True, capture_output=True)
    fresh = tmp_path / "universal.apk"
    with zipfile.ZipFile(apks) as archive:
        fresh.write_bytes(archive.read("universal.apk"))
    assert badging(fresh) == badging(universal(name))  # the committed universal APK is bundletool's
    aab, apk = audit_of(bundle(name)), scan(str(fresh))
    assert facts_of(aab) == facts_of(apk) == expected_from_badging(fresh)
    assert [s.id for s in aab.sdks] == [s.id for s in apk.sdks]
    assert sorted((c.api, c.caller) for c in aab.api_calls) == sorted((c.api, c.caller) for c in apk.api_calls)
