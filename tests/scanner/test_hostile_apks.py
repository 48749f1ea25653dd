"""Damaged manifests, resource tables and dex files inside an otherwise valid APK.

Each case must end as a clean result, a partial one (an unreadable dex) or a typed
error — never an internal error, a crashed detector or an exception.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

import pytest

from scanner import scan
from scanner.model import Status
from tests.conftest import FIXTURES

with zipfile.ZipFile(FIXTURES / "sdks.apk") as _apk:
    ENTRIES = {n: _apk.read(n) for n in _apk.namelist()}
# a damaged resource table is recorded (the app is partial), and so is the label it can no longer resolve
EXPECTED_CODES = {"AndroidManifest.xml": {"manifest-unreadable"}, "classes.dex": {"dex-unreadable"},
                  "resources.arsc": {"resources-unreadable", "label-unresolved"}}


@pytest.mark.parametrize("seed", range(60))
def test_corrupted_entries(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    target = sorted(EXPECTED_CODES)[seed % 3]
    data = bytearray(ENTRIES[target])
    for _ in range(rng.randint(1, 10)):
        data[rng.randrange(8, len(data))] = rng.randrange(256)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:  # rebuilt, so the zip itself is sound and only the entry is damaged
        for name, content in ENTRIES.items():
            z.writestr(name, bytes(data) if name == target else content)
    path = tmp_path / "damaged.apk"
    path.write_bytes(buf.getvalue())
    audit = scan(str(path))
    assert {e.code for e in audit.errors} <= EXPECTED_CODES[target]
    if audit.status is Status.ERROR:
        assert target == "AndroidManifest.xml" and str(path) in audit.errors[0].message
