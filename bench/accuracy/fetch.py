"""Downloads that are pinned by sha256, cached, and retried.

CI downloads everything from a fresh clone, so a flaky registry must cost a retry, not a red build, and a
changed file must stop the run with the package's name in the message instead of producing numbers from
different bytes.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ATTEMPTS = 4
TIMEOUT_S = 120
_CHUNK = 1 << 20


class FetchError(RuntimeError):
    """A download that failed for good, or whose bytes are not the pinned ones."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _check(path: Path, sha256: str, what: str) -> None:
    actual = sha256_of(path)
    if actual != sha256:
        path.unlink()
        raise FetchError(f"{what}: sha256 mismatch for {path.name}: pinned {sha256}, got {actual} "
                         "(the registry now serves other bytes; re-pin only after checking why)")


def _retrying(what: str, attempt_once: Callable[[], object]) -> None:
    """Run one download attempt up to ATTEMPTS times, backing off; the last error names ``what``."""
    last: Exception | None = None
    for attempt in range(ATTEMPTS):
        try:
            attempt_once()
            return
        except (OSError, urllib.error.URLError, subprocess.TimeoutExpired) as exc:
            last = exc
            time.sleep(min(2 ** attempt, 10))
    raise FetchError(f"{what}: download failed after {ATTEMPTS} attempts: {last}")


def download(url: str, sha256: str, dest: Path, what: str) -> Path:
    """``dest`` holding exactly the pinned bytes of ``url``: from the cache, or downloaded now."""
    if dest.exists() and sha256_of(dest) == sha256:
        return dest
    if not url.startswith("https://"):
        raise FetchError(f"{what}: refusing a non-https URL {url}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".part")

    def once() -> None:
        request = urllib.request.Request(url, headers={"User-Agent": "appaudit-accuracy"})  # noqa: S310 (https only, checked above)
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response, partial.open("wb") as out:  # noqa: S310
            while chunk := response.read(_CHUNK):
                out.write(chunk)

    _retrying(what, once)
    partial.replace(dest)
    _check(dest, sha256, what)
    return dest


def pip_download(requirement: str, filename: str, sha256: str, dest_dir: Path, what: str) -> Path:
    """A wheel fetched with pip (PyPI's ordinary client), pinned by sha256, without its dependencies."""
    dest = dest_dir / filename
    if dest.exists() and sha256_of(dest) == sha256:
        return dest
    dest_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
               "-d", str(dest_dir), requirement]
    def once() -> None:
        done = subprocess.run(command, capture_output=True, text=True, timeout=1800, check=False)
        if done.returncode != 0:
            raise OSError(f"pip exited {done.returncode}: {(done.stdout + done.stderr)[-2000:]}")

    _retrying(what, once)
    if not dest.exists():
        raise FetchError(f"{what}: pip did not write {filename} into {dest_dir}")
    _check(dest, sha256, what)
    return dest
