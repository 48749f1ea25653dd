"""An APK without classes.dex is what Android refuses to install, unless its manifest says it has no code."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from scanner import scan
from scanner.model import Status
from tests.conftest import FIXTURES

FRAMEWORK = "/usr/share/android-framework-res/framework-res.apk"


def rebuilt(tmp_path: Path, rename: dict[str, str | None]) -> Path:
    """clean.apk with entries renamed (or dropped for None), unsigned."""
    out = tmp_path / "rebuilt.apk"
    with zipfile.ZipFile(FIXTURES / "clean.apk") as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename.startswith("META-INF/"):
                continue
            name = rename.get(info.filename, info.filename)
            if name is not None:
                dst.writestr(name, src.read(info))
    return out


@pytest.mark.parametrize(("rename", "said"), [
    ({"classes.dex": None}, "classes.dex is missing while"),
    ({"classes.dex": "classes2.dex"}, "only classes2.dex, which Android does not load without it"),
])
def test_no_classes_dex_is_an_error_with_androids_reason(tmp_path: Path, rename: dict[str, str | None],
                                                         said: str) -> None:
    path = rebuilt(tmp_path, rename)
    audit = scan(str(path))
    assert audit.status is Status.ERROR
    [error] = audit.errors
    assert error.code == "code-missing" and said in error.message and "INSTALL_FAILED_INVALID_APK" in error.message
    assert error.message.startswith(f"{path}: ")


@pytest.mark.android_tools("aapt")
def test_a_package_that_declares_no_code_needs_no_dex(tmp_path: Path) -> None:
    (tmp_path / "AndroidManifest.xml").write_text(
        '<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="org.example.nocode">'
        '<application android:hasCode="false"/></manifest>', encoding="utf-8")
    apk = tmp_path / "nocode.apk"
    subprocess.run(["aapt", "package", "-f", "-M", str(tmp_path / "AndroidManifest.xml"), "-I", FRAMEWORK,
                    "-F", str(apk)], check=True, capture_output=True)
    audit = scan(str(apk))
    assert audit.status is Status.OK and audit.app is not None and audit.app.package == "org.example.nocode"
