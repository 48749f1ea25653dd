"""What a batch folder holds, read back: every stored result checked, a damaged one named.

A result is damaged when it is cut short, is not JSON, is not an appaudit result, belongs to another
app, or lacks what the dataset reads. Nothing here raises for a damaged file: the caller names it
(a warning), scans the app again when its input is given, and otherwise shows it as an error row.
``inputs.json`` accumulates over the batches run into one folder (path -> sha256, the latest wins),
so the dataset and dashboard cover every app stored there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.atomic import write_atomic
from scanner.batch.job import APPS_DIR, Job, Row, printable, printable_plain, record_failure, result_path
from scanner.errors import ScanFailure
from scanner.model import SCHEMA, SCHEMAS_READ, InputInfo
from signatures.model import KnowledgeBase

INPUTS_FILE = "inputs.json"
DAMAGED = "stored-result-damaged"  # the error code of an app whose stored files are damaged
UNREADABLE = "unreadable-"  # results of inputs that could not be hashed are keyed by their path
STATUSES = ("ok", "partial", "error")

Warn = Callable[[str], None]


class DamagedResult(Exception):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class StoredDamage(ScanFailure):
    """An app's stored files are damaged: its result says so, and its next batch scans it again."""

    code = DAMAGED


@dataclass(frozen=True, slots=True)
class Stored:
    """A whole stored result: the document and its rows for each dataset table."""

    doc: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]]

    def row(self, sha256: str, path: str) -> Row:
        errors = self.doc.get("errors") or []
        first = errors[0] if errors else {}
        return Row(sha256, path, self.doc["status"], first.get("message"), first.get("code"), "stored")


def read_result(out: str | Path, sha256: str, paths: list[str] | None = None) -> Stored | None:
    """The stored result of ``sha256``, None when there is none; ``DamagedResult`` when it is damaged."""
    target = result_path(out, sha256)
    try:
        data = target.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DamagedResult(target, f"cannot be read: {exc.strerror or exc}") from None
    return check_result(target, sha256, data, paths or [])


def check_result(target: Path, sha256: str, data: bytes, paths: list[str]) -> Stored:
    from reports.dataset import doc_rows

    if not data.rstrip():
        raise DamagedResult(target, "is empty")
    if not data.endswith(b"}\n"):
        raise DamagedResult(target, "is cut short")
    try:
        doc = json.loads(data)
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise DamagedResult(target, f"is not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or doc.get("schema") not in SCHEMAS_READ:  # a /1 result still makes rows
        raise DamagedResult(target, f"is not an appaudit result (no \"schema\": \"{SCHEMA}\")")
    try:
        stored_sha = doc["input"].get("sha256")
        if stored_sha and stored_sha != sha256:
            raise DamagedResult(target, f"holds the result of another app ({stored_sha})")
        doc["input"]["sha256"] = sha256  # an input that could not be read: keyed by what the batch used
        if doc.get("status") not in STATUSES:
            raise DamagedResult(target, f"has no valid status ({doc.get('status')!r})")
        tables = doc_rows(doc, paths or [printable(str(doc["input"].get("path") or sha256))])
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise DamagedResult(target, f"is incomplete ({type(exc).__name__}: {exc})") from None
    return Stored(doc, tables)


def read_inputs(out: str | Path, warn: Warn) -> dict[str, str]:
    """The inputs of every batch run into ``out``: path -> sha256."""
    target = Path(out) / INPUTS_FILE
    try:
        doc = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        warn(f"{target}: cannot be read ({exc}); the paths of earlier batches are not known")
        return {}
    if not isinstance(doc, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in doc.items()):
        warn(f"{target}: not a map of input paths to sha256; the paths of earlier batches are not known")
        return {}
    return doc


def record_inputs(out: str | Path, inputs: dict[str, str], warn: Warn) -> dict[str, str]:
    """Add this run's inputs to those of earlier runs (a path now holding another app names that one)."""
    merged = {**read_inputs(out, warn), **inputs}
    # ASCII JSON: the exact file names, undecodable bytes included (as \udcXX), so a rerun finds them
    write_atomic(Path(out) / INPUTS_FILE, json.dumps(merged, indent=1, sort_keys=True) + "\n")
    return merged


def input_path(out: str | Path, sha256: str) -> str:
    """A path the app was given as (from ``inputs.json`` or its result), or its sha256."""
    for path, sha in read_inputs(out, lambda note: None).items():
        if sha == sha256:
            return path
    try:
        stored = read_result(out, sha256)
    except DamagedResult:
        stored = None
    return str(stored.doc["input"].get("path") or sha256) if stored else sha256


def store_damage(out: str, sha256: str, path: str, formats: tuple[str, ...], reason: str,
                 kb: KnowledgeBase) -> Row:
    """Replace an app's result by one saying its stored files are damaged (its next batch scans it again)."""
    row = record_failure(Job(path, sha256, out, formats), StoredDamage(path, reason), kb)
    return Row(row.sha256, row.path, row.status, row.error, row.code, "stored")


def error_tables(row: Row, kb: KnowledgeBase, paths: list[str] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Dataset rows for an error row that has no stored result (not even its error could be written)."""
    from reports.dataset import doc_rows
    from scanner.analysis.result import error_audit
    from scanner.serial import to_plain

    failure = ScanFailure(row.path, row.error or "failed")
    failure.code = row.code or "internal-error"
    doc = printable_plain(to_plain(error_audit(InputInfo(row.path, row.sha256, None, None), failure, kb)))
    doc["errors"][0]["message"] = printable(row.error or "failed")  # already names the path
    return doc_rows(doc, paths or [printable(row.path)])


def load_all(out: str | Path, inputs: dict[str, str], kb: KnowledgeBase, rows: Iterable[Row] = (),
             warn: Warn = lambda note: None) -> list[dict[str, list[dict[str, Any]]]]:
    """Dataset rows of every app stored in ``out``; a damaged result is named and shown as an error; a row
    of ``rows`` whose result could not be stored at all is shown from the row."""
    paths_of: dict[str, list[str]] = {}
    for path, sha in sorted(inputs.items()):
        paths_of.setdefault(sha, []).append(printable(path))
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for target in sorted((Path(out) / APPS_DIR).glob("*.json")):
        sha = target.name.removesuffix(".json")
        if sha.startswith(UNREADABLE) and sha not in paths_of:
            continue  # its path now holds a readable app: that result replaces this one
        try:
            found[sha] = check_result(target, sha, target.read_bytes(), paths_of.get(sha, [])).tables
        except (DamagedResult, OSError) as exc:
            warn(f"{exc}; shown as an error: give its input to the batch again to scan it again")
            paths = paths_of.get(sha, [sha])
            found[sha] = error_tables(Row(sha, paths[0], "error", str(exc), DAMAGED), kb, paths)
    for row in rows:
        if row.sha256 not in found:
            found[row.sha256] = error_tables(row, kb, paths_of.get(row.sha256))
    from scanner.batch.origins import read_origins, store_columns

    origins = read_origins(out, warn)
    for sha, tables in found.items():
        for app in tables["apps"]:
            app.update(store_columns(origins.get(sha)))
    return [found[sha] for sha in sorted(found)]
