"""Typed errors for inputs the scanner cannot analyse.

Every error carries a stable machine code (written to the JSON result) and a
message that names the file and the reason, so a batch can record it and go on.
"""

from __future__ import annotations


class ScanFailure(Exception):
    """Base of every error that becomes an app's ``status: "error"`` result."""

    code = "scan-failed"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class InputNotFound(ScanFailure):
    code = "input-not-found"


class NotAZip(ScanFailure):
    code = "not-a-zip"


class TruncatedZip(ScanFailure):
    code = "truncated-zip"


class CorruptZip(ScanFailure):
    code = "corrupt-zip"


class DuplicateEntry(ScanFailure):
    code = "duplicate-entry"


class ZipLimitExceeded(ScanFailure):
    code = "zip-limit-exceeded"


class NotAnApk(ScanFailure):
    code = "not-an-apk"


class ManifestError(ScanFailure):
    code = "manifest-unreadable"


class BundleError(ScanFailure):
    code = "bad-split-bundle"


class DexFormatError(ScanFailure):
    code = "dex-unreadable"
