"""Where each app of a batch came from, when a store fetched it: the dataset's store columns.

A folder given to ``appaudit batch`` that holds ``fetched.json`` (written by ``appaudit fetch`` or by
``batch --from``) says, per sha256, the store, repository, package, version and URL. The batch keeps what
applies to its inputs in ``OUT/origins.json`` (runs add up, like ``inputs.json``), and the dataset's
``apps`` table carries it, also for an app that could not be scanned.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from scanner.atomic import write_atomic
from scanner.fetch.manifest import ManifestError, Origin, read_manifest

ORIGINS_FILE = "origins.json"
Warn = Callable[[str], None]  # as scanner.batch.store's, which imports this module
# dataset column -> Origin field
COLUMNS = {"store": "store", "store_repo": "repo", "store_package": "package",
           "store_version_code": "version_code", "source_url": "source_url"}


def origins_beside(inputs: Mapping[str, str], warn: Warn) -> dict[str, Origin]:
    """sha256 -> origin, from the ``fetched.json`` in the folder of each input (read once per folder)."""
    manifests: dict[Path, dict[str, Origin]] = {}
    found: dict[str, Origin] = {}
    for path, sha in inputs.items():
        folder = Path(path).parent
        if folder not in manifests:
            try:
                manifests[folder] = read_manifest(folder)[0]
            except ManifestError as exc:
                warn(f"{exc}; the apps in {folder} have no store columns")
                manifests[folder] = {}
        if sha in manifests[folder]:
            found[sha] = manifests[folder][sha]
    return found


def read_origins(out: str | Path, warn: Warn) -> dict[str, dict[str, Any]]:
    target = Path(out) / ORIGINS_FILE
    try:
        doc = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        warn(f"{target}: cannot be read ({exc}); the dataset has no store columns")
        return {}
    return {k: v for k, v in doc.items() if isinstance(v, dict)} if isinstance(doc, dict) else {}


def record_origins(out: str | Path, origins: Mapping[str, Origin], warn: Warn) -> None:
    if not origins:
        return
    merged = {**read_origins(out, warn), **{sha: asdict(o) for sha, o in origins.items()}}
    write_atomic(Path(out) / ORIGINS_FILE, json.dumps(merged, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def store_columns(origin: Mapping[str, Any] | None) -> dict[str, Any]:
    """The dataset's store columns of one app (None each when it was not fetched from a store)."""
    return {column: (origin or {}).get(field) for column, field in COLUMNS.items()}
