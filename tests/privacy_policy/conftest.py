"""Shared fixtures: the knowledge base, the policy set and a scan of its APK apps."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scanner.analysis.engine import analyse
from scanner.input.archive import open_app
from scanner.privacy_policy.evaluate import Behaviour
from scanner.privacy_policy.find import find_bundled
from signatures import load
from signatures.model import KnowledgeBase

POLICIES = Path(__file__).resolve().parents[1] / "fixtures" / "policies"
_ASSET_URL = re.compile(rb"file:///android_asset/[\x21-\x7e]+")


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load()


def asset_urls(path: Path) -> set[str]:
    """The file:///android_asset URLs in the app's dex strings (what the lead passes from the scan)."""
    archive = open_app(str(path))
    return {m.decode() for split in archive.apks for name in split.zip.names()
            if re.fullmatch(r"classes\d*\.dex", name) for m in _ASSET_URL.findall(split.zip.read(name))}


def scan_apk(path: Path, kb: KnowledgeBase) -> Behaviour:
    audit = analyse(str(path), kb).audit
    assert audit.app is not None, audit.errors
    return Behaviour(audit.app.package, audit.sdks, audit.api_calls, audit.permissions,
                     find_bundled(open_app(str(path)), kb.policy_terms, asset_urls(path)))
