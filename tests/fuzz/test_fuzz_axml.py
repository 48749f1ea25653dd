"""Fuzz target of the binary XML reader (scanner/android/axml.py), directly on the bytes, no zip around them.

Seeds: the manifests of the fixture apps, the hostile-manifest fixtures (tests/fixtures/apks/manifest/), the
network security config, and the ``.axml`` corpus files. Property: ``parse`` returns a tree or raises
``AxmlError``; the manifest and network security config readers then take the tree without any exception
but the typed ``ManifestError`` (a tree that is no manifest). Run here with the CI profile; for a campaign the
target object ``AXML`` plugs into ``tests/fuzz/targets.TARGETS`` like the others.
"""

from __future__ import annotations

import zipfile
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from scanner.android.axml import AxmlError, parse
from scanner.android.manifest import read_manifest
from scanner.android.netconfig import read_network_security_config
from scanner.errors import ManifestError
from tests.conftest import FIXTURES
from tests.fuzz.mutate import Seed, corpus_files, entry, hot_spots, mutated
from tests.fuzz.targets import AXML_SIGS, Target, run

CI_EXAMPLES = 1500
_APPS = ("clean.apk", "sdks.apk", "preconsent.apk", "obfuscated.apk")


def _seeds() -> list[Seed]:
    files = [(n, entry(n, "AndroidManifest.xml")) for n in _APPS]
    files.append(("preconsent.apk!netconfig", entry("preconsent.apk", "res/xml/network_security_config.xml")))
    for path in sorted((FIXTURES / "manifest").glob("*.apk")):
        with zipfile.ZipFile(path) as z:
            files.append((f"manifest/{path.name}", z.read("AndroidManifest.xml")))
    return [Seed(n, d, hot=hot_spots(d, AXML_SIGS)) for n, d in files] + corpus_files(".axml")


SEEDS = _seeds()


def binary_xml(data: bytes) -> None:
    result = parse(data)
    read_network_security_config(result.root, "res/xml/fuzz.xml")
    facts = read_manifest(result.root, "fuzz.apk", result.tricks)
    assert all(t.code and t.message for t in facts.tricks)


AXML = Target("axml", st.tuples(mutated(SEEDS)), binary_xml, (AxmlError, ManifestError))


@settings(max_examples=CI_EXAMPLES) if getattr(settings.default, "derandomize", False) else settings()
@given(AXML.strategy)
def test_binary_xml(args: tuple[Any, ...]) -> None:
    run(AXML.name, AXML.prop, AXML.allowed, *args)
