"""appaudit: static privacy audit of Android apps.

Public API: ``scan(path, options) -> Audit``.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .engine import scan  # noqa: E402
from .model import Audit  # noqa: E402
from .options import ScanOptions  # noqa: E402

__all__ = ["scan", "Audit", "ScanOptions", "__version__"]
