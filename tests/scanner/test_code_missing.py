"""What Android refuses to install: no classes.dex while the manifest has code, a split the bundle lists but lacks."""

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


def test_a_split_the_xapk_lists_but_lacks_makes_the_result_partial_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "lacking.xapk"
    with zipfile.ZipFile(FIXTURES / "split.xapk") as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            if info.filename != "config.xxhdpi.apk":
                dst.writestr(info, src.read(info))
    audit = scan(str(path))
    assert audit.status is Status.PARTIAL
    [error] = audit.errors
    assert error.code == "split-missing" and "config.xxhdpi.apk" in error.message
    assert "INSTALL_FAILED_MISSING_SPLIT" in error.message
    assert audit.app is not None and audit.app.package == "org.appaudit.fixture.split"  # the rest is analysed
    assert scan(str(FIXTURES / "split.xapk")).status is Status.OK  # the whole set is not partial
