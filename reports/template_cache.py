"""Compiled templates kept between runs, so a report costs its rendering and not Jinja's compiler.

Compiling the report's templates from source takes longer than rendering a large app's report (some 0.2 s
of every ``-f html`` scan, measured with bench/profile_scan.py), and every scan is a fresh process. Jinja's
own bytecode cache keeps each compiled template in the user's cache folder, checked against the template's
source. The folder name also holds what else shapes the compiled code and that Jinja does not check: the
version of appaudit and of Jinja, and the environment's options. Like the compiled knowledge base, the copy
lives in the user's own cache folder, and whoever can replace it can already change appaudit itself.

A folder that cannot be made, read or written only costs speed: the templates are then compiled each run.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
from jinja2.bccache import Bucket, FileSystemBytecodeCache

from scanner.version import __version__

if TYPE_CHECKING:
    import logging


def _log() -> logging.Logger:
    """This module's logger; ``logging`` is imported only when there is something to say (~1.5 ms otherwise)."""
    import logging

    return logging.getLogger(__name__)


class TemplateCache(FileSystemBytecodeCache):
    """Jinja's file cache, made to fail quietly: a read-only or vanished folder only means compiling."""

    def load_bytecode(self, bucket: Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except Exception as exc:  # noqa: BLE001 -- a damaged copy of any kind is compiled again
            bucket.reset()
            _log().debug("compiled template not read from %s: %r", self.directory, exc)

    def dump_bytecode(self, bucket: Bucket) -> None:
        try:
            Path(self.directory).mkdir(parents=True, exist_ok=True)
            super().dump_bytecode(bucket)
        except OSError as exc:
            _log().debug("compiled template not kept in %s: %s", self.directory, exc)


def template_cache(root: Path, options: str) -> TemplateCache:
    """The cache for one environment: ``options`` describes how it compiles (its settings, extensions)."""
    key = hashlib.sha256(f"{__version__}\0{jinja2.__version__}\0{options}".encode()).hexdigest()[:16]
    return TemplateCache(str(root / f"templates-{key}"))
