"""The ``android_tools`` and ``browser`` markers (tests/conftest.py): skip on a developer machine, never in CI.

Run in an inner pytest session (``pytester``) with a fake PATH and a browser path that does not exist, so
what is installed on this machine does not decide the outcome.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.conftest as shared
from tests.conftest import android_tools_of, in_ci, missing_reason

pytest_plugins = ["pytester"]

INNER = """
import subprocess
from pathlib import Path

import pytest

import tests.conftest

pytestmark = pytest.mark.android_tools("aapt")


def test_aapt_only():
    subprocess.run(["aapt", "version"], check=True)


@pytest.mark.android_tools("apksigner", "dexdump")
def test_also_needs_two_missing_tools():
    subprocess.run(["apksigner", "version"], check=True)


def test_unmarked_runs_anywhere():
    pass


@pytest.mark.browser
def test_browser():
    assert tests.conftest.CHROMIUM.exists()
"""


@pytest.fixture
def inner(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.Pytester:
    """A session whose PATH holds only a fake ``aapt`` and whose chromium is missing."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    aapt = bin_dir / "aapt"
    aapt.write_text("#!/bin/sh\nexit 0\n")
    aapt.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(shared, "CHROMIUM", tmp_path / "no" / "chromium")
    pytester.makeconftest("from tests.conftest import pytest_collection_modifyitems, pytest_configure  # noqa")
    pytester.makepyfile(test_inner=INNER)
    return pytester


def outcomes(session: pytest.Pytester) -> dict[str, str]:
    """Test name -> "passed", "failed" or the skip reason, from the inner session's reports."""
    out = {}
    for rep in session.inline_run().getreports("pytest_runtest_logreport"):
        if rep.when == "call" or rep.skipped:
            name = rep.nodeid.rpartition("::")[2]
            out[name] = str(rep.longrepr[2]) if rep.skipped else rep.outcome  # type: ignore[index]
    return out


def test_missing_tools_skip_with_the_debian_package(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path) -> None:
    monkeypatch.delenv("CI", raising=False)
    advice = "; with CI=true the test runs and fails instead"
    assert outcomes(inner) == {
        "test_aapt_only": "passed",  # the module-level marker's tool is on PATH
        "test_also_needs_two_missing_tools":
            "Skipped: needs apksigner, dexdump, not found (Debian: apt-get install apksigner dexdump)" + advice,
        "test_unmarked_runs_anywhere": "passed",
        "test_browser": f"Skipped: needs {tmp_path}/no/chromium, not found (Debian: apt-get install chromium)" + advice,
    }


@pytest.mark.parametrize("ci", ["true", "1", "yes"])
def test_ci_runs_them_and_they_fail_loudly(inner: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str) -> None:
    monkeypatch.setenv("CI", ci)
    assert outcomes(inner) == {"test_aapt_only": "passed", "test_also_needs_two_missing_tools": "failed",
                               "test_unmarked_runs_anywhere": "passed", "test_browser": "failed"}


def test_unknown_tool_stops_the_run(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("from tests.conftest import pytest_collection_modifyitems, pytest_configure  # noqa")
    pytester.makepyfile("""
        import pytest

        @pytest.mark.android_tools("aapt3")
        def test_typo():
            pass
    """)
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*android_tools*unknown: aapt3*"])


@pytest.mark.parametrize(("value", "expected"), [
    (None, False), ("", False), ("0", False), ("false", False), ("No", False), ("true", True), ("1", True)])
def test_in_ci(value: str | None, expected: bool) -> None:
    assert in_ci({} if value is None else {"CI": value}) is expected


def test_missing_reason_with_a_fake_path(tmp_path: Path) -> None:
    (tmp_path / "dexdump").write_text("#!/bin/sh\n")
    (tmp_path / "dexdump").chmod(0o755)
    present = tmp_path / "chromium"
    present.touch()
    assert missing_reason(["dexdump"], browser=True, path=str(tmp_path), chromium=present) is None
    reason = missing_reason(["dexdump", "smali", "zipalign"], browser=False, path=str(tmp_path), chromium=present)
    assert reason is not None and reason.startswith(
        "needs smali, zipalign, not found (Debian: apt-get install smali zipalign)")


def test_markers_of_module_and_function_are_merged() -> None:
    marks = [pytest.mark.android_tools("dexdump", "aapt").mark, pytest.mark.android_tools("aapt").mark]
    assert android_tools_of(marks) == ["dexdump", "aapt"]
    with pytest.raises(pytest.UsageError, match="name one or more"):
        android_tools_of([pytest.mark.android_tools().mark])
