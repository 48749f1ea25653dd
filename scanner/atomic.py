"""The one way appaudit writes a file: atomically, so an interrupted run never leaves half of one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_UMASK = os.umask(0o022)
os.umask(_UMASK)  # read once at import: mkstemp makes 0600 files, results should follow the umask


def write_atomic(target: Path, text: str) -> Path:
    return write_atomic_bytes(target, text.encode("utf-8"))


def write_atomic_bytes(target: Path, data: bytes) -> Path:
    """Write to a temporary file beside the target, then rename: readers see all or nothing."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target

