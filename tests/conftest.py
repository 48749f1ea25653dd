"""Shared paths: fixture APKs are built by the real Android toolchain (``make fixtures``)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "apks"
HOSTILE = FIXTURES / "hostile"
APPS = ("clean.apk", "sdks.apk", "preconsent.apk", "multidex.apk")
BUNDLES = ("split.apks", "split.xapk", "split.apkm")


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES
