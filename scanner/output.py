"""Writing results: atomic files (an interrupted run never leaves half a report) and stable names."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(target: Path, text: str) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


class StemNamer:
    """The input's file stem; a second input with the same stem gets its sha256 prefix added."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def __call__(self, path: str, sha256: str | None) -> str:
        stem = Path(path).stem or "app"
        if stem in self.used:
            stem = f"{stem}-{(sha256 or 'nohash')[:12]}"
        self.used.add(stem)
        return stem
