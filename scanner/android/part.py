"""Which part of the input a problem is about, and an exception's reason in one line: shared by the APK reader
(``apk.py``) and the signature facts (``signing_facts.py``), which may run in another process."""

from __future__ import annotations

from dataclasses import dataclass

from scanner.model import ScanError


@dataclass(frozen=True, slots=True)
class Part:
    """Names a part of the input in problem messages: ``<input>: [<base apk>!]<entry> …``."""

    path: str  # the input file
    prefix: str  # "" for a plain APK, "<base apk>!" inside a bundle, "base/" in an app bundle (AAB)
    proto: bool = False  # an app bundle: manifest, res/xml and resource table in aapt2's proto format

    def problem(self, code: str, reason: str) -> ScanError:
        return ScanError(code, f"{self.path}: {reason}")


def exception_reason(exc: BaseException) -> str:
    """``Type: text`` of an exception; ``struct.error`` keeps its module, "error" alone says nothing."""
    kind = type(exc).__name__
    if kind == "error" and type(exc).__module__ != "builtins":
        kind = f"{type(exc).__module__}.{kind}"
    text = str(exc).strip()
    return f"{kind}: {text}" if text else kind
