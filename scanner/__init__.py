"""appaudit: static privacy audit of Android apps.

Public API: ``scan(path, options, kb=None) -> Audit``. The names are resolved on
first use, so that ``import scanner`` (and ``appaudit --help``) stays cheap: the
analysis pulls in NumPy and the readers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from scanner.version import __version__

if TYPE_CHECKING:
    from scanner.gate.review import ScanOptions, scan
    from scanner.model import Audit

__all__ = ["Audit", "ScanOptions", "__version__", "scan"]
_LAZY = {"scan": "scanner.gate.review", "ScanOptions": "scanner.gate.review", "Audit": "scanner.model"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'scanner' has no attribute {name!r}")
