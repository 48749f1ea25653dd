"""One app of a batch: scan it, write its results under its sha256, return a summary row.

The same function runs in local worker processes and on Dask workers, so a batch
gives the same files whichever way it was run. Files are written atomically and
named by content hash: a re-run skips what exists, and two names for one APK are
scanned once. Nothing here raises for a bad app, and recording a failure never
raises at all: every input ends as a row.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scanner.atomic import write_atomic_bytes
from scanner.errors import InputNotFound, ScanFailure
from scanner.model import Audit, InputInfo, Status
from scanner.serial import from_plain, to_plain
from signatures.model import KnowledgeBase

APPS_DIR = "apps"
INTERNAL = "internal-error"  # the error code of an app the batch itself failed on (a bug, a full disk)


@dataclass(frozen=True, slots=True)
class Job:
    path: str
    sha256: str
    out: str
    formats: tuple[str, ...] = ("json", "html")
    category: str | None = None
    config: str | None = None  # policy file, loaded in the worker
    lang: str = "en"  # of the HTML and Markdown reports

    def to_json(self) -> str:
        # ASCII JSON: a file name's undecodable bytes (lone surrogates) travel as \udcXX escapes
        return json.dumps({"path": self.path, "sha256": self.sha256, "out": self.out, "formats": self.formats,
                           "category": self.category, "config": self.config, "lang": self.lang})

    @classmethod
    def from_json(cls, text: str) -> Job:
        doc = json.loads(text)
        return cls(doc["path"], doc["sha256"], doc["out"], tuple(doc["formats"]), doc["category"], doc["config"],
                   doc.get("lang", "en"))


@dataclass(frozen=True, slots=True)
class Row:
    """What the coordinator needs to know about an app: one per distinct input of a batch."""

    sha256: str
    path: str
    status: str
    error: str | None = None
    code: str | None = None  # the first error's code
    source: str = "scan"  # scan: scanned in this run; stored: its stored result; rematch: re-matched now


def printable(text: str) -> str:
    r"""``text`` as a UTF-8 file can hold it. A file name's bytes that are not UTF-8 (``os.fsdecode`` keeps
    them as lone surrogates) are shown as ``\xNN``, any other lone surrogate as ``\uNNNN``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "".join(f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF
                       else f"\\u{ord(c):04x}" if 0xD800 <= ord(c) <= 0xDFFF else c for c in text)
    return text


def printable_plain(value: Any) -> Any:
    """Every string of a plain JSON value (keys too) through ``printable``."""
    if isinstance(value, str):
        return printable(value)
    if isinstance(value, dict):
        return {printable(str(k)): printable_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [printable_plain(v) for v in value]
    return value


def printable_audit(audit: Audit) -> Audit:
    result: Audit = from_plain(Audit, printable_plain(to_plain(audit)))
    return result


def result_path(out: str | Path, sha256: str, suffix: str = ".json") -> Path:
    return Path(out) / APPS_DIR / f"{sha256}{suffix}"


def is_done(out: str | Path, sha256: str) -> bool:
    """The app's JSON result is there and whole. Batch files are not synced (see ``scanner.atomic``): after a
    power loss a result can be torn, and the JSON writer's last bytes (``}`` and a newline) tell a whole one.
    (``scanner.batch.store`` reads it fully, and names a damaged one.)"""
    try:
        with open(result_path(out, sha256), "rb") as result:
            result.seek(-2, 2)
            return result.read(2) == b"}\n"
    except OSError:  # missing, or shorter than two bytes
        return False


def write_audit(job: Job, audit: Audit, kb: KnowledgeBase, only_if_changed: bool = False) -> None:
    """Write every requested format; JSON last, because its presence marks the app as done.

    A string no UTF-8 file can hold (a file name's undecodable bytes, a lone surrogate in a dex string)
    is written the way ``printable`` shows it, rather than failing the app.
    """
    from reports import writers
    from reports.base import outputs

    registry = writers(job.lang)
    clean: Audit | None = None
    for fmt in sorted(job.formats, key=lambda f: f == "json"):
        if fmt not in registry:
            continue
        writer = registry[fmt]
        try:
            files = outputs(writer, audit, kb)
        except (UnicodeError, TypeError):  # str.encode, and orjson (its JSONEncodeError is a TypeError)
            clean = clean or printable_audit(audit)
            files = outputs(writer, clean, kb)  # a real bug raises here again
        for suffix, data in files:
            target = result_path(job.out, job.sha256, suffix)
            if only_if_changed and _same(target, data):
                continue
            write_atomic_bytes(target, data, durable=False)  # a torn result is scanned again: see is_done


def _same(target: Path, data: bytes) -> bool:
    try:
        return target.read_bytes() == data
    except OSError:
        return False


def run_job(job: Job, kb: KnowledgeBase) -> Row:
    """Scan one app in this process; never raises for a bad app."""
    from scanner.analysis.engine import analyse
    from scanner.batch.snapshot import write_snapshot
    from scanner.gate.policy import load_policy
    from scanner.gate.review import ScanOptions, review

    folder = _folder_failure(job.path)
    if folder is not None:
        return record_failure(job, folder, kb)
    options = ScanOptions(category=job.category, policy=load_policy(Path(job.config), kb) if job.config else None)
    analysis = analyse(job.path, kb, options.analysis)
    audit = review(analysis.audit, options, kb)
    write_snapshot(job.out, job.sha256, analysis.facts, analysis.index, analysis.reach, kb.version)
    write_audit(job, audit, kb)
    message, code = (audit.errors[0].message, audit.errors[0].code) if audit.errors else (None, None)
    return Row(job.sha256, job.path, audit.status.value, message, code)


def _folder_failure(path: str) -> ScanFailure | None:
    """A folder given or found as an input (named like an app, or one that could not be listed)."""
    if not os.path.isdir(path):
        return None
    if not os.access(path, os.R_OK | os.X_OK):
        return InputNotFound(path, "a folder that cannot be read: the apps in it, if any, were not scanned")
    return InputNotFound(path, "a folder, not an app file (it holds no app either)")


def failure_row(job: Job, code: str, reason: str, kb: KnowledgeBase) -> Row:
    """Record an app whose worker timed out, ran out of memory or crashed, as its error result."""
    failure = ScanFailure(job.path, reason)
    failure.code = code
    return record_failure(job, failure, kb)


def record_failure(job: Job, failure: ScanFailure, kb: KnowledgeBase) -> Row:
    """Store ``failure`` as the app's error result and return its row. Never raises: when the result cannot
    be written in every format, JSON alone is tried; when not even that, the row says why (the batch puts
    it in the dataset all the same)."""
    from scanner.analysis.result import error_audit

    message = str(failure)
    try:
        audit = error_audit(InputInfo(job.path, job.sha256, _size(job.path), None), failure, kb)
        try:
            write_audit(job, audit, kb)
        except Exception:  # noqa: BLE001 -- e.g. one format's target is unwritable: JSON alone may still do
            write_audit(dataclasses.replace(job, formats=("json",)), audit, kb)
    except Exception as exc:  # noqa: BLE001 -- nothing may lose the row: it says why nothing was stored
        message += f" (the result could not be stored: {type(exc).__name__}: {exc})"
    return Row(job.sha256, job.path, Status.ERROR.value, message, failure.code)


def _size(path: str) -> int | None:
    try:
        return Path(path).stat().st_size
    except OSError:
        return None
