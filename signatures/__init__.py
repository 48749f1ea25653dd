"""appaudit's knowledge base: SDKs and trackers, permissions, PI APIs, app types, rules, packers.

`load()` is the only entry point the scanner needs. The default knowledge base
is loaded once per process; it uses the tracker list that `appaudit signatures
update` cached for the user when there is one, else the bundled copy.
"""

from __future__ import annotations

import functools
import os
from importlib import resources
from pathlib import Path

from signatures import compiled
from signatures.model import (
    ApiSignature,
    AppCategory,
    KnowledgeBase,
    KnowledgeBaseError,
    Packer,
    PermissionInfo,
    PiCategory,
    Rule,
    Sdk,
    TrackerSignature,
)

__all__ = [
    "ApiSignature", "AppCategory", "KnowledgeBase", "KnowledgeBaseError", "Packer", "PermissionInfo",
    "PiCategory", "Rule", "Sdk", "TrackerSignature", "cache_dir", "forget_loaded", "load",
]

CACHE_FILE = "trackers.json"


def cache_dir() -> Path:
    """Per-user cache folder ($XDG_CACHE_HOME/appaudit, default ~/.cache/appaudit)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "appaudit"


def _data() -> Path:
    """The bundled data folder (the TOML files)."""
    return Path(str(resources.files("signatures") / "data"))


def _build(data_dir: Path, trackers_cache: Path | None = None) -> KnowledgeBase:
    """Parse and validate the TOML; imported here because a scan normally loads the compiled copy."""
    from signatures.loader import load_dir

    return load_dir(data_dir, trackers_cache=trackers_cache)


@functools.cache
def _load_default(cache_file: Path | None) -> KnowledgeBase:
    if cache_file is not None:
        try:
            return compiled.load(cache_dir(), _data(), cache_file, lambda: _build(_data(), cache_file))
        except KnowledgeBaseError as exc:
            # The cache is machine-written; a bad one must not stop scans.
            import logging  # here: a scan that has nothing to say does not import it

            logging.getLogger(__name__).warning("ignoring tracker cache, using the bundled list: %s", exc)
    return compiled.load(cache_dir(), _data(), None, lambda: _build(_data()))


def load(data_dir: Path | None = None) -> KnowledgeBase:
    """Load and validate the knowledge base (bundled data unless `data_dir` is given).

    Raises KnowledgeBaseError naming the file, entry and reason if the data is broken.
    """
    if data_dir is not None:
        return _build(Path(data_dir))
    cached = cache_dir() / CACHE_FILE
    return _load_default(cached if cached.is_file() else None)


def forget_loaded() -> None:
    """Drop the process-wide default knowledge base, so the next ``load()`` reads the data again (after an update)."""
    _load_default.cache_clear()
