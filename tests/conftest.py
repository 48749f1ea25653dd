"""Shared paths: fixture APKs are built by the real Android toolchain (``make fixtures``)."""

from __future__ import annotations

from pathlib import Path

import pytest

import signatures

FIXTURES = Path(__file__).parent / "fixtures" / "apks"
HOSTILE = FIXTURES / "hostile"
APPS = ("clean.apk", "sdks.apk", "preconsent.apk", "multidex.apk")
BUNDLES = ("split.apks", "split.xapk", "split.apkm")
KB = signatures.load()  # the bundled knowledge base, passed explicitly as every entry point does


@pytest.fixture(scope="session")
def fixtures() -> Path:
    return FIXTURES
