"""What a store offers: one downloadable APK, with the checksum the store vouches for.

Kept free of httpx so the batch and the manifest reader can use it cheaply.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PACKAGE = re.compile(r"[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+")
SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Release:
    """One APK of one app version in a store. ``url`` never holds a secret (an API key is added when
    downloading), so it can be printed and written to the manifest."""

    store: str  # "fdroid" or "androzoo"
    repo: str  # the repository address, or the list file it came from
    package: str
    version_code: int | None
    version_name: str | None
    url: str
    sha256: str  # lower-case hex, as the store's signed index (or list) gives it
    size: int | None = None
    categories: tuple[str, ...] = ()  # the store's categories (F-Droid) or the markets listing it (AndroZoo)
    added: str | None = None  # when the store added it (ISO date), if it says

    @property
    def file_name(self) -> str:
        """A readable, safe and unique file name: package, version code and the start of the sha256."""
        package = self.package if _PACKAGE.fullmatch(self.package) and len(self.package) < 200 else "app"
        code = "" if self.version_code is None else f"_{self.version_code}"
        return f"{package}{code}_{self.sha256[:12]}.apk"

    @property
    def label(self) -> str:
        """How messages name it: the package and version, never a URL (it could carry a key)."""
        version = f" {self.version_code}" if self.version_code is not None else ""
        return f"{self.package}{version}"


class FetchError(Exception):
    """One download failed: ``code`` is stable (for the dataset), the message names the app and the reason."""

    def __init__(self, source: str, reason: str, code: str) -> None:
        super().__init__(f"{source}: {reason}")
        self.source, self.reason, self.code = source, reason, code


class StoreError(Exception):
    """The store as a whole cannot be used (an index that does not verify, a list that cannot be read):
    nothing is downloaded, and the command line exits 2."""
