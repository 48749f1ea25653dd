"""Corpora for the batch tests, made from the toolchain-built fixtures."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from tests.conftest import FIXTURES, HOSTILE

GOOD = ("clean.apk", "sdks.apk", "preconsent.apk", "split.xapk", "provider_init.apk", "obfuscated.apk")
BAD = ("truncated.apk", "zip_bomb.apk", "not_an_apk.apk", "duplicate_entry.apk")


def variant(source: Path, target: Path, n: int) -> Path:
    """A copy whose bytes differ (its zip comment), so it counts as another app."""
    shutil.copyfile(source, target)
    with zipfile.ZipFile(target, "a") as z:
        z.comment = f"appaudit test variant {n}".encode()
    return target


def corpus(folder: Path, copies: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(copies):
        for name in GOOD:
            variant(FIXTURES / name, folder / f"{n:03d}-{name}", n)
    for name in BAD:
        shutil.copyfile(HOSTILE / name, folder / name)
    return folder
