"""The app bundle fixtures: each ``.aab`` beside the universal APK bundletool built from it (``make_aab.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner import scan
from scanner.model import Audit
from tests.conftest import FIXTURES

BUNDLES = FIXTURES / "bundles"
NAMES = ("aab_base", "aab_feature")


def bundle(name: str) -> Path:
    return BUNDLES / f"{name}.aab"


def universal(name: str) -> Path:
    return BUNDLES / f"{name}.universal.apk"


_AUDITS: dict[str, Audit] = {}


def audit_of(path: Path) -> Audit:
    """One scan per fixture per test process (they are read-only)."""
    key = str(path)
    if key not in _AUDITS:
        _AUDITS[key] = scan(key)
    return _AUDITS[key]


@pytest.fixture(params=NAMES)
def name(request: pytest.FixtureRequest) -> str:
    return str(request.param)
