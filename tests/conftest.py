"""Shared paths, and the markers of tests that need something outside Python.

Fixture APKs are built by the real Android toolchain (``make fixtures``) and committed, so most tests
need no tool. Tests that cross-check our readers against Debian's Android tools are marked
``@pytest.mark.android_tools("aapt", ...)``; tests that open reports in Debian's chromium are marked
``@pytest.mark.browser``. On a developer machine a marked test whose tool is missing is skipped, with a
reason naming the tool and its Debian package; in CI (``CI`` set) nothing is skipped, so a machine
without the tools fails loudly instead of passing quietly.
"""

from __future__ import annotations

import os
import shutil
import signal
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

import signatures

FIXTURES = Path(__file__).parent / "fixtures" / "apks"
HOSTILE = FIXTURES / "hostile"
APPS = ("clean.apk", "sdks.apk", "preconsent.apk", "multidex.apk")
BUNDLES = ("split.apks", "split.xapk", "split.apkm")
KB = signatures.load()  # the bundled knowledge base, passed explicitly as every entry point does

CHROMIUM = Path("/usr/bin/chromium")  # Debian's browser, driven by Playwright (no downloaded browser)
ANDROID_TOOLS = {  # tool on PATH -> the Debian package that installs it
    "aapt": "aapt", "apksigner": "apksigner", "dexdump": "dexdump", "smali": "smali", "zipalign": "zipalign",
    "baksmali": "libsmali-java", "java": "default-jre-headless",
}
_NOT_CI = ("", "0", "false", "no")


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES


def in_ci(environ: Mapping[str, str] = os.environ) -> bool:
    """CI must run every test: there a missing tool is a broken machine, not a reason to skip."""
    return environ.get("CI", "").strip().lower() not in _NOT_CI


def android_tools_of(markers: Iterable[pytest.Mark]) -> list[str]:
    """The tools named by every ``android_tools`` marker of a test (module and function level), in order.

    A marker without names, or with a name we do not know, is a mistake in the test: it would skip
    nothing or the wrong thing, so it stops the run.
    """
    tools: list[str] = []
    for mark in markers:
        unknown = [t for t in mark.args if t not in ANDROID_TOOLS]
        if not mark.args or unknown or mark.kwargs:
            raise pytest.UsageError(f"@pytest.mark.android_tools{mark.args!r}: name one or more of "
                                    f"{', '.join(ANDROID_TOOLS)}" + (f" (unknown: {', '.join(unknown)})"
                                                                     if unknown else ""))
        tools += [t for t in mark.args if t not in tools]
    return tools


def missing_reason(tools: Iterable[str], browser: bool, path: str | None = None,
                   chromium: Path | None = None) -> str | None:
    """Why a test cannot run here (each missing tool and its Debian package), or None if it can.

    ``path`` is the search path for the Android tools (default: ``PATH``); ``chromium`` the browser
    binary (default: ``CHROMIUM``).
    """
    chromium = CHROMIUM if chromium is None else chromium
    missing = [(t, ANDROID_TOOLS[t]) for t in tools if shutil.which(t, path=path) is None]
    if browser and not chromium.exists():
        missing.append((str(chromium), "chromium"))
    if not missing:
        return None
    packages = " ".join(dict.fromkeys(p for _, p in missing))
    return (f"needs {', '.join(t for t, _ in missing)}, not found (Debian: apt-get install {packages}); "
            "with CI=true the test runs and fails instead")


def pytest_configure(config: pytest.Config) -> None:
    tools = ", ".join(ANDROID_TOOLS)
    config.addinivalue_line("markers", f"android_tools(*tools): needs these of Debian's Android tools on PATH "
                            f"({tools}); skipped when one is missing, unless CI is set")
    config.addinivalue_line("markers", f"browser: needs Debian's chromium ({CHROMIUM}), driven by Playwright; "
                            "skipped when it is missing, unless CI is set")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip marked tests whose tools are missing, except in CI, where they must run (and fail)."""
    ci = in_ci()
    for item in items:
        tools = android_tools_of(item.iter_markers("android_tools"))  # checked in CI too: a typo is an error
        browser = item.get_closest_marker("browser") is not None
        if ci or not (tools or browser):
            continue
        reason = missing_reason(tools, browser)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _sigpipe_as_python_sets_it() -> Iterator[None]:
    """The CLI run in-process (``main([...])``) gives SIGPIPE its default action, as a command-line tool
    should; in a test worker that would kill the process at the next write to a closed socket (a loopback
    server whose client hung up), so every test ends with Python's own setting back."""
    before = signal.getsignal(signal.SIGPIPE)
    yield
    signal.signal(signal.SIGPIPE, before)
