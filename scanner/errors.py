"""Typed errors: for inputs the scanner cannot analyse, and for the few that stop a whole run.

Every ``ScanFailure`` carries a stable machine code (written to the JSON result) and a
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


class CodeMissing(ScanFailure):
    """The manifest says the app has code (the default) but the APK holds no ``classes.dex``."""

    code = "code-missing"


class MemoryLimit(ScanFailure):
    """The analysis needed more memory than the cap (``--max-memory``) allows."""

    code = "memory-limit"


class DexFormatError(ScanFailure):
    code = "dex-unreadable"


class DiffInputError(Exception):
    """A side of ``appaudit diff`` that is neither a readable result nor an app that scans."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")


class InputListError(Exception):
    """A ``.txt`` list of inputs that cannot be expanded (a cycle, too deep, unreadable).

    Not an app's result: the run stops before scanning, as for any usage error.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class UnexpectedError(Exception):
    """An exception nobody expected (a bug, a failing disk) while working on one input.

    The command line prints it as one line naming ``path``; ``__cause__`` is the original exception.
    """

    def __init__(self, path: str, cause: BaseException) -> None:
        super().__init__(f"{path}: {type(cause).__name__}: {cause}")
        self.path = path
        self.cause = cause
