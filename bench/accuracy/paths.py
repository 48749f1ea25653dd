"""Where the accuracy set keeps its inputs and its (git-ignored) cache.

The cache can be moved with ``APPAUDIT_ACCURACY_CACHE`` so that several clones share one set of
downloads; by default it lives under ``bench/cache/accuracy``.
"""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SDKS_TOML = HERE / "sdks.toml"
APPS_TOML = HERE / "apps.toml"
PI_APIS = HERE / "pi_apis.txt"
PINNED = HERE / "pinned.toml"


def cache_dir() -> Path:
    """The cache root (created on demand)."""
    configured = os.environ.get("APPAUDIT_ACCURACY_CACHE", "").strip()
    path = Path(configured) if configured else ROOT / "bench" / "cache" / "accuracy"
    path.mkdir(parents=True, exist_ok=True)
    return path
