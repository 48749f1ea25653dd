"""The engine: every detector module is registered, a crashing detector is contained."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import scanner.analysis.detectors as detectors
from scanner import scan
from scanner.model import Status
from tests.conftest import FIXTURES


def test_all_is_exhaustive() -> None:
    modules = {name for _, name, _ in pkgutil.iter_modules(detectors.__path__)}
    with_detect = {m for m in modules if hasattr(importlib.import_module(f"scanner.analysis.detectors.{m}"), "detect")}
    assert {d.__name__.rsplit(".", 1)[1] for d in detectors.ALL} == with_detect


def test_detector_crash_is_an_error_of_that_app(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.analysis.detectors import manifest

    def boom(context):  # type: ignore[no-untyped-def]
        raise RuntimeError("kaboom")

    monkeypatch.setattr(manifest, "detect", boom)
    audit = scan(str(FIXTURES / "sdks.apk"))
    assert audit.status is Status.PARTIAL
    assert [e.code for e in audit.errors] == ["detector-failed"] and "kaboom" in audit.errors[0].message
    assert audit.sdks and audit.api_calls  # the other detectors still ran
    assert not any(f.rule_id.startswith("manifest.") for f in audit.hits)


def test_fingerprints_are_unique_and_stable() -> None:
    first = scan(str(FIXTURES / "sdks.apk"))
    again = scan(str(FIXTURES / "sdks.apk"))
    prints = [f.fingerprint for f in first.hits]
    assert len(prints) == len(set(prints)) and prints == [f.fingerprint for f in again.hits]
